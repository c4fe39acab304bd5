//! JSON merge patches (RFC 7396) and field-level diffs, the two operations
//! plans are made of.

use model::plan::DiffEntry;
use serde_json::{Map, Value};

/// Applies a JSON merge patch: objects merge key by key, `null` removes a
/// key, anything else (lists included) replaces the target whole.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// The changed fields between two objects, ignoring what the server owns
/// (`status`, and metadata other than labels and annotations).
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<DiffEntry> {
    // A created or deleted object lists every field it has.
    let empty = Value::Object(Map::new());
    let before = comparable(before.unwrap_or(&empty));
    let after = comparable(after.unwrap_or(&empty));
    let mut entries = Vec::new();
    walk("", Some(&before), Some(&after), &mut entries);
    entries
}

/// The part of an object a user writes: everything but `status` and
/// server-set metadata.
pub fn comparable(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        if let Some(metadata) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.retain(|key, _| matches!(key.as_str(), "name" | "namespace" | "labels" | "annotations"));
        }
    }
    object
}

fn walk(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<DiffEntry>) {
    match (before, after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                walk(&join(path, key), b.get(key.as_str()), a.get(key.as_str()), out);
            }
        }
        // An added or removed object lists its fields.
        (None, Some(Value::Object(a))) if !a.is_empty() => walk(path, Some(&Value::Object(Map::new())), after, out),
        (Some(Value::Object(b)), None) if !b.is_empty() => walk(path, before, Some(&Value::Object(Map::new())), out),
        (b, a) if b == a => {}
        (b, a) => out.push(DiffEntry { path: path.to_owned(), before: b.cloned(), after: a.cloned() }),
    }
}

/// `spec.storage`, or `data["host..5000"]` for keys that are not plain names.
fn join(path: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::String(key.to_owned())),
    }
}

/// The value at a dotted path of plain keys.
pub fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |current, key| current.get(*key))
}

pub fn str_at<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    at(value, path).and_then(Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target =
            json!({"spec": {"storage": {"pvc": {"claim": "a"}}, "routes": [{"name": "x"}], "replicas": 2}});
        merge_patch(
            &mut target,
            &json!({"spec": {"storage": {"pvc": null, "s3": {"bucket": "b"}}, "routes": [], "replicas": 1}}),
        );
        assert_eq!(target, json!({"spec": {"storage": {"s3": {"bucket": "b"}}, "routes": [], "replicas": 1}}));
    }

    #[test]
    fn diff_lists_changed_leaves_and_ignores_server_fields() {
        let before = json!({"metadata": {"name": "c", "resourceVersion": "1"}, "spec": {"a": 1, "b": {"c": 2}}, "status": {"x": 1}});
        let after = json!({"metadata": {"name": "c", "resourceVersion": "2"}, "spec": {"a": 1, "b": {"d": 3}}, "status": {"x": 2}});
        let entries = diff(Some(&before), Some(&after));
        let paths: Vec<&str> = entries.iter().map(|entry| entry.path.as_str()).collect();
        assert_eq!(paths, ["spec.b.c", "spec.b.d"]);
        assert_eq!(entries[1].after, Some(json!(3)));
    }

    #[test]
    fn keys_with_dots_are_quoted() {
        let entries = diff(Some(&json!({"data": {}})), Some(&json!({"data": {"host..5000": "pem"}})));
        assert_eq!(entries[0].path, r#"data["host..5000"]"#);
    }

    #[test]
    fn a_created_object_lists_its_fields() {
        let entries = diff(None, Some(&json!({"kind": "Secret", "data": {"k": "v"}})));
        let paths: Vec<&str> = entries.iter().map(|entry| entry.path.as_str()).collect();
        assert_eq!(paths, ["data.k", "kind"]);
    }
}
