//! The test identity provider (`tests/idp/`) on its own: discovery over HTTPS
//! with its generated CA, the OpenID code flow with PKCE and refresh tokens for
//! the test users, OpenShift-style `sha256~` tokens and their TokenReview
//! webhook, revocation; and the test cluster trusting it: ID tokens and
//! `sha256~` tokens authenticate at kube-apiserver and at the console.

use std::time::{Duration, Instant};

use e2e::cluster::{self, Cluster, Endpoint, User};
use e2e::console::Console;
use e2e::idp::{self, Idp, IdpClient, SignIn};
use serde_json::json;

const CALLBACK: &str = "http://127.0.0.1:9/auth/callback";

fn console_client() -> IdpClient {
    IdpClient::oidc("registry-console", Some("registry-console-secret"), CALLBACK)
}

fn openshift_client() -> IdpClient {
    IdpClient::openshift("console-oauth-client", Some("console-oauth-secret"), CALLBACK)
}

#[tokio::test]
async fn discovery_documents_are_served_over_https_with_the_generated_ca() {
    let idp = Idp::start(&[console_client(), openshift_client()]);
    assert!(idp.issuer.starts_with("https://127.0.0.1:"), "issuer {}", idp.issuer);
    assert!(String::from_utf8_lossy(idp.ca_pem()).contains("BEGIN CERTIFICATE"));

    let oidc = idp.get_json("/.well-known/openid-configuration").await;
    assert_eq!(oidc["issuer"], json!(idp.issuer));
    for key in ["authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint", "userinfo_endpoint"] {
        let url = oidc[key].as_str().unwrap_or_default();
        assert!(url.starts_with(&idp.issuer), "{key} is {url}");
    }
    assert_eq!(oidc["code_challenge_methods_supported"], json!(["S256"]));
    for scope in ["openid", "profile", "email", "groups", "offline_access"] {
        assert!(
            oidc["scopes_supported"].as_array().is_some_and(|s| s.contains(&json!(scope))),
            "scope {scope}: {oidc}"
        );
    }
    for claim in ["preferred_username", "email", "groups"] {
        assert!(
            oidc["claims_supported"].as_array().is_some_and(|c| c.contains(&json!(claim))),
            "claim {claim}: {oidc}"
        );
    }
    let jwks = idp.get_json("/jwks").await;
    assert_eq!(jwks["keys"][0]["alg"], "RS256", "{jwks}");

    // OpenShift's OAuth metadata (REFERENCE §8.1).
    let oauth = idp.get_json("/.well-known/oauth-authorization-server").await;
    assert_eq!(oauth["issuer"], json!(idp.issuer));
    assert_eq!(oauth["authorization_endpoint"], json!(idp.url("/oauth/authorize")));
    assert_eq!(oauth["token_endpoint"], json!(idp.url("/oauth/token")));
    assert_eq!(oauth["code_challenge_methods_supported"], json!(["plain", "S256"]));
}

