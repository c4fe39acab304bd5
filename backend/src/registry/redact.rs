//! Secret values never leave the server: every object shown (YAML views,
//! diffs, plans, audit) goes through [`redact`] first, which replaces them
//! with a short SHA-256 fingerprint, enough to tell two values apart and to
//! check a value one holds, never enough to recover it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// `sha256:` + the first 12 hex digits of SHA-256 of `bytes`.
pub fn fingerprint(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(6).map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// What a redacted value reads as.
pub fn redacted(bytes: &[u8]) -> Value {
    Value::String(format!("<redacted {}>", fingerprint(bytes)))
}

/// A copy of `object` safe to show: Secret data, `spec.httpSecret` of the
/// registry config and Route private keys replaced by fingerprints; managed
/// fields and last-applied annotations (which may hold a copy) dropped.
pub fn redact(object: &Value) -> Value {
    let mut object = object.clone();
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
        if let Some(annotations) = metadata.get_mut("annotations").and_then(Value::as_object_mut) {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    match kind.as_str() {
        "Secret" => redact_secret(&mut object),
        "Config" => redact_string_at(&mut object, &["spec", "httpSecret"]),
        "Route" => redact_string_at(&mut object, &["spec", "tls", "key"]),
        _ => {}
    }
    object
}

fn redact_string_at(object: &mut Value, path: &[&str]) {
    let mut current = object;
    for key in path {
        match current.get_mut(*key) {
            Some(next) => current = next,
            None => return,
        }
    }
    if let Some(text) = current.as_str()
        && !text.is_empty()
    {
        *current = redacted(text.as_bytes());
    }
}

fn redact_secret(object: &mut Value) {
    if let Some(data) = object.get_mut("data").and_then(Value::as_object_mut) {
        for (key, value) in data.iter_mut() {
            let bytes = value.as_str().and_then(|text| STANDARD.decode(text).ok()).unwrap_or_default();
            *value = if key == ".dockerconfigjson" || key == ".dockercfg" {
                redact_docker_config(&bytes)
            } else {
                redacted(&bytes)
            };
        }
    }
    if let Some(data) = object.get_mut("stringData").and_then(Value::as_object_mut) {
        for value in data.values_mut() {
            *value = redacted(value.as_str().unwrap_or_default().as_bytes());
        }
    }
}

/// A docker config keeps its registries, user names and e-mails; passwords,
/// `auth` and tokens become fingerprints.
fn redact_docker_config(bytes: &[u8]) -> Value {
    let Ok(mut config) = serde_json::from_slice::<Value>(bytes) else { return redacted(bytes) };
    let auths = match config.get_mut("auths") {
        Some(auths) => auths,
        None => &mut config,
    };
    if let Some(auths) = auths.as_object_mut() {
        for entry in auths.values_mut().filter_map(Value::as_object_mut) {
            for key in ["password", "auth", "identitytoken", "registrytoken"] {
                if let Some(value) = entry.get_mut(key) {
                    *value = redacted(value.as_str().unwrap_or_default().as_bytes());
                }
            }
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secret_values_become_fingerprints() {
        let secret = json!({
            "kind": "Secret",
            "metadata": {"name": "s", "managedFields": [{"manager": "x"}]},
            "data": {"REGISTRY_STORAGE_S3_SECRETKEY": STANDARD.encode("hunter2")},
            "stringData": {"other": "plain"}
        });
        let shown = redact(&secret).to_string();
        assert!(!shown.contains(&STANDARD.encode("hunter2")) && !shown.contains("plain"), "{shown}");
        assert!(shown.contains(&fingerprint(b"hunter2")), "{shown}");
        assert!(!shown.contains("managedFields"), "{shown}");
    }

    #[test]
    fn docker_configs_keep_hosts_and_users() {
        let config = json!({"auths": {"registry.example.com": {"username": "u", "password": "p4ss", "auth": STANDARD.encode("u:p4ss")}}});
        let secret = json!({"kind": "Secret", "data": {".dockerconfigjson": STANDARD.encode(config.to_string())}});
        let shown = redact(&secret);
        let entry = &shown["data"][".dockerconfigjson"]["auths"]["registry.example.com"];
        assert_eq!(entry["username"], "u");
        assert!(!shown.to_string().contains("p4ss"));
    }

    #[test]
    fn http_secret_and_route_keys_are_hidden() {
        let config = json!({"kind": "Config", "spec": {"httpSecret": "abcdef", "replicas": 1}});
        assert_eq!(redact(&config)["spec"]["httpSecret"], redacted(b"abcdef"));
        let route =
            json!({"kind": "Route", "spec": {"tls": {"key": "-----BEGIN PRIVATE KEY-----", "certificate": "c"}}});
        let shown = redact(&route);
        assert_eq!(shown["spec"]["tls"]["certificate"], "c");
        assert!(!shown.to_string().contains("BEGIN PRIVATE"));
    }
}
