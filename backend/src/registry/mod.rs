//! The registry domain on the server: the read model, plans (build,
//! preview, apply), and redaction of secret values.

pub mod plan;
pub mod redact;
