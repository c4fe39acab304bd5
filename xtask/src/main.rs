//! `cargo xtask`: the project's own build and test commands. Each one installs
//! what it needs first (idempotently), so a fresh machine needs only Rust.

mod bench;
mod cluster;
mod demo;
mod dist;
mod proc;
mod test;
mod tools;
mod web;

use std::path::PathBuf;

const HELP: &str = "\
cargo xtask <command>

Commands:
  demo [--listen ADDR]   build, start the console (default 127.0.0.1:8080), print its URL
  test                   install prerequisites, build, lint, and run every test
  dist                   release build: target/dist/registry-console and target/dist/web
  bench                  measure the dist build; writes target/bench/report.{md,json}
  web                    build the browser app only (into the cargo target dir, web/)
  cluster up             build and start the test cluster (kube-apiserver, OpenShift CRDs,
                         controllers, kwok; seeded from tests/seed) in <target>/cluster;
                         prints its URL, kubeconfig and the users' tokens
  cluster down           stop it (its data stays for the next `up`)
  cluster status         print the same, or say that it is not running

Environment:
  CARGO_TARGET_DIR       where builds go (default: ./target)
  RC_TOOLS_DIR           where wasm-bindgen and wasm-opt are installed
                         (default: ~/.cache/registry-console/tools)
  RC_CONTROLPLANE_BIN    where the test control plane binary is built
                         (default: ~/.cache/registry-console/rc-controlplane); needs Go
";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    let project = Project::locate()?;
    match command.as_deref() {
        Some("demo") => demo::run(&project, &rest),
        Some("test") => test::run(&project, &rest),
        Some("dist") => dist::run(&project).map(|_| ()),
        Some("bench") => bench::run(&project),
        Some("cluster") => cluster::run(&project, &rest),
        Some("web") => {
            let tools = tools::web_tools(&project)?;
            web::build(&project, &tools).map(|_| ())
        }
        None | Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => anyhow::bail!("unknown command `{other}`\n\n{HELP}"),
    }
}

/// Where things are: the workspace root and the cargo target folder.
pub struct Project {
    pub root: PathBuf,
    pub target: PathBuf,
}

impl Project {
    fn locate() -> anyhow::Result<Self> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .ok_or_else(|| anyhow::anyhow!("xtask is not inside the workspace"))?
            .to_owned();
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if PathBuf::from(&dir).is_absolute() => PathBuf::from(dir),
            Some(dir) => root.join(dir),
            None => root.join("target"),
        };
        Ok(Self { root, target })
    }

    /// Reports and artifacts for people (screenshots, bench reports) stay in
    /// the project's own `target/`, wherever cargo builds.
    pub fn reports(&self) -> PathBuf {
        self.root.join("target")
    }
}

/// Prints a step so a long run says what it is doing.
pub fn step(message: impl std::fmt::Display) {
    eprintln!("\x1b[1m==> {message}\x1b[0m");
}
