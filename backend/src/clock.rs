//! Wall-clock time as the API shows it: RFC 3339 in UTC.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time (the model's formatting, shared with the browser).
pub fn rfc3339(unix: i64) -> String {
    model::registry::view::rfc3339_utc(unix)
}
