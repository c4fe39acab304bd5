//! `cargo xtask test`: prerequisites, the app build, formatting and lints,
//! then every test of the workspace (unit, API, browser, test cluster). Arguments after
//! `--` go to `cargo test` (e.g. a test name filter).

use crate::proc::{self, cargo};
use crate::{Project, cluster, step, tools, web};

pub fn run(project: &Project, args: &[String]) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    step("checking prerequisites");
    let web_tools = tools::web_tools(project)?;
    let browser = tools::browser_tools()?;
    tools::idp_packages(project)?;
    // Built once here, so the test binaries need not all run build.sh.
    let controlplane = cluster::build(project)?;

    step("checking formatting (cargo fmt --check)");
    proc::run(cargo().current_dir(&project.root).args(["fmt", "--all", "--check"]))
        .map_err(|e| e.context("code is not formatted: run `cargo fmt --all`"))?;

    let web_root = web::build(project, &web_tools)?;

    step("linting (clippy, warnings are errors)");
    proc::run(cargo().current_dir(&project.root).args([
        "clippy",
        "--workspace",
        "--exclude",
        "frontend",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    proc::run(cargo().current_dir(&project.root).args([
        "clippy",
        "--package",
        "frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("running the tests");
    let artifacts = project.reports().join("e2e");
    std::fs::create_dir_all(&artifacts)?;
    let forwarded: Vec<&String> = args.iter().skip_while(|a| *a == "--").collect();
    proc::run(
        cargo()
            .current_dir(&project.root)
            .args(["test", "--workspace", "--exclude", "frontend", "--no-fail-fast", "--"])
            .args(forwarded)
            .env("E2E_WEB_ROOT", &web_root)
            .env("E2E_CHROMIUM", &browser.chromium)
            .env("E2E_CHROMEDRIVER", &browser.chromedriver)
            .env("E2E_ARTIFACTS", &artifacts)
            .env("E2E_CONTROLPLANE_BIN", &controlplane),
    )?;
    step(format!(
        "all tests passed in {:.0} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        artifacts.display()
    ));
    Ok(())
}
