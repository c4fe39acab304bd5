//! The session store: tower-sessions' `SessionStore` on the console's SQLite
//! database. A row is keyed by the SHA-256 of the session id, never the id,
//! so a copy of the database cannot be used to take over a session; its data
//! (identity, CSRF token, the user's tokens) is sealed with the key ring,
//! bound to that row. `user_name` is kept in clear (indexed) to end all of a
//! user's sessions at once.

use std::sync::Arc;

use async_trait::async_trait;
use ring::rand::{SecureRandom as _, SystemRandom};
use sha2::{Digest as _, Sha256};
use sqlx::SqlitePool;
use time::OffsetDateTime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, SessionStore};

use super::IDENTITY_KEY;
use super::keys::KeyRing;

/// SHA-256 of the id's 16 bytes: the row's key.
pub fn id_hash(id: &Id) -> [u8; 32] {
    Sha256::digest(id.0.to_le_bytes()).into()
}

/// A fresh session id from the system's random generator (128 bits).
pub fn new_id() -> session_store::Result<Id> {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).map_err(|_| session_store::Error::Backend("no random bytes".into()))?;
    Ok(Id(i128::from_le_bytes(bytes)))
}

#[derive(Clone)]
pub struct SqliteSessionStore {
    pool: SqlitePool,
    keys: Arc<KeyRing>,
}

impl std::fmt::Debug for SqliteSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteSessionStore").field("keys", &self.keys).finish_non_exhaustive()
    }
}

