//! Harness for the end-to-end suite: starts the real parts (the console
//! server, Chromium through ChromeDriver, the test cluster, the test identity
//! provider) and fails, naming the part and the reason, when one cannot start.
//! `cargo xtask test` provides the paths.

pub mod api;
pub mod browser;
pub mod cluster;
pub mod console;
pub mod idp;
pub mod logs;

use std::path::PathBuf;

/// Paths handed over by `cargo xtask test`.
pub struct TestEnv {
    pub web_root: PathBuf,
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    pub artifacts: PathBuf,
}

impl TestEnv {
    /// Reads the paths; panics with what to do when run outside `cargo xtask test`.
    pub fn from_env() -> Self {
        let var = |name: &str| {
            std::env::var_os(name).map(PathBuf::from).unwrap_or_else(|| {
                panic!("{name} is not set: run the end-to-end tests with `cargo xtask test`, which builds the app and installs Chromium")
            })
        };
        let env = Self {
            web_root: var("E2E_WEB_ROOT"),
            chromium: var("E2E_CHROMIUM"),
            chromedriver: var("E2E_CHROMEDRIVER"),
            artifacts: var("E2E_ARTIFACTS"),
        };
        assert!(
            env.web_root.join("index.html").is_file(),
            "the built app is missing: {} has no index.html",
            env.web_root.display()
        );
        env
    }
}
