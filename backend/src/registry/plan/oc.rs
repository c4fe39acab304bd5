//! The `oc` command lines equivalent to a plan's steps, for users who
//! prefer the terminal, GitOps, or want to see what the console does.
//! Secret values are never rendered: `<file:KEY>` marks where a file with
//! the value goes (`--from-file=KEY=<file:KEY>`).

use serde_json::Value;

/// Quotes a word for a POSIX shell: bare when safe, else single-quoted.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%^".contains(c));
    if safe { word.to_owned() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

/// A command from words, each quoted.
pub fn command<I, S>(words: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    words.into_iter().map(|word| quote(word.as_ref())).collect::<Vec<_>>().join(" ")
}

/// The placeholder for a secret value read from a file.
pub fn file_placeholder(key: &str) -> String {
    format!("<file:{key}>")
}

/// `KEY=<file:KEY>`, left unquoted so the placeholder stays visible and the
/// user replaces it with a path.
pub fn from_file(key: &str) -> String {
    format!("--from-file={key}={}", file_placeholder(key))
}

/// `oc patch RESOURCE NAME [-n NS] --type merge -p JSON`.
pub fn patch(resource: &str, namespace: &str, name: &str, patch: &Value) -> String {
    let mut words = vec!["oc".to_owned(), "patch".into(), resource.into(), name.into()];
    if !namespace.is_empty() {
        words.extend(["-n".into(), namespace.into()]);
    }
    words.extend(["--type".into(), "merge".into(), "-p".into(), patch.to_string()]);
    command(words)
}

/// `oc create -f - <<'EOF' … EOF` with the object as JSON (no secret data in it).
pub fn create_from_stdin(object: &Value) -> String {
    let body = serde_json::to_string_pretty(object).unwrap_or_default();
    format!("oc create -f - <<'EOF'\n{body}\nEOF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(quote("openshift-image-registry"), "openshift-image-registry");
        assert_eq!(quote(r#"{"spec":{"replicas":1}}"#), r#"'{"spec":{"replicas":1}}'"#);
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn patches_render_as_oc_would_take_them() {
        let line = patch(
            "configs.imageregistry.operator.openshift.io",
            "",
            "cluster",
            &serde_json::json!({"spec": {"replicas": 1}}),
        );
        assert_eq!(
            line,
            r#"oc patch configs.imageregistry.operator.openshift.io cluster --type merge -p '{"spec":{"replicas":1}}'"#
        );
    }
}
