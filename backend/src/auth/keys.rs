//! The key ring that keeps session data (the user's tokens among it) encrypted
//! at rest: AES-256-GCM (ring) under keys from the configuration. Each key has
//! an id; the first key encrypts, every key decrypts, so a new key is added
//! first and an old one removed once its sessions have expired (rotation).
//! There is no built-in key except the demo key, which must be asked for.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};

/// Format version of a sealed value (its first byte).
const VERSION: u8 = 1;
/// Key id of the demo key; a value sealed with it never opens with a configured ring.
pub const DEMO_KEY_ID: &str = "demo";
/// Published in the sources, so it protects nothing: only for `session.demo_key = true`.
const DEMO_KEY: [u8; 32] = *b"registry-console-demo-key-000000";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("session key entry {index} is not `<id>:<base64 of 32 bytes>`: {reason}")]
    BadEntry { index: usize, reason: &'static str },
    #[error("session key id `{0}` appears twice")]
    DuplicateId(String),
    #[error("no session key configured")]
    Empty,
    #[error("the value was sealed with key `{0}`, which is not in the key ring")]
    UnknownKey(String),
    #[error("the sealed value is damaged or was sealed for another record")]
    Damaged,
    #[error("the system random generator failed")]
    Random,
}

/// Keys by id; the first one seals.
pub struct KeyRing {
    keys: Vec<(String, LessSafeKey)>,
    random: SystemRandom,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("KeyRing").field("ids", &ids).finish_non_exhaustive()
    }
}

