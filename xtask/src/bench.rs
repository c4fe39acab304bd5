//! `cargo xtask bench`: measures the release build and writes
//! `target/bench/report.md` and `report.json`. Cases so far: the app's
//! first-load bytes, the server's cold start to `/readyz`, and its idle RSS.

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
    let _ = std::fs::remove_dir_all(&scratch);

    let report = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "first_load": first_load,
        "cold_start_ms": { "median": cold_start_median, "max": cold_start_max, "runs": cold_starts },
        "idle_rss_kib": idle_rss_kib,
        "goals": {
            "first_load_brotli_bytes": GOAL_FIRST_LOAD_BROTLI,
            "cold_start_ms": GOAL_COLD_START_MS,
            "idle_rss_kib": GOAL_IDLE_RSS_KIB,
        },
    });
    let markdown = render_markdown(&report, cold_start_median, idle_rss_kib);
    let out = project.reports().join("bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("report.json"), serde_json::to_string_pretty(&report)?)?;
    std::fs::write(out.join("report.md"), &markdown)?;
    println!("{markdown}");
    step(format!("report written to {}", out.join("report.md").display()));
    Ok(())
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
