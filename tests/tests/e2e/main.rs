//! End-to-end tests: the real server and its built app in headless Chromium.
//! One binary, a module per area.

mod shell;
