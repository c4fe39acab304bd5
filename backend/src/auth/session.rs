//! Browser sessions: a small actix middleware around tower-sessions' store
//! model (tower-sessions' own layer cannot run in actix).
//!
//! The cookie holds only the opaque session id (`__Host-` prefix, HttpOnly,
//! Secure, SameSite=Lax, Path=/, no Domain, no expiry: it ends with the
//! browser); the server keeps the rest. A session ends after `idle_minutes`
//! without a request that loads it, and `absolute_hours` after it started,
//! whichever comes first. Sessions begin only through [`start`] (sign-in),
//! which always draws a new id and deletes the one the browser sent, so an
//! id planted before sign-in is worthless (session fixation).
//!
//! Requests without a session cookie pass through untouched. A cookie naming
//! no live session is removed from the browser.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{CACHE_CONTROL, COOKIE, HeaderValue, SET_COOKIE};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, web};
use base64::Engine as _;
use ring::rand::{SecureRandom as _, SystemRandom};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;
use time::{Duration, OffsetDateTime};
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, SessionStore as _};

use super::keys::{KeyError, KeyRing};
use super::store::{SqliteSessionStore, new_id};
use super::{CREATED_KEY, CSRF_KEY, IDENTITY_KEY, RESERVED_PREFIX};
use crate::config::SessionSettings;
use crate::error::ApiError;

/// Who signed in, as the sign-in flow established it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("sessions are not configured: set `session.keys` (or `session.demo_key` for a demo)")]
    NotConfigured,
    #[error("no active session")]
    NoSession,
    #[error("the session key `{0}` is reserved")]
    Reserved(String),
    #[error("the session settings are not valid: {0}")]
    Settings(String),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("the session store failed")]
    Store(#[from] session_store::Error),
    #[error("a session value could not be encoded or decoded")]
    Value(#[from] serde_json::Error),
    #[error("the session middleware is not installed")]
    NotWired,
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::NotConfigured => ApiError::Unavailable { detail: error.to_string() },
            SessionError::NoSession => ApiError::Unauthorized { detail: "sign in first".into() },
            other => ApiError::internal(other),
        }
    }
}

/// The session machinery, shared by every worker (`web::Data<Sessions>`).
#[derive(Debug)]
pub struct Sessions {
    /// `None`: no key configured, sessions are off.
    store: Option<SqliteSessionStore>,
    cookie_name: String,
    secure: bool,
    idle: Duration,
    absolute: Duration,
}

/// A session made by [`Sessions::issue`]: the record and the cookie value.
pub struct Issued {
    pub cookie_value: String,
    pub record: Record,
}

