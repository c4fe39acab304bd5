//! Browser sessions, CSRF and the return path: the real console on port 0
//! with session keys, plus a small server with stand-in sign-in routes that
//! call the session API the sign-in flows will use.

use std::net::SocketAddr;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use registry_console::auth::keys::KeyRing;
use registry_console::auth::session::{self, Identity, Session, Sessions};
use registry_console::auth::{csrf, return_to};
use registry_console::config::{LogFormat, LogSettings, SessionKey, SessionSettings, Settings};
use registry_console::db;
use registry_console::startup::Application;
use time::{Duration, OffsetDateTime};

fn key(id: &str) -> SessionKey {
    SessionKey(KeyRing::generate_entry(id).expect("random key"))
}

fn session_settings(keys: Vec<SessionKey>, secure: Option<bool>) -> SessionSettings {
    SessionSettings { keys, secure, ..SessionSettings::default() }
}

struct Console {
    address: SocketAddr,
    client: reqwest::Client,
    database_url: String,
    db_file: std::path::PathBuf,
    /// The same settings on the same database, to issue sessions as sign-in would.
    sessions: Sessions,
}

impl Console {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    async fn issue(&self, user: &str, at: OffsetDateTime) -> (String, String) {
        let issued = self.sessions.issue(&identity(user), at).await.expect("session issued");
        let csrf = issued.record.data["auth.csrf"].as_str().expect("csrf token").to_owned();
        (format!("{}={}", self.sessions.cookie_name(), issued.cookie_value), csrf)
    }

    /// Every byte the database keeps (the file and its write-ahead log).
    fn database_bytes(&self) -> Vec<u8> {
        let mut bytes = std::fs::read(&self.db_file).expect("database file");
        let mut wal = self.db_file.clone().into_os_string();
        wal.push("-wal");
        bytes.extend(std::fs::read(wal).unwrap_or_default());
        bytes
    }

    async fn expires_at(&self) -> Vec<i64> {
        let pool = db::connect(&self.database_url).await.expect("database");
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT expires_at FROM sessions").fetch_all(&pool).await.expect("rows");
        rows.into_iter().map(|(at,)| at).collect()
    }
}

fn identity(user: &str) -> Identity {
    Identity { user: user.into(), groups: vec!["developers".into()] }
}

async fn sessions_for(settings: &SessionSettings, listen: SocketAddr, database_url: &str) -> Sessions {
    let pool = db::connect(database_url).await.expect("database");
    Sessions::from_settings(settings, listen, pool).expect("session settings")
}

/// The real console, on `dir`'s database.
async fn console(dir: &tempfile::TempDir, session: SessionSettings) -> Console {
    let db_file = dir.path().join("console.db");
    let database_url = format!("sqlite://{}", db_file.display());
    let settings = Settings {
        listen: "127.0.0.1:0".parse().expect("literal address"),
        database_url: database_url.clone(),
        web_root: dir.path().join("no-web"),
        shutdown_timeout_seconds: 1,
        log: LogSettings { format: LogFormat::Text, filter: "warn".into() },
        session: session.clone(),
        ..Settings::default()
    };
    let app = Application::build(settings).await.expect("server starts");
    let address = app.address();
    tokio::spawn(app.run());
    let sessions = sessions_for(&session, address, &database_url).await;
    let client = reqwest::Client::builder().no_gzip().no_brotli().build().expect("client");
    Console { address, client, database_url, db_file, sessions }
}

/// A server with stand-in sign-in routes on the session API.
async fn sign_in_server(dir: &tempfile::TempDir, session: SessionSettings) -> Console {
    let db_file = dir.path().join("console.db");
    let database_url = format!("sqlite://{}", db_file.display());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let shared = web::Data::new(sessions_for(&session, address, &database_url).await);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .wrap(from_fn(csrf::protect))
            .wrap(from_fn(session::middleware))
            .route("/callback", web::get().to(callback))
            .route("/me", web::get().to(me))
            .route("/token", web::post().to(put_token))
            .route("/sign-out", web::post().to(sign_out))
            .route("/sign-out-everywhere", web::post().to(sign_out_everywhere))
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .disable_signals()
    .run();
    tokio::spawn(server);
    let sessions = sessions_for(&session, address, &database_url).await;
    let client = reqwest::Client::builder().build().expect("client");
    Console { address, client, database_url, db_file, sessions }
}

