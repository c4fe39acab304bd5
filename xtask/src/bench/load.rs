//! An open-loop, fixed-rate load generator: request `i` is due at
//! `start + i / rate` whatever happened to the earlier ones, and its latency
//! is measured from when it was due, not from when it could be sent, so a
//! slow server cannot hide its queueing (no coordinated omission).

use std::future::Future;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

/// What one request came out as.
pub struct Outcome {
    /// `Ok(status, label)`, e.g. the response's source header; `Err` when no answer came.
    pub result: Result<(u16, String), String>,
}

/// The figures of one run.
pub struct Figures {
    pub sent: usize,
    pub ok: usize,
    pub errors: usize,
    /// A sample of what the errors were.
    pub first_error: Option<String>,
    /// Milliseconds, sorted, of the answered requests (any status).
    pub latencies_ms: Vec<f64>,
    /// Count per label of the 2xx answers (e.g. `cache`/`direct`).
    pub labels: Vec<(String, usize)>,
    pub seconds: f64,
}

impl Figures {
    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.latencies_ms.len() as f64).ceil() as usize;
        self.latencies_ms[rank.clamp(1, self.latencies_ms.len()) - 1]
    }

    pub fn max(&self) -> f64 {
        self.latencies_ms.last().copied().unwrap_or(f64::NAN)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "sent": self.sent,
            "ok": self.ok,
            "errors": self.errors,
            "first_error": self.first_error,
            "p50_ms": self.percentile(50.0),
            "p90_ms": self.percentile(90.0),
            "p99_ms": self.percentile(99.0),
            "max_ms": self.max(),
            "achieved_rate": self.sent as f64 / self.seconds,
            "labels": self.labels.iter().map(|(label, count)| json!({"label": label, "count": count})).collect::<Vec<_>>(),
        })
    }
}

/// Sends `rate` requests a second for `duration`, each made by `send`, each
/// given `timeout`; waits for the last answer.
pub async fn run<F, Fut>(rate: u32, duration: Duration, timeout: Duration, send: F) -> Figures
where
    F: Fn() -> Fut,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let total = (f64::from(rate) * duration.as_secs_f64()).round() as usize;
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due).await;
        let request = send();
        tasks.push(tokio::spawn(async move {
            let outcome = tokio::time::timeout(timeout, request).await;
            let latency = due.elapsed();
            match outcome {
                Ok(outcome) => (latency, outcome.result),
                Err(_) => (latency, Err(format!("no answer within {} s", timeout.as_secs()))),
            }
        }));
    }
    let mut figures = Figures {
        sent: total,
        ok: 0,
        errors: 0,
        first_error: None,
        latencies_ms: Vec::with_capacity(total),
        labels: Vec::new(),
        seconds: duration.as_secs_f64(),
    };
    for task in tasks {
        let (latency, result) = match task.await {
            Ok(done) => done,
            Err(error) => (Duration::ZERO, Err(format!("request task failed: {error}"))),
        };
        match result {
            Ok((status, label)) if (200..300).contains(&status) => {
                figures.ok += 1;
                figures.latencies_ms.push(latency.as_secs_f64() * 1000.0);
                match figures.labels.iter_mut().find(|(known, _)| *known == label) {
                    Some((_, count)) => *count += 1,
                    None => figures.labels.push((label, 1)),
                }
            }
            Ok((status, _)) => {
                figures.errors += 1;
                figures.latencies_ms.push(latency.as_secs_f64() * 1000.0);
                figures.first_error.get_or_insert_with(|| format!("HTTP {status}"));
            }
            Err(error) => {
                figures.errors += 1;
                figures.first_error.get_or_insert(error);
            }
        }
    }
    figures.latencies_ms.sort_by(f64::total_cmp);
    figures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let figures = Figures {
            sent: 100,
            ok: 100,
            errors: 0,
            first_error: None,
            latencies_ms: (1..=100).map(f64::from).collect(),
            labels: Vec::new(),
            seconds: 1.0,
        };
        assert_eq!((figures.percentile(50.0), figures.percentile(99.0), figures.max()), (50.0, 99.0, 100.0));
    }

    #[tokio::test]
    async fn requests_go_out_at_the_rate_whatever_the_answers() {
        // Every answer takes 200 ms; at 50/s for 0.2 s all 10 still go out at once, each timed from its due time.
        let started = Instant::now();
        let figures = run(50, Duration::from_millis(200), Duration::from_secs(5), || async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            Outcome { result: Ok((200, "x".into())) }
        })
        .await;
        assert_eq!((figures.sent, figures.ok, figures.errors), (10, 10, 0));
        assert!(figures.percentile(50.0) >= 200.0, "{:?}", figures.latencies_ms);
        assert!(started.elapsed() < Duration::from_millis(1000), "the generator waited for answers");
    }
}
