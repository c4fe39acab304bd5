//! Plans: the one write path.
//!
//! `input → validate (model) → build (steps) → simulate → dry-run → store`
//! then, on apply, `confirm → conflict check → write in order → re-read`.
//!
//! A step writes one object: create it, merge-patch it, delete it, or edit
//! it by read-modify-write (lists without a merge key, such as a service
//! account's `imagePullSecrets`, and one registry's entry in a docker config,
//! are recomputed from a fresh read so concurrent plans keep each other's
//! entries). A plan remembers every object as it was when the plan was made;
//! at apply a guarded step whose fields moved since then answers 409 with
//! the fresh diff, and nothing is written.

pub mod build;
pub mod engine;
pub mod export;
pub mod json;
pub mod oc;
pub mod store;

pub use engine::{Edit, Guard, Op, PlanDraft, PlannedStep};