#[derive(serde::Deserialize)]
struct Who {
    user: String,
}

/// Stands in for an OIDC/OAuth callback: the identity is taken as given.
async fn callback(request: HttpRequest, query: web::Query<Who>) -> actix_web::Result<HttpResponse> {
    let session = session::start(&request, identity(&query.user)).await.map_err(api)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "csrf": session.csrf_token() })))
}

async fn me(session: Session) -> HttpResponse {
    match session.identity() {
        Some(identity) => HttpResponse::Ok().json(serde_json::json!({
            "user": identity.user,
            "token": session.get::<String>("token").ok().flatten(),
        })),
        None => HttpResponse::Unauthorized().finish(),
    }
}

async fn put_token(session: Session, body: String) -> actix_web::Result<HttpResponse> {
    session.insert("token", body).map_err(api)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn sign_out(request: HttpRequest) -> actix_web::Result<HttpResponse> {
    session::sign_out(&request).await.map_err(api)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn sign_out_everywhere(request: HttpRequest, session: Session) -> actix_web::Result<HttpResponse> {
    let user = session.identity().map(|identity| identity.user).unwrap_or_default();
    let ended = session::sign_out_everywhere(&request, &user).await.map_err(api)?;
    Ok(HttpResponse::Ok().json(ended))
}

fn api(error: session::SessionError) -> actix_web::Error {
    registry_console::error::ApiError::from(error).into()
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response.headers().get_all("set-cookie").iter().map(|v| v.to_str().expect("ascii").to_owned()).collect()
}

/// `name=value` of the session cookie a response sets.
fn cookie_pair(response: &reqwest::Response) -> String {
    let cookies = set_cookies(response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    cookies[0].split(';').next().expect("pair").to_owned()
}

fn is_removal(cookie: &str) -> bool {
    cookie.contains("Max-Age=0")
}

async fn csrf_reason(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem: model::Problem = response.json().await.expect("problem");
    assert_eq!(problem.kind, csrf::PROBLEM_TYPE);
    problem.extensions["reason"].as_str().expect("reason").to_owned()
}

#[tokio::test]
async fn the_cookie_is_host_only_httponly_secure_and_lax() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = sign_in_server(&dir, session_settings(vec![key("k1")], Some(true))).await;
    let response = server.client.get(server.url("/callback?user=alice")).send().await.expect("answer");
    assert_eq!(response.status(), 200);
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    assert!(cookie.starts_with("__Host-registry-console="), "{cookie}");
    let attributes: Vec<&str> = cookie.split("; ").skip(1).collect();
    assert_eq!(attributes, ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"], "{cookie}");
    assert!(!cookie.to_lowercase().contains("domain"), "{cookie}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    // The value is opaque: 128 random bits, nothing else.
    let value = cookie.split(';').next().and_then(|pair| pair.split_once('=')).expect("pair").1;
    assert_eq!(value.len(), 22, "{value}");
}

#[tokio::test]
async fn on_loopback_without_tls_the_cookie_is_not_secure_and_drops_the_prefix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = sign_in_server(&dir, session_settings(vec![key("k1")], None)).await;
    let response = server.client.get(server.url("/callback?user=alice")).send().await.expect("answer");
    let cookie = &set_cookies(&response)[0];
    assert!(cookie.starts_with("registry-console="), "{cookie}");
    assert!(cookie.ends_with("; Path=/; HttpOnly; SameSite=Lax"), "{cookie}");
}

#[tokio::test]
async fn requests_without_a_session_cookie_are_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let console = console(&dir, session_settings(vec![key("k1")], None)).await;
    let response = console.client.get(console.url("/api/v1/health")).send().await.expect("answer");
    assert_eq!(response.status(), 200);
    assert!(set_cookies(&response).is_empty());
    // An API client's unsafe request: no CSRF check, the handler answers as before.
    let response = console
        .client
        .post(console.url("/api/v1/plans"))
        .bearer_auth("sha256~api-client")
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("answer");
    assert_ne!(response.status(), 403);
    assert!(set_cookies(&response).is_empty());
    let problem: model::Problem = response.json().await.expect("problem");
    assert_ne!(problem.kind, csrf::PROBLEM_TYPE);
}

#[tokio::test]
async fn cookie_authenticated_unsafe_requests_need_the_token_and_the_same_origin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let console = console(&dir, session_settings(vec![key("k1")], None)).await;
    let (cookie, token) = console.issue("alice", OffsetDateTime::now_utc()).await;
    let post =
        || console.client.post(console.url("/api/v1/plans")).header("cookie", &cookie).json(&serde_json::json!({}));
    let origin = console.origin();

    let cases = [
        (post().header("origin", &origin), "csrf-token-missing"),
        (post().header("origin", &origin).header("x-csrf-token", "not-the-token"), "csrf-token-mismatch"),
        (post().header("origin", &origin).header("x-csrf-token", ""), "csrf-token-missing"),
        (post().header("origin", "https://evil.example").header("x-csrf-token", &token), "cross-origin"),
        (post().header("origin", "null").header("x-csrf-token", &token), "cross-origin"),
        (post().header("sec-fetch-site", "cross-site").header("x-csrf-token", &token), "cross-site"),
        (
            post().header("origin", &origin).header("sec-fetch-site", "same-site").header("x-csrf-token", &token),
            "cross-site",
        ),
        (post().header("x-csrf-token", &token), "origin-missing"),
        // A bearer header does not exempt a request that also carries the cookie.
        (post().bearer_auth("sha256~x").header("x-csrf-token", &token), "origin-missing"),
    ];
    for (request, expected) in cases {
        let response = request.send().await.expect("answer");
        assert_eq!(csrf_reason(response).await, expected);
    }

    for request in [
        post().header("origin", &origin).header("x-csrf-token", &token),
        post().header("sec-fetch-site", "same-origin").header("x-csrf-token", &token),
        post().header("origin", &origin).header("sec-fetch-site", "same-origin").header("x-csrf-token", &token),
    ] {
        let response = request.send().await.expect("answer");
        // Past the CSRF check: the plans handler answers (here: no cluster credential).
        assert_ne!(response.status(), 403);
        let problem: model::Problem = response.json().await.expect("problem");
        assert_ne!(problem.kind, csrf::PROBLEM_TYPE, "{problem:?}");
    }

    // Safe methods are never checked.
    let response = console.client.get(console.url("/api/v1/health")).header("cookie", &cookie).send().await;
    assert_eq!(response.expect("answer").status(), 200);
}

#[tokio::test]
async fn the_database_holds_neither_the_session_id_nor_the_tokens_in_clear() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = sign_in_server(&dir, session_settings(vec![key("k1")], None)).await;
    let response = server.client.get(server.url("/callback?user=alice")).send().await.expect("answer");
    let cookie = cookie_pair(&response);
    let csrf: serde_json::Value = response.json().await.expect("json");
    let csrf = csrf["csrf"].as_str().expect("csrf").to_owned();
    let secret = "sha256~the-users-cluster-token-0123456789";
    let response = server
        .client
        .post(server.url("/token"))
        .header("cookie", &cookie)
        .header("origin", server.origin())
        .header("x-csrf-token", &csrf)
        .body(secret)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 204);
    let me: serde_json::Value = server
        .client
        .get(server.url("/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(me["user"], "alice");
    assert_eq!(me["token"], secret);

    let bytes = server.database_bytes();
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|window| window == needle);
    let id = cookie.split_once('=').expect("pair").1;
    let raw_id: tower_sessions_core::session::Id = id.parse().expect("id");
    assert!(contains(b"alice"), "the user name is kept for sign-out everywhere");
    assert!(!contains(id.as_bytes()), "session id in clear");
    assert!(!contains(&raw_id.0.to_le_bytes()), "session id bytes in clear");
    assert!(!contains(secret.as_bytes()), "token in clear");
    assert!(!contains(b"the-users-cluster-token"), "token in clear");
    assert!(!contains(csrf.as_bytes()), "CSRF token in clear");
}

