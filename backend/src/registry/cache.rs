//! The watch-fed read cache of the registry view.
//!
//! With a credential of its own (`cluster.service_token_file`), the console
//! watches every object [`read::read_view`] reads (`kube::runtime::watcher`
//! into `reflector` stores of `DynamicObject`s), on one thread with its own
//! runtime: actix workers each run their own, and the stores are shared
//! (`Store` is `Clone + Send + Sync`). `GET /api/v1/registry` then assembles the
//! view from the stores, but only the parts the caller may read: each part is
//! authorised with a `SelfSubjectAccessReview` made with the caller's own token,
//! remembered per (token hash, verb, group, resource, namespace, name) for at
//! most [`PERMISSION_TTL`]. A part the caller may not read (or whose review
//! failed) is read directly as the caller, so its `forbidden` state and message
//! are the API server's own; a token the API server refuses (401) fails the
//! call, as the direct read does. Before every store has synced, after a watch
//! error until the store has been listed again, or without a service
//! credential, the view is read directly.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use kube::Api;
use kube::api::{ApiResource, DynamicObject};
use kube::runtime::reflector::Store;
use kube::runtime::reflector::store::Writer;
use kube::runtime::watcher::{self, Event};
use model::registry::view::RegistryView;
use serde_json::{Value, json};

use crate::cluster::resource::{
    CLUSTER_OPERATOR, CONFIG, CONFIG_MAP, CRON_JOB, DAEMON_SET, DEPLOYMENT, IMAGE_CONFIG, IMAGE_PRUNER, INFRASTRUCTURE,
    JOB, POD, PVC, ROUTE,
};
use crate::cluster::{ClusterAccess, ClusterError, Resource, UserClient};
use crate::registry::read::{self, CONFIG_NAMESPACE, Fetch, NAMESPACE, Objects};

/// How long a permission answer is reused: a grant or a revocation takes effect within it.
pub const PERMISSION_TTL: Duration = Duration::from_secs(10);
/// Permission answers kept at most (users × parts); the oldest go first.
pub const PERMISSION_CACHE_SIZE: usize = 4096;
/// Response header naming where the view came from: `cache` or `direct`.
pub const SOURCE_HEADER: &str = "x-registry-console-source";

/// Where a view came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Cache,
    Direct,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Cache => "cache",
            Source::Direct => "direct",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cluster.service_token_file is set but no cluster is configured")]
    NoCluster,
    #[error("cluster.service_token_file {0} is not a readable file")]
    TokenFile(String),
    #[error("cannot start the read cache's watch thread")]
    Thread(#[source] std::io::Error),
}

/// The view from the cache when it is synced, else read directly; with where it came from.
pub async fn read_view(cache: Option<&ReadCache>, client: &UserClient) -> Result<(RegistryView, Source), ClusterError> {
    if let Some(cache) = cache
        && cache.is_synced()
    {
        let now = read::now_unix();
        let objects = cache.objects(client).await?;
        return Ok((read::assemble(objects, now), Source::Cache));
    }
    Ok((read::read_view(client).await?, Source::Direct))
}

/// One watched collection and its store.
struct Watched {
    resource: Resource,
    namespace: &'static str,
    /// Label selector, as the direct read's list uses it.
    labels: Option<&'static str>,
    store: Store<DynamicObject>,
    /// Listed since the last watch error.
    synced: Arc<AtomicBool>,
}

/// The stores, one per object (or list) the view reads.
struct Stores {
    config: Watched,
    operator: Watched,
    pruner: Watched,
    image: Watched,
    infrastructure: Watched,
    pods: Watched,
    deployment: Watched,
    node_ca: Watched,
    routes: Watched,
    cron_job: Watched,
    jobs: Watched,
    claims: Watched,
    config_maps: Watched,
}

impl Stores {
    fn all(&self) -> [&Watched; 13] {
        [
            &self.config,
            &self.operator,
            &self.pruner,
            &self.image,
            &self.infrastructure,
            &self.pods,
            &self.deployment,
            &self.node_ca,
            &self.routes,
            &self.cron_job,
            &self.jobs,
            &self.claims,
            &self.config_maps,
        ]
    }
}

/// The caches; shared by all workers. Dropping the last handle stops the watches.
pub struct ReadCache {
    stores: Stores,
    permissions: PermissionCache,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn api_resource(resource: Resource) -> ApiResource {
    let (group, version) = resource.api_version.split_once('/').unwrap_or(("", resource.api_version));
    ApiResource {
        group: group.to_owned(),
        version: version.to_owned(),
        api_version: resource.api_version.to_owned(),
        kind: resource.kind.to_owned(),
        plural: resource.plural.to_owned(),
    }
}

fn group_of(resource: Resource) -> &'static str {
    resource.api_version.split_once('/').map(|(group, _)| group).unwrap_or("")
}

