//! The registry domain on the server: the read model, plans (build,
//! preview, apply), and redaction of secret values.

pub mod cache;
pub mod events;
pub mod plan;
pub mod read;
pub mod redact;
pub mod yaml;