impl Sessions {
    /// Checks the settings; no keys and no demo key leave sessions off.
    pub fn from_settings(
        settings: &SessionSettings,
        listen: SocketAddr,
        pool: SqlitePool,
    ) -> Result<Self, SessionError> {
        let invalid = |message: &str| Err(SessionError::Settings(message.to_owned()));
        let name = &settings.cookie_name;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return invalid("`session.cookie_name` must be a cookie token (letters, digits, `-`, `_`, …)");
        }
        if settings.idle_minutes == 0 || settings.absolute_hours == 0 {
            return invalid("`session.idle_minutes` and `session.absolute_hours` must be at least 1");
        }
        let loopback = listen.ip().is_loopback();
        let secure = settings.secure.unwrap_or(!loopback);
        if !secure && !loopback {
            return invalid("`session.secure = false` is allowed only when `listen` is a loopback address");
        }
        let keys = match (settings.keys.is_empty(), settings.demo_key) {
            (false, true) => return invalid("`session.demo_key` and `session.keys` exclude each other"),
            (true, false) => None,
            (true, true) => {
                tracing::warn!("sessions use the built-in demo key: anyone can read their data; never outside a demo");
                Some(KeyRing::demo())
            }
            (false, false) => {
                let entries: Vec<&str> = settings.keys.iter().map(|key| key.expose()).collect();
                Some(KeyRing::parse(&entries)?)
            }
        };
        let cookie_name = if secure {
            name.clone()
        } else {
            let bare = name.strip_prefix("__Host-").or_else(|| name.strip_prefix("__Secure-")).unwrap_or(name);
            tracing::warn!(cookie = bare, "session cookies without `Secure` (loopback development only)");
            bare.to_owned()
        };
        if keys.is_none() {
            tracing::info!("no session keys configured (`session.keys`): browser sessions are off");
        }
        Ok(Self {
            store: keys.map(|keys| SqliteSessionStore::new(pool, Arc::new(keys))),
            cookie_name,
            secure,
            idle: Duration::minutes(i64::from(settings.idle_minutes)),
            absolute: Duration::hours(i64::from(settings.absolute_hours)),
        })
    }

    pub fn enabled(&self) -> bool {
        self.store.is_some()
    }

    /// The cookie's name as sent (without `__Host-` when not secure).
    pub fn cookie_name(&self) -> &str {
        &self.cookie_name
    }

    pub fn secure(&self) -> bool {
        self.secure
    }

    pub fn store(&self) -> Result<&SqliteSessionStore, SessionError> {
        self.store.as_ref().ok_or(SessionError::NotConfigured)
    }

    /// When a session started at `created` ends if its last request is at `now`.
    pub fn expiry(&self, created: OffsetDateTime, now: OffsetDateTime) -> OffsetDateTime {
        (now + self.idle).min(created + self.absolute)
    }

    /// Creates a session for `identity` as if signed in at `now`, with a fresh
    /// id and CSRF token. [`start`] uses it; tests and tools may call it
    /// directly (there is no HTTP endpoint that creates sessions).
    pub async fn issue(&self, identity: &Identity, now: OffsetDateTime) -> Result<Issued, SessionError> {
        let store = self.store()?;
        let mut data = HashMap::new();
        data.insert(IDENTITY_KEY.to_owned(), serde_json::to_value(identity)?);
        data.insert(CSRF_KEY.to_owned(), serde_json::Value::String(random_token()?));
        data.insert(CREATED_KEY.to_owned(), serde_json::Value::from(now.unix_timestamp()));
        let mut record = Record { id: new_id()?, data, expiry_date: self.expiry(now, now) };
        store.create(&mut record).await?;
        Ok(Issued { cookie_value: record.id.to_string(), record })
    }

    /// The live session a cookie value names at `now`, or `None`. A session
    /// that cannot be opened (its key left the ring, damaged) is deleted.
    pub async fn load(&self, cookie_value: &str, now: OffsetDateTime) -> Result<Option<Record>, SessionError> {
        let store = self.store()?;
        let Ok(id) = cookie_value.parse::<Id>() else { return Ok(None) };
        let record = match store.load_at(&id, now).await {
            Ok(record) => record,
            Err(session_store::Error::Decode(reason)) => {
                tracing::warn!(%reason, "a session could not be opened; it is ended");
                store.delete(&id).await?;
                return Ok(None);
            }
            Err(error) => return Err(error.into()),
        };
        Ok(record.filter(|record| created(record).is_some_and(|created| created + self.absolute > now)))
    }

    /// Ends every session of `user` (sign out everywhere); the number ended.
    pub async fn end_all(&self, user: &str) -> Result<u64, SessionError> {
        Ok(self.store()?.delete_user(user).await?)
    }

    /// `Set-Cookie` value carrying a session id.
    pub fn set_cookie(&self, value: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{}={value}; Path=/; HttpOnly; SameSite=Lax{secure}", self.cookie_name)
    }

    /// `Set-Cookie` value that removes the cookie.
    pub fn removal_cookie(&self) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax{secure}",
            self.cookie_name
        )
    }

    /// The first value of this session cookie in the request's `Cookie` headers.
    pub fn cookie_value<'a>(&self, headers: &'a actix_web::http::header::HeaderMap) -> Option<&'a str> {
        headers
            .get_all(COOKIE)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.cookie_name)
            .map(|(_, value)| value.trim_matches('"'))
    }
}

