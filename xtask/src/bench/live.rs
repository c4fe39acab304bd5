//! The bench's cluster parts: the test cluster as `cargo xtask cluster up`
//! starts it, the operator simulator as `cargo xtask demo` runs it, and the
//! console with the cluster settings and a service token (the auditor's:
//! read-only on everything the view reads). Then, in one run:
//!
//! 1. the storage (static NFS volume + claim), custom route (uploaded TLS
//!    certificate) and trusted CA change, through the console's API (preview
//!    then apply, per plan, timed from the first preview to the last apply
//!    answer) against the plans' own rendered `oc` commands run with
//!    `rc-controlplane kubectl`, from the same seeded state; wall time and API
//!    requests of each (the console's from its
//!    `registry_console_cluster_requests_total`, kubectl's from its `-v=6` log);
//! 2. open-loop read load on `GET /api/v1/registry` (served from the cache),
//!    the same without the cache, and a direct `GET` of `configs/cluster` on the
//!    API server, all as the admin at the same rate.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use serde_json::{Value, json};

use super::load::{self, Outcome};
use crate::proc::{self, cargo};
use crate::{Project, cluster, step};

/// Runs of each plan flow; the report gives the median.
pub const PLAN_RUNS: usize = 3;
/// The read load: requests per second and how long.
pub const LOAD_RATE: u32 = 200;
pub const LOAD_SECONDS: u64 = 20;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const NS: &str = "openshift-image-registry";
const CONFIG: &str = "/apis/imageregistry.operator.openshift.io/v1/configs/cluster";
const IMAGE: &str = "/apis/config.openshift.io/v1/images/cluster";
const PV: &str = "/api/v1/persistentvolumes/nfs01";
const CA_MAP: &str = "/api/v1/namespaces/openshift-config/configmaps/registry-trusted-cas";
const SOURCE_HEADER: &str = "x-registry-console-source";

fn claim_path() -> String {
    format!("/api/v1/namespaces/{NS}/persistentvolumeclaims/image-registry-pvc")
}

fn tls_secret_path() -> String {
    format!("/api/v1/namespaces/{NS}/secrets/registry-tls")
}

