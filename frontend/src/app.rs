//! The route table and the page frame around every page.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::header::Header;
use crate::i18n::{I18n, provide_i18n};
use crate::pages::{not_found::NotFound, overview::Overview};
use model::Msg;

#[component]
pub fn App() -> impl IntoView {
    provide_i18n();
    let i18n = expect_context::<I18n>();
    view! {
        <Router>
            <a class="skip-link" href="#main" on:click=skip_to_main>{move || i18n.t(Msg::AppSkipToContent)}</a>
            <Header/>
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Overview/>
                </Routes>
            </main>
        </Router>
    }
}

/// The router would treat `#main` as a navigation; move the focus instead,
/// which is what a keyboard or screen reader user needs.
fn skip_to_main(event: leptos::ev::MouseEvent) {
    event.prevent_default();
    let main = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("main"));
    if let Some(main) = main.and_then(|m| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(m).ok()) {
        let _ = main.focus();
    }
}
