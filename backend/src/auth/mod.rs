//! Browser sign-in's foundations: server-side sessions (tower-sessions'
//! store model behind our own actix middleware), the key ring sealing session
//! data at rest, CSRF protection and the post-sign-in return path. The
//! sign-in flows (OIDC, OpenShift OAuth) build on [`session::start`],
//! [`session::sign_out`] and [`session::sign_out_everywhere`].

pub mod csrf;
pub mod keys;
pub mod return_to;
pub mod session;
pub mod store;

pub use session::{Identity, Session, SessionError, Sessions};

/// Session data keys starting with this belong to the session itself.
pub const RESERVED_PREFIX: &str = "auth.";
/// Who signed in ([`Identity`]); its `user` is also the row's `user_name`.
pub const IDENTITY_KEY: &str = "auth.identity";
/// The session's CSRF token.
pub const CSRF_KEY: &str = "auth.csrf";
/// Sign-in time, Unix seconds (the absolute expiry counts from it).
pub const CREATED_KEY: &str = "auth.created";
