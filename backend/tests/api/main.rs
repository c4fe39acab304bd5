//! API tests: the real server on port 0 with a temporary SQLite file,
//! called over HTTP. One binary, a module per area.

mod helpers;
mod openapi;
mod probes;
mod process;
mod sessions;
mod web;
