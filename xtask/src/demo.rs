//! `cargo xtask demo`: builds everything, starts the test cluster (seeded
//! like a fresh bare-metal install, with the operator simulator reacting to
//! it) and the console, and prints where to go and who to sign in as.
//! Ctrl-C stops the console and the simulator; the cluster keeps running
//! until `cargo xtask cluster down`, so the next demo starts in seconds.

use std::process::{Child, Command};

use anyhow::Context as _;

use crate::proc::{self, cargo};
use crate::{Project, cluster, step, tools, web};

pub fn run(project: &Project, args: &[String]) -> anyhow::Result<()> {
    let listen = match args {
        [] => "127.0.0.1:8080".to_owned(),
        [flag, address] if flag == "--listen" => address.clone(),
        _ => anyhow::bail!("usage: cargo xtask demo [--listen ADDR]"),
    };
    let web_tools = tools::web_tools(project)?;
    tools::idp_packages(project)?;
    let web_root = web::build(project, &web_tools)?;
    step("building the server and the operator simulator");
    proc::run(cargo().current_dir(&project.root).args([
        "build",
        "--package",
        "registry-console",
        "--package",
        "registry-operator-simulator",
    ]))?;
    let status = cluster::up(project)?;
    let kubeconfig = status["kubeconfig"].as_str().context("the cluster's ready line has no kubeconfig")?.to_owned();

    let simulator_binary = project.target.join("debug/registry-operator-simulator");
    let simulator = Command::new(&simulator_binary)
        .env("KUBECONFIG", &kubeconfig)
        .env("RUST_LOG", "warn")
        .spawn()
        .with_context(|| format!("cannot start {}", simulator_binary.display()))?;
    let _simulator = KillOnDrop(simulator);

    let data = project.target.join("demo");
    std::fs::create_dir_all(&data)?;
    // The console reads through watch-fed caches with a read-only credential
    // of its own (the auditor's); every change is made with the caller's token.
    let service_token = data.join("service-token");
    let auditor =
        status["users"]["auditor"]["token"].as_str().context("the cluster's ready line has no auditor token")?;
    std::fs::write(&service_token, auditor)?;
    let binary = project.target.join("debug/registry-console");
    let server = Command::new(&binary)
        .args(["--listen", &listen, "--web-root"])
        .arg(&web_root)
        .arg("--database-url")
        .arg(format!("sqlite://{}", data.join("console.db").display()))
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--cluster-service-token-file")
        .arg(&service_token)
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let mut server = KillOnDrop(server);
    eprintln!("    the test cluster keeps running after the demo: `cargo xtask cluster down` stops it");
    step(format!("Registry Console is running at http://{listen}/  (Ctrl-C stops it)"));
    eprintln!("    database: {}", data.join("console.db").display());
    eprintln!(
        "    try the API: curl -H \"Authorization: Bearer <admin token>\" http://{listen}/api/v1/registry  (OpenAPI: /api/openapi.json)"
    );
    let exit = server.0.wait()?;
    anyhow::ensure!(exit.success() || exit.code().is_none(), "the server stopped: {exit}");
    Ok(())
}

/// Stops a child when the demo ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
