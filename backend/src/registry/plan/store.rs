//! Previewed plans wait in the database for their apply, for a short time.
//! A plan holds the objects it will write, secret values included, so it is
//! stored sealed (AES-256-GCM, ring) under a key that lives only in memory:
//! a restart expires every waiting plan, which is the safe failure. Only the
//! owner (the hash of the token that previewed it) may read or apply it.

use model::plan::Plan;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use sqlx::SqlitePool;

use super::PlanDraft;
use crate::clock::now_unix;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the plan store's database failed")]
    Database(#[from] sqlx::Error),
    #[error("the plan could not be sealed or opened")]
    Crypto,
    #[error("the stored plan is not readable: {0}")]
    Decode(String),
}

/// Seals plans; one per process.
pub struct PlanSeal {
    key: LessSafeKey,
    random: SystemRandom,
}

impl PlanSeal {
    pub fn generate() -> Result<Self, StoreError> {
        let random = SystemRandom::new();
        let mut bytes = [0u8; 32];
        random.fill(&mut bytes).map_err(|_| StoreError::Crypto)?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| StoreError::Crypto)?;
        Ok(Self { key: LessSafeKey::new(key), random })
    }

    /// A random id, 128 bits, hex.
    pub fn new_id(&self) -> Result<String, StoreError> {
        let mut bytes = [0u8; 16];
        self.random.fill(&mut bytes).map_err(|_| StoreError::Crypto)?;
        Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    fn seal(&self, id: &str, plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| StoreError::Crypto)?;
        let mut sealed = plain.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(id.as_bytes()), &mut sealed)
            .map_err(|_| StoreError::Crypto)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn open(&self, id: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        if sealed.len() < NONCE_LEN {
            return Err(StoreError::Crypto);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| StoreError::Crypto)?;
        let mut body = body.to_vec();
        let plain =
            self.key.open_in_place(nonce, Aad::from(id.as_bytes()), &mut body).map_err(|_| StoreError::Crypto)?;
        Ok(plain.to_vec())
    }
}

/// A stored plan: the view shown to the user and the sealed draft (empty
/// once applied).
pub struct StoredPlan {
    pub view: Plan,
    pub draft: PlanDraft,
    pub applied: bool,
}

pub async fn save(
    pool: &SqlitePool,
    seal: &PlanSeal,
    owner: &[u8; 32],
    view: &Plan,
    draft: &PlanDraft,
    expires_at: i64,
) -> Result<(), StoreError> {
    let plain = serde_json::to_vec(draft).map_err(|error| StoreError::Decode(error.to_string()))?;
    let sealed = seal.seal(&view.id, &plain)?;
    let view_json = serde_json::to_string(view).map_err(|error| StoreError::Decode(error.to_string()))?;
    sqlx::query(
        "INSERT INTO plans (id, owner_hash, kind, view, sealed, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&view.id)
    .bind(owner.as_slice())
    .bind(&view.kind)
    .bind(view_json)
    .bind(sealed)
    .bind(now_unix())
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// The plan, if it exists, belongs to `owner` and has not expired.
pub async fn load(
    pool: &SqlitePool,
    seal: &PlanSeal,
    owner: &[u8; 32],
    id: &str,
) -> Result<Option<StoredPlan>, StoreError> {
    let row: Option<(String, Vec<u8>, Option<i64>)> =
        sqlx::query_as("SELECT view, sealed, applied_at FROM plans WHERE id = ? AND owner_hash = ? AND expires_at > ?")
            .bind(id)
            .bind(owner.as_slice())
            .bind(now_unix())
            .fetch_optional(pool)
            .await?;
    let Some((view, sealed, applied_at)) = row else { return Ok(None) };
    let view: Plan = serde_json::from_str(&view).map_err(|error| StoreError::Decode(error.to_string()))?;
    if applied_at.is_some() {
        // Its sealed part was erased at apply.
        return Ok(Some(StoredPlan { view, draft: PlanDraft::default(), applied: true }));
    }
    let plain = seal.open(id, &sealed)?;
    let draft: PlanDraft = serde_json::from_slice(&plain).map_err(|error| StoreError::Decode(error.to_string()))?;
    Ok(Some(StoredPlan { view, draft, applied: applied_at.is_some() }))
}

/// Marks the plan applied; false when it already was (a plan applies once).
pub async fn mark_applied(pool: &SqlitePool, id: &str) -> Result<bool, StoreError> {
    let result = sqlx::query("UPDATE plans SET applied_at = ?, sealed = x'' WHERE id = ? AND applied_at IS NULL")
        .bind(now_unix())
        .bind(id)
        .execute(pool)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes expired plans; returns how many.
pub async fn purge_expired(pool: &SqlitePool) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM plans WHERE expires_at <= ?").bind(now_unix()).execute(pool).await?;
    Ok(result.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_plans_open_only_under_their_own_id() {
        let seal = PlanSeal::generate().expect("key");
        let sealed = seal.seal("a", b"secret value").expect("seal");
        assert!(!sealed.windows(6).any(|window| window == b"secret"));
        assert_eq!(seal.open("a", &sealed).expect("open"), b"secret value");
        assert!(seal.open("b", &sealed).is_err());
        let other = PlanSeal::generate().expect("key");
        assert!(other.open("a", &sealed).is_err());
    }
}