fn created(record: &Record) -> Option<OffsetDateTime> {
    record.data.get(CREATED_KEY)?.as_i64().and_then(|unix| OffsetDateTime::from_unix_timestamp(unix).ok())
}

/// 256 random bits, base64url.
fn random_token() -> Result<String, SessionError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| SessionError::Store(session_store::Error::Backend("no random bytes".into())))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// What one request did to its session; the middleware acts on it after the handler.
#[derive(Default)]
struct State {
    /// The live session, if any.
    record: Option<Record>,
    /// The request sent a session cookie.
    cookie_sent: bool,
    /// A new session was started: send its cookie.
    started: Option<String>,
    /// The session was ended (or the cookie named none): remove the cookie.
    ended: bool,
    /// Data changed: save.
    dirty: bool,
    /// Stored expiry to move forward (idle timeout).
    touch: bool,
}

type Shared = Rc<RefCell<State>>;

/// The middleware: loads the session named by the cookie, then saves
/// changes and sets or removes the cookie after the handler.
pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(sessions) = request.app_data::<web::Data<Sessions>>().cloned().filter(|s| s.enabled()) else {
        return next.call(request).await;
    };
    let now = OffsetDateTime::now_utc();
    let mut state = State::default();
    if let Some(value) = sessions.cookie_value(request.headers()) {
        state.cookie_sent = true;
        match sessions.load(value, now).await.map_err(ApiError::from)? {
            Some(mut record) => {
                let created = created(&record).unwrap_or(now);
                let expiry = sessions.expiry(created, now);
                // Written at most once a minute per session.
                if expiry - record.expiry_date >= Duration::MINUTE {
                    record.expiry_date = expiry;
                    state.touch = true;
                }
                state.record = Some(record);
            }
            None => state.ended = true,
        }
    }
    let shared: Shared = Rc::new(RefCell::new(state));
    request.extensions_mut().insert(shared.clone());
    let mut response = next.call(request).await?;

    let (save, set_cookie) = {
        let state = shared.borrow();
        let save = (state.dirty || state.touch).then(|| state.record.clone()).flatten();
        let set_cookie = match (&state.started, state.ended && state.cookie_sent) {
            (Some(value), _) => Some(sessions.set_cookie(value)),
            (None, true) => Some(sessions.removal_cookie()),
            (None, false) => None,
        };
        (save, set_cookie)
    };
    if let Some(record) = save {
        sessions
            .store()
            .map_err(ApiError::from)?
            .save(&record)
            .await
            .map_err(SessionError::from)
            .map_err(ApiError::from)?;
    }
    if let Some(cookie) = set_cookie {
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(SET_COOKIE, value);
        }
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

fn shared(request: &HttpRequest) -> Option<Shared> {
    request.extensions().get::<Shared>().cloned()
}

fn sessions(request: &HttpRequest) -> Result<web::Data<Sessions>, SessionError> {
    let sessions = request.app_data::<web::Data<Sessions>>().cloned().ok_or(SessionError::NotWired)?;
    if !sessions.enabled() {
        return Err(SessionError::NotConfigured);
    }
    Ok(sessions)
}

/// Signs `identity` in: deletes the session the request came with (if any)
/// and starts a new one with a fresh id, sent as the cookie of the response.
/// Read whatever the old session held before calling this.
pub async fn start(request: &HttpRequest, identity: Identity) -> Result<Session, SessionError> {
    let sessions = sessions(request)?;
    let shared = shared(request).ok_or(SessionError::NotWired)?;
    let old = shared.borrow_mut().record.take();
    let store = sessions.store()?;
    if let Some(old) = old {
        store.delete(&old.id).await?;
    }
    let now = OffsetDateTime::now_utc();
    if let Err(error) = store.delete_expired(now).await {
        tracing::warn!(%error, "expired sessions could not be removed");
    }
    let issued = sessions.issue(&identity, now).await?;
    {
        let mut state = shared.borrow_mut();
        state.record = Some(issued.record);
        state.started = Some(issued.cookie_value);
        state.ended = false;
        state.dirty = false;
        state.touch = false;
    }
    Ok(Session { state: Some(shared) })
}

