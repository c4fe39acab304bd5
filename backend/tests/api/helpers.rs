use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use registry_console::config::{LogFormat, LogSettings, Settings};
use registry_console::startup::Application;

/// A running server with its own database and web root, removed on drop.
pub struct TestApp {
    pub address: SocketAddr,
    /// Sends no `Accept-Encoding` and never decompresses, so tests see the bytes on the wire.
    pub client: reqwest::Client,
    /// Holds the database and web root; removed when the app is dropped.
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("server answers")
    }
}

/// Starts the server with a small web root: an `index.html` and one hashed asset.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let web_root = dir.path().join("web");
    write_web_root(&web_root);
    spawn_app_with(dir, web_root).await
}

pub async fn spawn_app_with(dir: tempfile::TempDir, web_root: PathBuf) -> TestApp {
    let settings = Settings {
        listen: "127.0.0.1:0".parse().expect("literal address"),
        database_url: format!("sqlite://{}", dir.path().join("console.db").display()),
        web_root,
        shutdown_timeout_seconds: 1,
        log: LogSettings { format: LogFormat::Text, filter: "warn".into() },
        ..Settings::default()
    };
    let app = Application::build(settings).await.expect("server starts");
    let address = app.address();
    tokio::spawn(app.run());
    let client = reqwest::Client::builder().no_gzip().no_brotli().build().expect("client");
    TestApp { address, client, _dir: dir }
}

pub const INDEX_HTML: &str = "<!doctype html><title>Registry Console</title>";
/// Large and repetitive, so compression visibly shrinks it.
pub fn app_js() -> String {
    "console.log('registry console');\n".repeat(200)
}

fn write_web_root(web_root: &Path) {
    std::fs::create_dir_all(web_root.join("assets")).expect("mkdir web root");
    std::fs::write(web_root.join("index.html"), INDEX_HTML).expect("write index");
    std::fs::write(web_root.join("assets/app-0123abcd.js"), app_js()).expect("write asset");
}
