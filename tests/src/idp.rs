//! The test identity provider (`tests/idp/server.mjs`, see its README): an
//! OpenID provider (npm `oidc-provider`), OpenShift-style OAuth issuing opaque
//! `sha256~` tokens, and the TokenReview webhook that accepts those tokens
//! until they are deleted. HTTPS with a CA it generates into a temporary
//! directory; stopped when the [`Idp`] is dropped (its stdin closes).
//!
//! [`Idp::start`] runs `node server.mjs` from `$E2E_IDP_DIR`, else the
//! repository's `tests/idp` (whose `node_modules` `cargo xtask test` installs).
//! The sign-in helpers drive the flows as a plain HTTP client (a cookie jar,
//! redirects followed by hand, the login form submitted), so tests can get real
//! tokens for the test users without a browser.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::cluster::User;

/// What kind of client the provider registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    /// An OpenID Connect client of `oidc-provider` (code flow, PKCE, refresh tokens).
    Oidc,
    /// An OpenShift-style OAuth client (`/oauth/authorize`, `sha256~` tokens).
    OpenShift,
}

/// A client registered at start.
#[derive(Clone, Debug)]
pub struct IdpClient {
    pub id: String,
    /// `None`: a public client (PKCE only).
    pub secret: Option<String>,
    pub redirect_uri: String,
    pub post_logout_redirect_uri: Option<String>,
    pub kind: ClientKind,
    /// This client's ID token lifetime in seconds (default: the provider's `--id-token-ttl`).
    pub id_token_ttl: Option<u64>,
}

impl IdpClient {
    pub fn oidc(id: &str, secret: Option<&str>, redirect_uri: &str) -> Self {
        Self {
            id: id.to_owned(),
            secret: secret.map(str::to_owned),
            redirect_uri: redirect_uri.to_owned(),
            post_logout_redirect_uri: None,
            kind: ClientKind::Oidc,
            id_token_ttl: None,
        }
    }

    pub fn openshift(id: &str, secret: Option<&str>, redirect_uri: &str) -> Self {
        Self { kind: ClientKind::OpenShift, ..Self::oidc(id, secret, redirect_uri) }
    }

    fn to_json(&self) -> Value {
        let mut client = json!({
            "clientId": self.id,
            "redirectUris": [self.redirect_uri],
            "type": match self.kind { ClientKind::Oidc => "oidc", ClientKind::OpenShift => "openshift" },
        });
        if let Some(secret) = &self.secret {
            client["clientSecret"] = json!(secret);
        }
        if let Some(uri) = &self.post_logout_redirect_uri {
            client["postLogoutRedirectUris"] = json!([uri]);
        }
        if let Some(ttl) = self.id_token_ttl {
            client["idTokenTtl"] = json!(ttl);
        }
        client
    }
}

/// A test user's password at the test provider.
pub fn password(user: User) -> String {
    format!("{}-password", user.name())
}

/// A running `node tests/idp/server.mjs`.
pub struct Idp {
    pub issuer: String,
    /// The CA that signed the provider's certificate (PEM file).
    pub ca_file: PathBuf,
    pub port: u16,
    ca_pem: Vec<u8>,
    child: Child,
    /// Held open: the provider exits when it closes.
    stdin: Option<ChildStdin>,
    dir: tempfile::TempDir,
}

/// Tokens from the OpenID provider's token endpoint.
#[derive(Clone, Debug)]
pub struct OidcTokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<u64>,
    /// The whole token response.
    pub response: Value,
}

/// How a sign-in ended: with the result, or refused at the login form.
#[derive(Debug)]
pub enum SignIn<T> {
    Accepted(T),
    /// The login form answered `status` and showed `message`.
    Refused {
        status: u16,
        message: String,
    },
}

impl<T> SignIn<T> {
    /// The result; panics if the login was refused.
    pub fn accepted(self) -> T {
        match self {
            SignIn::Accepted(value) => value,
            SignIn::Refused { status, message } => {
                panic!("test identity provider refused the login ({status}): {message}")
            }
        }
    }
}

impl Idp {
    /// Starts the provider with `clients` and default token lifetimes.
    pub fn start(clients: &[IdpClient]) -> Idp {
        Idp::start_with(clients, &[])
    }

