//! The path to return to after sign-in: only a path on this console, never
//! another site. Accepted: one leading `/` followed by anything but `/` or
//! `\`; no control characters, white space or backslashes anywhere
//! (browsers drop tabs and newlines and read `\` as `/`). The checks apply to
//! the value and to each percent-decoding of it, so `/%2F%2Fevil` is refused
//! like `//evil`.

/// Longest accepted path.
const MAX_LEN: usize = 2048;

/// `raw` if it is a local path, else `None`.
pub fn local_path(raw: &str) -> Option<&str> {
    if raw.len() > MAX_LEN {
        return None;
    }
    let mut current = raw.to_owned();
    // Each round decodes one level; a value still changing after a few rounds is refused.
    for _ in 0..4 {
        if !is_local(&current) {
            return None;
        }
        let decoded = percent_decode(&current)?;
        if decoded == current {
            return Some(raw);
        }
        current = decoded;
    }
    None
}

/// The local path, or `/` when `raw` is absent or not local.
pub fn or_home(raw: Option<&str>) -> String {
    raw.and_then(local_path).unwrap_or("/").to_owned()
}

fn is_local(path: &str) -> bool {
    let mut bytes = path.bytes();
    bytes.next() == Some(b'/')
        && !matches!(path.as_bytes().get(1), Some(b'/' | b'\\'))
        && path.chars().all(|c| !c.is_control() && !c.is_whitespace() && c != '\\')
}

/// Decodes `%XX` escapes; `None` for a malformed escape or non-UTF-8 result.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes.get(index + 1..index + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_kept() {
        for good in [
            "/",
            "/registry",
            "/registry/storage?tab=s3&x=1#top",
            "/plans/0123abcd",
            "/a/b//c",
            "/search?q=%2Fetc",
            "/%E4%B8%AD",
        ] {
            assert_eq!(local_path(good), Some(good), "{good}");
        }
    }

    #[test]
    fn other_sites_and_tricks_are_refused() {
        for evil in [
            "",
            "registry",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\\/evil.example",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,x",
            "/%2F%2Fevil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%252F%252Fevil.example",
            "/%25252F%25252Fevil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%09/evil.example",
            "/a b",
            "/a\\b",
            "/a\u{2028}b",
            "/%zz",
            "/%",
            "/%C3",
            " /registry",
        ] {
            assert_eq!(local_path(evil), None, "{evil:?}");
        }
        assert_eq!(local_path(&format!("/{}", "a".repeat(MAX_LEN))), None);
    }

    #[test]
    fn absent_or_refused_paths_go_home() {
        assert_eq!(or_home(None), "/");
        assert_eq!(or_home(Some("//evil.example")), "/");
        assert_eq!(or_home(Some("/registry")), "/registry");
    }
}
