//! Settings: built-in defaults, then a TOML file, then `RC_*` environment
//! variables, then command-line flags; each layer overrides the one before.
//! Bad values stop the server at start and name the key.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use figment::Figment;
use figment::providers::{Env, Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::cluster::ClusterSettings;

/// Config file read when neither `--config` nor `RC_CONFIG` names one; a
/// missing default file is not an error, a missing named file is.
pub const DEFAULT_CONFIG_FILE: &str = "registry-console.toml";

/// Everything the server can be configured with. Every field is documented
/// in the README's configuration table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address and port to listen on (`RC_LISTEN`, `--listen`).
    pub listen: SocketAddr,
    /// sqlx database URL (`RC_DATABASE_URL`, `--database-url`); SQLite files are created.
    pub database_url: String,
    /// Folder with the built browser app (`RC_WEB_ROOT`, `--web-root`).
    pub web_root: PathBuf,
    /// Seconds given to open requests at SIGTERM/SIGINT before they are cut.
    pub shutdown_timeout_seconds: u64,
    pub log: LogSettings,
    /// Where the Kubernetes API server is (`[cluster]`, `RC_CLUSTER__API_URL`, …).
    pub cluster: ClusterSettings,
    /// Minutes a previewed plan may wait for its apply; its secret values are
    /// held encrypted until then (`RC_PLAN_TTL_MINUTES`).
    pub plan_ttl_minutes: u32,
    /// Browser sessions (`[session]`, `RC_SESSION__KEYS`, …).
    pub session: SessionSettings,
}

/// Browser sessions: the cookie, the expiries, and the keys that encrypt
/// session data (the user's tokens) in the database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    /// Cookie name; with `secure` off its `__Host-` prefix is dropped (browsers refuse it without `Secure`).
    pub cookie_name: String,
    /// Minutes without a request that end a session.
    pub idle_minutes: u32,
    /// Hours after sign-in that end a session however active.
    pub absolute_hours: u32,
    /// `Secure` cookie attribute; unset = on unless `listen` is a loopback address.
    /// Off is refused on other addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
    /// Key ring, `<id>:<base64 of 32 bytes>` each; the first encrypts, all decrypt.
    /// A list in TOML, comma-separated in `RC_SESSION__KEYS`. Empty: no sessions.
    #[serde(deserialize_with = "key_entries")]
    pub keys: Vec<SessionKey>,
    /// Use the built-in demo key (published, so it protects nothing); refused with `keys`.
    pub demo_key: bool,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            cookie_name: "__Host-registry-console".into(),
            idle_minutes: 30,
            absolute_hours: 12,
            secure: None,
            keys: Vec::new(),
            demo_key: false,
        }
    }
}

/// One key ring entry; never shown by `Debug` or `--print-config`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SessionKey(pub String);

impl SessionKey {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl SessionKey {
    fn redacted(&self) -> String {
        let id = self.0.split_once(':').map_or("?", |(id, _)| id);
        format!("{id}:<redacted>")
    }
}

impl Serialize for SessionKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.redacted())
    }
}

