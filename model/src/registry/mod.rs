//! The registry domain shared with the browser: plan inputs and the rules
//! that check them.

pub mod finding;
pub mod input;
pub mod rules;
pub mod validate;
pub mod view;

pub use finding::{Finding, Severity};
pub use input::*;
pub use validate::*;
