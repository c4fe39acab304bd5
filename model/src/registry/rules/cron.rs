//! The CronJob schedule of the image pruner (REFERENCE §3): the five-field
//! cron of `robfig/cron/v3` `ParseStandard`, which Kubernetes uses, and the
//! times it fires in UTC (a CronJob without `timeZone` runs in the
//! controller manager's zone, UTC on OpenShift).

/// A parsed schedule: one bit per allowed value of each field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Schedule {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    /// Day of month or day of week was `*` or `?`: then both must match,
    /// else either one (cron's historical rule).
    day_star: bool,
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One field's bounds and, for month and day of week, its names.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field { name: "minute", min: 0, max: 59, names: &[] },
    Field { name: "hour", min: 0, max: 23, names: &[] },
    Field { name: "day of month", min: 1, max: 31, names: &[] },
    Field { name: "month", min: 1, max: 12, names: &MONTHS },
    Field { name: "day of week", min: 0, max: 6, names: &DAYS },
];

/// Checks a schedule as Kubernetes does: five fields (minute, hour, day of
/// month, month, day of week) or `@yearly`, `@annually`, `@monthly`,
/// `@weekly`, `@daily`, `@midnight`, `@hourly`, `@every <duration>`. Fields
/// take `*`, `?`, numbers, names (`JAN`–`DEC`, `SUN`–`SAT`, any case), ranges
/// `a-b`, lists `a,b` and steps `*/n`, `a-b/n`, `a/n`. `TZ=` prefixes are
/// refused, as Kubernetes refuses them. The error is English, for logs.
pub fn validate_cron(schedule: &str) -> Result<(), String> {
    let trimmed = schedule.trim();
    if let Some(rest) = trimmed.strip_prefix("@every ") {
        return match super::duration::parse_go_duration(rest.trim()) {
            Some(seconds) if seconds > 0.0 => Ok(()),
            _ => Err(format!("@every needs a positive duration, not {:?}", rest.trim())),
        };
    }
    parse(schedule).map(|_| ())
}

fn parse(schedule: &str) -> Result<Schedule, String> {
    let schedule = schedule.trim();
    if schedule.starts_with("TZ=") || schedule.starts_with("CRON_TZ=") {
        return Err("a time zone in the schedule is not supported; use the CronJob's timeZone".to_owned());
    }
    let expanded = match schedule {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        other if other.starts_with('@') => return Err(format!("unknown descriptor {other}")),
        other => other,
    };
    let parts: Vec<&str> = expanded.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(format!("expected 5 fields, found {}", parts.len()));
    }
    let mut bits = [0u64; 5];
    let mut stars = [false; 5];
    for (i, (part, field)) in parts.iter().zip(FIELDS.iter()).enumerate() {
        let (mask, star) = parse_field(part, field)?;
        bits[i] = mask;
        stars[i] = star;
    }
    Ok(Schedule {
        minute: bits[0],
        hour: bits[1],
        dom: bits[2],
        month: bits[3],
        dow: bits[4],
        day_star: stars[2] || stars[4],
    })
}

/// A comma-separated list of ranges; returns the bits and whether any part
/// was an unstepped `*` or `?`.
fn parse_field(text: &str, field: &Field) -> Result<(u64, bool), String> {
    let mut mask = 0u64;
    let mut star = false;
    for expr in text.split(',') {
        let (range, step) = match expr.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (expr, None),
        };
        let (mut start, mut end, mut is_star) = if range == "*" || range == "?" {
            (field.min, field.max, true)
        } else {
            let (low, high) = match range.split_once('-') {
                Some((low, high)) => (low, Some(high)),
                None => (range, None),
            };
            let start = value(low, field)?;
            let end = match high {
                Some(high) => value(high, field)?,
                None => start,
            };
            (start, end, false)
        };
        let step = match step {
            Some(step) => {
                let step: u32 = number(step).ok_or_else(|| format!("bad step {step:?} in the {}", field.name))?;
                if step == 0 {
                    return Err(format!("a step of 0 in the {}", field.name));
                }
                if !is_star && !range.contains('-') {
                    // `a/n` means `a-max/n`.
                    end = field.max;
                }
                if step > 1 {
                    is_star = false;
                }
                step
            }
            None => 1,
        };
        if start < field.min || end > field.max {
            return Err(format!("{expr:?} is outside {}-{} for the {}", field.min, field.max, field.name));
        }
        if start > end {
            return Err(format!("{expr:?} starts after it ends in the {}", field.name));
        }
        while start <= end {
            mask |= 1 << start;
            start += step;
        }
        star |= is_star;
    }
    Ok((mask, star))
}