/// A child process stopped (SIGTERM, then SIGKILL) when the bench ends, however it ends.
struct Stopped(Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.0.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Setup {
    api_url: String,
    ca_file: PathBuf,
    break_glass: PathBuf,
    admin_token: String,
    controlplane: PathBuf,
    seed: PathBuf,
    scratch: PathBuf,
    /// The console with the read cache, and one without (direct reads only).
    cached: SocketAddr,
    direct: SocketAddr,
    _processes: Vec<Stopped>,
}

/// Runs both parts; returns the report's `live` object. Fails naming the part and why.
pub fn run(project: &Project, console_binary: &Path, web_root: &Path, scratch: &Path) -> anyhow::Result<Value> {
    let setup = set_up(project, console_binary, web_root, scratch)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("bench: cannot build the tokio runtime")?;
    let result = runtime.block_on(async {
        let kube = kube_client(&setup).await.context("bench: a client for the test cluster as the admin")?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(512)
            .build()
            .context("bench: cannot build the HTTP client")?;
        step("bench part 1: storage + route + trusted CA through the console vs kubectl");
        let plans = plans(&setup, &kube, &http).await.context("bench part 1 (plans: console vs kubectl)")?;
        step(format!("bench part 2: read load, {LOAD_RATE} requests/s for {LOAD_SECONDS} s per target"));
        let reads = reads(&setup, &kube, &http).await.context("bench part 2 (read load)")?;
        anyhow::Ok(json!({ "plans": plans, "reads": reads }))
    });
    drop(runtime);
    drop(setup);
    result
}

fn set_up(project: &Project, console_binary: &Path, web_root: &Path, scratch: &Path) -> anyhow::Result<Setup> {
    let status = cluster::up(project).context("bench: starting the test cluster (as `cargo xtask cluster up`)")?;
    let controlplane = cluster::build(project).context("bench: building rc-controlplane")?;
    let text =
        |key: &str| status[key].as_str().map(str::to_owned).with_context(|| format!("cluster.json has no {key}"));
    let token = |user: &str| {
        status["users"][user]["token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("cluster.json has no token for {user}"))
    };
    let (api_url, ca_file, break_glass) =
        (text("url")?, PathBuf::from(text("caFile")?), PathBuf::from(text("kubeconfig")?));
    let (admin_token, auditor_token) = (token("admin")?, token("auditor")?);

    step("bench: building the operator simulator (as `cargo xtask demo`)");
    proc::run(cargo().current_dir(&project.root).args(["build", "--package", "registry-operator-simulator"]))
        .context("bench: building the operator simulator")?;
    let simulator_binary = project.target.join("debug/registry-operator-simulator");
    let simulator = Command::new(&simulator_binary)
        .env("KUBECONFIG", &break_glass)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("bench: cannot start the operator simulator {}", simulator_binary.display()))?;
    let mut processes = vec![Stopped(simulator)];

    let token_file = scratch.join("service-token");
    std::fs::write(&token_file, &auditor_token).context("bench: writing the console's service token file")?;
    let mut start = |name: &str, service_token: Option<&Path>| -> anyhow::Result<SocketAddr> {
        let address = super::free_address()?;
        let mut command = Command::new(console_binary);
        command
            .args(["--listen", &address.to_string(), "--log-filter", "warn", "--web-root"])
            .arg(web_root)
            .arg("--database-url")
            .arg(format!("sqlite://{}", scratch.join(format!("{name}.db")).display()))
            .args(["--cluster-url", &api_url, "--cluster-ca-file"])
            .arg(&ca_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if let Some(file) = service_token {
            command.arg("--cluster-service-token-file").arg(file);
        }
        let child = command
            .spawn()
            .with_context(|| format!("bench: cannot start the console ({name}) {}", console_binary.display()))?;
        let mut child = Stopped(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok((200, _)) = super::http_get(address, "/readyz") {
                break;
            }
            if let Some(exit) = child.0.try_wait()? {
                bail!("bench: the console ({name}) exited during start: {exit}");
            }
            ensure!(Instant::now() < deadline, "bench: the console ({name}) was not ready within 20 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        processes.push(child);
        Ok(address)
    };
    let cached = start("cached", Some(&token_file))?;
    let direct = start("direct", None)?;
    Ok(Setup {
        api_url,
        ca_file,
        break_glass,
        admin_token,
        controlplane,
        seed: project.root.join("tests/seed"),
        scratch: scratch.to_owned(),
        cached,
        direct,
        _processes: processes,
    })
}

async fn kube_client(setup: &Setup) -> anyhow::Result<kube::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = kube::Config::new(setup.api_url.parse().context("the API server URL")?);
    config.root_cert_file = Some(setup.ca_file.clone());
    config.auth_info.token = Some(setup.admin_token.clone().into());
    config.read_timeout = Some(REQUEST_TIMEOUT);
    kube::Client::try_from(config).context("the kube client")
}

async fn api_get(kube: &kube::Client, path: &str) -> Result<Value, kube::Error> {
    let request = http::Request::get(path).body(Vec::new()).map_err(kube::Error::HttpError)?;
    kube.request::<Value>(request).await
}

async fn api_delete(kube: &kube::Client, path: &str) -> anyhow::Result<()> {
    let request = http::Request::delete(path).body(Vec::new())?;
    match kube.request_text(request).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(error) => Err(error).with_context(|| format!("DELETE {path}")),
    }
}

/// Back to the seeded state: `rc-controlplane seed --replace`, the change's
/// own objects deleted (and gone), the registry config observed by the simulator.
async fn reset(setup: &Setup, kube: &kube::Client) -> anyhow::Result<()> {
    let output = tokio::process::Command::new(&setup.controlplane)
        .arg("seed")
        .arg("--kubeconfig")
        .arg(&setup.break_glass)
        .arg("--dir")
        .arg(&setup.seed)
        .arg("--replace")
        .stdin(Stdio::null())
        .output()
        .await
        .context("reset: cannot run `rc-controlplane seed --replace`")?;
    ensure!(
        output.status.success(),
        "reset: `rc-controlplane seed --replace` failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let created = [PV.to_owned(), claim_path(), tls_secret_path(), CA_MAP.to_owned()];
    for path in &created {
        api_delete(kube, path).await.context("reset")?;
    }
    let started = Instant::now();
    loop {
        let mut left = Vec::new();
        for path in &created {
            if api_get(kube, path).await.is_ok() {
                left.push(path.as_str());
            }
        }
        let config = api_get(kube, CONFIG).await.context("reset: GET configs/cluster")?;
        let observed = config["status"]["observedGeneration"] == config["metadata"]["generation"];
        if left.is_empty() && observed {
            return Ok(());
        }
        ensure!(
            started.elapsed() < Duration::from_secs(60),
            "reset: after 60 s still present: {left:?}; configs/cluster observed by the simulator: {observed}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A CA and a certificate for `registry.example.com` it signed, with its key.
struct Tls {
    ca: String,
    certificate: String,
    key: String,
}

fn tls() -> anyhow::Result<Tls> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "Registry Console bench CA");
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let ca_key = rcgen::KeyPair::generate()?;
    let ca = params.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca.pem(), ca_key)?;
    let key = rcgen::KeyPair::generate()?;
    let certificate =
        rcgen::CertificateParams::new(vec!["registry.example.com".to_owned()])?.signed_by(&key, &issuer)?;
    Ok(Tls { ca: ca.pem(), certificate: certificate.pem(), key: key.serialize_pem() })
}

/// The change: static NFS volume + claim, a custom route with an uploaded certificate, a trusted CA.
fn change(tls: &Tls) -> Vec<(&'static str, Value)> {
    vec![
        (
            "storage",
            json!({"kind": "storage", "provider": {"type": "pvc", "claim": "image-registry-pvc", "nfs": {
                "volumeName": "nfs01", "server": "nfs.example.com", "path": "/exports/registry", "size": "200Gi",
                "storageClassName": ""}}}),
        ),
        (
            "routes",
            json!({"kind": "routes", "routes": [{"name": "public", "hostname": "registry.example.com",
                "secretName": "registry-tls", "tls": {"source": "upload", "certificate": tls.certificate,
                "key": tls.key, "caCertificate": tls.ca}}]}),
        ),
        (
            "trusted-ca",
            json!({"kind": "trusted-ca", "host": "registry.example.com", "port": 5000, "certificate": tls.ca}),
        ),
    ]
}

struct Console<'a> {
    http: &'a reqwest::Client,
    base: String,
    token: &'a str,
}

impl Console<'_> {
    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.token)
            .json(body)
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .with_context(|| format!("POST {path}: no answer from the console"))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    async fn preview(&self, name: &str, request: &Value) -> anyhow::Result<Value> {
        let (status, plan) = self.post("/api/v1/plans", request).await?;
        ensure!(status == 201, "preview of the {name} plan answered {status}: {plan}");
        Ok(plan)
    }

    /// Preview then apply, confirming the plan's dangers, as a client would; the time of each.
    async fn preview_and_apply(&self, name: &str, request: &Value) -> anyhow::Result<(Duration, Duration)> {
        let started = Instant::now();
        let plan = self.preview(name, request).await?;
        let previewed = started.elapsed();
        let id = plan["id"].as_str().with_context(|| format!("the {name} plan has no id: {plan}"))?;
        let confirm: Vec<&str> =
            plan["dangers"].as_array().into_iter().flatten().filter_map(|danger| danger["code"].as_str()).collect();
        let (status, result) = self.post(&format!("/api/v1/plans/{id}/apply"), &json!({ "confirm": confirm })).await?;
        ensure!(status == 200 && result["succeeded"] == true, "apply of the {name} plan answered {status}: {result}");
        Ok((previewed, started.elapsed() - previewed))
    }

    /// `registry_console_cluster_requests_total` by verb, from `/metrics`.
    async fn cluster_requests(&self) -> anyhow::Result<BTreeMap<String, u64>> {
        let text = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .context("GET /metrics")?
            .text()
            .await
            .context("GET /metrics")?;
        let mut counts = BTreeMap::new();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("registry_console_cluster_requests_total{verb=\"") else { continue };
            let Some((verb, value)) = rest.split_once("\"} ") else { continue };
            let value: f64 = value.split_whitespace().next().unwrap_or_default().parse().unwrap_or_default();
            counts.insert(verb.to_owned(), value as u64);
        }
        Ok(counts)
    }
}