fn lenient(alphabet: &base64::alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(alphabet, GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

impl KeyRing {
    /// Parses entries `<id>:<base64 of 32 bytes>` (standard or URL-safe
    /// alphabet, padding optional). Errors never include key material.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, KeyError> {
        if entries.is_empty() {
            return Err(KeyError::Empty);
        }
        let mut keys: Vec<(String, LessSafeKey)> = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let entry = entry.as_ref().trim();
            let (id, encoded) =
                entry.split_once(':').ok_or(KeyError::BadEntry { index, reason: "missing `:` after the id" })?;
            if !valid_id(id) {
                return Err(KeyError::BadEntry { index, reason: "the id must be 1-32 of A-Z a-z 0-9 - _ ." });
            }
            if id == DEMO_KEY_ID {
                return Err(KeyError::BadEntry { index, reason: "the id `demo` is reserved for the demo key" });
            }
            let bytes = lenient(&base64::alphabet::STANDARD)
                .decode(encoded)
                .or_else(|_| lenient(&base64::alphabet::URL_SAFE).decode(encoded))
                .map_err(|_| KeyError::BadEntry { index, reason: "the key is not base64" })?;
            if bytes.len() != 32 {
                return Err(KeyError::BadEntry {
                    index,
                    reason: "the key must be 32 bytes (e.g. `openssl rand -base64 32`)",
                });
            }
            if keys.iter().any(|(known, _)| known == id) {
                return Err(KeyError::DuplicateId(id.to_owned()));
            }
            let key = UnboundKey::new(&AES_256_GCM, &bytes)
                .map_err(|_| KeyError::BadEntry { index, reason: "the key is not usable" })?;
            keys.push((id.to_owned(), LessSafeKey::new(key)));
        }
        Ok(Self { keys, random: SystemRandom::new() })
    }

    /// The built-in demo key: anybody can read what it seals.
    pub fn demo() -> Self {
        let key = UnboundKey::new(&AES_256_GCM, &DEMO_KEY).map(LessSafeKey::new);
        let keys = key.map(|key| vec![(DEMO_KEY_ID.to_owned(), key)]).unwrap_or_default();
        Self { keys, random: SystemRandom::new() }
    }

    /// A fresh entry for the configuration, `<id>:<base64>`.
    pub fn generate_entry(id: &str) -> Result<String, KeyError> {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).map_err(|_| KeyError::Random)?;
        Ok(format!("{id}:{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
    }

    /// Id of the key that seals.
    pub fn current_id(&self) -> Option<&str> {
        self.keys.first().map(|(id, _)| id.as_str())
    }

    /// Seals `plain` with the first key; `context` (not stored) must be given
    /// again to open it, binding the value to its record.
    /// Layout: version, id length, id, nonce, ciphertext and tag.
    pub fn seal(&self, plain: &[u8], context: &[u8]) -> Result<Vec<u8>, KeyError> {
        let (id, key) = self.keys.first().ok_or(KeyError::Empty)?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| KeyError::Random)?;
        let mut out = Vec::with_capacity(2 + id.len() + NONCE_LEN + plain.len() + 16);
        out.push(VERSION);
        out.push(id.len() as u8);
        out.extend_from_slice(id.as_bytes());
        let header_len = out.len();
        out.extend_from_slice(&nonce);
        let mut body = plain.to_vec();
        let aad = [&out[..header_len], context].concat();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad.as_slice()), &mut body)
            .map_err(|_| KeyError::Damaged)?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Opens a value sealed by any key of the ring with the same `context`.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, KeyError> {
        let (&version, rest) = sealed.split_first().ok_or(KeyError::Damaged)?;
        let (&id_len, rest) = rest.split_first().ok_or(KeyError::Damaged)?;
        if version != VERSION || rest.len() < usize::from(id_len) + NONCE_LEN {
            return Err(KeyError::Damaged);
        }
        let (id, rest) = rest.split_at(usize::from(id_len));
        let id = std::str::from_utf8(id).map_err(|_| KeyError::Damaged)?;
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let key = self
            .keys
            .iter()
            .find(|(known, _)| known == id)
            .map(|(_, key)| key)
            .ok_or_else(|| KeyError::UnknownKey(id.to_owned()))?;
        let header_len = 2 + usize::from(id_len);
        let aad = [&sealed[..header_len], context].concat();
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::Damaged)?;
        let mut body = body.to_vec();
        let plain = key.open_in_place(nonce, Aad::from(aad.as_slice()), &mut body).map_err(|_| KeyError::Damaged)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> String {
        KeyRing::generate_entry(id).expect("random")
    }

    #[test]
    fn seals_and_opens_without_the_plain_text_showing() {
        let ring = KeyRing::parse(&[entry("k1")]).expect("ring");
        let sealed = ring.seal(b"sha256~secret-token", b"record-1").expect("seal");
        assert!(!sealed.windows(6).any(|w| w == b"secret"), "plain text in the sealed value");
        assert_eq!(ring.open(&sealed, b"record-1").expect("open"), b"sha256~secret-token");
        assert_eq!(ring.current_id(), Some("k1"));
    }

    #[test]
    fn the_first_key_seals_and_every_key_opens() {
        let old = entry("old");
        let new = entry("new");
        let before = KeyRing::parse(std::slice::from_ref(&old)).expect("ring");
        let sealed_old = before.seal(b"token", b"ctx").expect("seal");
        let after = KeyRing::parse(&[new.clone(), old]).expect("ring");
        assert_eq!(after.open(&sealed_old, b"ctx").expect("old key still opens"), b"token");
        let sealed_new = after.seal(b"token", b"ctx").expect("seal");
        assert_eq!(sealed_new[2..5], *b"new");
        let only_new = KeyRing::parse(&[new]).expect("ring");
        assert_eq!(only_new.open(&sealed_old, b"ctx"), Err(KeyError::UnknownKey("old".into())));
        assert_eq!(only_new.open(&sealed_new, b"ctx").expect("open"), b"token");
    }

    #[test]
    fn another_context_or_a_changed_byte_does_not_open() {
        let ring = KeyRing::parse(&[entry("k")]).expect("ring");
        let sealed = ring.seal(b"token", b"record-1").expect("seal");
        assert_eq!(ring.open(&sealed, b"record-2"), Err(KeyError::Damaged));
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(ring.open(&flipped, b"record-1"), Err(KeyError::Damaged));
        assert_eq!(ring.open(&sealed[..5], b"record-1"), Err(KeyError::Damaged));
        assert_eq!(ring.open(&[], b"record-1"), Err(KeyError::Damaged));
        // Another key under the same id does not open it either.
        let impostor = KeyRing::parse(&[entry("k")]).expect("ring");
        assert_eq!(impostor.open(&sealed, b"record-1"), Err(KeyError::Damaged));
    }

    #[test]
    fn bad_entries_are_refused_without_showing_the_key() {
        let short = format!("k:{}", base64::engine::general_purpose::STANDARD.encode([7u8; 16]));
        let cases: [(&[String], &str); 6] = [
            (&[], "no session key"),
            (&["no-colon".into()], "missing `:`"),
            (&["bad id!:AAAA".into()], "the id must be"),
            (&["k:not base64!!".into()], "not base64"),
            (&[short], "32 bytes"),
            (&[format!("demo:{}", base64::engine::general_purpose::STANDARD.encode([1u8; 32]))], "reserved"),
        ];
        for (entries, expected) in cases {
            let error = KeyRing::parse(entries).expect_err("refused").to_string();
            assert!(error.contains(expected), "{error}");
        }
        let same = entry("k");
        let error = KeyRing::parse(&[same.clone(), entry("k")]).expect_err("duplicate");
        assert_eq!(error, KeyError::DuplicateId("k".into()));
        let error = KeyRing::parse(&["k:not base64 secret-material".to_owned()]).expect_err("refused").to_string();
        assert!(!error.contains("secret-material"), "{error}");
    }

    #[test]
    fn url_safe_and_unpadded_keys_are_accepted() {
        let key = [0xfbu8; 32];
        let url = format!("u:{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key));
        let std = format!("s:{}", base64::engine::general_purpose::STANDARD.encode(key));
        let ring = KeyRing::parse(&[url, std]).expect("both forms");
        let sealed = ring.seal(b"x", b"").expect("seal");
        assert_eq!(ring.open(&sealed, b"").expect("open"), b"x");
    }

    #[test]
    fn the_demo_key_is_separate_from_configured_keys() {
        let demo = KeyRing::demo();
        assert_eq!(demo.current_id(), Some(DEMO_KEY_ID));
        let sealed = demo.seal(b"token", b"c").expect("seal");
        let configured = KeyRing::parse(&[entry("k1")]).expect("ring");
        assert_eq!(configured.open(&sealed, b"c"), Err(KeyError::UnknownKey(DEMO_KEY_ID.into())));
        assert!(!format!("{demo:?}").contains("registry-console-demo-key"));
    }
}
