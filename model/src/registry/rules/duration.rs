//! Go durations (`time.ParseDuration`), as in `maxWaitInQueue` and the
//! pruner's `keepYoungerThanDuration` (REFERENCE §1.1, §3).

/// Seconds in a Go duration such as `1h30m`, `60m`, `1.5s`, `300ms` or
/// `-2m`; `None` when Go would refuse it. Units: `ns`, `us`/`µs`/`μs`, `ms`,
/// `s`, `m`, `h`; every number needs a unit except a lone `0`.
pub fn parse_go_duration(s: &str) -> Option<f64> {
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut rest = rest;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 =
            if number.starts_with('.') { format!("0{number}").parse().ok()? } else { number.parse().ok()? };
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Some(sign * total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_go_duration("60m"), Some(3600.0));
        assert_eq!(parse_go_duration("1.5s"), Some(1.5));
        assert_eq!(parse_go_duration("300ms"), Some(0.3));
        assert_eq!(parse_go_duration("0"), Some(0.0));
        assert_eq!(parse_go_duration("-2m"), Some(-120.0));
        assert_eq!(parse_go_duration(".5h"), Some(1800.0));
        assert_eq!(parse_go_duration("1.s"), Some(1.0));
        assert_eq!(parse_go_duration("2h45m30s"), Some(9930.0));
        assert!(parse_go_duration("10µs").is_some_and(|s| (s - 1e-5).abs() < 1e-12));
        for bad in ["", "1", "10", "1d", "h", "1h 30m", ".s", "1..5s", "-", "1hh", "30 s", "1H"] {
            assert_eq!(parse_go_duration(bad), None, "{bad:?}");
        }
    }
}
