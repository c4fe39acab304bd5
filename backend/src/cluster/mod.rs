//! The console's access to the Kubernetes API server, always as the calling
//! user: the bearer token of the request is passed through, as `kubectl`
//! does (sign-in and impersonation come later). The console never writes
//! with a credential of its own.
//!
//! `ClusterAccess` knows where the API server is (URL and CA, from the
//! settings, a kubeconfig's cluster entry, or the in-cluster service
//! account's CA) and keeps a small cache of per-user clients, so a user's
//! requests reuse one connection pool. Each actix worker has its own cache,
//! because a client's connection tasks live on the runtime that made it.

pub mod resource;
pub mod schema;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use kube::config::{AuthInfo, KubeConfigOptions, Kubeconfig};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

pub use resource::{Resource, resource_for};

/// Where the API server is; the `[cluster]` table of the settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSettings {
    /// API server URL, e.g. `https://api.example.com:6443`.
    pub api_url: Option<String>,
    /// PEM file with the CA that signed the API server's certificate (with `api_url`).
    pub ca_file: Option<PathBuf>,
    /// A kubeconfig whose current context names the cluster; its user is ignored.
    pub kubeconfig: Option<PathBuf>,
    /// The console's own token (e.g. `/var/run/secrets/kubernetes.io/serviceaccount/token`), re-read
    /// when it rotates. Only for the watches that feed the read cache: every answer is still
    /// authorised for the calling user. Without it, every read goes to the API server as the caller.
    pub service_token_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no cluster is configured: set cluster.api_url (and cluster.ca_file) or cluster.kubeconfig, or run in a pod"
    )]
    NotConfigured,
    #[error("the cluster settings are not usable: {0}")]
    BadSettings(String),
    /// The API server answered with an error status; its message is passed on.
    #[error("the API server answered {status}: {message}")]
    Api { status: u16, reason: String, message: String },
    #[error("the API server could not be reached: {0}")]
    Transport(String),
    #[error("the API server sent an answer the console cannot read: {0}")]
    Decode(String),
}

impl ClusterError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ClusterError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }

    fn from_kube(error: kube::Error) -> Self {
        match error {
            kube::Error::Api(status) => ClusterError::Api {
                status: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
            },
            kube::Error::SerdeError(error) => ClusterError::Decode(error.to_string()),
            other => ClusterError::Transport(other.to_string()),
        }
    }
}

/// How to reach the API server; shared by all workers.
#[derive(Clone)]
pub struct ClusterAccess {
    base: Option<kube::Config>,
}

impl ClusterAccess {
    /// Resolves the settings: `api_url`, then `kubeconfig`, then `KUBECONFIG`, then in-cluster.
    pub async fn from_settings(settings: &ClusterSettings) -> Result<Self, ClusterError> {
        let config = if let Some(url) = &settings.api_url {
            let uri =
                url.parse().map_err(|error| ClusterError::BadSettings(format!("cluster.api_url {url:?}: {error}")))?;
            let mut config = kube::Config::new(uri);
            config.root_cert_file = settings.ca_file.clone();
            Some(config)
        } else if let Some(path) =
            settings.kubeconfig.clone().or_else(|| std::env::var_os("KUBECONFIG").map(PathBuf::from))
        {
            let kubeconfig = Kubeconfig::read_from(&path)
                .map_err(|error| ClusterError::BadSettings(format!("kubeconfig {}: {error}", path.display())))?;
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .map_err(|error| ClusterError::BadSettings(format!("kubeconfig {}: {error}", path.display())))?;
            Some(config)
        } else {
            kube::Config::incluster().ok()
        };
        Ok(Self {
            base: config.map(|mut config| {
                // The console passes the user's token through; it never uses a credential of its own here.
                config.auth_info = AuthInfo::default();
                config.read_timeout = Some(Duration::from_secs(30));
                config
            }),
        })
    }

    pub fn not_configured() -> Self {
        Self { base: None }
    }

    pub fn is_configured(&self) -> bool {
        self.base.is_some()
    }

    /// The API server's URL, for messages and `oc` lines.
    pub fn url(&self) -> Option<String> {
        self.base.as_ref().map(|config| config.cluster_url.to_string().trim_end_matches('/').to_owned())
    }

    fn client_for(&self, token: &str) -> Result<kube::Client, ClusterError> {
        let mut config = self.base.clone().ok_or(ClusterError::NotConfigured)?;
        config.auth_info.token = Some(token.to_owned().into());
        kube::Client::try_from(config).map_err(|error| ClusterError::BadSettings(error.to_string()))
    }