#[tokio::test]
async fn sessions_survive_a_new_first_key_and_end_cleanly_without_their_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old = key("old");
    let first = console(&dir, session_settings(vec![old.clone()], None)).await;
    let (cookie, _) = first.issue("alice", OffsetDateTime::now_utc()).await;

    let rotated = console(&dir, session_settings(vec![key("new"), old], None)).await;
    // The session still opens: the CSRF token is checked against it, and nothing is removed.
    let response = rotated
        .client
        .post(rotated.url("/api/v1/plans"))
        .header("cookie", &cookie)
        .header("origin", rotated.origin())
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("answer");
    assert_eq!(csrf_reason(response).await, "csrf-token-missing");
    let response = rotated.client.get(rotated.url("/healthz")).header("cookie", &cookie).send().await.expect("answer");
    assert!(set_cookies(&response).is_empty());

    let without = console(&dir, session_settings(vec![key("other")], None)).await;
    let response = without.client.get(without.url("/healthz")).header("cookie", &cookie).send().await.expect("answer");
    assert_eq!(response.status(), 200);
    let cookies = set_cookies(&response);
    assert!(cookies.len() == 1 && is_removal(&cookies[0]), "{cookies:?}");
    assert!(without.expires_at().await.is_empty(), "the unreadable session is deleted");
}

