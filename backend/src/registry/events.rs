//! Live changes of the registry's objects as Server-Sent Events, watched
//! with the caller's own credential.
//!
//! Each watched kind has its own task: list (for a resourceVersion to start
//! from), then watch from there, re-watching from the last version seen when
//! the API server ends a watch, and listing afresh after `410 Gone` (the
//! client is told with `event: resync`). A watch the caller may not do is
//! skipped and reported once as `event: degraded`.
//!
//! Every event carries an `id:` that encodes the resourceVersion of each
//! watch (base64url JSON, kind → version): a client reconnecting with
//! `Last-Event-ID` resumes each watch where it was, so it misses nothing and
//! gets nothing twice. A comment every 15 s keeps proxies (the OpenShift
//! router times out after 30 s) from closing the stream. The tasks end when
//! the client goes away and the stream is dropped.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use kube::api::{Api, ApiResource, DynamicObject, ListParams, WatchEvent, WatchParams};
use kube::core::GroupVersionKind;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::cluster::resource::{
    CLUSTER_OPERATOR, CONFIG, DAEMON_SET, DEPLOYMENT, IMAGE_CONFIG, IMAGE_PRUNER, POD, ROUTE,
};
use crate::cluster::{Resource, UserClient};
use crate::registry::read::NAMESPACE;

/// The interval of the `: ping` comment.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// The API server ends each watch after this long (below the client's 30 s read timeout); it is then resumed.
const WATCH_TIMEOUT_SECONDS: u32 = 25;
/// How long the stream waits for every watch to start before `event: ready`.
const READY_WAIT: Duration = Duration::from_secs(10);
/// Wait after a transient failure before watching again.
const RETRY_DELAY: Duration = Duration::from_secs(2);

/// One watched collection.
#[derive(Clone, Copy, Debug)]
pub struct WatchSpec {
    pub resource: Resource,
    /// For namespaced kinds.
    pub namespace: Option<&'static str>,
    /// For singletons (a `metadata.name` field selector).
    pub name: Option<&'static str>,
    pub label_selector: Option<&'static str>,
}

impl WatchSpec {
    /// The key of this watch in event ids and messages: the kind.
    pub fn key(&self) -> &'static str {
        self.resource.kind
    }

    fn describe(&self) -> Value {
        json!({
            "kind": self.resource.kind,
            "apiVersion": self.resource.api_version,
            "namespace": self.namespace,
            "name": self.name,
            "labelSelector": self.label_selector,
        })
    }

    fn field_selector(&self) -> Option<String> {
        self.name.map(|name| format!("metadata.name={name}"))
    }

    fn api(&self, client: kube::Client) -> Api<DynamicObject> {
        let (group, version) = self.resource.api_version.split_once('/').unwrap_or(("", self.resource.api_version));
        let resource = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(group, version, self.resource.kind),
            self.resource.plural,
        );
        match self.namespace {
            Some(namespace) => Api::namespaced_with(client, namespace, &resource),
            None => Api::all_with(client, &resource),
        }
    }
}

const fn singleton(resource: Resource, name: &'static str) -> WatchSpec {
    WatchSpec { resource, namespace: None, name: Some(name), label_selector: None }
}

const fn in_namespace(resource: Resource, label_selector: Option<&'static str>) -> WatchSpec {
    WatchSpec { resource, namespace: Some(NAMESPACE), name: None, label_selector }
}

/// What the Overview watches.
pub const WATCHES: &[WatchSpec] = &[
    singleton(CONFIG, "cluster"),
    singleton(CLUSTER_OPERATOR, "image-registry"),
    singleton(IMAGE_PRUNER, "cluster"),
    singleton(IMAGE_CONFIG, "cluster"),
    in_namespace(POD, Some("docker-registry=default")),
    in_namespace(DEPLOYMENT, None),
    in_namespace(DAEMON_SET, None),
    in_namespace(ROUTE, None),
];

