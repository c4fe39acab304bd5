//! Generates `Msg`, one variant per translation key, and the tables for each
//! language from `locales/<lang>.json`. Keys are the union of all languages, so
//! a key missing in one language still compiles: the `i18n` tests fail and
//! name it instead (a build error would hide every other missing key).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

const LANGS: [&str; 2] = ["en", "zh"];

fn main() {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let locales = Path::new(&manifest_dir).join("locales");
    let mut tables: Vec<BTreeMap<String, String>> = Vec::new();
    for lang in LANGS {
        let path = locales.join(format!("{lang}.json"));
        println!("cargo::rerun-if-changed={}", path.display());
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let table: BTreeMap<String, String> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a flat JSON object of strings: {e}", path.display()));
        tables.push(table);
    }
    let mut keys: Vec<&String> = tables.iter().flat_map(|t| t.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in &keys {
        assert!(
            key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'),
            "translation key {key:?} must be <page>.<thing> in snake_case"
        );
    }

    let mut out = String::new();
    out.push_str("/// A translation key; `Msg::ALL` lists every one.\n");
    out.push_str("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\npub enum Msg {\n");
    for key in &keys {
        let _ = writeln!(out, "    /// `{key}`\n    {},", variant(key));
    }
    out.push_str("}\n\nimpl Msg {\n    pub const ALL: &'static [Msg] = &[\n");
    for key in &keys {
        let _ = writeln!(out, "        Msg::{},", variant(key));
    }
    out.push_str("    ];\n\n    /// The key as written in the locale files.\n    pub const fn key(self) -> &'static str {\n        match self {\n");
    for key in &keys {
        let _ = writeln!(out, "            Msg::{} => {key:?},", variant(key));
    }
    out.push_str("        }\n    }\n}\n\n");
    for (lang, table) in LANGS.iter().zip(&tables) {
        let _ = writeln!(
            out,
            "/// Texts in `{lang}`; empty where the locale file lacks the key.\nconst fn text_{lang}(msg: Msg) -> &'static str {{\n    match msg {{"
        );
        for key in &keys {
            let text = table.get(*key).map(String::as_str).unwrap_or("");
            let _ = writeln!(out, "        Msg::{} => {text:?},", variant(key));
        }
        out.push_str("    }\n}\n\n");
    }
    let out_path = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("messages.rs");
    fs::write(&out_path, out).expect("write generated messages");
}

/// `overview.check_database` → `OverviewCheckDatabase`
fn variant(key: &str) -> String {
    key.split(['.', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}
