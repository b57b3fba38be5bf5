//! Small helpers shared by several layers: path display and normalisation,
//! URI encoding, text formatting, credential-looking text, and safe reads and
//! atomic writes of files. Nothing here knows about rules, findings or
//! reports.

pub mod fs;
pub mod paths;
pub mod redact;
pub mod term;
pub mod text;
pub mod time;
pub mod uri;
