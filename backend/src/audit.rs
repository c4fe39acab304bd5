//! The audit trail of changes: every apply writes an *intent* before its
//! first write and an *outcome* after its last, and previews are recorded
//! as events. Records hold redacted diffs only. (Hash chaining, signatures,
//! retention, drift and the audit views come with the audit step.)

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use model::plan::ObjectRef;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::SqlitePool;

use crate::clock;
use crate::cluster::{ClusterError, UserClient};

/// Who the API server says the caller is.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Actor {
    pub username: String,
    pub groups: Vec<String>,
}

/// Who each token is, remembered for a minute (bounded): a user's preview
/// and apply need one review, not one each.
type Actors = HashMap<[u8; 32], (Actor, Instant)>;
static ACTORS: LazyLock<Mutex<Actors>> = LazyLock::new(Mutex::default);
const ACTOR_TTL: Duration = Duration::from_secs(60);
const ACTORS_MAX: usize = 1024;

/// `SelfSubjectReview`: the caller's user name and groups, as the API server resolved the token.
pub async fn whoami(client: &UserClient) -> Result<Actor, ClusterError> {
    let key = *client.token_hash();
    let lock = || ACTORS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((actor, at)) = lock().get(&key)
        && at.elapsed() < ACTOR_TTL
    {
        return Ok(actor.clone());
    }
    let actor = review(client).await?;
    let mut actors = lock();
    if actors.len() >= ACTORS_MAX {
        actors.retain(|_, (_, at)| at.elapsed() < ACTOR_TTL);
        if actors.len() >= ACTORS_MAX {
            actors.clear();
        }
    }
    actors.insert(key, (actor.clone(), Instant::now()));
    Ok(actor)
}

async fn review(client: &UserClient) -> Result<Actor, ClusterError> {
    let review = client
        .post(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}),
        )
        .await?;
    let info = review.pointer("/status/userInfo").cloned().unwrap_or(Value::Null);
    Ok(Actor {
        username: info.get("username").and_then(Value::as_str).unwrap_or_default().to_owned(),
        groups: info
            .get("groups")
            .and_then(Value::as_array)
            .map(|groups| groups.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

/// One record to append.
pub struct Record<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub phase: Phase,
    pub intent_id: Option<i64>,
    pub plan_id: Option<&'a str>,
    pub targets: &'a [ObjectRef],
    pub summary: &'a str,
    /// Redacted: diffs, step results.
    pub detail: &'a Value,
    pub outcome: Option<&'a str>,
    pub correlation_id: Option<&'a str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Intent,
    Outcome,
    Event,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::Intent => "intent",
            Phase::Outcome => "outcome",
            Phase::Event => "event",
        }
    }
}

/// Appends a record; returns its id.
pub async fn append(pool: &SqlitePool, record: &Record<'_>) -> Result<i64, sqlx::Error> {
    let targets: Vec<String> = record.targets.iter().map(ObjectRef::display).collect();
    let result = sqlx::query(
        "INSERT INTO audit_records (at, actor, groups, action, phase, intent_id, plan_id, targets, summary, detail, outcome, correlation_id) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(clock::rfc3339(clock::now_unix()))
    .bind(&record.actor.username)
    .bind(serde_json::to_string(&record.actor.groups).unwrap_or_default())
    .bind(record.action)
    .bind(record.phase.as_str())
    .bind(record.intent_id)
    .bind(record.plan_id)
    .bind(serde_json::to_string(&targets).unwrap_or_default())
    .bind(record.summary)
    .bind(record.detail.to_string())
    .bind(record.outcome)
    .bind(record.correlation_id)
    .execute(pool)
    .await?;
    Ok(result.last_insert_rowid())
}
