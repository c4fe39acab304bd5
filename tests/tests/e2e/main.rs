//! End-to-end tests: the real server and its built app in headless Chromium,
//! and the test cluster they will run against.
//! One binary, a module per area.

mod cluster;
mod idp;
mod plans;
mod read_cache;
mod registry_read;
mod shell;
mod simulator;