#[tokio::test]
async fn developer_signs_in_with_code_and_pkce_and_refreshes() {
    let client = console_client();
    let idp = Idp::start_with(std::slice::from_ref(&client), &["--access-token-ttl", "60", "--id-token-ttl", "60"]);

    let tokens = idp.sign_in_oidc(&client, "developer", &idp::password(User::Developer)).await.accepted();
    let claims = idp::jwt_claims(&tokens.id_token);
    assert_eq!(claims["iss"], json!(idp.issuer));
    assert_eq!(claims["aud"], json!(client.id));
    assert_eq!(claims["sub"], "developer");
    assert_eq!(claims["preferred_username"], "developer");
    assert_eq!(claims["email"], "developer@example.com");
    assert_eq!(claims["groups"], json!([]), "developer is in no group: {claims}");
    let lifetime = claims["exp"].as_u64().unwrap_or_default() - claims["iat"].as_u64().unwrap_or_default();
    assert_eq!(lifetime, 60, "the ID token lifetime given on the command line");
    assert_eq!(tokens.expires_in, Some(60));

    // The access token works at the userinfo endpoint.
    let userinfo = idp
        .session()
        .send("GET", &idp.url("/me"), &[("authorization", &format!("Bearer {}", tokens.access_token))], None)
        .await;
    assert_eq!(userinfo.status, 200, "{}", userinfo.body);
    assert_eq!(userinfo.json()["preferred_username"], "developer");

    // Refresh: new tokens for the same user; the refresh token rotates and the old one is spent.
    let first_refresh = tokens.refresh_token.clone().expect("a refresh token");
    let refreshed = idp.refresh(&client, &first_refresh).await.expect("refresh");
    let again = idp::jwt_claims(&refreshed.id_token);
    assert_eq!(again["preferred_username"], "developer");
    assert_eq!(again["groups"], json!([]));
    assert_ne!(refreshed.access_token, tokens.access_token);
    let second_refresh = refreshed.refresh_token.clone().expect("a rotated refresh token");
    assert_ne!(second_refresh, first_refresh);
    let third = idp.refresh(&client, &second_refresh).await.expect("the rotated refresh token works");
    let third_refresh = third.refresh_token.expect("a rotated refresh token");
    let spent = idp.refresh(&client, &first_refresh).await.expect_err("a spent refresh token");
    assert_eq!(spent["error"], "invalid_grant", "{spent}");
    // Replaying a spent refresh token revokes the grant (OAuth 2.0 security BCP).
    let revoked = idp.refresh(&client, &third_refresh).await.expect_err("the grant is revoked after a replay");
    assert_eq!(revoked["error"], "invalid_grant", "{revoked}");

    // Groups come from the test cluster's users.
    let admin = idp.sign_in_oidc(&client, "admin", &idp::password(User::Admin)).await.accepted();
    assert_eq!(idp::jwt_claims(&admin.id_token)["groups"], json!(["registry-admins"]));
    let auditor = idp.sign_in_oidc(&client, "auditor", &idp::password(User::Auditor)).await.accepted();
    assert_eq!(idp::jwt_claims(&auditor.id_token)["groups"], json!(["registry-auditors"]));
}

#[tokio::test]
async fn signing_out_ends_the_session_and_its_refresh_tokens() {
    let client = IdpClient {
        post_logout_redirect_uri: Some("http://127.0.0.1:9/signed-out".into()),
        ..IdpClient::oidc("public-console", None, CALLBACK)
    };
    let idp = Idp::start(std::slice::from_ref(&client));
    let session = idp.session();
    let tokens = idp.sign_in_oidc_in(&session, &client, "nobody", &idp::password(User::Nobody)).await.accepted();
    let claims = idp::jwt_claims(&tokens.id_token);
    assert_eq!(claims["preferred_username"], "nobody");
    assert_eq!(claims["groups"], json!([]));
    let refresh_token = tokens.refresh_token.clone().expect("a refresh token for a public client");

    let redirect = idp.sign_out_oidc(&session, &client, &tokens.id_token).await;
    assert!(redirect.starts_with("http://127.0.0.1:9/signed-out?"), "{redirect}");
    assert!(redirect.contains("state=signed-out"), "{redirect}");
    let refused = idp.refresh(&client, &refresh_token).await.expect_err("the session's refresh token is gone");
    assert_eq!(refused["error"], "invalid_grant", "{refused}");
    // The next sign-in asks for the password again.
    let again = idp.sign_in_oidc_in(&session, &client, "nobody", "wrong").await;
    assert!(matches!(again, SignIn::Refused { status: 401, .. }), "{again:?}");
}

#[tokio::test]
async fn pkce_is_required() {
    let client = console_client();
    let idp = Idp::start(std::slice::from_ref(&client));
    let session = idp.session();
    let mut authorize = url::Url::parse(&idp.url("/auth")).expect("URL");
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.id)
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("scope", "openid")
        .append_pair("state", "s");
    let first = session.get(authorize.as_str()).await;
    let callback = session.follow(first, CALLBACK).await.expect_err("an error sent back to the client");
    assert!(callback.contains("error=invalid_request"), "{callback}");
    assert!(callback.contains("PKCE"), "{callback}");
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let client = console_client();
    let openshift = openshift_client();
    let idp = Idp::start(&[client.clone(), openshift.clone()]);
    for (user, password) in [("developer", "admin-password"), ("developer", ""), ("mallory", "mallory-password")] {
        match idp.sign_in_oidc(&client, user, password).await {
            SignIn::Refused { status, message } => {
                assert_eq!(status, 401);
                assert_eq!(message, "Wrong user name or password.");
            }
            SignIn::Accepted(tokens) => panic!("{user} signed in with {password:?}: {:?}", tokens.response),
        }
        match idp.sign_in_openshift(&openshift, user, password).await {
            SignIn::Refused { status, .. } => assert_eq!(status, 401),
            SignIn::Accepted(token) => panic!("{user} got an OpenShift token with {password:?}: {token}"),
        }
    }
}