/// What the change wrote, to check that both ways made the same objects.
async fn outcome(kube: &kube::Client) -> anyhow::Result<Value> {
    let config = api_get(kube, CONFIG).await.context("GET configs/cluster")?;
    let image = api_get(kube, IMAGE).await.context("GET images.config/cluster")?;
    let pv = api_get(kube, PV).await.context("GET the NFS volume")?;
    let claim = api_get(kube, &claim_path()).await.context("GET the claim")?;
    let secret = api_get(kube, &tls_secret_path()).await.context("GET the route's TLS secret")?;
    let ca_map = api_get(kube, CA_MAP).await.context("GET the trusted CA ConfigMap")?;
    Ok(json!({
        "storage": config["spec"]["storage"]["pvc"],
        "routes": config["spec"]["routes"],
        "additionalTrustedCA": image["spec"]["additionalTrustedCA"],
        "nfs": pv["spec"]["nfs"],
        "claim": {"volumeName": claim["spec"]["volumeName"], "storageClassName": claim["spec"]["storageClassName"]},
        "secret": {"type": secret["type"], "data": secret["data"]},
        "caMap": ca_map["data"],
    }))
}

/// Runs `commands` (the plans' rendered `oc` lines, `oc` being `rc-controlplane kubectl -v=6`)
/// as the admin; returns the time and the API requests kubectl logged.
async fn run_commands(setup: &Setup, dir: &Path, commands: &[String]) -> anyhow::Result<(Duration, usize)> {
    let started = Instant::now();
    let mut requests = 0;
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default());
    for line in commands {
        let output = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(line)
            .env("PATH", &path)
            .env("KUBECONFIG", dir.join("kubeconfig.json"))
            .env("KUBECACHEDIR", dir.join("kube-cache"))
            .stdin(Stdio::null())
            .output()
            .await
            .with_context(|| format!("cannot run `{line}`"))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        ensure!(output.status.success(), "`{line}` failed ({}):\n{}", output.status, tail(&stderr, 15));
        requests += stderr.lines().filter(|line| is_request_line(line)).count();
    }
    let _ = setup;
    Ok((started.elapsed(), requests))
}