/// The resourceVersion of each watch, by key.
pub type Versions = BTreeMap<String, String>;

/// The `id:` of an event: base64url (no padding) of the versions as JSON.
pub fn encode_id(versions: &Versions) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(versions).unwrap_or_default())
}

/// The versions of a `Last-Event-ID`; empty when it is not one of ours.
pub fn decode_id(id: &str) -> Versions {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(id.trim()) else { return Versions::new() };
    let Ok(versions) = serde_json::from_slice::<Versions>(&bytes) else { return Versions::new() };
    versions
        .into_iter()
        .filter(|(key, version)| WATCHES.iter().any(|watch| watch.key() == key) && !version.is_empty())
        .collect()
}

/// What a watch task reports to the stream.
#[derive(Debug)]
enum Note {
    /// The first watch request was accepted, from `version`.
    Started {
        key: &'static str,
        version: String,
    },
    /// The caller may not watch this (or it cannot be watched): skipped.
    Degraded {
        watch: WatchSpec,
        status: Option<u16>,
        message: String,
    },
    Change {
        key: &'static str,
        namespace: Option<String>,
        name: String,
        type_: &'static str,
        version: String,
    },
    /// A bookmark: the version moved without a change the client cares about.
    Progress {
        key: &'static str,
        version: String,
    },
    /// After 410 Gone: listed afresh from `version`; the client should re-read.
    Resync {
        key: &'static str,
        version: String,
    },
}

fn error_status(error: &kube::Error) -> Option<u16> {
    match error {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// Whether a refusal means this watch can never work for this caller.
fn is_refusal(status: Option<u16>) -> bool {
    matches!(status, Some(401 | 403 | 404 | 405))
}

async fn run_watch(client: kube::Client, watch: WatchSpec, resume: Option<String>, notes: mpsc::Sender<Note>) {
    let api = watch.api(client);
    let key = watch.key();
    let field_selector = watch.field_selector();
    let mut version = resume;
    let mut started = false;
    let mut resync = false;
    loop {
        let from = match version.clone() {
            Some(from) => from,
            None => {
                let params = ListParams {
                    label_selector: watch.label_selector.map(str::to_owned),
                    field_selector: field_selector.clone(),
                    ..ListParams::default()
                };
                match api.list(&params).await {
                    Ok(list) => {
                        let listed = list.metadata.resource_version.unwrap_or_default();
                        if resync {
                            resync = false;
                            if notes.send(Note::Resync { key, version: listed.clone() }).await.is_err() {
                                return;
                            }
                        }
                        version = Some(listed.clone());
                        listed
                    }
                    Err(error) if is_refusal(error_status(&error)) => {
                        let _ = notes
                            .send(Note::Degraded { watch, status: error_status(&error), message: message_of(&error) })
                            .await;
                        return;
                    }
                    Err(error) => {
                        tracing::debug!(%error, key, "listing for a watch failed; retrying");
                        tokio::time::sleep(RETRY_DELAY).await;
                        continue;
                    }
                }
            }
        };
        let params = WatchParams {
            label_selector: watch.label_selector.map(str::to_owned),
            field_selector: field_selector.clone(),
            timeout: Some(WATCH_TIMEOUT_SECONDS),
            bookmarks: true,
            ..WatchParams::default()
        };
        let stream = match api.watch(&params, &from).await {
            Ok(stream) => stream,
            Err(error) if error_status(&error) == Some(410) => {
                version = None;
                resync = true;
                continue;
            }
            Err(error) if is_refusal(error_status(&error)) => {
                let _ = notes
                    .send(Note::Degraded { watch, status: error_status(&error), message: message_of(&error) })
                    .await;
                return;
            }
            Err(error) => {
                tracing::debug!(%error, key, "watch failed; retrying");
                tokio::time::sleep(RETRY_DELAY).await;
                continue;
            }
        };
        if !started {
            started = true;
            if notes.send(Note::Started { key, version: from.clone() }).await.is_err() {
                return;
            }
        }
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            let note = match event {
                Ok(WatchEvent::Added(object)) => change(key, "ADDED", &object),
                Ok(WatchEvent::Modified(object)) => change(key, "MODIFIED", &object),
                Ok(WatchEvent::Deleted(object)) => change(key, "DELETED", &object),
                Ok(WatchEvent::Bookmark(bookmark)) => {
                    Note::Progress { key, version: bookmark.metadata.resource_version.clone() }
                }
                Ok(WatchEvent::Error(status)) if status.code == 410 => {
                    version = None;
                    resync = true;
                    break;
                }
                Ok(WatchEvent::Error(status)) => {
                    tracing::debug!(?status, key, "the watch reported an error; watching again");
                    tokio::time::sleep(RETRY_DELAY).await;
                    break;
                }
                Err(error) => {
                    tracing::debug!(%error, key, "the watch broke; watching again");
                    break;
                }
            };
            match &note {
                Note::Change { version: seen, .. } | Note::Progress { version: seen, .. } if !seen.is_empty() => {
                    version = Some(seen.clone());
                }
                _ => {}
            }
            if notes.send(note).await.is_err() {
                return;
            }
        }
    }
}

fn change(key: &'static str, type_: &'static str, object: &DynamicObject) -> Note {
    Note::Change {
        key,
        namespace: object.metadata.namespace.clone(),
        name: object.metadata.name.clone().unwrap_or_default(),
        type_,
        version: object.metadata.resource_version.clone().unwrap_or_default(),
    }
}

fn message_of(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) if !status.message.is_empty() => status.message.clone(),
        other => other.to_string(),
    }
}