    /// Starts the provider with extra arguments (`--access-token-ttl 5`, …).
    /// Panics naming the part and the reason when it cannot start.
    pub fn start_with(clients: &[IdpClient], args: &[&str]) -> Idp {
        let script_dir = idp_dir();
        let script = script_dir.join("server.mjs");
        assert!(script.is_file(), "test identity provider: {} is missing", script.display());
        assert!(
            script_dir.join("node_modules/oidc-provider").is_dir(),
            "test identity provider: its npm packages are not installed in {}: run `cargo xtask test` \
             (which installs them), or `npm ci` there",
            script_dir.display()
        );
        let dir = tempfile::tempdir().expect("test identity provider: temp dir");
        let stderr_path = dir.path().join("idp.stderr");
        let stderr = std::fs::File::create(&stderr_path)
            .unwrap_or_else(|e| panic!("test identity provider: cannot create {}: {e}", stderr_path.display()));
        let mut command = Command::new("node");
        command.arg(&script).arg("--tls-dir").arg(dir.path().join("tls"));
        for client in clients {
            command.arg("--client").arg(client.to_json().to_string());
        }
        let mut child = command
            .args(args)
            .current_dir(&script_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "test identity provider: cannot start `node {}` (is Node.js 20+ installed?): {e}",
                    script.display()
                )
            });
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("test identity provider: no stdout pipe");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            for _ in lines.map_while(Result::ok) {}
        });
        let fail = |child: &mut Child, why: String| -> ! {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(25)..].join("\n");
            panic!(
                "test identity provider (node {}) did not start: {why}\n--- its stderr ---\n{tail}",
                script.display()
            );
        };
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => fail(&mut child, "no ready line within 60 s".into()),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                fail(&mut child, format!("it exited ({status}) without a ready line"))
            }
        };
        let ready: Value = match serde_json::from_str(&line) {
            Ok(value) => value,
            Err(e) => fail(&mut child, format!("unreadable ready line ({e}): {line}")),
        };
        if ready["ready"] != true {
            let error = ready["error"].as_str().unwrap_or("no error given").to_owned();
            fail(&mut child, error);
        }
        let ca_file = PathBuf::from(ready["caFile"].as_str().unwrap_or_default());
        let ca_pem = match std::fs::read(&ca_file) {
            Ok(pem) => pem,
            Err(e) => fail(&mut child, format!("cannot read its CA {}: {e}", ca_file.display())),
        };
        Idp {
            issuer: ready["issuer"].as_str().unwrap_or_default().to_owned(),
            port: ready["port"].as_u64().and_then(|p| u16::try_from(p).ok()).unwrap_or_default(),
            ca_file,
            ca_pem,
            child,
            stdin,
            dir,
        }
    }

    /// `issuer` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The provider's CA certificate (PEM).
    pub fn ca_pem(&self) -> &[u8] {
        &self.ca_pem
    }

    /// The provider's own log (stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("idp.stderr")).unwrap_or_default()
    }

    /// An HTTPS client trusting only the provider's CA, with an empty cookie jar.
    pub fn session(&self) -> Session {
        Session::new(&self.ca_pem)
    }

    /// `GET` a JSON document (discovery, JWKS), panicking unless 200.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.session().get(&self.url(path)).await;
        assert_eq!(response.status, 200, "test identity provider: GET {path}: {}", response.body);
        response.json()
    }

    /// The authorization-code flow with PKCE at the OpenID provider, as a
    /// plain HTTP client: authorize, the login form, the token endpoint.
    /// Scopes `openid profile email groups offline_access`.
    pub async fn sign_in_oidc(&self, client: &IdpClient, user: &str, password: &str) -> SignIn<OidcTokens> {
        self.sign_in_oidc_in(&self.session(), client, user, password).await
    }

    /// [`Idp::sign_in_oidc`] in `session`, whose cookies then hold the provider's sign-in session.
    pub async fn sign_in_oidc_in(
        &self,
        session: &Session,
        client: &IdpClient,
        user: &str,
        password: &str,
    ) -> SignIn<OidcTokens> {
        let discovery = self.get_json("/.well-known/openid-configuration").await;
        let nonce = random_token();
        let scope = "openid profile email groups offline_access";
        let response = match code_flow(session, &discovery, client, scope, Some(&nonce), user, password).await {
            SignIn::Accepted(response) => response,
            SignIn::Refused { status, message } => return SignIn::Refused { status, message },
        };
        let tokens = oidc_tokens(response);
        let claims = jwt_claims(&tokens.id_token);
        assert_eq!(claims["nonce"], json!(nonce), "test identity provider: the ID token's nonce");
        SignIn::Accepted(tokens)
    }

    /// RP-initiated logout in `session` (signed in with [`Idp::sign_in_oidc_in`]):
    /// the end-session endpoint with the ID token as hint, its confirmation
    /// form submitted. Returns the redirect to the client's post-logout URI
    /// (with `state=signed-out`), or the URL of the provider's own "signed out"
    /// page when the client has none.
    pub async fn sign_out_oidc(&self, session: &Session, client: &IdpClient, id_token: &str) -> String {
        let discovery = self.get_json("/.well-known/openid-configuration").await;
        let mut end = url::Url::parse(discovery["end_session_endpoint"].as_str().unwrap_or_default())
            .expect("test identity provider: end_session_endpoint");
        end.query_pairs_mut().append_pair("id_token_hint", id_token).append_pair("client_id", &client.id);
        if let Some(uri) = &client.post_logout_redirect_uri {
            end.query_pairs_mut().append_pair("post_logout_redirect_uri", uri).append_pair("state", "signed-out");
        }
        let stop = client.post_logout_redirect_uri.as_deref().unwrap_or("\u{0}");
        let page = session.get(end.as_str()).await;
        assert_eq!(page.status, 200, "test identity provider: the end-session page {}: {}", page.url, page.body);
        let submitted = session.submit(&page, &[]).await;
        match session.follow(submitted, stop).await {
            Err(redirect) => redirect,
            Ok(page) => {
                assert_eq!(page.status, 200, "test identity provider: after signing out, {}: {}", page.url, page.body);
                page.url
            }
        }
    }

    /// The refresh-token grant: new tokens, or the error answer.
    pub async fn refresh(&self, client: &IdpClient, refresh_token: &str) -> Result<OidcTokens, Value> {
        let discovery = self.get_json("/.well-known/openid-configuration").await;
        let token_endpoint = discovery["token_endpoint"].as_str().unwrap_or_default();
        let response = self
            .session()
            .post_form(token_endpoint, client, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
            .await;
        if response.status == 200 { Ok(oidc_tokens(response.json())) } else { Err(response.json()) }
    }

    /// OpenShift's flow: discovery at `/.well-known/oauth-authorization-server`,
    /// `/oauth/authorize` with PKCE and scope `user:full`, the login form, the
    /// token endpoint. Returns the `sha256~` access token.
    pub async fn sign_in_openshift(&self, client: &IdpClient, user: &str, password: &str) -> SignIn<String> {
        let metadata = self.get_json("/.well-known/oauth-authorization-server").await;
        let session = self.session();
        let response = match code_flow(&session, &metadata, client, "user:full", None, user, password).await {
            SignIn::Accepted(response) => response,
            SignIn::Refused { status, message } => return SignIn::Refused { status, message },
        };
        let token = response["access_token"].as_str().unwrap_or_default().to_owned();
        SignIn::Accepted(token)
    }

    /// `POST /tokenreview` as kube-apiserver's webhook authenticator sends it;
    /// returns the answer's `status`.
    pub async fn token_review(&self, token: &str) -> Value {
        let review = json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": {"token": token},
        });
        let response = self
            .session()
            .send("POST", &self.url("/tokenreview"), &[], Some(("application/json", review.to_string())))
            .await;
        assert_eq!(response.status, 200, "test identity provider: /tokenreview: {}", response.body);
        let answer = response.json();
        assert_eq!(answer["kind"], "TokenReview", "test identity provider: /tokenreview answered {answer}");
        answer["status"].clone()
    }

    /// `DELETE /tokens/<name>`: revokes a `sha256~` token; returns the status.
    pub async fn delete_token(&self, token: &str) -> u16 {
        self.session().send("DELETE", &self.url(&format!("/tokens/{}", token_name(token))), &[], None).await.status
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        self.stdin.take();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// OpenShift's name of an access token's object: `sha256~` +
/// base64url-nopad(SHA-256(token without its `sha256~` prefix)).
pub fn token_name(token: &str) -> String {
    let secret = token.strip_prefix("sha256~").unwrap_or(token);
    format!("sha256~{}", URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes())))
}