/// A list, or one string of comma-separated entries (the environment's form).
fn key_entries<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<SessionKey>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Entries {
        One(String),
        Many(Vec<String>),
    }
    let entries = match Entries::deserialize(deserializer)? {
        Entries::One(text) => text.split(',').map(str::to_owned).collect(),
        Entries::Many(list) => list,
    };
    Ok(entries.into_iter().map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).map(SessionKey).collect())
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` for people at a terminal, `json` for log collectors.
    pub format: LogFormat,
    /// `tracing` filter directives; `RUST_LOG` overrides it when set.
    pub filter: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://registry-console.db".into(),
            web_root: PathBuf::from("web"),
            shutdown_timeout_seconds: 10,
            log: LogSettings { format: LogFormat::Text, filter: "info".into() },
            cluster: ClusterSettings::default(),
            plan_ttl_minutes: 15,
            session: SessionSettings::default(),
        }
    }
}

impl Settings {
    /// The effective settings as JSON, for `--print-config`.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|error| format!("cannot print settings: {error}"))
    }
}

/// Command-line flags; each overrides the same setting from file or environment.
#[derive(Debug, Default, Parser, Serialize)]
#[command(name = "registry-console", version, about = "Web console and REST API for the OpenShift image registry")]
pub struct Cli {
    /// TOML config file [env: RC_CONFIG] [default: registry-console.toml if present]
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 0.0.0.0:8080 [env: RC_LISTEN]
    #[arg(long, value_name = "ADDR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Database URL, e.g. sqlite://data/console.db [env: RC_DATABASE_URL]
    #[arg(long, value_name = "URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Folder with the built browser app [env: RC_WEB_ROOT]
    #[arg(long, value_name = "DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_root: Option<PathBuf>,
    /// Seconds to finish open requests on shutdown [env: RC_SHUTDOWN_TIMEOUT_SECONDS]
    #[arg(long, value_name = "SECONDS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_timeout_seconds: Option<u64>,
    /// Log format [env: RC_LOG__FORMAT]
    #[arg(long, value_enum, value_name = "FORMAT")]
    #[serde(skip)]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. info,registry_console=debug [env: RC_LOG__FILTER or RUST_LOG]
    #[arg(long, value_name = "FILTER")]
    #[serde(skip)]
    pub log_filter: Option<String>,
    /// Kubernetes API server URL [env: RC_CLUSTER__API_URL]
    #[arg(long, value_name = "URL")]
    #[serde(skip)]
    pub cluster_url: Option<String>,
    /// CA certificate (PEM) of the API server [env: RC_CLUSTER__CA_FILE]
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub cluster_ca_file: Option<PathBuf>,
    /// kubeconfig naming the cluster; its user is ignored [env: RC_CLUSTER__KUBECONFIG]
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub kubeconfig: Option<PathBuf>,
    /// The console's own token file, feeding the read cache's watches [env: RC_CLUSTER__SERVICE_TOKEN_FILE]
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub cluster_service_token_file: Option<PathBuf>,
    /// Print the effective configuration and exit
    #[arg(long)]
    #[serde(skip)]
    pub print_config: bool,
}

impl Cli {
    pub fn parse_args() -> Self {
        Self::parse()
    }
}

const ENV_PREFIX: &str = "RC_";

/// Top-level setting names, as written in the config file.
fn setting_names() -> Vec<String> {
    serde_json::to_value(Settings::default())
        .ok()
        .and_then(|value| value.as_object().map(|object| object.keys().cloned().collect()))
        .unwrap_or_default()
}

/// `RC_*` variables that name no setting: likely typos, logged at start.
pub fn unknown_env_vars() -> Vec<String> {
    let known = setting_names();
    std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else { return false };
            let top = rest.split("__").next().unwrap_or_default();
            rest != "CONFIG" && !known.iter().any(|k| k.eq_ignore_ascii_case(top))
        })
        .collect()
}

/// Loads the settings from every layer; the error names the bad key and where it came from.
pub fn load(cli: &Cli) -> Result<Settings, Box<figment::Error>> {
    let named_file = cli.config.clone().or_else(|| std::env::var_os("RC_CONFIG").map(PathBuf::from));
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    figment = match named_file {
        Some(path) if !path.is_file() => {
            return Err(Box::new(figment::Error::from(format!("config file {} does not exist", path.display()))));
        }
        Some(path) => figment.merge(Toml::file_exact(path)),
        None if std::path::Path::new(DEFAULT_CONFIG_FILE).is_file() => {
            figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE))
        }
        None => figment,
    };
    // Only variables naming a setting are read: tools share the `RC_` prefix
    // (e.g. `RC_TOOLS_DIR`), and `unknown_env_vars` reports the rest.
    let known = setting_names();
    let env = Env::prefixed(ENV_PREFIX).split("__").filter(move |key| {
        let top = key.as_str().split('.').next().unwrap_or_default();
        known.iter().any(|name| name.eq_ignore_ascii_case(top))
    });
    figment = figment.merge(env).merge(Serialized::defaults(cli));
    if let Ok(filter) = std::env::var("RUST_LOG") {
        figment = figment.merge(("log.filter", filter));
    }
    if let Some(format) = cli.log_format {
        figment = figment.merge(("log.format", format));
    }
    if let Some(filter) = &cli.log_filter {
        figment = figment.merge(("log.filter", filter));
    }
    if let Some(url) = &cli.cluster_url {
        figment = figment.merge(("cluster.api_url", url));
    }
    if let Some(file) = &cli.cluster_ca_file {
        figment = figment.merge(("cluster.ca_file", file));
    }
    if let Some(file) = &cli.kubeconfig {
        figment = figment.merge(("cluster.kubeconfig", file));
    }
    if let Some(file) = &cli.cluster_service_token_file {
        figment = figment.merge(("cluster.service_token_file", file));
    }
    figment.extract().map_err(Box::new)
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closure type, not ours
mod tests {
    use super::*;

    #[test]
    fn defaults_work_without_file_or_environment() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            let settings = load(&Cli::default()).map_err(|e| e.to_string())?;
            assert_eq!(settings, Settings::default());
            Ok(())
        });
    }

    #[test]
    fn flags_override_environment_which_overrides_the_file() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "registry-console.toml",
                "listen = \"0.0.0.0:9000\"\ndatabase_url = \"sqlite://file.db\"\n[log]\nformat = \"json\"\n",
            )?;
            jail.set_env("RC_DATABASE_URL", "sqlite://env.db");
            jail.set_env("RC_LOG__FILTER", "debug");
            let cli = Cli { listen: Some("127.0.0.1:7000".parse().expect("literal")), ..Cli::default() };
            let settings = load(&cli).map_err(|e| e.to_string())?;
            assert_eq!(settings.listen.to_string(), "127.0.0.1:7000");
            assert_eq!(settings.database_url, "sqlite://env.db");
            assert_eq!(settings.log.format, LogFormat::Json);
            assert_eq!(settings.log.filter, "debug");
            Ok(())
        });
    }

    #[test]
    fn a_bad_value_is_refused_with_its_key() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("RC_LISTEN", "not-an-address");
            let error = load(&Cli::default()).expect_err("bad listen address must be refused");
            assert!(error.to_string().to_lowercase().contains("listen"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn unknown_environment_variables_are_ignored_and_reported() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("RC_TOOLS_DIR", "/somewhere");
            jail.set_env("RC_LISTN", "0.0.0.0:1");
            jail.set_env("RC_LOG__FORMAT", "json");
            let settings = load(&Cli::default()).map_err(|e| e.to_string())?;
            assert_eq!(settings.log.format, LogFormat::Json);
            let mut unknown = unknown_env_vars();
            unknown.sort();
            assert_eq!(unknown, ["RC_LISTN", "RC_TOOLS_DIR"]);
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_in_the_file_is_refused() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file("registry-console.toml", "listn = \"0.0.0.0:9000\"\n")?;
            let error = load(&Cli::default()).expect_err("typo must be refused");
            assert!(error.to_string().contains("listn"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn session_keys_come_from_a_list_or_a_comma_separated_variable_and_are_never_printed() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "registry-console.toml",
                "[session]\nkeys = [\"a:AAAA\", \"b:BBBB\"]\nidle_minutes = 5\nsecure = true\n",
            )?;
            let settings = load(&Cli::default()).map_err(|e| e.to_string())?;
            assert_eq!(settings.session.keys, [SessionKey("a:AAAA".into()), SessionKey("b:BBBB".into())]);
            assert_eq!(settings.session.idle_minutes, 5);
            assert_eq!(settings.session.secure, Some(true));
            jail.set_env("RC_SESSION__KEYS", "new:CCCC, a:AAAA");
            let settings = load(&Cli::default()).map_err(|e| e.to_string())?;
            assert_eq!(settings.session.keys, [SessionKey("new:CCCC".into()), SessionKey("a:AAAA".into())]);
            assert_eq!(settings.session.cookie_name, "__Host-registry-console");
            let printed = settings.to_json_pretty();
            assert!(printed.contains("new:<redacted>") && !printed.contains("CCCC"), "{printed}");
            assert!(!format!("{settings:?}").contains("CCCC"));
            Ok(())
        });
    }

    #[test]
    fn a_named_config_file_must_exist() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            let cli = Cli { config: Some("missing.toml".into()), ..Cli::default() };
            let error = load(&cli).expect_err("missing named file must be refused");
            assert!(error.to_string().contains("missing.toml"), "{error}");
            Ok(())
        });
    }
}
