//! What `/readyz` and `GET /api/v1/health` answer.

use serde::{Deserialize, Serialize};

/// The server's version and whether each part it depends on answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Version of the running server.
    pub version: String,
    /// True when every check passed.
    pub ready: bool,
    /// Seconds since the server started.
    pub uptime_seconds: u64,
    pub checks: Vec<Check>,
}

/// One dependency's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Check {
    /// Stable name, such as `database`; the app translates it.
    pub name: String,
    pub ok: bool,
    /// What went wrong, in English, when `ok` is false. Never holds secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How long the check took, in milliseconds.
    pub duration_ms: u64,
}

impl Health {
    pub fn new(version: impl Into<String>, uptime_seconds: u64, checks: Vec<Check>) -> Self {
        let ready = checks.iter().all(|check| check.ok);
        Self { version: version.into(), ready, uptime_seconds, checks }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, ok: bool) -> Check {
        Check { name: name.into(), ok, message: None, duration_ms: 1 }
    }

    #[test]
    fn health_is_ready_only_when_every_check_passes() {
        assert!(Health::new("1", 0, vec![check("database", true)]).ready);
        assert!(!Health::new("1", 0, vec![check("database", true), check("cluster", false)]).ready);
    }

    #[test]
    fn health_round_trips_through_json_without_empty_message() {
        let health = Health::new("0.1.0", 5, vec![check("database", true)]);
        let json = serde_json::to_string(&health).expect("serialise");
        assert!(!json.contains("message"), "{json}");
        let back: Health = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, health);
    }
}
