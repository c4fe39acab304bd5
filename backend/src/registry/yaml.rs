//! A small YAML emitter for JSON values, for the read-only YAML views: block
//! style as `kubectl get -o yaml` writes it (sequences under a key at the
//! key's indentation), strings quoted whenever a plain scalar could be read
//! as something else, multi-line strings as literal `|` blocks when that is
//! exact, else double-quoted with escapes. Keys come in the object's order
//! (sorted, as serde_json keeps them and kubectl writes them).

use serde_json::{Map, Value};

/// The YAML document of `value`, ending with a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0, false),
        scalar => {
            write_scalar(&mut out, scalar, 0);
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

/// Writes `map` at column `column`; with `inline_first` the first entry
/// continues the current line (after `- `).
fn write_map(out: &mut String, map: &Map<String, Value>, column: usize, inline_first: bool) {
    for (index, (key, value)) in map.iter().enumerate() {
        if index > 0 || !inline_first {
            indent(out, column);
        }
        write_string(out, key, None);
        out.push(':');
        match value {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                write_map(out, child, column + 2, false);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, column, false);
            }
            scalar => {
                out.push(' ');
                write_scalar(out, scalar, column + 2);
                out.push('\n');
            }
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], column: usize, inline_first: bool) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 || !inline_first {
            indent(out, column);
        }
        out.push_str("- ");
        match item {
            Value::Object(child) if !child.is_empty() => write_map(out, child, column + 2, true),
            Value::Array(child) if !child.is_empty() => write_seq(out, child, column + 2, true),
            scalar => {
                write_scalar(out, scalar, column + 2);
                out.push('\n');
            }
        }
    }
}

/// A scalar or an empty collection, without the final newline; a block
/// string's lines are indented to `block_column`.
fn write_scalar(out: &mut String, value: &Value, block_column: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => write_string(out, text, Some(block_column)),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// A string as a plain scalar, a literal block (values only, when
/// `block_column` is given) or a double-quoted scalar.
fn write_string(out: &mut String, text: &str, block_column: Option<usize>) {
    if is_plain_safe(text) {
        out.push_str(text);
    } else if let Some(column) = block_column.filter(|_| is_block_safe(text)) {
        write_block(out, text, column);
    } else {
        write_quoted(out, text);
    }
}

/// Words YAML 1.1 or 1.2 readers take as booleans or null.
const RESERVED: &[&str] = &["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"];

fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else { return false };
    if text.trim() != text || RESERVED.iter().any(|word| text.eq_ignore_ascii_case(word)) || looks_numeric(text) {
        return false;
    }
    // Indicators that may not start a plain scalar (and `.` for `...`, `.inf`, `.nan`).
    if "-?:,[]{}#&*!|>'\"%@`.".contains(first) {
        return false;
    }
    if text.contains(": ") || text.contains(" #") || text.ends_with(':') {
        return false;
    }
    text.chars().all(|c| !"{}[],&*!|>'\"%@`\\".contains(c) && !c.is_control() && !is_special_unicode(c))
}

/// Numbers in any form a YAML reader accepts (decimal, float, hex, octal,
/// sexagesimal, dates): every string starting like a number is quoted.
fn looks_numeric(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let unsigned = unsigned.strip_prefix('.').unwrap_or(unsigned);
    unsigned.starts_with(|c: char| c.is_ascii_digit())
        || matches!(unsigned.to_ascii_lowercase().as_str(), "inf" | "nan" | "infinity")
}

fn is_special_unicode(c: char) -> bool {
    matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A literal block reproduces the text exactly when it has several lines,
/// no control characters but newlines and tabs, no line ending in a space
/// or tab, and does not start with white space (that would need an
/// indentation indicator).
fn is_block_safe(text: &str) -> bool {
    let body = text.trim_end_matches('\n');
    body.contains('\n')
        && !body.starts_with([' ', '\t'])
        && body.chars().all(|c| (c == '\n' || c == '\t' || !c.is_control()) && !is_special_unicode(c))
        && body.split('\n').all(|line| !line.ends_with([' ', '\t']))
}

fn write_block(out: &mut String, text: &str, column: usize) {
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    out.push_str(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(out, column);
            out.push_str(line);
        }
    }
    // The final newline of the value is the caller's; extra ones are kept by `|+`.
    for _ in 1..trailing {
        out.push('\n');
    }
}

