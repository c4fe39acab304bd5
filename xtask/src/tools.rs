//! Prerequisites, installed on first use and checked (cheaply) every time:
//! the wasm32 target, the wasm-bindgen CLI at the version Cargo.lock pins,
//! wasm-opt from npm's `binaryen` (Debian's is too old and its output fails in
//! Chromium), for the browser tests Chromium, ChromeDriver and CJK fonts
//! from Debian, and the test identity provider's npm packages (`tests/idp`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use sha2::Digest as _;

use crate::proc::{cargo, output, run};
use crate::{Project, step};

/// binaryen release whose `wasm-opt` builds the shipped app.
const BINARYEN_VERSION: &str = "132.0.0";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The oldest Node.js the test identity provider runs on (`tests/idp/package.json`).
const NODE_MIN: (u32, u32) = (20, 19);
/// Debian packages the browser tests need.
const BROWSER_PACKAGES: [&str; 3] = ["chromium", "chromium-driver", "fonts-noto-cjk"];

pub struct WebTools {
    pub wasm_bindgen: PathBuf,
    pub wasm_opt: PathBuf,
}

fn tools_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("RC_TOOLS_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .context("neither RC_TOOLS_DIR, XDG_CACHE_HOME nor HOME is set: set RC_TOOLS_DIR")?;
    Ok(cache.join("registry-console").join("tools"))
}

/// Everything the browser app's build needs.
pub fn web_tools(project: &Project) -> anyhow::Result<WebTools> {
    ensure_wasm_target()?;
    let dir = tools_dir()?;
    let wasm_bindgen = ensure_wasm_bindgen(project, &dir)?;
    let wasm_opt = ensure_wasm_opt(&dir)?;
    Ok(WebTools { wasm_bindgen, wasm_opt })
}

fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    step(format!("installing the Rust target {WASM_TARGET}"));
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
        .context("cannot add the wasm32 target; with rustup run `rustup target add wasm32-unknown-unknown`")
}

/// The wasm-bindgen version in Cargo.lock: the CLI must be the same.
fn pinned_wasm_bindgen(project: &Project) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(project.root.join("Cargo.lock")).context("read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            let version = lines.next().and_then(|l| l.strip_prefix("version = \"")).and_then(|v| v.strip_suffix('"'));
            if let Some(version) = version {
                return Ok(version.to_owned());
            }
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}

fn ensure_wasm_bindgen(project: &Project, dir: &Path) -> anyhow::Result<PathBuf> {
    let version = pinned_wasm_bindgen(project)?;
    let binary = dir.join("bin").join("wasm-bindgen");
    let current = output(Command::new(&binary).arg("--version")).unwrap_or_default();
    if current.split_whitespace().nth(1) == Some(version.as_str()) {
        return Ok(binary);
    }
    step(format!("installing wasm-bindgen-cli {version} into {} (a few minutes, once)", dir.display()));
    // No `--locked`: the CLI's own lock file pins crates that no longer build.
    run(cargo().args(["install", "wasm-bindgen-cli", "--force", "--version", &version, "--root"]).arg(dir))
        .context("cannot install wasm-bindgen-cli; check access to crates.io")?;
    Ok(binary)
}

fn ensure_wasm_opt(dir: &Path) -> anyhow::Result<PathBuf> {
    let npm_dir = dir.join("npm");
    let binary = npm_dir.join("node_modules").join(".bin").join("wasm-opt");
    let current = output(Command::new(&binary).arg("--version")).unwrap_or_default();
    if current.contains(&format!("version {}", BINARYEN_VERSION.split('.').next().unwrap_or(""))) {
        return Ok(binary);
    }
    step(format!("installing wasm-opt (npm binaryen@{BINARYEN_VERSION}) into {}", npm_dir.display()));
    std::fs::create_dir_all(&npm_dir)?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
        .arg(&npm_dir)
        .arg(format!("binaryen@{BINARYEN_VERSION}")))
    .context("cannot install binaryen with npm; install Node.js 18+ with npm, and check access to the npm registry")?;
    if output(Command::new(&binary).arg("--version")).is_none() {
        bail!("{} does not run after installation", binary.display());
    }
    Ok(binary)
}

/// Paths of the browser and its driver for the end-to-end tests.
pub struct BrowserTools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

pub fn browser_tools() -> anyhow::Result<BrowserTools> {
    let missing: Vec<&str> = BROWSER_PACKAGES.into_iter().filter(|p| !debian_package_installed(p)).collect();
    if !missing.is_empty() {
        step(format!("installing {} from Debian", missing.join(", ")));
        let apt = |args: &[&str]| {
            let mut command = if is_root() {
                Command::new("apt-get")
            } else {
                let mut sudo = Command::new("sudo");
                sudo.args(["-n", "apt-get"]);
                sudo
            };
            command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            run(&mut command)
        };
        apt(&["update", "-qq"])
            .and_then(|()| apt(&[&["install", "-y", "-qq", "--no-install-recommends"][..], &missing].concat()))
            .with_context(|| {
                format!("cannot install {}: as root, run `apt-get install {}`", missing.join(" "), missing.join(" "))
            })?;
    }
    let tools = BrowserTools { chromium: "/usr/bin/chromium".into(), chromedriver: "/usr/bin/chromedriver".into() };
    for path in [&tools.chromium, &tools.chromedriver] {
        if !path.exists() {
            bail!("{} is missing although its package is installed", path.display());
        }
    }
    Ok(tools)
}

fn debian_package_installed(package: &str) -> bool {
    output(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|status| status.contains("install ok installed"))
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0")
}

/// The test identity provider's npm packages: `npm ci` in `tests/idp` when
/// `node_modules` is missing or was installed from another `package-lock.json`
/// (its SHA-256 is kept in `node_modules/.rc-lock-sha256`); nothing to fetch
/// otherwise, so later runs work offline.
pub fn idp_packages(project: &Project) -> anyhow::Result<()> {
    let dir = project.root.join("tests/idp");
    let node = output(Command::new("node").arg("--version")).context(
        "Node.js is missing: the test identity provider (tests/idp) needs Node.js 20.19+ with npm; install them \
         (e.g. `apt-get install nodejs npm`, or from nodejs.org)",
    )?;
    let version: Vec<u32> = node.trim().trim_start_matches('v').split('.').map_while(|p| p.parse().ok()).collect();
    if let [major, minor, ..] = version[..]
        && (major, minor) < NODE_MIN
    {
        bail!(
            "Node.js {} is too old for the test identity provider (tests/idp): install {}.{} or later",
            node.trim(),
            NODE_MIN.0,
            NODE_MIN.1
        );
    }
    let lock = std::fs::read(dir.join("package-lock.json")).context("read tests/idp/package-lock.json")?;
    let hash: String = sha2::Sha256::digest(&lock).iter().map(|b| format!("{b:02x}")).collect();
    let stamp = dir.join("node_modules").join(".rc-lock-sha256");
    if std::fs::read_to_string(&stamp).is_ok_and(|installed| installed.trim() == hash) {
        return Ok(());
    }
    if output(Command::new("npm").arg("--version")).is_none() {
        bail!("npm is missing: the test identity provider (tests/idp) needs it with Node.js; install npm");
    }
    step("installing the test identity provider's npm packages (npm ci in tests/idp)");
    run(Command::new("npm").current_dir(&dir).args(["ci", "--no-audit", "--no-fund", "--prefer-offline"]))
        .context("cannot install tests/idp's npm packages; check access to the npm registry")?;
    std::fs::write(&stamp, &hash).with_context(|| format!("write {}", stamp.display()))?;
    Ok(())
}
