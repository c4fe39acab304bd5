//! The console server, in-process on port 0 with its own SQLite file.

use std::net::SocketAddr;
use std::path::Path;

use registry_console::cluster::ClusterSettings;
use registry_console::config::{LogFormat, LogSettings, Settings};
use registry_console::startup::Application;

use crate::cluster::Endpoint;

pub struct Console {
    pub address: SocketAddr,
    _data: tempfile::TempDir,
}

impl Console {
    /// A console without a cluster (registry calls answer 503).
    pub async fn start(web_root: &Path) -> Self {
        Self::start_with(web_root, ClusterSettings::default()).await
    }

    /// A console talking to the test cluster at `endpoint`.
    pub async fn with_cluster(web_root: &Path, endpoint: &Endpoint) -> Self {
        let cluster = ClusterSettings {
            api_url: Some(endpoint.url.clone()),
            ca_file: Some(endpoint.ca_file.clone()),
            kubeconfig: None,
            service_token_file: None,
        };
        Self::start_with(web_root, cluster).await
    }

    /// A console talking to the test cluster with `service_token` as its own
    /// credential: its registry view is served from watch-fed caches.
    pub async fn with_cluster_and_service_token(web_root: &Path, endpoint: &Endpoint, service_token: &str) -> Self {
        let data = tempfile::tempdir().expect("temp dir for the console database");
        let token_file = data.path().join("service-token");
        std::fs::write(&token_file, service_token).expect("write the console's service token file");
        let cluster = ClusterSettings {
            api_url: Some(endpoint.url.clone()),
            ca_file: Some(endpoint.ca_file.clone()),
            kubeconfig: None,
            service_token_file: Some(token_file),
        };
        Self::start_in(data, web_root, cluster).await
    }

    async fn start_with(web_root: &Path, cluster: ClusterSettings) -> Self {
        let data = tempfile::tempdir().expect("temp dir for the console database");
        Self::start_in(data, web_root, cluster).await
    }

    async fn start_in(data: tempfile::TempDir, web_root: &Path, cluster: ClusterSettings) -> Self {
        let settings = Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: format!("sqlite://{}", data.path().join("console.db").display()),
            web_root: web_root.to_owned(),
            shutdown_timeout_seconds: 1,
            log: LogSettings { format: LogFormat::Text, filter: "warn".into() },
            cluster,
            ..Settings::default()
        };
        let app =
            Application::build(settings).await.unwrap_or_else(|e| panic!("the console server cannot start: {e:?}"));
        let address = app.address();
        tokio::spawn(app.run());
        Self { address, _data: data }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The console's SQLite file, for tests that check what it stores.
    pub fn database_path(&self) -> std::path::PathBuf {
        self._data.path().join("console.db")
    }
}
