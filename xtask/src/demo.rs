//! `cargo xtask demo`: builds everything and runs the console until Ctrl-C.

use anyhow::Context as _;

use crate::proc::{self, cargo};
use crate::{Project, step, tools, web};

pub fn run(project: &Project, args: &[String]) -> anyhow::Result<()> {
    let listen = match args {
        [] => "127.0.0.1:8080".to_owned(),
        [flag, address] if flag == "--listen" => address.clone(),
        _ => anyhow::bail!("usage: cargo xtask demo [--listen ADDR]"),
    };
    let web_tools = tools::web_tools(project)?;
    let web_root = web::build(project, &web_tools)?;
    step("building the server");
    proc::run(cargo().current_dir(&project.root).args(["build", "--package", "registry-console"]))?;
    let data = project.target.join("demo");
    std::fs::create_dir_all(&data)?;
    let binary = project.target.join("debug/registry-console");
    let mut server = std::process::Command::new(&binary)
        .args(["--listen", &listen, "--web-root"])
        .arg(&web_root)
        .arg("--database-url")
        .arg(format!("sqlite://{}", data.join("console.db").display()))
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    step(format!("Registry Console is running at http://{listen}/  (Ctrl-C stops it)"));
    eprintln!("    database: {}", data.join("console.db").display());
    let status = server.wait()?;
    anyhow::ensure!(status.success() || status.code().is_none(), "the server stopped: {status}");
    Ok(())
}
