//! Top bar: product name, navigation, language switch.

use leptos::prelude::*;
use leptos_router::components::A;
use model::{Lang, Msg};

use crate::i18n::I18n;

#[component]
pub fn Header() -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let on_lang_change = move |event: leptos::ev::Event| {
        if let Some(lang) = Lang::from_tag(&event_target_value(&event)) {
            i18n.set_lang(lang);
        }
    };
    view! {
        <header class="top-bar">
            <A href="/" attr:class="brand">{move || i18n.t(Msg::AppTitle)}</A>
            <nav aria-label=move || i18n.t(Msg::NavLabel)>
                <ul>
                    <li><A href="/" exact=true>{move || i18n.t(Msg::NavOverview)}</A></li>
                </ul>
            </nav>
            <label class="lang-switch">
                <span>{move || i18n.t(Msg::LangLabel)}</span>
                <select id="lang-select" on:change=on_lang_change prop:value=move || i18n.lang().tag()>
                    {Lang::ALL
                        .into_iter()
                        .map(|lang| view! { <option value=lang.tag() lang=lang.tag()>{lang.native_name()}</option> })
                        .collect_view()}
                </select>
            </label>
        </header>
    }
}