fn backend(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

fn user_name(record: &Record) -> Option<String> {
    record.data.get(IDENTITY_KEY)?.get("user")?.as_str().map(str::to_owned)
}

impl SqliteSessionStore {
    pub fn new(pool: SqlitePool, keys: Arc<KeyRing>) -> Self {
        Self { pool, keys }
    }

    fn seal(&self, record: &Record, hash: &[u8; 32]) -> session_store::Result<Vec<u8>> {
        let plain =
            serde_json::to_vec(&record.data).map_err(|error| session_store::Error::Encode(error.to_string()))?;
        self.keys.seal(&plain, hash).map_err(|error| session_store::Error::Encode(error.to_string()))
    }

    /// Inserts a new row; false when the id hash is taken.
    async fn insert(&self, record: &Record) -> session_store::Result<bool> {
        let hash = id_hash(&record.id);
        let sealed = self.seal(record, &hash)?;
        let result = sqlx::query("INSERT INTO sessions (id_hash, data, expires_at, user_name) VALUES (?, ?, ?, ?)")
            .bind(hash.as_slice())
            .bind(sealed)
            .bind(record.expiry_date.unix_timestamp())
            .bind(user_name(record))
            .execute(&self.pool)
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(false),
            Err(error) => Err(backend(error)),
        }
    }

    /// Ends every session of `user`; the number ended.
    pub async fn delete_user(&self, user: &str) -> session_store::Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_name = ?")
            .bind(user)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    /// Removes sessions expired at `now`; the number removed.
    pub async fn delete_expired(&self, now: OffsetDateTime) -> session_store::Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now.unix_timestamp())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    /// The record whatever its expiry (the caller decides), or `None`.
    pub async fn load_at(&self, id: &Id, now: OffsetDateTime) -> session_store::Result<Option<Record>> {
        let hash = id_hash(id);
        let row: Option<(Vec<u8>, i64)> =
            sqlx::query_as("SELECT data, expires_at FROM sessions WHERE id_hash = ? AND expires_at > ?")
                .bind(hash.as_slice())
                .bind(now.unix_timestamp())
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        let Some((sealed, expires_at)) = row else { return Ok(None) };
        let plain = self.keys.open(&sealed, &hash).map_err(|error| session_store::Error::Decode(error.to_string()))?;
        let data = serde_json::from_slice(&plain).map_err(|error| session_store::Error::Decode(error.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(expires_at)
            .map_err(|error| session_store::Error::Decode(error.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }
}

#[async_trait]
impl SessionStore for SqliteSessionStore {
    /// Inserts the record, drawing a new id while the drawn one is taken.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while !self.insert(record).await? {
            record.id = new_id()?;
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let hash = id_hash(&record.id);
        let sealed = self.seal(record, &hash)?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, data, expires_at, user_name) VALUES (?, ?, ?, ?) \
             ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, \
             user_name = excluded.user_name",
        )
        .bind(hash.as_slice())
        .bind(sealed)
        .bind(record.expiry_date.unix_timestamp())
        .bind(user_name(record))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.load_at(id, OffsetDateTime::now_utc()).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash(id).as_slice())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    async fn store(keys: &[String]) -> (SqliteSessionStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let pool = crate::db::connect(&url).await.expect("database");
        (SqliteSessionStore::new(pool, Arc::new(KeyRing::parse(keys).expect("ring"))), dir)
    }

    fn record(user: &str, token: &str) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert(IDENTITY_KEY.to_owned(), serde_json::json!({ "user": user, "groups": [] }));
        data.insert("token".to_owned(), serde_json::json!(token));
        Record { id: new_id().expect("id"), data, expiry_date: OffsetDateTime::now_utc() + Duration::minutes(5) }
    }

    #[tokio::test]
    async fn saves_loads_and_deletes_by_hashed_id() {
        let key = KeyRing::generate_entry("k1").expect("key");
        let (store, _dir) = store(std::slice::from_ref(&key)).await;
        let mut alice = record("alice", "sha256~alice-token");
        let original_id = alice.id;
        store.create(&mut alice).await.expect("create");
        assert_eq!(alice.id, original_id);
        let loaded = store.load(&alice.id).await.expect("load").expect("present");
        assert_eq!(loaded.data, alice.data);
        assert_eq!(loaded.expiry_date.unix_timestamp(), alice.expiry_date.unix_timestamp());

        let rows: Vec<(Vec<u8>, Vec<u8>, Option<String>)> =
            sqlx::query_as("SELECT id_hash, data, user_name FROM sessions").fetch_all(&store.pool).await.expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, id_hash(&alice.id));
        assert_eq!(rows[0].2.as_deref(), Some("alice"));
        let id_text = alice.id.to_string();
        for (_, data, _) in &rows {
            let text = String::from_utf8_lossy(data);
            assert!(!text.contains("alice-token") && !text.contains(&id_text), "clear data in the row");
        }

        alice.data.insert("token".into(), serde_json::json!("sha256~rotated"));
        store.save(&alice).await.expect("save");
        let loaded = store.load(&alice.id).await.expect("load").expect("present");
        assert_eq!(loaded.data["token"], "sha256~rotated");

        store.delete(&alice.id).await.expect("delete");
        assert!(store.load(&alice.id).await.expect("load").is_none());
    }

    #[tokio::test]
    async fn a_taken_id_is_replaced_at_create() {
        let (store, _dir) = store(&[KeyRing::generate_entry("k1").expect("key")]).await;
        let mut first = record("alice", "t1");
        store.create(&mut first).await.expect("create");
        let mut second = record("bob", "t2");
        second.id = first.id;
        store.create(&mut second).await.expect("create");
        assert_ne!(second.id, first.id);
        let loaded = store.load(&first.id).await.expect("load").expect("present");
        assert_eq!(loaded.data["token"], "t1");
    }

    #[tokio::test]
    async fn expired_sessions_are_not_loaded_and_are_removed() {
        let (store, _dir) = store(&[KeyRing::generate_entry("k1").expect("key")]).await;
        let mut old = record("alice", "t");
        old.expiry_date = OffsetDateTime::now_utc() - Duration::seconds(1);
        store.create(&mut old).await.expect("create");
        assert!(store.load(&old.id).await.expect("load").is_none());
        assert_eq!(store.delete_expired(OffsetDateTime::now_utc()).await.expect("cleanup"), 1);
    }

    #[tokio::test]
    async fn all_of_a_users_sessions_end_together() {
        let (store, _dir) = store(&[KeyRing::generate_entry("k1").expect("key")]).await;
        let mut a1 = record("alice", "t1");
        let mut a2 = record("alice", "t2");
        let mut b = record("bob", "t3");
        for r in [&mut a1, &mut a2, &mut b] {
            store.create(r).await.expect("create");
        }
        assert_eq!(store.delete_user("alice").await.expect("delete"), 2);
        assert!(store.load(&a1.id).await.expect("load").is_none());
        assert!(store.load(&a2.id).await.expect("load").is_none());
        assert!(store.load(&b.id).await.expect("load").is_some());
    }

    #[tokio::test]
    async fn a_missing_key_is_a_decode_error_not_a_panic() {
        let old = KeyRing::generate_entry("old").expect("key");
        let (store, _dir) = store(std::slice::from_ref(&old)).await;
        let mut alice = record("alice", "t");
        store.create(&mut alice).await.expect("create");
        let rotated = SqliteSessionStore::new(
            store.pool.clone(),
            Arc::new(KeyRing::parse(&[KeyRing::generate_entry("new").expect("key"), old]).expect("ring")),
        );
        assert!(rotated.load(&alice.id).await.expect("old key still opens").is_some());
        let without = SqliteSessionStore::new(
            store.pool.clone(),
            Arc::new(KeyRing::parse(&[KeyRing::generate_entry("new").expect("key")]).expect("ring")),
        );
        match without.load(&alice.id).await {
            Err(session_store::Error::Decode(message)) => assert!(message.contains("`old`"), "{message}"),
            other => panic!("expected a decode error, got {other:?}"),
        }
    }
}