/// The (unverified) claims of a JWT.
pub fn jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap_or_else(|| panic!("not a JWT: {jwt}"));
    let bytes = URL_SAFE_NO_PAD.decode(payload).unwrap_or_else(|e| panic!("JWT payload is not base64url: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JWT payload is not JSON: {e}"))
}

fn oidc_tokens(response: Value) -> OidcTokens {
    let text = |key: &str| response[key].as_str().map(str::to_owned);
    OidcTokens {
        id_token: text("id_token").unwrap_or_else(|| panic!("test identity provider: no id_token in {response}")),
        access_token: text("access_token")
            .unwrap_or_else(|| panic!("test identity provider: no access_token in {response}")),
        refresh_token: text("refresh_token"),
        expires_in: response["expires_in"].as_u64(),
        response,
    }
}

fn idp_dir() -> PathBuf {
    std::env::var_os("E2E_IDP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("idp"))
}

/// 32 random bytes, base64url: PKCE verifiers, state, nonces.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("test identity provider: read /dev/urandom");
    URL_SAFE_NO_PAD.encode(bytes)
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn query_of(url: &str) -> BTreeMap<String, String> {
    url::Url::parse(url).map(|u| u.query_pairs().into_owned().collect()).unwrap_or_default()
}

/// An answer: status, headers and body text.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
    /// The URL that answered.
    pub url: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn location(&self) -> Option<String> {
        let location = self.headers.get(http::header::LOCATION)?.to_str().ok()?;
        url::Url::parse(&self.url).ok()?.join(location).ok().map(String::from)
    }
}

