//! The console server, in-process on port 0 with its own SQLite file.

use std::net::SocketAddr;
use std::path::Path;

use registry_console::config::{LogFormat, LogSettings, Settings};
use registry_console::startup::Application;

pub struct Console {
    pub address: SocketAddr,
    _data: tempfile::TempDir,
}

impl Console {
    pub async fn start(web_root: &Path) -> Self {
        let data = tempfile::tempdir().expect("temp dir for the console database");
        let settings = Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: format!("sqlite://{}", data.path().join("console.db").display()),
            web_root: web_root.to_owned(),
            shutdown_timeout_seconds: 1,
            log: LogSettings { format: LogFormat::Text, filter: "warn".into() },
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
}
