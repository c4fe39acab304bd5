//! The live CRD schemas: clusters run different OpenShift versions, and a
//! field an older CRD does not have must be refused with a clear message
//! (writes also send `fieldValidation=Strict`, so the API server refuses
//! them too, in its own words).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{ClusterError, UserClient};

/// The `openAPIV3Schema` of `version` of the CRD `name` (e.g.
/// `configs.imageregistry.operator.openshift.io`), or `None` when the caller
/// may not read CRDs or the CRD is not there (then the API server's strict
/// validation is the only check).
pub async fn crd_schema(client: &UserClient, name: &str, version: &str) -> Result<Option<Value>, ClusterError> {
    let key = format!("{name}/{version}");
    let lock = || SCHEMAS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((schema, at)) = lock().get(&key)
        && at.elapsed() < SCHEMA_TTL
    {
        return Ok(Some(schema.clone()));
    }
    let schema = fetch(client, name, version).await?;
    // Only a schema is remembered: a refusal is the caller's, not everyone's.
    if let Some(schema) = &schema {
        lock().insert(key, (schema.clone(), Instant::now()));
    }
    Ok(schema)
}

/// Schemas change only with an upgrade: remembered for five minutes.
static SCHEMAS: LazyLock<Mutex<HashMap<String, (Value, Instant)>>> = LazyLock::new(Mutex::default);
const SCHEMA_TTL: Duration = Duration::from_secs(300);

async fn fetch(client: &UserClient, name: &str, version: &str) -> Result<Option<Value>, ClusterError> {
    let path = format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}");
    let crd = match client.get(&path).await {
        Ok(crd) => crd,
        Err(error) if matches!(error.status(), Some(403 | 404)) => return Ok(None),
        Err(error) => return Err(error),
    };
    Ok(crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|versions| versions.iter().find(|v| v.get("name").and_then(Value::as_str) == Some(version)))
        .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
        .cloned())
}

/// Paths in `object` (a merge patch or an object) that `schema` does not
/// allow. `null` values (removals) are always allowed.
pub fn unknown_fields(schema: &Value, object: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(schema, object, "", &mut out);
    out
}

fn walk(schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    if schema.get("x-kubernetes-preserve-unknown-fields").and_then(Value::as_bool) == Some(true) {
        return;
    }
    match value {
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            for (key, child) in map {
                if child.is_null() {
                    continue;
                }
                let child_path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                if path.is_empty() && matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
                    continue;
                }
                match (properties.and_then(|p| p.get(key)), additional) {
                    (Some(child_schema), _) => walk(child_schema, child, &child_path, out),
                    (None, Some(Value::Object(child_schema))) => {
                        walk(&Value::Object(child_schema.clone()), child, &child_path, out)
                    }
                    (None, Some(Value::Bool(true))) => {}
                    (None, _) if properties.is_none() && additional.is_none() && schema.get("type").is_none() => {}
                    (None, _) => out.push(child_path),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    walk(item_schema, item, &format!("{path}[{index}]"), out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "replicas": {"type": "integer"},
                "storage": {"type": "object", "properties": {"s3": {"type": "object", "properties": {"bucket": {"type": "string"}}}}},
                "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
                "routes": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
                "unsupportedConfigOverrides": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
            }}
        }})
    }

    #[test]
    fn fields_an_older_crd_lacks_are_named() {
        let patch = json!({"spec": {"storage": {"s3": {"bucket": "b", "chunkSizeMiB": 10}, "pvc": null},
            "nodeSelector": {"a": "b"}, "routes": [{"name": "x", "hostname": "h"}], "unsupportedConfigOverrides": {"any": 1}}});
        assert_eq!(unknown_fields(&schema(), &patch), ["spec.routes[0].hostname", "spec.storage.s3.chunkSizeMiB"]);
        assert!(
            unknown_fields(&schema(), &json!({"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 2}}))
                .is_empty()
        );
    }
}