/// A request kubectl logs at `-v=6`: `… round_trippers.go:…] "Response" verb="GET" url=… status=… milliseconds=…`
/// (older kubectl: `GET https://… 200 OK in 3 milliseconds`).
fn is_request_line(line: &str) -> bool {
    (line.contains("\"Response\"") && line.contains("verb="))
        || (line.contains(" milliseconds") && line.contains("] GET "))
        || ["POST", "PUT", "PATCH", "DELETE"].iter().any(|verb| line.contains(&format!("] {verb} https://")))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

async fn plans(setup: &Setup, kube: &kube::Client, http: &reqwest::Client) -> anyhow::Result<Value> {
    let tls = tls().context("making the test certificates")?;
    let change = change(&tls);
    let console = Console { http, base: format!("http://{}", setup.cached), token: &setup.admin_token };

    // kubectl's side: the files the placeholders stand for, `oc` as kubectl, the admin's kubeconfig.
    let dir = setup.scratch.join("kubectl");
    std::fs::create_dir_all(&dir)?;
    for (key, value) in [("tls.crt", &tls.certificate), ("tls.key", &tls.key), ("tls.cacrt", &tls.ca)] {
        std::fs::write(dir.join(key), value)?;
    }
    std::fs::write(dir.join("oc"), format!("#!/bin/sh\nexec {} kubectl -v=6 \"$@\"\n", setup.controlplane.display()))?;
    std::fs::set_permissions(dir.join("oc"), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let kubeconfig = json!({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "rc", "cluster": {"server": setup.api_url, "certificate-authority": setup.ca_file}}],
        "users": [{"name": "admin", "user": {"token": setup.admin_token}}],
        "contexts": [{"name": "rc", "context": {"cluster": "rc", "user": "admin"}}],
        "current-context": "rc",
    });
    std::fs::write(dir.join("kubeconfig.json"), kubeconfig.to_string())?;

    // The commands, as each plan renders them from the seeded state (previews write nothing).
    reset(setup, kube).await?;
    let mut commands = Vec::new();
    for (name, request) in &change {
        let plan = console.preview(name, request).await?;
        for line in plan["commands"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            let mut line = line.to_owned();
            for key in ["tls.crt", "tls.key", "tls.cacrt"] {
                line = line.replace(&format!("<file:{key}>"), &dir.join(key).display().to_string());
            }
            ensure!(!line.contains("<file:"), "the {name} plan has a placeholder the bench cannot fill: {line}");
            commands.push(line);
        }
    }

    let mut runs = Vec::new();
    for run in 1..=PLAN_RUNS {
        reset(setup, kube).await?;
        let (kubectl_time, kubectl_requests) =
            run_commands(setup, &dir, &commands).await.with_context(|| format!("kubectl, run {run}"))?;
        let by_kubectl = outcome(kube).await.with_context(|| format!("after kubectl, run {run}"))?;

        reset(setup, kube).await?;
        let before = console.cluster_requests().await?;
        let started = Instant::now();
        let mut steps = serde_json::Map::new();
        for (name, request) in &change {
            let (preview, apply) =
                console.preview_and_apply(name, request).await.with_context(|| format!("console, run {run}"))?;
            steps.insert(
                (*name).to_owned(),
                json!({"preview_ms": preview.as_secs_f64() * 1000.0, "apply_ms": apply.as_secs_f64() * 1000.0}),
            );
        }
        let console_time = started.elapsed();
        let after = console.cluster_requests().await?;
        let by_console = outcome(kube).await.with_context(|| format!("after the console, run {run}"))?;
        let console_requests: BTreeMap<String, u64> = after
            .iter()
            .map(|(verb, count)| (verb.clone(), count - before.get(verb).copied().unwrap_or(0)))
            .filter(|(_, count)| *count > 0)
            .collect();
        let same = by_kubectl == by_console;
        if !same {
            eprintln!(
                "    warning: run {run}: kubectl and the console made different objects\n    kubectl: {by_kubectl}\n    console: {by_console}"
            );
        }
        eprintln!(
            "    run {run}: console {:.0} ms ({} requests), kubectl {:.0} ms ({kubectl_requests} requests)",
            console_time.as_secs_f64() * 1000.0,
            console_requests.values().sum::<u64>(),
            kubectl_time.as_secs_f64() * 1000.0
        );
        runs.push(json!({
            "console_ms": console_time.as_secs_f64() * 1000.0,
            "console_requests": console_requests.values().sum::<u64>(),
            "console_requests_by_verb": console_requests,
            "console_steps": steps,
            "kubectl_ms": kubectl_time.as_secs_f64() * 1000.0,
            "kubectl_requests": kubectl_requests,
            "same_objects": same,
        }));
    }
    reset(setup, kube).await?;
    let pick = |key: &str| -> Vec<f64> { runs.iter().filter_map(|run| run[key].as_f64()).collect() };
    let console_ms = median(&mut pick("console_ms"));
    let kubectl_ms = median(&mut pick("kubectl_ms"));
    Ok(json!({
        "plans": change.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        "commands": commands.len(),
        "console_ms": console_ms,
        "kubectl_ms": kubectl_ms,
        "ratio": console_ms / kubectl_ms,
        "console_requests": median(&mut pick("console_requests")),
        "kubectl_requests": median(&mut pick("kubectl_requests")),
        "same_objects": runs.iter().all(|run| run["same_objects"] == true),
        "runs": runs,
    }))
}

