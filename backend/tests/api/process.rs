//! The real binary: flags, logs, and graceful shutdown on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn the_binary_logs_json_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_registry-console"))
        .args(["--listen", "127.0.0.1:0", "--log-format", "json", "--log-filter", "info"])
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.path().join("console.db").display()))
        .arg("--web-root")
        .arg(dir.path().join("web"))
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start registry-console");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
        })
        .find(|event| event["message"] == "listening")
        .expect("a `listening` log event");
    let address = listening["address"].as_str().expect("address field").to_owned();
    assert!(address.starts_with("127.0.0.1:"), "{address}");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("run kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("server did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|line| line.contains("\"stopped\"")), "{rest:?}");
}

#[test]
fn a_bad_flag_value_names_the_option() {
    let output = Command::new(env!("CARGO_BIN_EXE_registry-console"))
        .args(["--listen", "nowhere"])
        .output()
        .expect("run registry-console");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--listen"), "{stderr}");
}

#[test]
fn a_bad_setting_is_one_readable_line_without_a_backtrace() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_registry-console"))
        .current_dir(dir.path())
        .env("RC_LISTEN", "nowhere")
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run registry-console");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("registry-console: invalid configuration: "), "{stderr}");
    assert!(stderr.to_lowercase().contains("listen"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}

#[test]
fn a_busy_port_is_named_in_the_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let address = taken.local_addr().expect("address").to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_registry-console"))
        .current_dir(dir.path())
        .args(["--listen", &address, "--log-filter", "off"])
        .output()
        .expect("run registry-console");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("cannot listen on {address}")), "{stderr}");
}

#[test]
fn print_config_shows_the_effective_settings() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("registry-console.toml"), "listen = \"0.0.0.0:9443\"\n").expect("write config");
    let output = Command::new(env!("CARGO_BIN_EXE_registry-console"))
        .arg("--print-config")
        .current_dir(dir.path())
        .env("RC_DATABASE_URL", "sqlite://from-env.db")
        .output()
        .expect("run registry-console");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let settings: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON settings");
    assert_eq!(settings["listen"], "0.0.0.0:9443");
    assert_eq!(settings["database_url"], "sqlite://from-env.db");
}