/// What the watch thread needs to feed one store.
struct Feed {
    resource: Resource,
    namespace: &'static str,
    name: Option<&'static str>,
    labels: Option<&'static str>,
    writer: Writer<DynamicObject>,
    synced: Arc<AtomicBool>,
}

impl ReadCache {
    /// Starts the watches with the token in `token_file` on a thread of their own.
    pub fn start(access: &ClusterAccess, token_file: &Path) -> Result<Self, CacheError> {
        if !access.is_configured() {
            return Err(CacheError::NoCluster);
        }
        if !token_file.is_file() {
            return Err(CacheError::TokenFile(token_file.display().to_string()));
        }
        let mut feeds = Vec::new();
        let mut watched = |resource: Resource, namespace: &'static str, name, labels| {
            let writer = Writer::new(api_resource(resource));
            let synced = Arc::new(AtomicBool::new(false));
            let store = writer.as_reader();
            feeds.push(Feed { resource, namespace, name, labels, writer, synced: synced.clone() });
            Watched { resource, namespace, labels, store, synced }
        };
        let stores = Stores {
            config: watched(CONFIG, "", Some("cluster"), None),
            operator: watched(CLUSTER_OPERATOR, "", Some("image-registry"), None),
            pruner: watched(IMAGE_PRUNER, "", Some("cluster"), None),
            image: watched(IMAGE_CONFIG, "", Some("cluster"), None),
            infrastructure: watched(INFRASTRUCTURE, "", Some("cluster"), None),
            pods: watched(POD, NAMESPACE, None, Some("docker-registry=default")),
            deployment: watched(DEPLOYMENT, NAMESPACE, Some("image-registry"), None),
            node_ca: watched(DAEMON_SET, NAMESPACE, Some("node-ca"), None),
            routes: watched(ROUTE, NAMESPACE, None, None),
            cron_job: watched(CRON_JOB, NAMESPACE, Some("image-pruner"), None),
            jobs: watched(JOB, NAMESPACE, None, Some("created-by=image-pruner")),
            claims: watched(PVC, NAMESPACE, None, None),
            config_maps: watched(CONFIG_MAP, CONFIG_NAMESPACE, None, None),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let access = access.clone();
        let token_file = token_file.to_owned();
        std::thread::Builder::new()
            .name("read-cache-watches".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        tracing::error!(%error, "read cache: cannot build its runtime; reads go to the API server");
                        return;
                    }
                };
                runtime.block_on(async move {
                    let client = match access.service_client(&token_file) {
                        Ok(client) => client,
                        Err(error) => {
                            tracing::error!(%error, "read cache: no service client; reads go to the API server");
                            return;
                        }
                    };
                    for feed in feeds {
                        tokio::spawn(run_feed(client.clone(), feed));
                    }
                    // Until the cache is dropped (the sender with it).
                    let _ = stopped.await;
                });
            })
            .map_err(CacheError::Thread)?;
        Ok(Self { stores, permissions: PermissionCache::new(PERMISSION_TTL, PERMISSION_CACHE_SIZE), _stop: stop })
    }

    /// Every store has been listed, and none has failed since.
    pub fn is_synced(&self) -> bool {
        self.stores.all().iter().all(|watched| watched.synced.load(Ordering::Acquire))
    }

    /// The objects of the view as the caller may see them.
    async fn objects(&self, client: &UserClient) -> Result<Objects, ClusterError> {
        let s = &self.stores;
        let (config, operator, pruner, image, infrastructure, pods, deployment, node_ca, routes, cron_job, jobs) = tokio::join!(
            self.object(client, &s.config, "cluster"),
            self.object(client, &s.operator, "image-registry"),
            self.object(client, &s.pruner, "cluster"),
            self.object(client, &s.image, "cluster"),
            self.object(client, &s.infrastructure, "cluster"),
            self.list(client, &s.pods),
            self.object(client, &s.deployment, "image-registry"),
            self.object(client, &s.node_ca, "node-ca"),
            self.list(client, &s.routes),
            self.object(client, &s.cron_job, "image-pruner"),
            self.list(client, &s.jobs),
        );
        let (config, image) = (config?, image?);
        let claim_name = config.value().and_then(read::claim_name);
        let ca_name = image.value().and_then(read::trusted_ca_name);
        let (claim, ca_map) = tokio::join!(
            async {
                match &claim_name {
                    Some(name) => Some(self.object(client, &s.claims, name).await),
                    None => None,
                }
            },
            async {
                match &ca_name {
                    Some(name) => Some(self.object(client, &s.config_maps, name).await),
                    None => None,
                }
            },
        );
        Ok(Objects {
            config,
            operator: operator?,
            pruner: pruner?,
            image,
            infrastructure: infrastructure?,
            pods: pods?,
            deployment: deployment?,
            node_ca: node_ca?,
            routes: routes?,
            cron_job: cron_job?,
            jobs: jobs?,
            claim: claim.transpose()?,
            ca_map: ca_map.transpose()?,
        })
    }

    /// One object: from the store if the caller may `get` it, else as the API server answers the caller.
    async fn object(&self, client: &UserClient, watched: &Watched, name: &str) -> Result<Fetch, ClusterError> {
        if self.allowed(client, "get", watched, name).await? != Some(true) {
            return Fetch::classify(client.get(&watched.resource.path(watched.namespace, name)).await);
        }
        let found = watched.store.find(|object| object.metadata.name.as_deref() == Some(name));
        Fetch::classify(match found {
            Some(object) => serde_json::to_value(&*object).map_err(|error| ClusterError::Decode(error.to_string())),
            None => Err(not_found(watched.resource, name)),
        })
    }

    /// A list: from the store if the caller may `list` it, else as the API server answers the caller.
    async fn list(&self, client: &UserClient, watched: &Watched) -> Result<Fetch, ClusterError> {
        if self.allowed(client, "list", watched, "").await? != Some(true) {
            let mut path = watched.resource.collection(watched.namespace);
            if let Some(labels) = watched.labels {
                path.push_str(&format!("?labelSelector={}", labels.replace('=', "%3D")));
            }
            return Fetch::classify(client.get(&path).await);
        }
        let mut objects = watched.store.state();
        // As the API server lists them: by name.
        objects.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        let items: Result<Vec<Value>, _> = objects.iter().map(|object| serde_json::to_value(&**object)).collect();
        Fetch::classify(
            items.map(|items| json!({ "items": items })).map_err(|error| ClusterError::Decode(error.to_string())),
        )
    }

    /// Whether the caller may `verb` the object (or collection, `name` empty): remembered,
    /// else asked with a SelfSubjectAccessReview. `None` when the review itself failed.
    async fn allowed(
        &self,
        client: &UserClient,
        verb: &'static str,
        watched: &Watched,
        name: &str,
    ) -> Result<Option<bool>, ClusterError> {
        let key = PermissionKey {
            token: *client.token_hash(),
            verb,
            group: group_of(watched.resource),
            resource: watched.resource.plural,
            namespace: watched.namespace,
            name: name.to_owned(),
        };
        if let Some(allowed) = self.permissions.get(&key, Instant::now()) {
            return Ok(Some(allowed));
        }
        let mut attributes = json!({"verb": verb, "group": key.group, "resource": key.resource});
        if !key.namespace.is_empty() {
            attributes["namespace"] = json!(key.namespace);
        }
        if !name.is_empty() {
            attributes["name"] = json!(name);
        }
        let review = json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        });
        match client.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", &review).await {
            Ok(answer) => {
                let allowed = answer["status"]["allowed"].as_bool() == Some(true);
                self.permissions.insert(key, allowed, Instant::now());
                Ok(Some(allowed))
            }
            Err(error) if error.status() == Some(401) => Err(error),
            Err(error) => {
                tracing::debug!(%error, verb, resource = watched.resource.plural, "read cache: access review failed");
                Ok(None)
            }
        }
    }
}

