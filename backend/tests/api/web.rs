//! The browser app's files: content types, compression, caching, headers.

use crate::helpers::{INDEX_HTML, app_js, spawn_app, spawn_app_with};

#[tokio::test]
async fn index_is_served_without_caching_and_with_security_headers() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    for directive in ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(response.text().await.expect("body"), INDEX_HTML);
}

#[tokio::test]
async fn app_routes_get_the_index_and_missing_files_a_404() {
    let app = spawn_app().await;
    let page = app.get("/storage/s3").await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.text().await.expect("body"), INDEX_HTML);
    let missing = app.get("/assets/missing-1234.js").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_revalidate_by_etag() {
    let app = spawn_app().await;
    let response = app.get("/assets/app-0123abcd.js").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(response.headers()["cache-control"], "public, max-age=31536000, immutable");
    let etag = response.headers()["etag"].clone();
    let again =
        app.client.get(app.url("/assets/app-0123abcd.js")).header("if-none-match", etag).send().await.expect("answer");
    assert_eq!(again.status(), 304);
}

#[tokio::test]
async fn assets_are_compressed_on_the_fly_when_no_twin_exists() {
    let app = spawn_app().await;
    let path = "/assets/app-0123abcd.js";
    let response = app.client.get(app.url(path)).header("accept-encoding", "br").send().await.expect("answer");
    assert_eq!(response.headers()["content-encoding"], "br");
    let wire = response.bytes().await.expect("body");
    assert!(wire.len() < app_js().len() / 4, "{} bytes on the wire", wire.len());
    // A decoding client gets the original text back.
    let decoded = reqwest::Client::new().get(app.url(path)).send().await.expect("answer").text().await.expect("body");
    assert_eq!(decoded, app_js());
}

#[tokio::test]
async fn precompressed_twins_are_served_as_they_are() {
    let dir = tempfile::tempdir().expect("temp dir");
    let web_root = dir.path().join("web");
    std::fs::create_dir_all(web_root.join("assets")).expect("mkdir");
    std::fs::write(web_root.join("index.html"), INDEX_HTML).expect("write");
    std::fs::write(web_root.join("assets/app-1.wasm"), b"\0asm original").expect("write");
    std::fs::write(web_root.join("assets/app-1.wasm.br"), b"brotli twin").expect("write");
    std::fs::write(web_root.join("assets/app-1.wasm.gz"), b"gzip twin").expect("write");
    let app = spawn_app_with(dir, web_root).await;
    let get = |encoding: &'static str| {
        let request = app.client.get(app.url("/assets/app-1.wasm")).header("accept-encoding", encoding);
        async move { request.send().await.expect("answer") }
    };
    let brotli = get("gzip, br").await;
    assert_eq!(brotli.headers()["content-type"], "application/wasm");
    assert_eq!(brotli.headers()["content-encoding"], "br");
    assert_eq!(brotli.headers()["vary"], "Accept-Encoding");
    assert_eq!(&brotli.bytes().await.expect("body")[..], b"brotli twin");
    let gzip = get("gzip").await;
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    assert_eq!(&gzip.bytes().await.expect("body")[..], b"gzip twin");
    let identity = get("identity").await;
    assert!(identity.headers().get("content-encoding").is_none());
    assert_eq!(&identity.bytes().await.expect("body")[..], b"\0asm original");
}

#[tokio::test]
async fn without_a_built_app_the_root_explains_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let web_root = dir.path().join("not-built");
    let app = spawn_app_with(dir, web_root).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 503);
    let problem: model::Problem = response.json().await.expect("problem JSON");
    assert!(problem.detail.as_deref().is_some_and(|d| d.contains("cargo xtask")), "{problem:?}");
    // The API works without the app.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn writes_to_app_paths_are_refused_as_problems() {
    let app = spawn_app().await;
    let response = app.client.post(app.url("/")).send().await.expect("answer");
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}