async fn reads(setup: &Setup, kube: &kube::Client, http: &reqwest::Client) -> anyhow::Result<Value> {
    let rate_duration = Duration::from_secs(LOAD_SECONDS);
    // The cache serves once every watch has listed.
    let url = format!("http://{}/api/v1/registry", setup.cached);
    let started = Instant::now();
    loop {
        let response = http.get(&url).bearer_auth(&setup.admin_token).send().await.context("GET /api/v1/registry")?;
        let status = response.status().as_u16();
        let source = response.headers().get(SOURCE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        ensure!(status == 200, "GET /api/v1/registry as the admin answered {status}");
        if source == "cache" {
            break;
        }
        ensure!(started.elapsed() < Duration::from_secs(30), "the console's read cache did not sync within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let console_load = |address: SocketAddr| {
        let http = http.clone();
        let url = format!("http://{address}/api/v1/registry");
        let token = setup.admin_token.clone();
        move || {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            async move {
                let result = match http.get(&url).bearer_auth(&token).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let source = response
                            .headers()
                            .get(SOURCE_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned();
                        match response.bytes().await {
                            Ok(_) => Ok((status, source)),
                            Err(error) => Err(error.to_string()),
                        }
                    }
                    Err(error) => Err(error.to_string()),
                };
                Outcome { result }
            }
        }
    };
    let direct_load = || {
        let kube = kube.clone();
        async move {
            let result = match http::Request::get(CONFIG).body(Vec::new()) {
                Ok(request) => match kube.request_text(request).await {
                    Ok(_) => Ok((200, "api-server".to_owned())),
                    Err(kube::Error::Api(status)) => Ok((status.code, "api-server".to_owned())),
                    Err(error) => Err(error.to_string()),
                },
                Err(error) => Err(error.to_string()),
            };
            Outcome { result }
        }
    };
    // Warm-up: connections, permission answers, the API server's caches.
    let _ = load::run(50, Duration::from_secs(1), REQUEST_TIMEOUT, console_load(setup.cached)).await;
    let _ = load::run(50, Duration::from_secs(1), REQUEST_TIMEOUT, console_load(setup.direct)).await;
    let _ = load::run(50, Duration::from_secs(1), REQUEST_TIMEOUT, direct_load).await;

    eprintln!("    GET /api/v1/registry from the cache …");
    let cached = load::run(LOAD_RATE, rate_duration, REQUEST_TIMEOUT, console_load(setup.cached)).await;
    eprintln!("    GET configs/cluster on the API server …");
    let direct = load::run(LOAD_RATE, rate_duration, REQUEST_TIMEOUT, direct_load).await;
    eprintln!("    GET /api/v1/registry without the cache …");
    let uncached = load::run(LOAD_RATE, rate_duration, REQUEST_TIMEOUT, console_load(setup.direct)).await;
    Ok(json!({
        "rate": LOAD_RATE,
        "seconds": LOAD_SECONDS,
        "console_cached": cached.to_json(),
        "api_server_config": direct.to_json(),
        "console_direct": uncached.to_json(),
    }))
}