/// The API server's 404 for `name` of `resource`, as a GET would answer it.
fn not_found(resource: Resource, name: &str) -> ClusterError {
    let group = group_of(resource);
    let qualified = if group.is_empty() { resource.plural.to_owned() } else { format!("{}.{group}", resource.plural) };
    ClusterError::Api { status: 404, reason: "NotFound".into(), message: format!("{qualified} {name:?} not found") }
}

/// Feeds one store for as long as the runtime runs: list, then watch; any
/// error marks the store unsynced and, after a backoff, lists it again.
async fn run_feed(client: kube::Client, mut feed: Feed) {
    let resource = api_resource(feed.resource);
    let api: Api<DynamicObject> = if feed.resource.namespaced {
        Api::namespaced_with(client, feed.namespace, &resource)
    } else {
        Api::all_with(client, &resource)
    };
    let mut config = watcher::Config::default();
    if let Some(name) = feed.name {
        config = config.fields(&format!("metadata.name={name}"));
    }
    if let Some(labels) = feed.labels {
        config = config.labels(labels);
    }
    let mut backoff = Duration::from_millis(500);
    loop {
        let mut stream = std::pin::pin!(watcher::watcher(api.clone(), config.clone()));
        while let Some(event) = stream.next().await {
            match event {
                Ok(event) => {
                    feed.writer.apply_watcher_event(&event);
                    if matches!(event, Event::InitDone) {
                        feed.synced.store(true, Ordering::Release);
                        backoff = Duration::from_millis(500);
                    }
                }
                Err(error) => {
                    feed.synced.store(false, Ordering::Release);
                    tracing::warn!(%error, resource = feed.resource.plural, namespace = feed.namespace,
                        "read cache: watch failed; reads of it go to the API server until it is listed again");
                    break;
                }
            }
        }
        feed.synced.store(false, Ordering::Release);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// A permission question, keyed by the caller's token hash (never the token).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct PermissionKey {
    pub token: [u8; 32],
    pub verb: &'static str,
    pub group: &'static str,
    pub resource: &'static str,
    pub namespace: &'static str,
    pub name: String,
}

/// Access review answers, each kept at most `ttl`, at most `capacity` of them.
pub struct PermissionCache {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<PermissionKey, (bool, Instant)>>,
}

impl PermissionCache {
    /// `ttl` is capped at [`PERMISSION_TTL`].
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self { ttl: ttl.min(PERMISSION_TTL), capacity: capacity.max(1), entries: Mutex::new(HashMap::new()) }
    }

    /// The remembered answer, unless it is older than the TTL.
    pub fn get(&self, key: &PermissionKey, now: Instant) -> Option<bool> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(key).filter(|(_, at)| now.saturating_duration_since(*at) < self.ttl).map(|(allowed, _)| *allowed)
    }

    /// Remembers an answer; when full, drops the expired answers, then the oldest.
    pub fn insert(&self, key: PermissionKey, allowed: bool, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, (_, at)| now.saturating_duration_since(*at) < self.ttl);
            while entries.len() >= self.capacity {
                let Some(oldest) = entries.iter().min_by_key(|(_, (_, at))| *at).map(|(key, _)| key.clone()) else {
                    break;
                };
                entries.remove(&oldest);
            }
        }
        entries.insert(key, (allowed, now));
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> PermissionKey {
        PermissionKey {
            token: [7; 32],
            verb: "get",
            group: "imageregistry.operator.openshift.io",
            resource: "configs",
            namespace: "",
            name: name.to_owned(),
        }
    }

    #[test]
    fn answers_expire_after_the_ttl() {
        let cache = PermissionCache::new(Duration::from_secs(10), 8);
        let start = Instant::now();
        cache.insert(key("cluster"), true, start);
        assert_eq!(cache.get(&key("cluster"), start + Duration::from_secs(9)), Some(true));
        assert_eq!(cache.get(&key("cluster"), start + Duration::from_secs(10)), None, "kept beyond 10 s");
        assert_eq!(cache.get(&key("other"), start), None);
        // Another token is another question.
        assert_eq!(cache.get(&PermissionKey { token: [8; 32], ..key("cluster") }, start), None);
    }

    #[test]
    fn the_ttl_is_never_longer_than_ten_seconds() {
        let cache = PermissionCache::new(Duration::from_secs(60), 8);
        let start = Instant::now();
        cache.insert(key("cluster"), false, start);
        assert_eq!(cache.get(&key("cluster"), start + Duration::from_millis(9_999)), Some(false));
        assert_eq!(cache.get(&key("cluster"), start + PERMISSION_TTL), None);
    }

    #[test]
    fn the_cache_is_bounded_and_drops_expired_then_oldest_answers() {
        let cache = PermissionCache::new(Duration::from_secs(10), 3);
        let start = Instant::now();
        cache.insert(key("a"), true, start);
        cache.insert(key("b"), true, start + Duration::from_secs(5));
        cache.insert(key("c"), true, start + Duration::from_secs(6));
        // `a` has expired by then: it goes, the others stay.
        cache.insert(key("d"), true, start + Duration::from_secs(11));
        assert_eq!(cache.len(), 3);
        let now = start + Duration::from_secs(11);
        assert_eq!(cache.get(&key("a"), now), None);
        assert_eq!((cache.get(&key("b"), now), cache.get(&key("d"), now)), (Some(true), Some(true)));
        // Nothing expired: the oldest (`b`) makes room.
        cache.insert(key("e"), false, now);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&key("b"), now), None);
        assert_eq!((cache.get(&key("c"), now), cache.get(&key("e"), now)), (Some(true), Some(false)));
        // Updating a present key does not evict.
        cache.insert(key("e"), true, now);
        assert_eq!((cache.len(), cache.get(&key("c"), now)), (3, Some(true)));
    }

    #[test]
    fn not_found_messages_are_the_api_servers() {
        assert_eq!(
            not_found(CONFIG, "cluster").to_string(),
            "the API server answered 404: configs.imageregistry.operator.openshift.io \"cluster\" not found"
        );
        assert!(not_found(PVC, "x").to_string().ends_with("persistentvolumeclaims \"x\" not found"));
        assert!(
            not_found(DEPLOYMENT, "image-registry")
                .to_string()
                .ends_with("deployments.apps \"image-registry\" not found")
        );
    }
}
