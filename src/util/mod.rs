//! Small helpers shared by several layers: path display and normalisation,
//! URI encoding and text formatting. Nothing here knows about rules, findings
//! or reports; everything is a pure function.

pub mod paths;
pub mod term;
pub mod text;
pub mod time;
pub mod uri;
