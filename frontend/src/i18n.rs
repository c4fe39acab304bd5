//! The user's language: from the stored choice, else the browser's
//! preferences, else English. Texts come from `model::Msg` tables.

use leptos::prelude::*;
use model::{Lang, Msg};

const STORAGE_KEY: &str = "registry-console.lang";

/// App-wide language, provided as context by `provide_i18n`.
#[derive(Clone, Copy)]
pub struct I18n {
    lang: RwSignal<Lang>,
}

impl I18n {
    pub fn lang(self) -> Lang {
        self.lang.get()
    }

    pub fn set_lang(self, lang: Lang) {
        self.lang.set(lang);
    }

    /// The text of `msg` in the current language; reactive.
    pub fn t(self, msg: Msg) -> &'static str {
        self.lang.get().text(msg)
    }

    /// Like `t`, with `{name}` placeholders filled.
    pub fn fill(self, msg: Msg, values: &[(&str, &str)]) -> String {
        let mut text = self.t(msg).to_owned();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

pub fn provide_i18n() {
    let lang = RwSignal::new(initial_lang());
    Effect::new(move |_| {
        let lang = lang.get();
        if let Some(document) = web_sys::window().and_then(|w| w.document())
            && let Some(root) = document.document_element()
        {
            let _ = root.set_attribute("lang", lang.tag());
        }
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(STORAGE_KEY, lang.tag());
        }
    });
    provide_context(I18n { lang });
}

fn initial_lang() -> Lang {
    let stored = local_storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
    if let Some(lang) = stored.as_deref().and_then(Lang::from_tag) {
        return lang;
    }
    let preferred: Vec<String> = web_sys::window()
        .map(|w| w.navigator().languages().iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    Lang::negotiate(preferred.iter().map(String::as_str))
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}