/// A number or, for month and day of week, a name.
fn value(text: &str, field: &Field) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(index) = field.names.iter().position(|name| *name == lower) {
        let index = u32::try_from(index).map_err(|e| e.to_string())?;
        return Ok(index + field.min);
    }
    number(text).ok_or_else(|| format!("{text:?} is not a valid {}", field.name))
}

fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The next `count` times (Unix seconds, UTC) strictly after `after_unix_secs`
/// at which `schedule` fires, looking at most five years ahead as the cron
/// library does. Empty for an invalid schedule and for `@every`, whose runs
/// depend on when the CronJob controller started.
pub fn next_cron_runs(schedule: &str, after_unix_secs: i64, count: usize) -> Vec<i64> {
    let Ok(parsed) = parse(schedule) else {
        return Vec::new();
    };
    let mut runs = Vec::with_capacity(count);
    let first = after_unix_secs.div_euclid(60) + 1; // in minutes
    let mut day = first.div_euclid(1440);
    let mut minute_of_day = first.rem_euclid(1440);
    let last_day = day + 5 * 366;
    while runs.len() < count && day <= last_day {
        let (_, month, dom) = civil_from_days(day);
        let dow = (day + 4).rem_euclid(7); // 1970-01-01 was a Thursday
        let dom_match = parsed.dom & (1 << dom) != 0;
        let dow_match = parsed.dow & (1 << dow) != 0;
        let day_match = if parsed.day_star { dom_match && dow_match } else { dom_match || dow_match };
        if parsed.month & (1 << month) != 0 && day_match {
            for minute in minute_of_day..1440 {
                if parsed.hour & (1 << (minute / 60)) != 0 && parsed.minute & (1 << (minute % 60)) != 0 {
                    runs.push((day * 1440 + minute) * 60);
                    if runs.len() == count {
                        break;
                    }
                }
            }
        }
        day += 1;
        minute_of_day = 0;
    }
    runs
}

/// Year, month (1–12) and day (1–31) of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-26T14:00:00Z, a Thursday.
    const NOW: i64 = 1_795_701_600;

    #[test]
    fn valid_schedules() {
        for ok in [
            "0 0 * * *",
            "*/15 * * * *",
            "0 2 * * SUN",
            "0 2 * * mon-fri",
            "30 3 1,15 JAN-DEC/3 ?",
            "5/10 * * * *",
            "0 0 31 * *",
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@midnight",
            "@hourly",
            "@every 1h30m",
            "  0 0 * * *  ",
            "0-59/59 0-23 1-31 1-12 0-6",
        ] {
            assert_eq!(validate_cron(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn invalid_schedules() {
        for bad in [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * 32 * *",
            "* * * 13 *",
            "* * * * 7",
            "*/0 * * * *",
            "5-1 * * * *",
            "a * * * *",
            "* * * * JAN",
            "* * * FOO *",
            "1,,2 * * * *",
            "1-2-3 * * * *",
            "-1 * * * *",
            "@reboot",
            "@every 0s",
            "@every soon",
            "TZ=UTC 0 0 * * *",
            "CRON_TZ=Asia/Shanghai 0 0 * * *",
        ] {
            assert!(validate_cron(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(NOW / 86_400), (2026, 11, 26));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn next_runs_of_the_default_schedule() {
        let runs = next_cron_runs("0 0 * * *", NOW, 3);
        assert_eq!(runs, vec![NOW + 10 * 3600, NOW + 34 * 3600, NOW + 58 * 3600]);
        // Strictly after: a run exactly at `after` is not repeated.
        assert_eq!(next_cron_runs("0 0 * * *", NOW + 10 * 3600, 1), vec![NOW + 34 * 3600]);
    }

    #[test]
    fn next_runs_with_steps_days_and_leap_years() {
        assert_eq!(next_cron_runs("*/15 * * * *", NOW + 1, 2), vec![NOW + 900, NOW + 1800]);
        // Next Sunday 02:00 after Thursday 14:00 is two days and twelve hours later.
        assert_eq!(next_cron_runs("0 2 * * SUN", NOW, 1), vec![NOW + 2 * 86_400 + 12 * 3600]);
        // Day of month and day of week both restricted: either matches (27th is a Friday).
        assert_eq!(next_cron_runs("0 0 27 * MON", NOW, 1), vec![NOW + 10 * 3600]);
        // 29 February: next in 2028.
        let runs = next_cron_runs("0 0 29 2 *", NOW, 1);
        assert_eq!(runs.len(), 1);
        assert_eq!(civil_from_days(runs[0] / 86_400), (2028, 2, 29));
        assert!(next_cron_runs("0 0 30 2 *", NOW, 1).is_empty());
        assert!(next_cron_runs("@every 1h", NOW, 1).is_empty());
        assert!(next_cron_runs("bad", NOW, 1).is_empty());
    }
}