/// An HTTPS client trusting the provider's CA, with one cookie jar (cookies
/// sent to every path of the one host it talks to) and no automatic redirects.
pub struct Session {
    client: hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    jar: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Session {
    fn new(ca_pem: &[u8]) -> Self {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject as _;

        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem) {
            let cert = cert.unwrap_or_else(|e| panic!("test identity provider: its CA is not PEM: {e}"));
            roots.add(cert).unwrap_or_else(|e| panic!("test identity provider: its CA is not usable: {e}"));
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector =
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config).https_or_http().enable_http1().build();
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        Self { client, jar: Arc::default() }
    }

    pub async fn get(&self, url: &str) -> Response {
        self.send("GET", url, &[], None).await
    }

    /// One request, without following redirects; cookies sent and stored.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, String)>,
    ) -> Response {
        let mut request = http::Request::builder().method(method).uri(url);
        let cookie = {
            let jar = self.jar.lock().unwrap_or_else(|p| p.into_inner());
            jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
        };
        if !cookie.is_empty() {
            request = request.header(http::header::COOKIE, cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some((content_type, body)) => {
                request = request.header(http::header::CONTENT_TYPE, content_type);
                Full::new(Bytes::from(body))
            }
            None => Full::new(Bytes::new()),
        };
        let request =
            request.body(body).unwrap_or_else(|e| panic!("test identity provider: request {method} {url}: {e}"));
        let response = tokio::time::timeout(Duration::from_secs(30), self.client.request(request))
            .await
            .unwrap_or_else(|_| panic!("test identity provider: {method} {url}: no answer within 30 s"))
            .unwrap_or_else(|e| panic!("test identity provider: {method} {url}: {e:?}"));
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        {
            let mut jar = self.jar.lock().unwrap_or_else(|p| p.into_inner());
            for set in parts.headers.get_all(http::header::SET_COOKIE) {
                let Ok(set) = set.to_str() else { continue };
                let pair = set.split(';').next().unwrap_or_default();
                let Some((name, value)) = pair.split_once('=') else { continue };
                let expired = set.to_ascii_lowercase().contains("max-age=0") || set.contains("1970");
                if value.is_empty() || expired {
                    jar.remove(name.trim());
                } else {
                    jar.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
        Response {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            url: url.to_owned(),
        }
    }

    /// Follows redirects from `response` (GET) until an answer that is not a
    /// redirect, or a redirect to a URL starting with `stop` (returned as `Err`).
    pub async fn follow(&self, mut response: Response, stop: &str) -> Result<Response, String> {
        for _ in 0..20 {
            if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
                return Ok(response);
            }
            let location = response
                .location()
                .unwrap_or_else(|| panic!("test identity provider: redirect without a Location from {}", response.url));
            if location.starts_with(stop) {
                return Err(location);
            }
            response = self.get(&location).await;
        }
        panic!("test identity provider: more than 20 redirects, last {}", response.url)
    }

    /// From an authorization URL to the client's callback URL: the login form
    /// is filled in with `user` and `password` and submitted.
    async fn log_in(&self, authorize: &str, redirect_uri: &str, user: &str, password: &str) -> SignIn<String> {
        let first = self.get(authorize).await;
        let page = match self.follow(first, redirect_uri).await {
            Ok(page) => page,
            Err(callback) => panic!("test identity provider: signed in without a login form: {callback}"),
        };
        assert_eq!(page.status, 200, "test identity provider: the login page {}: {}", page.url, page.body);
        let submitted = self.submit(&page, &[("login", user), ("password", password)]).await;
        if submitted.status == 401 {
            let message = Form::error(&submitted.body).unwrap_or_default();
            return SignIn::Refused { status: submitted.status, message };
        }
        match self.follow(submitted, redirect_uri).await {
            Err(callback) => SignIn::Accepted(callback),
            Ok(page) => panic!(
                "test identity provider: after the login form, {} answered {} instead of redirecting to {redirect_uri}: {}",
                page.url, page.status, page.body
            ),
        }
    }

    /// Submits the first form of `page`: its hidden fields and `fields`.
    pub async fn submit(&self, page: &Response, fields: &[(&str, &str)]) -> Response {
        let form = Form::parse(&page.body)
            .unwrap_or_else(|| panic!("test identity provider: no form at {}: {}", page.url, page.body));
        let action = url::Url::parse(&page.url)
            .and_then(|u| u.join(&form.action))
            .unwrap_or_else(|e| panic!("test identity provider: form action {}: {e}", form.action));
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &form.hidden {
            body.append_pair(name, value);
        }
        body.extend_pairs(fields);
        self.send("POST", action.as_str(), &[], Some(("application/x-www-form-urlencoded", body.finish()))).await
    }

    /// A form POST to a token endpoint, authenticating as `client`
    /// (HTTP Basic with its secret, or `client_id` for a public client).
    async fn post_form(&self, url: &str, client: &IdpClient, fields: &[(&str, &str)]) -> Response {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(fields);
        let basic;
        let mut headers = vec![("accept", "application/json")];
        match &client.secret {
            Some(secret) => {
                let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                basic = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        encode(&client.id),
                        encode(secret)
                    ))
                );
                headers.push(("authorization", &basic));
            }
            None => {
                form.append_pair("client_id", &client.id);
            }
        }
        self.send("POST", url, &headers, Some(("application/x-www-form-urlencoded", form.finish()))).await
    }
}

