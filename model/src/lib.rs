//! Shared by the server and the browser app: request and response types,
//! problem documents, and the translation tables. Compiles for wasm32; no I/O.

pub mod health;
pub mod i18n;
pub mod plan;
pub mod problem;
pub mod registry;

pub use health::{Check, Health};
pub use i18n::{Lang, Msg};
pub use problem::{FieldError, Problem};

/// The version of this build, shared by server and app so each can tell
/// when the other is different.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
