//! `cargo xtask cluster up|down|status`: the test cluster for people (the
//! demo, kubectl, a browser). `up` builds `rc-controlplane` (Go, cached) and
//! starts it detached on `<target>/cluster`, seeded from `tests/seed/`; it
//! keeps running after xtask exits until `down`. The cluster's state (etcd,
//! PKI, tokens) stays in that folder, so a later `up` brings it back.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::{Project, step};

const USAGE: &str = "usage: cargo xtask cluster up|down|status";

pub fn run(project: &Project, args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        Some("up") => up(project).map(|_| ()),
        Some("down") => down(project),
        Some("status") => status(project),
        _ => bail!("{USAGE}"),
    }
}

/// Where Go is when it is not on PATH (preinstalled on the project's machines).
const GO_DIR: &str = "/usr/local/go/bin";

/// PATH with the Go directory appended.
fn path_with_go() -> std::ffi::OsString {
    let mut paths: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    paths.push(PathBuf::from(GO_DIR));
    std::env::join_paths(paths).unwrap_or_else(|_| GO_DIR.into())
}

/// Builds `rc-controlplane` if its sources changed (`tests/controlplane/build.sh`)
/// and returns the binary's path. Fails with what to do when Go is missing.
pub fn build(project: &Project) -> anyhow::Result<PathBuf> {
    let path = path_with_go();
    let has_go = std::env::split_paths(&path).any(|dir| dir.join("go").is_file());
    if !has_go {
        bail!(
            "the test cluster needs Go (to build tests/controlplane): `go` is neither on PATH nor in {GO_DIR}; \
             install Go 1.26 or newer from https://go.dev/dl/ into /usr/local/go"
        );
    }
    step("building the test control plane (tests/controlplane/build.sh; cached)");
    let script = project.root.join("tests/controlplane/build.sh");
    let output = Command::new("bash")
        .arg(&script)
        .env("PATH", &path)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !output.status.success() {
        bail!("{} failed ({}); its messages are above", script.display(), output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let bin = stdout.lines().last().map(str::trim).unwrap_or_default();
    if bin.is_empty() || !Path::new(bin).is_file() {
        bail!("{} printed no binary path (stdout: {stdout:?})", script.display());
    }
    Ok(PathBuf::from(bin))
}

fn cluster_dir(project: &Project) -> PathBuf {
    project.target.join("cluster")
}

/// The saved status line of a running cluster, if one is running.
fn running(dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("cluster.json")).ok()?;
    let status: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let pid = status["pid"].as_u64()?;
    (status["ready"] == true && is_controlplane(pid)).then_some(status)
}

/// Whether `pid` is alive and is an rc-controlplane process (not a reused pid).
fn is_controlplane(pid: u64) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let zombie = stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'));
    !zombie && String::from_utf8_lossy(&cmdline).contains("rc-controlplane")
}

/// Starts the cluster unless it runs already; returns its status line.
pub fn up(project: &Project) -> anyhow::Result<serde_json::Value> {
    let dir = cluster_dir(project);
    if let Some(status) = running(&dir) {
        step("the test cluster is already running");
        print_status(&status);
        return Ok(status);
    }
    let bin = build(project)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _ = std::fs::remove_file(dir.join("cluster.json"));
    step(format!("starting the test cluster in {}", dir.display()));
    let stdout = std::fs::File::create(dir.join("up.stdout"))?;
    let stderr = std::fs::File::create(dir.join("up.stderr"))?;
    let seed = project.root.join("tests/seed");
    let mut command = Command::new(&bin);
    command
        .arg("up")
        .arg("--dir")
        .arg(&dir)
        .arg("--seed")
        .arg(&seed)
        .env("PATH", path_with_go())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    // Its own process group: Ctrl-C in this terminal does not reach it, and
    // it outlives xtask.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().with_context(|| format!("cannot start {} up", bin.display()))?;

    let started = Instant::now();
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(dir.join("cluster.json"))
            && let Ok(status) = serde_json::from_str::<serde_json::Value>(text.trim())
        {
            break status;
        }
        if let Some(exit) = child.try_wait()? {
            bail!("the test cluster exited ({exit}) before it was ready\n{}", log_tail(&dir));
        }
        if started.elapsed() > Duration::from_secs(150) {
            let _ = child.kill();
            bail!("the test cluster was not ready within 150 s\n{}", log_tail(&dir));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if status["ready"] != true {
        let _ = child.wait();
        bail!("the test cluster failed to start: {}\n{}", status["error"].as_str().unwrap_or("?"), log_tail(&dir));
    }
    step(format!("the test cluster is ready ({:.1} s)", started.elapsed().as_secs_f64()));
    print_status(&status);
    Ok(status)
}

fn down(project: &Project) -> anyhow::Result<()> {
    let dir = cluster_dir(project);
    let Some(status) = running(&dir) else {
        step("the test cluster is not running");
        return Ok(());
    };
    let pid = status["pid"].as_u64().unwrap_or_default().to_string();
    step(format!("stopping the test cluster (pid {pid})"));
    crate::proc::run(Command::new("kill").args(["-TERM", &pid]))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while running(&dir).is_some() {
        if Instant::now() > deadline {
            eprintln!("    still running after 20 s: SIGKILL");
            crate::proc::run(Command::new("kill").args(["-KILL", &pid]))?;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    step("stopped; its data stays in the folder for the next `up`");
    Ok(())
}

fn status(project: &Project) -> anyhow::Result<()> {
    match running(&cluster_dir(project)) {
        Some(status) => print_status(&status),
        None => println!("the test cluster is not running (start it with `cargo xtask cluster up`)"),
    }
    Ok(())
}

fn print_status(status: &serde_json::Value) {
    let text = |key: &str| status[key].as_str().unwrap_or("?").to_owned();
    println!("API server:  {}", text("url"));
    println!("CA:          {}", text("caFile"));
    println!("kubeconfig:  {}   (break-glass, system:masters)", text("kubeconfig"));
    println!("logs:        {}", text("logDir"));
    println!("pid:         {}", status["pid"]);
    println!("users (bearer tokens):");
    for user in ["admin", "auditor", "developer", "nobody"] {
        let u = &status["users"][user];
        let groups: Vec<&str> =
            u["groups"].as_array().map(|g| g.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
        println!("  {user:<10} {}  groups: [{}]", u["token"].as_str().unwrap_or("?"), groups.join(", "));
    }
    // The binary is also kubectl: `rc-controlplane kubectl …`.
    let bin = std::fs::read(format!("/proc/{}/cmdline", status["pid"]))
        .ok()
        .and_then(|c| c.split(|b| *b == 0).next().map(|b| String::from_utf8_lossy(b).into_owned()))
        .unwrap_or_else(|| "rc-controlplane".to_owned());
    println!(
        "kubectl:     KUBECONFIG={} {bin} kubectl get configs.imageregistry.operator.openshift.io cluster",
        text("kubeconfig")
    );
}

fn log_tail(dir: &Path) -> String {
    let mut out = String::new();
    for file in [dir.join("up.stderr"), dir.join("logs/control-plane.log")] {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(20)..];
        out.push_str(&format!("--- last lines of {} ---\n{}\n", file.display(), tail.join("\n")));
    }
    out
}