/// A page's first form: its action and hidden fields.
struct Form {
    action: String,
    hidden: Vec<(String, String)>,
}

impl Form {
    fn parse(html: &str) -> Option<Self> {
        let form = &html[html.find("<form")?..];
        let form_tag = &form[..form.find('>')?];
        let action = unescape(&attribute(form_tag, "action")?);
        let mut hidden = Vec::new();
        let mut rest = form;
        while let Some(start) = rest.find("<input") {
            let tag_end = rest[start..].find('>').map(|e| start + e)?;
            let tag = &rest[start..tag_end];
            if attribute(tag, "type").as_deref() == Some("hidden")
                && let Some(name) = attribute(tag, "name")
            {
                hidden.push((unescape(&name), unescape(&attribute(tag, "value").unwrap_or_default())));
            }
            rest = &rest[tag_end..];
        }
        Some(Self { action, hidden })
    }

    /// The text of the page's `id="error"` element.
    fn error(html: &str) -> Option<String> {
        let start = html.find("id=\"error\"")?;
        let text = &html[start..];
        let text = &text[text.find('>')? + 1..];
        Some(unescape(&text[..text.find('<')?]))
    }
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_owned())
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The authorization-code flow with PKCE (S256) against the endpoints in
/// `metadata`: authorize, the login form as `user`, the callback's state
/// checked, the code exchanged. Returns the token endpoint's JSON answer.
#[allow(clippy::too_many_arguments)]
async fn code_flow(
    session: &Session,
    metadata: &Value,
    client: &IdpClient,
    scope: &str,
    nonce: Option<&str>,
    user: &str,
    password: &str,
) -> SignIn<Value> {
    let verifier = random_token();
    let state = random_token();
    let mut authorize = url::Url::parse(metadata["authorization_endpoint"].as_str().unwrap_or_default())
        .expect("test identity provider: authorization_endpoint");
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("scope", scope)
        .append_pair("state", &state);
    if let Some(nonce) = nonce {
        authorize.query_pairs_mut().append_pair("nonce", nonce);
    }
    authorize
        .query_pairs_mut()
        .append_pair("code_challenge", &challenge(&verifier))
        .append_pair("code_challenge_method", "S256");
    let callback = match session.log_in(authorize.as_str(), &client.redirect_uri, user, password).await {
        SignIn::Accepted(callback) => callback,
        SignIn::Refused { status, message } => return SignIn::Refused { status, message },
    };
    let query = query_of(&callback);
    assert_eq!(query.get("state"), Some(&state), "test identity provider: the callback {callback} lost the state");
    let code = query.get("code").unwrap_or_else(|| panic!("test identity provider: no code in {callback}"));
    let token_endpoint = metadata["token_endpoint"].as_str().unwrap_or_default();
    let response = session
        .post_form(
            token_endpoint,
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &client.redirect_uri),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(response.status, 200, "test identity provider: {token_endpoint}: {}", response.body);
    SignIn::Accepted(response.json())
}