/// One SSE frame.
fn frame(event: &str, id: Option<&str>, data: &Value) -> Bytes {
    let mut text = String::new();
    if let Some(id) = id {
        text.push_str("id: ");
        text.push_str(id);
        text.push('\n');
    }
    text.push_str("event: ");
    text.push_str(event);
    text.push_str("\ndata: ");
    text.push_str(&data.to_string());
    text.push_str("\n\n");
    Bytes::from(text)
}

/// Aborts the watch tasks when the stream is dropped (the client went away).
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

struct State {
    notes: mpsc::Receiver<Note>,
    notes_open: bool,
    versions: Versions,
    settled: BTreeSet<&'static str>,
    started: Vec<&'static str>,
    degraded: Vec<Value>,
    ready: bool,
    ready_deadline: tokio::time::Instant,
    /// Frames made before `ready`, sent right after it.
    held: Vec<Bytes>,
    out: VecDeque<Bytes>,
    heartbeat: tokio::time::Interval,
    _tasks: Tasks,
}

impl State {
    fn emit(&mut self, bytes: Bytes) {
        if self.ready { self.out.push_back(bytes) } else { self.held.push(bytes) }
    }

    fn handle(&mut self, note: Note) {
        match note {
            Note::Started { key, version } => {
                self.versions.insert(key.to_owned(), version);
                self.started.push(key);
                self.settled.insert(key);
            }
            Note::Degraded { watch, status, message } => {
                self.settled.insert(watch.key());
                let mut data = watch.describe();
                data["status"] = json!(status);
                data["message"] = json!(message);
                self.degraded.push(json!(watch.key()));
                let id = encode_id(&self.versions);
                self.emit(frame("degraded", Some(&id), &data));
            }
            Note::Change { key, namespace, name, type_, version } => {
                self.versions.insert(key.to_owned(), version.clone());
                let id = encode_id(&self.versions);
                let data = json!({"kind": key, "namespace": namespace, "name": name, "type": type_, "resourceVersion": version});
                self.emit(frame("change", Some(&id), &data));
            }
            Note::Progress { key, version } => {
                self.versions.insert(key.to_owned(), version);
            }
            Note::Resync { key, version } => {
                self.versions.insert(key.to_owned(), version.clone());
                let id = encode_id(&self.versions);
                self.emit(frame("resync", Some(&id), &json!({"kind": key, "resourceVersion": version})));
            }
        }
        if !self.ready && self.settled.len() == WATCHES.len() {
            self.send_ready();
        }
    }

