//! Builds the browser app: cargo (wasm32, profile `wasm-release`) →
//! wasm-bindgen → wasm-opt -Oz → content-hashed files under `assets/`, an
//! `index.html` from `static/index.html`, and `.br`/`.gz` twins the server
//! sends as they are. Demo, tests and dist all use this one build, so the
//! browser tests see exactly what users get.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};

use crate::proc::{cargo, run};
use crate::tools::WebTools;
use crate::{Project, step};

/// Features rustc enables by default for wasm32-unknown-unknown; wasm-opt
/// must accept them. It adds none of its own.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-mutable-globals",
];
const COMPRESSIBLE: [&str; 6] = ["html", "js", "wasm", "css", "svg", "json"];

/// The built app's folder (what the server's `web_root` points at).
pub fn web_root(project: &Project) -> PathBuf {
    project.target.join("web")
}

pub fn build(project: &Project, tools: &WebTools) -> anyhow::Result<PathBuf> {
    step("building the browser app (wasm32, size-optimised)");
    run(cargo().current_dir(&project.root).args([
        "build",
        "--package",
        "frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]))?;
    let compiled = project.target.join("wasm32-unknown-unknown/wasm-release/frontend.wasm");
    let work = project.target.join("web-build");
    let bindgen_dir = work.join("bindgen");
    fs::create_dir_all(&bindgen_dir)?;
    run(std::process::Command::new(&tools.wasm_bindgen)
        .args(["--target", "web", "--no-typescript", "--out-name", "app", "--out-dir"])
        .arg(&bindgen_dir)
        .arg(&compiled))?;
    let bound_wasm = fs::read(bindgen_dir.join("app_bg.wasm")).context("read wasm-bindgen output")?;
    let optimised = optimise(&work, tools, &bound_wasm)?;
    let js = fs::read_to_string(bindgen_dir.join("app.js")).context("read wasm-bindgen JS")?;

    let staging = project.target.join("web.new");
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir_all(staging.join("assets"))?;
    let wasm_name = format!("app-{}.wasm", short_hash(&optimised));
    fs::write(staging.join("assets").join(&wasm_name), &optimised)?;
    let js = boot_script(&js, &wasm_name)?;
    let js_name = format!("app-{}.js", short_hash(js.as_bytes()));
    fs::write(staging.join("assets").join(&js_name), &js)?;

    let static_dir = project.root.join("static");
    let css = fs::read(static_dir.join("app.css")).context("read static/app.css")?;
    let css_name = format!("app-{}.css", short_hash(&css));
    fs::write(staging.join("assets").join(&css_name), &css)?;
    for entry in fs::read_dir(&static_dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if path.is_file() && name != "index.html" && name != "app.css" {
            fs::copy(&path, staging.join(&name))?;
        }
    }
    let template = fs::read_to_string(static_dir.join("index.html")).context("read static/index.html")?;
    let index = template
        .replace("{{css}}", &format!("/assets/{css_name}"))
        .replace("{{js}}", &format!("/assets/{js_name}"))
        .replace("{{wasm}}", &format!("/assets/{wasm_name}"));
    if index.contains("{{") {
        bail!("static/index.html has an unknown {{{{placeholder}}}}");
    }
    fs::write(staging.join("index.html"), index)?;
    compress_tree(&staging)?;

    let root = web_root(project);
    if root.exists() {
        fs::remove_dir_all(&root)?;
    }
    fs::rename(&staging, &root)?;
    step(format!("browser app ready in {}", root.display()));
    Ok(root)
}

/// wasm-opt -Oz, cached by the input's hash (it takes tens of seconds).
fn optimise(work: &Path, tools: &WebTools, wasm: &[u8]) -> anyhow::Result<Vec<u8>> {
    let cache = work.join("opt");
    fs::create_dir_all(&cache)?;
    let key = hex(&Sha256::digest(wasm));
    let cached = cache.join(format!("{key}.wasm"));
    if let Ok(bytes) = fs::read(&cached) {
        return Ok(bytes);
    }
    let input = cache.join("input.wasm");
    fs::write(&input, wasm)?;
    step("optimising the WASM with wasm-opt -Oz");
    run(std::process::Command::new(&tools.wasm_opt).arg("-Oz").args(WASM_FEATURES).arg(&input).arg("-o").arg(&cached))?;
    Ok(fs::read(&cached)?)
}

/// Points wasm-bindgen's loader at the hashed WASM and starts the app, so
/// the page needs no inline script (the CSP forbids it).
fn boot_script(js: &str, wasm_name: &str) -> anyhow::Result<String> {
    const DEFAULT_URL: &str = "new URL('app_bg.wasm', import.meta.url)";
    if !js.contains(DEFAULT_URL) || !js.contains("async function __wbg_init(") {
        bail!("wasm-bindgen output changed shape: expected {DEFAULT_URL} and a function __wbg_init");
    }
    let js = js.replace(DEFAULT_URL, &format!("new URL('{wasm_name}', import.meta.url)"));
    Ok(format!("{js}\n__wbg_init();\n"))
}

fn compress_tree(dir: &Path) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            compress_tree(&path)?;
            continue;
        }
        let compressible = path.extension().and_then(|e| e.to_str()).is_some_and(|e| COMPRESSIBLE.contains(&e));
        if compressible {
            let bytes = fs::read(&path)?;
            fs::write(format!("{}.br", path.display()), brotli_bytes(&bytes)?)?;
            fs::write(format!("{}.gz", path.display()), gzip_bytes(&bytes)?)?;
        }
    }
    Ok(())
}

pub fn brotli_bytes(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

pub fn gzip_bytes(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn short_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))[..16].to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