#[tokio::test]
async fn idle_sessions_end_and_active_ones_move_their_expiry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = console(&dir, session_settings(vec![key("k1")], None)).await;
    let now = OffsetDateTime::now_utc();
    let (idle, _) = app.issue("alice", now - Duration::minutes(31)).await;
    let response = app.client.get(app.url("/healthz")).header("cookie", &idle).send().await.expect("answer");
    let cookies = set_cookies(&response);
    assert!(cookies.len() == 1 && is_removal(&cookies[0]), "{cookies:?}");
    assert!(app.expires_at().await.iter().all(|&at| at <= now.unix_timestamp()));

    // Twenty minutes idle: the request moves the end to thirty minutes from now.
    let dir = tempfile::tempdir().expect("temp dir");
    let app = console(&dir, session_settings(vec![key("k1")], None)).await;
    let (active, _) = app.issue("alice", now - Duration::minutes(20)).await;
    let before = app.expires_at().await;
    assert!(before[0] <= (now + Duration::minutes(10)).unix_timestamp() + 1, "{before:?}");
    let response = app.client.get(app.url("/healthz")).header("cookie", &active).send().await.expect("answer");
    assert!(set_cookies(&response).is_empty());
    let after = app.expires_at().await;
    assert!(after[0] >= (now + Duration::minutes(29)).unix_timestamp(), "{after:?}");
}

#[tokio::test]
async fn sessions_end_at_the_absolute_limit_however_active() {
    let dir = tempfile::tempdir().expect("temp dir");
    let console = console(&dir, session_settings(vec![key("k1")], None)).await;
    let now = OffsetDateTime::now_utc();
    // Signed in 11 h 50 min ago and active: the end stays at 12 h after sign-in.
    let started = now - Duration::hours(11) - Duration::minutes(50);
    let (active, _) = console.issue("alice", started).await;
    // … and active since: its last request 25 minutes ago (idle end in 5 minutes).
    let pool = db::connect(&console.database_url).await.expect("database");
    sqlx::query("UPDATE sessions SET expires_at = ?")
        .bind((now + Duration::minutes(5)).unix_timestamp())
        .execute(&pool)
        .await
        .expect("update");
    let response = console.client.get(console.url("/healthz")).header("cookie", &active).send().await.expect("answer");
    assert!(set_cookies(&response).is_empty());
    let limit = (started + Duration::hours(12)).unix_timestamp();
    // The request moved the end forward, but only up to the absolute limit.
    assert_eq!(console.expires_at().await, [limit]);

    let (expired, _) = console.issue("bob", now - Duration::hours(12) - Duration::seconds(1)).await;
    let response = console.client.get(console.url("/healthz")).header("cookie", &expired).send().await.expect("answer");
    let cookies = set_cookies(&response);
    assert!(cookies.len() == 1 && is_removal(&cookies[0]), "{cookies:?}");
}

