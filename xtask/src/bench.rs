//! `cargo xtask bench`: measures the release build and writes
//! `target/bench/report.md` and `report.json`. Cases: the app's first-load
//! bytes, the server's cold start to `/readyz`, its idle RSS; then against the
//! test cluster (`bench/live.rs`): a storage + route + trusted-CA change through
//! the console vs the same change as `kubectl` commands, and the read model
//! under open-loop load (`bench/load.rs`) vs a direct `GET` on the API server.

mod live;
mod load;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::json;

use crate::{Project, dist, step, web};

const COLD_START_RUNS: usize = 7;
/// Goals from the design; the report marks each figure against them.
const GOAL_FIRST_LOAD_BROTLI: u64 = 350 * 1024;
const GOAL_COLD_START_MS: f64 = 300.0;
const GOAL_IDLE_RSS_KIB: u64 = 30 * 1024;

pub fn run(project: &Project) -> anyhow::Result<()> {
    let dist = dist::run(project)?;
    step("measuring");
    let first_load = first_load_bytes(&dist.web_root)?;
    let scratch = tempfile_dir(project)?;
    let mut cold_starts = Vec::new();
    for run in 0..COLD_START_RUNS {
        let (server, elapsed) = start_server(&dist.binary, &dist.web_root, &scratch.join(format!("cold-{run}.db")))?;
        cold_starts.push(elapsed.as_secs_f64() * 1000.0);
        stop(server);
    }
    cold_starts.sort_by(f64::total_cmp);
    let cold_start_median = cold_starts[cold_starts.len() / 2];
    let cold_start_max = cold_starts[cold_starts.len() - 1];

    let (server, _) = start_server(&dist.binary, &dist.web_root, &scratch.join("idle.db"))?;
    let address = server.address;
    for path in ["/", "/api/v1/health", "/readyz", "/metrics"] {
        http_get(address, path)?;
    }
    std::thread::sleep(Duration::from_secs(2));
    let idle_rss_kib = rss_kib(server.child.id())?;
    stop(server);

    step("measuring against the test cluster");
    let live = live::run(project, &dist.binary, &dist.web_root, &scratch);
    let live_json = match &live {
        Ok(value) => value.clone(),
        Err(error) => json!({ "error": format!("{error:#}") }),
    };
    let _ = std::fs::remove_dir_all(&scratch);

    let report = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "first_load": first_load,
        "cold_start_ms": { "median": cold_start_median, "max": cold_start_max, "runs": cold_starts },
        "idle_rss_kib": idle_rss_kib,
        "live": live_json,
        "goals": {
            "first_load_brotli_bytes": GOAL_FIRST_LOAD_BROTLI,
            "cold_start_ms": GOAL_COLD_START_MS,
            "idle_rss_kib": GOAL_IDLE_RSS_KIB,
            "plans_time_ratio": GOAL_PLANS_RATIO,
        },
    });
    let mut markdown = render_markdown(&report, cold_start_median, idle_rss_kib);
    markdown.push_str(&render_live(&report["live"]));
    let out = project.reports().join("bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("report.json"), serde_json::to_string_pretty(&report)?)?;
    std::fs::write(out.join("report.md"), &markdown)?;
    println!("{markdown}");
    step(format!("report written to {}", out.join("report.md").display()));
    if let Err(error) = live {
        return Err(error.context(format!(
            "the cluster part of the bench failed (the rest is in {})",
            out.join("report.md").display()
        )));
    }
    eprintln!("    the test cluster keeps running: `cargo xtask cluster down` stops it");
    Ok(())
}

/// The console's time for the change over kubectl's, preview included.
const GOAL_PLANS_RATIO: f64 = 0.25;