#[tokio::test]
async fn openshift_tokens_are_reviewed_until_deleted() {
    let client = openshift_client();
    let oidc = console_client();
    let idp = Idp::start(&[client.clone(), oidc.clone()]);

    let token = idp.sign_in_openshift(&client, "auditor", &idp::password(User::Auditor)).await.accepted();
    assert!(token.starts_with("sha256~") && token.len() == "sha256~".len() + 43, "an opaque sha256~ token: {token}");

    let status = idp.token_review(&token).await;
    assert_eq!(status["authenticated"], true, "{status}");
    assert_eq!(status["user"]["username"], "auditor");
    assert!(!status["user"]["uid"].as_str().unwrap_or_default().is_empty(), "{status}");
    assert_eq!(status["user"]["groups"], json!(["registry-auditors", "system:authenticated:oauth"]));
    assert_eq!(status["user"]["extra"]["scopes.authorization.openshift.io"], json!(["user:full"]));

    // Another user's token carries that user's groups.
    let admin = idp.sign_in_openshift(&client, "admin", &idp::password(User::Admin)).await.accepted();
    assert_eq!(
        idp.token_review(&admin).await["user"]["groups"],
        json!(["registry-admins", "system:authenticated:oauth"])
    );

    // Neither a made-up token nor an OpenID token passes the webhook.
    assert_eq!(idp.token_review("sha256~not-a-token").await, json!({"authenticated": false}));
    let jwt = idp.sign_in_oidc(&oidc, "auditor", &idp::password(User::Auditor)).await.accepted();
    assert_eq!(idp.token_review(&jwt.id_token).await["authenticated"], false);

    // Deleting the token's object by its name revokes it; the other token stays valid.
    assert_eq!(idp.delete_token(&token).await, 200);
    assert_eq!(idp.token_review(&token).await, json!({"authenticated": false}));
    assert_eq!(idp.delete_token(&token).await, 404);
    assert_eq!(idp.token_review(&admin).await["authenticated"], true);

    // The object name is derived from the token, never the token itself.
    let name = idp::token_name(&admin);
    assert!(name.starts_with("sha256~") && name != admin && name.len() == "sha256~".len() + 43, "{name}");
}

// ------------------------------------------------------------------ the test cluster trusts it

/// `POST selfsubjectreviews` with `token` as bearer: `Ok(status.userInfo)` or
/// `Err(HTTP status)`.
async fn who_am_i(endpoint: &Endpoint, token: &str) -> Result<serde_json::Value, u16> {
    let client = cluster::client_with_token(endpoint, "bearer", token).await;
    let body = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let request = http::Request::post("/apis/authentication.k8s.io/v1/selfsubjectreviews")
        .header("content-type", "application/json")
        .body(body.to_string().into_bytes())
        .expect("a SelfSubjectReview request");
    match client.request::<serde_json::Value>(request).await {
        Ok(review) => Ok(review["status"]["userInfo"].clone()),
        Err(kube::Error::Api(status)) => Err(status.code),
        Err(e) => panic!("SelfSubjectReview: {e}"),
    }
}