    fn send_ready(&mut self) {
        self.ready = true;
        let watches: Vec<Value> =
            WATCHES.iter().filter(|watch| self.started.contains(&watch.key())).map(WatchSpec::describe).collect();
        let pending: Vec<&str> = WATCHES.iter().map(WatchSpec::key).filter(|key| !self.settled.contains(key)).collect();
        let data = json!({"watches": watches, "degraded": self.degraded, "pending": pending});
        let id = encode_id(&self.versions);
        // `retry:` tells EventSource how long to wait before reconnecting.
        let mut ready = b"retry: 3000\n".to_vec();
        ready.extend_from_slice(&frame("ready", Some(&id), &data));
        self.out.push_back(Bytes::from(ready));
        self.out.extend(self.held.drain(..));
    }
}

/// The event stream for `client`, resuming from `last_event_id` when given.
/// Dropping it stops every watch.
pub fn stream(
    client: &UserClient,
    last_event_id: Option<&str>,
) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>> + use<> {
    let resume = last_event_id.map(decode_id).unwrap_or_default();
    let (sender, notes) = mpsc::channel(256);
    let tasks = WATCHES
        .iter()
        .map(|watch| {
            let from = resume.get(watch.key()).cloned();
            tokio::spawn(run_watch(client.kube().clone(), *watch, from, sender.clone()))
        })
        .collect();
    drop(sender);
    let start = tokio::time::Instant::now();
    let state = State {
        notes,
        notes_open: true,
        versions: resume,
        settled: BTreeSet::new(),
        started: Vec::new(),
        degraded: Vec::new(),
        ready: false,
        ready_deadline: start + READY_WAIT,
        held: Vec::new(),
        out: VecDeque::new(),
        heartbeat: tokio::time::interval_at(start + HEARTBEAT, HEARTBEAT),
        _tasks: Tasks(tasks),
    };
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(bytes) = state.out.pop_front() {
                return Some((Ok(bytes), state));
            }
            let ready = state.ready;
            let deadline = state.ready_deadline;
            tokio::select! {
                note = state.notes.recv(), if state.notes_open => match note {
                    Some(note) => state.handle(note),
                    // Every watch ended (all refused): keep the stream open with heartbeats.
                    None => {
                        state.notes_open = false;
                        if !state.ready {
                            state.send_ready();
                        }
                    }
                },
                _ = state.heartbeat.tick() => state.out.push_back(Bytes::from_static(b": ping\n\n")),
                () = tokio::time::sleep_until(deadline), if !ready => state.send_ready(),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_ignore_unknown_kinds() {
        let mut versions = Versions::new();
        versions.insert("Config".into(), "123".into());
        versions.insert("Pod".into(), "456".into());
        let id = encode_id(&versions);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{id}");
        assert_eq!(decode_id(&id), versions);
        let mut foreign = versions.clone();
        foreign.insert("Secret".into(), "1".into());
        assert_eq!(decode_id(&encode_id(&foreign)), versions);
        assert!(decode_id("not base64 !").is_empty());
        assert!(decode_id(&URL_SAFE_NO_PAD.encode("[1,2]")).is_empty());
    }

    #[test]
    fn frames_follow_the_event_stream_format() {
        let bytes = frame("change", Some("abc"), &json!({"kind": "Config"}));
        assert_eq!(&bytes[..], b"id: abc\nevent: change\ndata: {\"kind\":\"Config\"}\n\n");
    }

    #[test]
    fn every_watch_has_its_own_key() {
        let keys: BTreeSet<&str> = WATCHES.iter().map(WatchSpec::key).collect();
        assert_eq!(keys.len(), WATCHES.len());
    }
}