fn render_live(live: &serde_json::Value) -> String {
    let mut md = String::new();
    if let Some(error) = live["error"].as_str() {
        md.push_str(&format!("\n## Against the test cluster\n\nFAILED: {error}\n"));
        return md;
    }
    let plans = &live["plans"];
    let number = |value: &serde_json::Value| value.as_f64().unwrap_or(f64::NAN);
    let ratio = number(&plans["ratio"]);
    md.push_str(&format!(
        "\n## Storage + route + trusted CA: console vs kubectl\n\n\
         The change: a static NFS volume and its claim as the registry's storage, a custom route with an uploaded \
         TLS certificate, and a trusted CA for `registry.example.com:5000` ({} plans). Console: preview then apply \
         of each plan through the REST API as the admin, timed from the first preview request to the last apply \
         answer. kubectl: the plans' own rendered commands ({} lines), `oc` run as `rc-controlplane kubectl`, as \
         the admin, from the same seeded state (`rc-controlplane seed --replace` and the change's objects deleted \
         before each run). Median of {} runs each, alternating.\n\n",
        plans["plans"].as_array().map(Vec::len).unwrap_or(0),
        plans["commands"],
        live::PLAN_RUNS
    ));
    md.push_str("| way | wall time | API requests | |\n|---|---|---|---|\n");
    md.push_str(&format!(
        "| console: preview + apply | {:.0} ms | {:.0} | from `registry_console_cluster_requests_total` |\n",
        number(&plans["console_ms"]),
        number(&plans["console_requests"])
    ));
    md.push_str(&format!(
        "| kubectl: the rendered commands | {:.0} ms | {:.0} | request lines of `kubectl -v=6` |\n",
        number(&plans["kubectl_ms"]),
        number(&plans["kubectl_requests"])
    ));
    md.push_str(&format!(
        "| ratio console / kubectl | {ratio:.2}× | | goal ≤ {GOAL_PLANS_RATIO}×: {} |\n",
        if ratio <= GOAL_PLANS_RATIO { "within goal" } else { "OVER GOAL" }
    ));
    md.push_str(&format!(
        "\nBoth ways made the same objects: {}. Runs:\n\n| run | console | requests | kubectl | requests |\n|---|---|---|---|---|\n",
        if plans["same_objects"] == true { "yes" } else { "NO (see report.json)" }
    ));
    for (index, run) in plans["runs"].as_array().into_iter().flatten().enumerate() {
        md.push_str(&format!(
            "| {} | {:.0} ms | {} | {:.0} ms | {} |\n",
            index + 1,
            number(&run["console_ms"]),
            run["console_requests"],
            number(&run["kubectl_ms"]),
            run["kubectl_requests"]
        ));
    }
    if let Some(steps) = plans["runs"][0]["console_steps"].as_object() {
        let parts: Vec<String> = steps
            .iter()
            .map(|(name, step)| {
                format!(
                    "{name} preview {:.0} ms + apply {:.0} ms",
                    number(&step["preview_ms"]),
                    number(&step["apply_ms"])
                )
            })
            .collect();
        md.push_str(&format!(
            "\nThe console's time, run 1: {}. Beyond what kubectl does, the console dry-runs every step, writes \
             an audit intent and outcome, and after a change of `configs/cluster` re-reads it until the operator \
             has observed the new generation (the settled spec, by a watch in `settled_config` in \
             `registry/plan/engine.rs`); kubectl returns once the API server has stored each object.\n",
            parts.join("; ")
        ));
    }
    let reads = &live["reads"];
    md.push_str(&format!(
        "\n## Read model under load\n\n\
         Open-loop, fixed rate: {} requests/s for {} s per target from loopback, each request sent when due \
         whatever the earlier ones did, its latency counted from when it was due (no coordinated omission). The \
         generator is part of xtask (tokio); no external tool (wrk, oha) is needed. All as the admin. The \
         console's view is served from its watch-fed caches (its own credential: the auditor's token), each \
         part authorised for the caller by SelfSubjectAccessReview, remembered at most 10 s.\n\n",
        reads["rate"], reads["seconds"]
    ));
    md.push_str(
        "| target | sent | errors | p50 | p90 | p99 | max | served from |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (name, key) in [
        ("console `GET /api/v1/registry`, cached", "console_cached"),
        ("API server `GET configs/cluster`, direct", "api_server_config"),
        ("console `GET /api/v1/registry`, no cache (direct reads)", "console_direct"),
    ] {
        let figures = &reads[key];
        let labels: Vec<String> = figures["labels"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|label| format!("{} {}", label["label"].as_str().unwrap_or("?"), label["count"]))
            .collect();
        let mut errors = figures["errors"].to_string();
        if let Some(first) = figures["first_error"].as_str() {
            errors.push_str(&format!(" ({first})"));
        }
        md.push_str(&format!(
            "| {name} | {} | {errors} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} |\n",
            figures["sent"],
            number(&figures["p50_ms"]),
            number(&figures["p90_ms"]),
            number(&figures["p99_ms"]),
            number(&figures["max_ms"]),
            labels.join(", ")
        ));
    }
    md
}

