use leptos::prelude::*;
use leptos_router::components::A;
use model::Msg;

use crate::i18n::I18n;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = expect_context::<I18n>();
    view! {
        <section class="page">
            <h1>{move || i18n.t(Msg::NotFoundTitle)}</h1>
            <p>{move || i18n.t(Msg::NotFoundBody)}</p>
            <p><A href="/">{move || i18n.t(Msg::NotFoundHome)}</A></p>
        </section>
    }
}