/// Ends the request's session on the server and removes its cookie.
pub async fn sign_out(request: &HttpRequest) -> Result<(), SessionError> {
    let sessions = sessions(request)?;
    let Some(shared) = shared(request) else { return Ok(()) };
    let record = shared.borrow_mut().record.take();
    if let Some(record) = record {
        sessions.store()?.delete(&record.id).await?;
    }
    let mut state = shared.borrow_mut();
    state.started = None;
    state.ended = true;
    Ok(())
}

/// Ends every session of `user`, on every device; when the request's own
/// session is one of them its cookie is removed too. The number ended.
pub async fn sign_out_everywhere(request: &HttpRequest, user: &str) -> Result<u64, SessionError> {
    let sessions = sessions(request)?;
    let ended = sessions.end_all(user).await?;
    if let Some(shared) = shared(request) {
        let mut state = shared.borrow_mut();
        let own = state.record.as_ref().and_then(identity_of).is_some_and(|identity| identity.user == user);
        if own {
            state.record = None;
            state.started = None;
            state.ended = true;
        }
    }
    Ok(ended)
}

fn identity_of(record: &Record) -> Option<Identity> {
    serde_json::from_value(record.data.get(IDENTITY_KEY)?.clone()).ok()
}

/// The request's session (extractor); empty when there is none. Changes are
/// saved after the handler.
pub struct Session {
    state: Option<Shared>,
}

impl FromRequest for Session {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(Ok(Session { state: shared(request) }))
    }
}

impl Session {
    fn read<T>(&self, read: impl FnOnce(&Record) -> Option<T>) -> Option<T> {
        let state = self.state.as_ref()?.borrow();
        state.record.as_ref().and_then(read)
    }

    /// A session is live for this request.
    pub fn is_active(&self) -> bool {
        self.read(|_| Some(())).is_some()
    }

    pub fn identity(&self) -> Option<Identity> {
        self.read(identity_of)
    }

    /// The token unsafe requests must echo in `X-CSRF-Token`.
    pub fn csrf_token(&self) -> Option<String> {
        self.read(|record| record.data.get(CSRF_KEY)?.as_str().map(str::to_owned))
    }

    /// When the session started (sign-in); it ends `absolute_hours` later at the latest.
    pub fn created_at(&self) -> Option<OffsetDateTime> {
        self.read(created)
    }

    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        let Some(value) = self.read(|record| record.data.get(key).cloned()) else { return Ok(None) };
        Ok(Some(serde_json::from_value(value)?))
    }

    /// Stores a value (sealed at rest with the key ring). Keys starting with
    /// `auth.` are the session's own.
    pub fn insert<T: Serialize>(&self, key: &str, value: T) -> Result<(), SessionError> {
        if key.starts_with(RESERVED_PREFIX) {
            return Err(SessionError::Reserved(key.to_owned()));
        }
        let value = serde_json::to_value(value)?;
        let shared = self.state.as_ref().ok_or(SessionError::NoSession)?;
        let mut state = shared.borrow_mut();
        let record = state.record.as_mut().ok_or(SessionError::NoSession)?;
        record.data.insert(key.to_owned(), value);
        state.dirty = true;
        Ok(())
    }

    pub fn remove(&self, key: &str) -> Result<Option<serde_json::Value>, SessionError> {
        if key.starts_with(RESERVED_PREFIX) {
            return Err(SessionError::Reserved(key.to_owned()));
        }
        let Some(shared) = self.state.as_ref() else { return Ok(None) };
        let mut state = shared.borrow_mut();
        let Some(record) = state.record.as_mut() else { return Ok(None) };
        let removed = record.data.remove(key);
        if removed.is_some() {
            state.dirty = true;
        }
        Ok(removed)
    }
}