/// index.html, the CSS, the JS and the WASM: what a browser fetches on first visit.
fn first_load_bytes(web_root: &Path) -> anyhow::Result<serde_json::Value> {
    let mut files = vec![web_root.join("index.html")];
    for entry in std::fs::read_dir(web_root.join("assets"))? {
        let path = entry?.path();
        if matches!(path.extension().and_then(|e| e.to_str()), Some("js" | "wasm" | "css")) {
            files.push(path);
        }
    }
    let (mut raw, mut gzip, mut brotli) = (0u64, 0u64, 0u64);
    let mut per_file = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file)?;
        let file_gzip = web::gzip_bytes(&bytes)?.len() as u64;
        let file_brotli = web::brotli_bytes(&bytes)?.len() as u64;
        raw += bytes.len() as u64;
        gzip += file_gzip;
        brotli += file_brotli;
        let name = file.strip_prefix(web_root).unwrap_or(file).display().to_string();
        per_file.push(json!({ "file": name, "raw": bytes.len(), "gzip": file_gzip, "brotli": file_brotli }));
    }
    Ok(json!({ "raw": raw, "gzip": gzip, "brotli": brotli, "files": per_file }))
}

fn render_markdown(report: &serde_json::Value, cold_start_median: f64, idle_rss_kib: u64) -> String {
    let first_load = &report["first_load"];
    let brotli = first_load["brotli"].as_u64().unwrap_or(0);
    let mark = |ok: bool| if ok { "within goal" } else { "OVER GOAL" };
    let mut md = String::new();
    md.push_str(&format!("# Registry Console benchmark ({})\n\n", report["version"].as_str().unwrap_or("")));
    md.push_str("| measure | value | goal | |\n|---|---|---|---|\n");
    md.push_str(&format!(
        "| first load, brotli (index.html + JS + WASM + CSS) | {:.1} KiB | ≤ {} KiB | {} |\n",
        brotli as f64 / 1024.0,
        GOAL_FIRST_LOAD_BROTLI / 1024,
        mark(brotli <= GOAL_FIRST_LOAD_BROTLI)
    ));
    md.push_str(&format!(
        "| first load, gzip | {:.1} KiB | | |\n| first load, raw | {:.1} KiB | | |\n",
        first_load["gzip"].as_u64().unwrap_or(0) as f64 / 1024.0,
        first_load["raw"].as_u64().unwrap_or(0) as f64 / 1024.0
    ));
    md.push_str(&format!(
        "| cold start to /readyz 200, median of {COLD_START_RUNS} (max {:.1} ms) | {cold_start_median:.1} ms | ≤ {GOAL_COLD_START_MS} ms | {} |\n",
        report["cold_start_ms"]["max"].as_f64().unwrap_or(0.0),
        mark(cold_start_median <= GOAL_COLD_START_MS)
    ));
    md.push_str(&format!(
        "| idle RSS after a few requests | {:.1} MiB | ≤ {} MiB | {} |\n",
        idle_rss_kib as f64 / 1024.0,
        GOAL_IDLE_RSS_KIB / 1024,
        mark(idle_rss_kib <= GOAL_IDLE_RSS_KIB)
    ));
    md.push_str("\n## First-load files\n\n| file | raw | gzip | brotli |\n|---|---|---|---|\n");
    for file in first_load["files"].as_array().into_iter().flatten() {
        md.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            file["file"].as_str().unwrap_or(""),
            file["raw"],
            file["gzip"],
            file["brotli"]
        ));
    }
    md.push_str(
        "\nMeasured on this machine with the `cargo xtask dist` build; the server uses a new SQLite file per run.\n",
    );
    md
}

struct Server {
    child: Child,
    address: SocketAddr,
}

/// Starts the server and returns once `/readyz` answers 200, with the time that took.
fn start_server(binary: &Path, web_root: &Path, database: &Path) -> anyhow::Result<(Server, Duration)> {
    let address = free_address()?;
    let started = Instant::now();
    let child = Command::new(binary)
        .args(["--listen", &address.to_string(), "--log-filter", "warn", "--web-root"])
        .arg(web_root)
        .arg("--database-url")
        .arg(format!("sqlite://{}", database.display()))
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let mut server = Server { child, address };
    let deadline = started + Duration::from_secs(10);
    loop {
        if let Ok((200, _)) = http_get(address, "/readyz") {
            return Ok((server, started.elapsed()));
        }
        if Instant::now() > deadline {
            let _ = server.child.kill();
            bail!("the server did not become ready within 10 s");
        }
        if let Some(status) = server.child.try_wait()? {
            bail!("the server exited during start: {status}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn stop(mut server: Server) {
    let _ = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status();
    let _ = server.child.wait();
}

fn free_address() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// A minimal HTTP/1.1 GET: enough for loopback probes, no client dependency.
fn http_get(address: SocketAddr, path: &str) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(200))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let status_line = response.split(|b| *b == b'\n').next().unwrap_or_default();
    let status = String::from_utf8_lossy(status_line)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .context("malformed HTTP response")?;
    Ok((status, response))
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .context("no VmRSS in /proc/PID/status")
}

fn tempfile_dir(project: &Project) -> anyhow::Result<std::path::PathBuf> {
    let dir = project.target.join("bench-scratch");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