    /// A client with the console's own credential (`cluster.service_token_file`, re-read when it
    /// changes), bound to the calling runtime. Only the read cache's watches use it.
    pub fn service_client(&self, token_file: &std::path::Path) -> Result<kube::Client, ClusterError> {
        let mut config = self.base.clone().ok_or(ClusterError::NotConfigured)?;
        if !token_file.is_file() {
            return Err(ClusterError::BadSettings(format!(
                "cluster.service_token_file {} is not a readable file",
                token_file.display()
            )));
        }
        config.auth_info.token_file = Some(token_file.display().to_string());
        // Watches stay open for minutes; the read timeout is for single calls.
        config.read_timeout = None;
        kube::Client::try_from(config).map_err(|error| ClusterError::BadSettings(error.to_string()))
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerbLabels {
    pub verb: String,
}

/// Every request a [`UserClient`] sends, by HTTP verb: exposed on `/metrics` as
/// `registry_console_cluster_requests_total{verb}` (process-wide, all workers).
pub static CLUSTER_REQUESTS: LazyLock<Family<VerbLabels, Counter>> = LazyLock::new(Family::default);

pub(crate) fn count_request(method: &http::Method) {
    CLUSTER_REQUESTS.get_or_create(&VerbLabels { verb: method.as_str().to_owned() }).inc();
}

/// Per-worker cache of user clients, keyed by a hash of the token.
pub struct ClientCache {
    access: ClusterAccess,
    clients: Mutex<HashMap<[u8; 32], (kube::Client, Instant)>>,
}

const CLIENT_TTL: Duration = Duration::from_secs(300);
const CLIENT_CACHE_SIZE: usize = 256;

impl ClientCache {
    pub fn new(access: ClusterAccess) -> Self {
        Self { access, clients: Mutex::new(HashMap::new()) }
    }

    pub fn access(&self) -> &ClusterAccess {
        &self.access
    }

    /// A client that acts as the holder of `token`.
    pub fn user(&self, token: &str) -> Result<UserClient, ClusterError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = Instant::now();
        let mut clients = self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((client, made)) = clients.get(&key)
            && now.duration_since(*made) < CLIENT_TTL
        {
            return Ok(UserClient { client: client.clone(), token_hash: key });
        }
        if clients.len() >= CLIENT_CACHE_SIZE {
            clients.retain(|_, (_, made)| now.duration_since(*made) < CLIENT_TTL);
            if clients.len() >= CLIENT_CACHE_SIZE {
                clients.clear();
            }
        }
        let client = self.access.client_for(token)?;
        clients.insert(key, (client.clone(), now));
        Ok(UserClient { client, token_hash: key })
    }
}

/// Query options of a write.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// `dryRun=All`: schema and admission only, nothing stored.
    pub dry_run: bool,
}

/// The API as one user sees it. Objects are JSON values: the console reads
/// and writes CRDs of several OpenShift versions and must keep fields it
/// does not know.
#[derive(Clone)]
pub struct UserClient {
    client: kube::Client,
    token_hash: [u8; 32],
}

/// The field manager of every write.
pub const FIELD_MANAGER: &str = "registry-console";

impl UserClient {
    /// SHA-256 of the token: identifies the caller in caches, never the token itself.
    pub fn token_hash(&self) -> &[u8; 32] {
        &self.token_hash
    }

    pub async fn get(&self, path: &str) -> Result<Value, ClusterError> {
        self.send(http::Method::GET, path.to_owned(), None, None).await
    }

    /// `None` when the object does not exist.
    pub async fn get_opt(&self, path: &str) -> Result<Option<Value>, ClusterError> {
        match self.get(path).await {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub async fn create(&self, collection: &str, body: &Value, options: WriteOptions) -> Result<Value, ClusterError> {
        self.send(http::Method::POST, write_query(collection, options), Some(body), Some("application/json")).await
    }

    /// JSON merge patch; put `metadata.resourceVersion` in the body for a 409 on a stale read.
    pub async fn merge_patch(&self, path: &str, patch: &Value, options: WriteOptions) -> Result<Value, ClusterError> {
        self.send(http::Method::PATCH, write_query(path, options), Some(patch), Some("application/merge-patch+json"))
            .await
    }

    pub async fn replace(&self, path: &str, body: &Value, options: WriteOptions) -> Result<Value, ClusterError> {
        self.send(http::Method::PUT, write_query(path, options), Some(body), Some("application/json")).await
    }

    pub async fn delete(&self, path: &str, options: WriteOptions) -> Result<Value, ClusterError> {
        let query = if options.dry_run { "?dryRun=All" } else { "" };
        self.send(http::Method::DELETE, format!("{path}{query}"), None, None).await
    }

    /// POST to a non-resource or review endpoint (SelfSubjectReview, SelfSubjectAccessReview).
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ClusterError> {
        self.send(http::Method::POST, path.to_owned(), Some(body), Some("application/json")).await
    }

    /// Text answers such as `pods/log`.
    pub async fn get_text(&self, path: &str) -> Result<String, ClusterError> {
        let request =
            http::Request::get(path).body(Vec::new()).map_err(|error| ClusterError::Transport(error.to_string()))?;
        count_request(&http::Method::GET);
        self.client.request_text(request).await.map_err(ClusterError::from_kube)
    }

    async fn send(
        &self,
        method: http::Method,
        uri: String,
        body: Option<&Value>,
        content_type: Option<&str>,
    ) -> Result<Value, ClusterError> {
        count_request(&method);
        let mut builder = http::Request::builder().method(method).uri(uri);
        if let Some(content_type) = content_type {
            builder = builder.header(http::header::CONTENT_TYPE, content_type);
        }
        let bytes = match body {
            Some(body) => serde_json::to_vec(body).map_err(|error| ClusterError::Decode(error.to_string()))?,
            None => Vec::new(),
        };
        let request = builder.body(bytes).map_err(|error| ClusterError::Transport(error.to_string()))?;
        self.client.request::<Value>(request).await.map_err(ClusterError::from_kube)
    }

    /// The kube client, for watches.
    pub fn kube(&self) -> &kube::Client {
        &self.client
    }
}

/// Adds the write query: field manager, strict field validation (a field the
/// live CRD does not know is refused, not dropped), and dry-run.
fn write_query(path: &str, options: WriteOptions) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut uri = format!("{path}{separator}fieldManager={FIELD_MANAGER}&fieldValidation=Strict");
    if options.dry_run {
        uri.push_str("&dryRun=All");
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_name_the_field_manager_and_ask_for_strict_validation() {
        assert_eq!(
            write_query("/api/v1/namespaces/a/secrets", WriteOptions { dry_run: true }),
            "/api/v1/namespaces/a/secrets?fieldManager=registry-console&fieldValidation=Strict&dryRun=All"
        );
        assert_eq!(
            write_query("/x?y=1", WriteOptions::default()),
            "/x?y=1&fieldManager=registry-console&fieldValidation=Strict"
        );
    }
}