/// The CSRF token of the request's live session (for the CSRF middleware).
pub(crate) fn request_csrf_token(request: &ServiceRequest) -> Option<Option<String>> {
    let shared = request.extensions().get::<Shared>().cloned()?;
    let state = shared.borrow();
    let record = state.record.as_ref()?;
    Some(record.data.get(CSRF_KEY).and_then(|value| value.as_str()).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SessionKey;

    async fn sessions(settings: &SessionSettings, listen: &str) -> Result<Sessions, SessionError> {
        let pool = sqlx::sqlite::SqlitePoolOptions::new().connect_lazy("sqlite::memory:").expect("pool");
        Sessions::from_settings(settings, listen.parse().expect("address"), pool)
    }

    fn keyed() -> SessionSettings {
        SessionSettings {
            keys: vec![SessionKey(KeyRing::generate_entry("k1").expect("key"))],
            ..SessionSettings::default()
        }
    }

    #[tokio::test]
    async fn secure_is_automatic_and_off_only_on_loopback() {
        let local = sessions(&keyed(), "127.0.0.1:8080").await.expect("valid");
        assert!(!local.secure());
        assert_eq!(local.cookie_name(), "registry-console");
        let public = sessions(&keyed(), "0.0.0.0:8080").await.expect("valid");
        assert!(public.secure());
        assert_eq!(public.cookie_name(), "__Host-registry-console");
        let forced = SessionSettings { secure: Some(false), ..keyed() };
        let error = sessions(&forced, "0.0.0.0:8080").await.expect_err("refused").to_string();
        assert!(error.contains("loopback"), "{error}");
        let local_secure = SessionSettings { secure: Some(true), ..keyed() };
        assert!(sessions(&local_secure, "[::1]:8080").await.expect("valid").secure());
    }

    #[tokio::test]
    async fn no_key_means_no_sessions_and_the_demo_key_must_be_asked_for() {
        let off = sessions(&SessionSettings::default(), "0.0.0.0:1").await.expect("valid");
        assert!(!off.enabled());
        let demo = SessionSettings { demo_key: true, ..SessionSettings::default() };
        assert!(sessions(&demo, "0.0.0.0:1").await.expect("valid").enabled());
        let both = SessionSettings { demo_key: true, ..keyed() };
        assert!(sessions(&both, "0.0.0.0:1").await.is_err());
        let bad = SessionSettings { keys: vec![SessionKey("k1:short".into())], ..SessionSettings::default() };
        assert!(matches!(sessions(&bad, "0.0.0.0:1").await, Err(SessionError::Keys(_))));
        let bad_name = SessionSettings { cookie_name: "a b".into(), ..keyed() };
        assert!(sessions(&bad_name, "0.0.0.0:1").await.is_err());
    }

    #[tokio::test]
    async fn expiry_is_idle_time_capped_by_the_absolute_limit() {
        let s = sessions(&keyed(), "0.0.0.0:1").await.expect("valid");
        let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        assert_eq!(s.expiry(start, start), start + Duration::minutes(30));
        let later = start + Duration::hours(5);
        assert_eq!(s.expiry(start, later), later + Duration::minutes(30));
        let late = start + Duration::hours(11) + Duration::minutes(50);
        assert_eq!(s.expiry(start, late), start + Duration::hours(12));
    }

    #[test]
    fn cookies_carry_the_required_attributes() {
        let s = Sessions {
            store: None,
            cookie_name: "__Host-registry-console".into(),
            secure: true,
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        };
        assert_eq!(s.set_cookie("abc"), "__Host-registry-console=abc; Path=/; HttpOnly; SameSite=Lax; Secure");
        assert!(s.removal_cookie().starts_with("__Host-registry-console=; Path=/; Max-Age=0;"));
        let mut headers = actix_web::http::header::HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("other=1; __Host-registry-console=abc"));
        assert_eq!(s.cookie_value(&headers), Some("abc"));
    }
}