#[tokio::test]
async fn sign_in_always_draws_a_new_id_and_ends_the_one_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = sign_in_server(&dir, session_settings(vec![key("k1")], None)).await;
    // An id planted by an attacker, and a live session of someone else.
    for planted in [
        "registry-console=AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        server.issue("mallory", OffsetDateTime::now_utc()).await.0,
    ] {
        let response = server
            .client
            .get(server.url("/callback?user=alice"))
            .header("cookie", &planted)
            .send()
            .await
            .expect("answer");
        let fresh = cookie_pair(&response);
        assert_ne!(fresh, planted);
        let me = server.client.get(server.url("/me")).header("cookie", &fresh).send().await.expect("answer");
        assert_eq!(me.json::<serde_json::Value>().await.expect("json")["user"], "alice");
        let old = server.client.get(server.url("/me")).header("cookie", &planted).send().await.expect("answer");
        assert_eq!(old.status(), 401, "the old id must not work");
    }
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = sign_in_server(&dir, session_settings(vec![key("k1")], None)).await;
    let (cookie, token) = server.issue("alice", OffsetDateTime::now_utc()).await;
    let response = server
        .client
        .post(server.url("/sign-out"))
        .header("cookie", &cookie)
        .header("origin", server.origin())
        .header("x-csrf-token", &token)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 204);
    let cookies = set_cookies(&response);
    assert!(cookies.len() == 1 && is_removal(&cookies[0]), "{cookies:?}");
    // A copy of the old cookie no longer works.
    let me = server.client.get(server.url("/me")).header("cookie", &cookie).send().await.expect("answer");
    assert_eq!(me.status(), 401);
    assert!(server.expires_at().await.is_empty());
}

#[tokio::test]
async fn sign_out_everywhere_ends_all_of_a_users_sessions_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = sign_in_server(&dir, session_settings(vec![key("k1")], None)).await;
    let now = OffsetDateTime::now_utc();
    let (laptop, token) = server.issue("alice", now).await;
    let (phone, _) = server.issue("alice", now).await;
    let (bob, _) = server.issue("bob", now).await;
    let response = server
        .client
        .post(server.url("/sign-out-everywhere"))
        .header("cookie", &laptop)
        .header("origin", server.origin())
        .header("x-csrf-token", &token)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    assert!(is_removal(&set_cookies(&response)[0]));
    assert_eq!(response.json::<u64>().await.expect("count"), 2);
    for (cookie, status) in [(&laptop, 401), (&phone, 401), (&bob, 200)] {
        let me = server.client.get(server.url("/me")).header("cookie", cookie).send().await.expect("answer");
        assert_eq!(me.status(), status, "{cookie}");
    }
}

#[tokio::test]
async fn bearer_clients_of_the_sign_in_server_are_unaffected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = sign_in_server(&dir, session_settings(vec![key("k1")], None)).await;
    let response = server.client.post(server.url("/sign-out")).bearer_auth("sha256~api").send().await.expect("answer");
    assert_eq!(response.status(), 204);
    assert!(set_cookies(&response).is_empty());
}

#[test]
fn return_paths_are_local_only() {
    let good = ["/", "/registry", "/registry/storage?tab=s3", "/plans/abc#apply", "/search?q=%2Fetc"];
    let evil = [
        "//evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "https://evil.example",
        "http:evil.example",
        "/%2F%2Fevil.example",
        "/%2f/evil.example",
        "/%5C%5Cevil.example",
        "/%252F%252Fevil.example",
        "javascript:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "/\t/evil.example",
        "/\r\n/evil.example",
        "/%0D%0ASet-Cookie:x=y",
        "evil.example",
        "",
    ];
    for path in good {
        assert_eq!(return_to::local_path(path), Some(path), "{path}");
    }
    for path in evil {
        assert_eq!(return_to::local_path(path), None, "{path:?}");
        assert_eq!(return_to::or_home(Some(path)), "/");
    }
}
