//! Registry Console server: the REST API, the browser app's files, and the
//! server-rendered pages. `main.rs` only loads settings and runs `startup`.

pub mod api;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod db;
pub mod error;
pub mod metrics;
pub mod pki;
pub mod registry;
pub mod startup;
pub mod telemetry;
pub mod web;
