//! The default rule pack, embedded at build time by `build.rs` from `rules/*.toml`.

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
