//! Small hand-written validators the registry rules are built from. The
//! model compiles to wasm32 and carries no regex engine, so each pattern
//! from the API schemas is spelled out as code, with its source.

pub mod cron;
pub mod dns;
pub mod duration;
pub mod quantity;
pub mod refs;