/// Like [`who_am_i`], retried for up to `within` until it gives `want`
/// (`Ok` = authenticated); the last answer.
async fn who_am_i_until(
    endpoint: &Endpoint,
    token: &str,
    want_ok: bool,
    within: Duration,
) -> Result<serde_json::Value, u16> {
    let started = Instant::now();
    loop {
        let answer = who_am_i(endpoint, token).await;
        if answer.is_ok() == want_ok || started.elapsed() > within {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn groups(user_info: &serde_json::Value) -> Vec<String> {
    user_info["groups"]
        .as_array()
        .map(|all| all.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_cluster_accepts_id_tokens_of_its_audiences_only() {
    let cluster = Cluster::shared().await;
    let endpoint = cluster.endpoint();
    let idp = cluster.idp();

    let developer =
        idp.sign_in_oidc(&cluster::idp_console_client(), "developer", &idp::password(User::Developer)).await.accepted();
    // The JWT authenticator fetches the provider's keys in the background after start.
    let me = who_am_i_until(&endpoint, &developer.id_token, true, Duration::from_secs(20))
        .await
        .unwrap_or_else(|status| panic!("developer's ID token refused: HTTP {status}"));
    assert_eq!(me["username"], "developer", "{me}");
    assert_eq!(groups(&me), ["system:authenticated"], "{me}");

    // Groups come from the `groups` claim, unprefixed, so the seeded RBAC applies.
    let admin = idp.sign_in_oidc(&cluster::idp_console_client(), "admin", &idp::password(User::Admin)).await.accepted();
    let me = who_am_i(&endpoint, &admin.id_token).await.unwrap_or_else(|status| panic!("admin refused: {status}"));
    assert_eq!(me["username"], "admin", "{me}");
    assert_eq!(groups(&me), ["registry-admins", "system:authenticated"], "{me}");

    // An ID token for a client kube-apiserver does not list as an audience.
    let other = idp
        .sign_in_oidc(&cluster::idp_other_audience_client(), "developer", &idp::password(User::Developer))
        .await
        .accepted();
    assert_eq!(idp::jwt_claims(&other.id_token)["aud"], "other-app");
    assert_eq!(who_am_i(&endpoint, &other.id_token).await, Err(401), "another audience's ID token");

    // An expired one. kube-apiserver caches every successful token check for
    // 10 s (not configurable) without looking at `exp`, so the token shown to
    // be accepted while alive is a twin of the one checked after expiry.
    let short_lived = || async {
        idp.sign_in_oidc(&cluster::idp_short_lived_client(), "developer", &idp::password(User::Developer))
            .await
            .accepted()
            .id_token
    };
    let (alive, expiring) = (short_lived().await, short_lived().await);
    assert_eq!(who_am_i(&endpoint, &alive).await.map(|me| me["username"].clone()), Ok(json!("developer")));
    let exp = idp::jwt_claims(&expiring)["exp"].as_u64().unwrap_or_default();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    tokio::time::sleep(Duration::from_secs(exp.saturating_sub(now) + 2)).await;
    assert_eq!(who_am_i(&endpoint, &expiring).await, Err(401), "an expired ID token");
}

#[tokio::test]
async fn openshift_tokens_work_at_the_cluster_and_the_console_until_deleted() {
    let cluster = Cluster::shared().await;
    let endpoint = cluster.endpoint();
    let idp = cluster.idp();

    let token =
        idp.sign_in_openshift(&cluster::idp_openshift_client(), "admin", &idp::password(User::Admin)).await.accepted();
    assert!(token.starts_with("sha256~"), "{token}");
    let me = who_am_i_until(&endpoint, &token, true, Duration::from_secs(10))
        .await
        .unwrap_or_else(|status| panic!("admin's sha256~ token refused: HTTP {status}"));
    assert_eq!(me["username"], "admin", "{me}");
    assert_eq!(groups(&me), ["registry-admins", "system:authenticated:oauth", "system:authenticated"], "{me}");

    // The console passes it through to the cluster.
    let console = Console::with_cluster(&web_root(), &endpoint).await;
    let response = reqwest::Client::new()
        .get(console.url("/api/v1/registry"))
        .bearer_auth(&token)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("GET /api/v1/registry");
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 200, "GET /api/v1/registry with admin's sha256~ token: {body}");

    // Revoked at the provider: refused once kube-apiserver's cache of
    // successful token checks (10 s, fixed; the webhook's own cache is off)
    // has forgotten it.
    assert_eq!(idp.delete_token(&token).await, 200);
    let revoked = Instant::now();
    let answer = who_am_i_until(&endpoint, &token, false, Duration::from_secs(20)).await;
    assert!(revoked.elapsed() < Duration::from_secs(15), "refused only after {:?}", revoked.elapsed());
    assert_eq!(answer, Err(401), "a deleted sha256~ token");
}

fn web_root() -> std::path::PathBuf {
    std::env::var_os("E2E_WEB_ROOT").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir)
}