fn write_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() || is_special_unicode(c) => {
                let code = u32::from(c);
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02x}"));
                } else {
                    out.push_str(&format!("\\u{code:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn scalar(text: &str) -> String {
        to_yaml(&json!({ "k": text })).trim_start_matches("k: ").trim_end_matches('\n').to_owned()
    }

    #[test]
    fn objects_and_lists_are_block_style_like_kubectl() {
        let object = json!({
            "apiVersion": "imageregistry.operator.openshift.io/v1",
            "kind": "Config",
            "metadata": {"name": "cluster", "finalizers": ["imageregistry.operator.openshift.io/finalizer"]},
            "spec": {
                "replicas": 2,
                "readOnly": false,
                "storage": {"emptyDir": {}},
                "routes": [{"name": "public", "hostname": "registry.example.com"}, {"name": "b"}],
                "tolerations": [],
                "proxy": null,
                "nested": [[1, 2], ["a"]]
            }
        });
        let expected = "\
apiVersion: imageregistry.operator.openshift.io/v1
kind: Config
metadata:
  finalizers:
  - imageregistry.operator.openshift.io/finalizer
  name: cluster
spec:
  nested:
  - - 1
    - 2
  - - a
  proxy: null
  readOnly: false
  replicas: 2
  routes:
  - hostname: registry.example.com
    name: public
  - name: b
  storage:
    emptyDir: {}
  tolerations: []
";
        assert_eq!(to_yaml(&object), expected);
    }

    #[test]
    fn top_level_scalars_and_lists() {
        assert_eq!(to_yaml(&json!("x")), "x\n");
        assert_eq!(to_yaml(&json!({})), "{}\n");
        assert_eq!(to_yaml(&json!([{"a": 1, "b": [true]}])), "- a: 1\n  b:\n  - true\n");
        assert_eq!(to_yaml(&json!(1.5)), "1.5\n");
    }

    #[test]
    fn plain_strings_stay_plain() {
        for text in ["Removed", "image-registry", "a:b", "registry.example.com..5000", "Normal", "日志", "x-1", "a#b"]
        {
            assert_eq!(scalar(text), text, "{text}");
        }
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        let cases = [
            ("", "\"\""),
            (" lead", "\" lead\""),
            ("trail ", "\"trail \""),
            ("true", "\"true\""),
            ("False", "\"False\""),
            ("yes", "\"yes\""),
            ("No", "\"No\""),
            ("on", "\"on\""),
            ("off", "\"off\""),
            ("null", "\"null\""),
            ("~", "\"~\""),
            ("123", "\"123\""),
            ("-1.5e3", "\"-1.5e3\""),
            ("0x1F", "\"0x1F\""),
            (".inf", "\".inf\""),
            ("60m", "\"60m\""),
            ("2026-01-01T00:00:00Z", "\"2026-01-01T00:00:00Z\""),
            ("key: value", "\"key: value\""),
            ("ends:", "\"ends:\""),
            ("a #comment", "\"a #comment\""),
            ("- item", "\"- item\""),
            ("-", "\"-\""),
            ("? q", "\"? q\""),
            ("[list]", "\"[list]\""),
            ("{map}", "\"{map}\""),
            ("a,b", "\"a,b\""),
            ("&anchor", "\"&anchor\""),
            ("*alias", "\"*alias\""),
            ("!tag", "\"!tag\""),
            ("|", "\"|\""),
            (">", "\">\""),
            ("'single'", "\"'single'\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("%directive", "\"%directive\""),
            ("@at", "\"@at\""),
            ("`tick`", "\"`tick`\""),
            ("back\\slash", "\"back\\\\slash\""),
            ("---", "\"---\""),
            ("...", "\"...\""),
            ("tab\there", "\"tab\\there\""),
            ("bell\u{7}", "\"bell\\x07\""),
            ("line\u{2028}sep", "\"line\\u2028sep\""),
        ];
        for (text, expected) in cases {
            assert_eq!(scalar(text), expected, "{text:?}");
        }
    }

    #[test]
    fn multi_line_strings_are_literal_blocks_when_exact() {
        let value = json!({"message": "Available: The registry is removed\nImagePrunerAvailable: ok", "x": 1});
        assert_eq!(
            to_yaml(&value),
            "message: |-\n  Available: The registry is removed\n  ImagePrunerAvailable: ok\nx: 1\n"
        );
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert_eq!(
            to_yaml(&json!({"data": {"ca.crt": pem}})),
            "data:\n  ca.crt: |\n    -----BEGIN CERTIFICATE-----\n    MIIB\n    -----END CERTIFICATE-----\n"
        );
        assert_eq!(to_yaml(&json!(["a\n\nb\n\n"])), "- |+\n  a\n\n  b\n\n");
        assert_eq!(to_yaml(&json!({"k": "a\n\nb"})), "k: |-\n  a\n\n  b\n");
    }

    #[test]
    fn multi_line_strings_fall_back_to_escapes() {
        assert_eq!(scalar(" indented\nsecond"), "\" indented\\nsecond\"");
        assert_eq!(scalar("trailing space \nx"), "\"trailing space \\nx\"");
        assert_eq!(scalar("crlf\r\nline"), "\"crlf\\r\\nline\"");
        assert_eq!(scalar("one\n"), "\"one\\n\"");
        // Keys are never blocks.
        assert_eq!(to_yaml(&json!({"a\nb": 1})), "\"a\\nb\": 1\n");
    }

    #[test]
    fn keys_are_quoted_like_values() {
        assert_eq!(
            to_yaml(&json!({"": 1, "true": 2, "imageregistry.openshift.io": "true"})),
            "\"\": 1\nimageregistry.openshift.io: \"true\"\n\"true\": 2\n"
        );
    }
}
