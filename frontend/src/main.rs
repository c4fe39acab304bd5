//! The browser app: Leptos, client-side rendered, built to WASM by
//! `cargo xtask`. It talks only to the server's REST API.

mod api;
mod app;
mod components;
mod i18n;
mod pages;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
