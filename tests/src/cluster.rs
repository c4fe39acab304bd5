//! The test cluster: the real kube-apiserver with the OpenShift CRDs, the
//! controllers and kwok (`rc-controlplane up`, see
//! `tests/controlplane/README.md`), seeded from `tests/seed/`.
//!
//! One cluster per test binary ([`Cluster::shared`]); each `#[tokio::test]`
//! has its own runtime, so the static holds no runtime-bound state: ask for a
//! [`kube::Client`] per use with [`Cluster::client`]. If the `up` process has
//! died, the next use starts it again on the same directory (etcd data, PKI and
//! tokens are kept; the port changes).
//!
//! The shared cluster also runs the image registry operator simulator
//! (`simulator::run` of crate `registry-operator-simulator`, as the admin
//! user) on a thread with its own runtime; it reconnects when the cluster is
//! restarted. [`Cluster::reset`] waits until the simulator has settled the
//! registry in state Removed.
//!
//! `cargo xtask test` builds the binary and passes it in `E2E_CONTROLPLANE_BIN`;
//! without it the fixture runs `tests/controlplane/build.sh` itself.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

use crate::idp::{Idp, IdpClient};

/// Where the clients of the cluster's identity provider redirect to (nothing listens).
pub const IDP_CALLBACK: &str = "http://127.0.0.1:9/auth/callback";

/// The OpenID client whose ID tokens kube-apiserver accepts (an audience of
/// its JWT authenticator), as the console's would be.
pub fn idp_console_client() -> IdpClient {
    IdpClient::oidc("registry-console", Some("registry-console-secret"), IDP_CALLBACK)
}

/// Also an accepted audience, with ID tokens that live [`SHORT_ID_TOKEN_TTL`] seconds.
pub fn idp_short_lived_client() -> IdpClient {
    IdpClient {
        id_token_ttl: Some(SHORT_ID_TOKEN_TTL),
        ..IdpClient::oidc("short-lived", Some("short-lived-secret"), IDP_CALLBACK)
    }
}

/// ID token lifetime of [`idp_short_lived_client`].
pub const SHORT_ID_TOKEN_TTL: u64 = 5;

/// Registered at the provider but not an audience kube-apiserver accepts.
pub fn idp_other_audience_client() -> IdpClient {
    IdpClient::oidc("other-app", Some("other-app-secret"), IDP_CALLBACK)
}

/// The OpenShift-style OAuth client (`sha256~` tokens, checked by the TokenReview webhook).
pub fn idp_openshift_client() -> IdpClient {
    IdpClient::openshift("console-oauth-client", Some("console-oauth-secret"), IDP_CALLBACK)
}

/// The token-file users of the test cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum User {
    /// Group `registry-admins`, bound to `cluster-admin`.
    Admin,
    /// Group `registry-auditors`: read-only on the registry's objects.
    Auditor,
    /// `edit` and `registry-viewer` in namespace `team-a`.
    Developer,
    /// No rights beyond `system:authenticated`.
    Nobody,
}

impl User {
    pub const ALL: [User; 4] = [User::Admin, User::Auditor, User::Developer, User::Nobody];

    pub fn name(self) -> &'static str {
        match self {
            User::Admin => "admin",
            User::Auditor => "auditor",
            User::Developer => "developer",
            User::Nobody => "nobody",
        }
    }
}

/// How to reach the running cluster (from `up`'s ready line).
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub url: String,
    pub ca_file: PathBuf,
    /// Break-glass kubeconfig (`system:masters`), for `rc-controlplane seed` and kubectl.
    pub kubeconfig: PathBuf,
    pub pid: u32,
    pub log_dir: PathBuf,
    /// Seconds from spawning `up` to its ready line.
    pub start_seconds: f64,
    tokens: HashMap<String, String>,
}

impl Endpoint {
    pub fn token(&self, user: User) -> &str {
        self.tokens.get(user.name()).map(String::as_str).unwrap_or_default()
    }
}

/// A running `rc-controlplane up`.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    seed: PathBuf,
    /// Removed on drop (private clusters only; the shared one lives until the
    /// process ends, and its directory is cleaned up by the next run).
    remove_dir: bool,
    state: Mutex<Running>,
    /// The identity provider kube-apiserver trusts; it outlives restarts of
    /// `up`, so the issuer (its port) stays the same.
    idp: Idp,
}

struct Running {
    child: Child,
    /// Held open: `up --exit-on-stdin-eof` stops when it closes, so the
    /// cluster dies with the test process.
    stdin: Option<ChildStdin>,
    endpoint: Endpoint,
}

static SHARED: tokio::sync::OnceCell<Cluster> = tokio::sync::OnceCell::const_new();
static SINGLETONS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static CRYPTO: Once = Once::new();
static SIMULATOR: Once = Once::new();

/// How long [`Cluster::reset`] waits for the simulator to settle the registry.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Held by a test that changes cluster singletons (`configs/cluster`, …):
/// other such tests wait; the seeded state was restored when it was acquired.
pub struct Singletons {
    _guard: tokio::sync::MutexGuard<'static, ()>,
}

impl Cluster {
    /// The cluster of this test binary, started on first use.
    /// The first call also starts the operator simulator against it.
    pub async fn shared() -> &'static Cluster {
        let cluster = SHARED
            .get_or_init(|| async {
                let base = clusters_dir();
                remove_stale_dirs(&base);
                Cluster::start_in(base.join(format!("run-{}", std::process::id())), false)
            })
            .await;
        SIMULATOR.call_once(|| start_simulator(cluster));
        cluster
    }

    /// A cluster of its own (for tests that break it), removed on drop.
    pub fn start_private(name: &str) -> Cluster {
        let dir = clusters_dir().join(format!("run-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Cluster::start_in(dir, true)
    }

    fn start_in(dir: PathBuf, remove_dir: bool) -> Cluster {
        let bin = controlplane_bin();
        let seed = repo_root().join("tests/seed");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("test cluster: cannot create {}: {e}", dir.display()));
        let idp = start_idp();
        let running = spawn_up(&bin, &dir, &seed, &idp);
        eprintln!(
            "test cluster ready in {:.1} s at {} (dir {})",
            running.endpoint.start_seconds,
            running.endpoint.url,
            dir.display()
        );
        Cluster { bin, dir, seed, remove_dir, state: Mutex::new(running), idp }
    }

    /// The current endpoint; restarts the cluster first if `up` has died.
    pub fn endpoint(&self) -> Endpoint {
        let mut state = self.lock();
        if let Some(status) = exited(&mut state.child) {
            eprintln!(
                "test cluster: `up` (pid {}) exited ({status}); restarting it on {}",
                state.endpoint.pid,
                self.dir.display()
            );
            *state = spawn_up(&self.bin, &self.dir, &self.seed, &self.idp);
            eprintln!("test cluster restarted in {:.1} s at {}", state.endpoint.start_seconds, state.endpoint.url);
        }
        state.endpoint.clone()
    }

    /// The identity provider kube-apiserver trusts: ID tokens of
    /// [`idp_console_client`] and [`idp_short_lived_client`] (user name from
    /// `preferred_username`, groups from `groups`, no prefix) and the
    /// `sha256~` tokens of [`idp_openshift_client`] (TokenReview webhook).
    pub fn idp(&self) -> &Idp {
        &self.idp
    }

    /// The `rc-controlplane` binary (it also runs `kubectl`).
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// A client acting as `user`, bound to the calling test's runtime.
    pub async fn client(&self, user: User) -> kube::Client {
        client_at(&self.endpoint(), user).await
    }

    /// The endpoint of the last start, without restarting a dead `up`.
    fn current_endpoint(&self) -> Endpoint {
        self.lock().endpoint.clone()
    }

    /// The pid of the current `up`, unless the state is locked (a restart).
    fn try_current_pid(&self) -> Option<u32> {
        match self.state.try_lock() {
            Ok(state) => Some(state.endpoint.pid),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner().endpoint.pid),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// Restores the seeded objects (`rc-controlplane seed --replace`): fields
    /// a test added to them are gone. Objects the seed does not name stay.
    /// On the shared cluster it then waits until the operator simulator has
    /// brought the registry back to Removed (`configs/cluster` status observed,
    /// its Removed conditions, no Deployment, the ClusterOperator settled).
    pub async fn reset(&self) {
        if !SHARED.get().is_some_and(|shared| std::ptr::eq(shared, self)) {
            self.reseed().await;
            return;
        }
        let client = self.client(User::Admin).await;
        // A reconcile of a registry that was not settled in Removed may still be
        // running and write its stale result over the seed (the spec write-back
        // of Managed). Once the registry has settled in Removed, the simulator
        // writes no spec, so a second seed is clean.
        let was_settled = matches!(registry_settled(&client).await, Ok(None));
        self.reseed().await;
        self.wait_settled(&client).await;
        if !was_settled {
            self.reseed().await;
            self.wait_settled(&client).await;
        }
    }

    async fn wait_settled(&self, client: &kube::Client) {
        let started = Instant::now();
        loop {
            let last = match registry_settled(client).await {
                Ok(None) => return,
                Ok(Some(why)) => why,
                Err(e) => format!("API error: {e}"),
            };
            assert!(
                started.elapsed() < SETTLE_TIMEOUT,
                "test cluster: after re-seeding, the operator simulator did not bring the registry back to \
                 Removed within {} s: {last}",
                SETTLE_TIMEOUT.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// `rc-controlplane seed --replace`.
    async fn reseed(&self) {
        let endpoint = self.endpoint();
        let output = tokio::process::Command::new(&self.bin)
            .arg("seed")
            .arg("--kubeconfig")
            .arg(&endpoint.kubeconfig)
            .arg("--dir")
            .arg(&self.seed)
            .arg("--replace")
            .stdin(Stdio::null())
            .output()
            .await
            .unwrap_or_else(|e| panic!("test cluster: cannot run `{} seed`: {e}", self.bin.display()));
        assert!(
            output.status.success(),
            "test cluster: re-seeding from {} failed ({}): {}",
            self.seed.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }

    /// Waits for the other tests that change singletons, then restores the
    /// seed. Hold the guard for the whole test.
    pub async fn singletons(&self) -> Singletons {
        let guard = SINGLETONS.lock().await;
        self.reset().await;
        Singletons { _guard: guard }
    }

    fn lock(&self) -> MutexGuard<'_, Running> {
        // A test that panicked while holding the lock left consistent state.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Closing stdin stops `up` cleanly; kill it if it takes too long.
        state.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(state.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = state.child.kill();
        let _ = state.child.wait();
        if self.remove_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A client acting as `user` against `endpoint`, bound to the calling runtime.
async fn client_at(endpoint: &Endpoint, user: User) -> kube::Client {
    client_with_token(endpoint, user.name(), endpoint.token(user)).await
}

/// A client sending `token` (any bearer token: an ID token, a `sha256~`
/// token) to `endpoint`, bound to the calling runtime; `name` names it in
/// messages.
pub async fn client_with_token(endpoint: &Endpoint, name: &str, token: &str) -> kube::Client {
    install_crypto_provider();
    let kubeconfig = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "rc", "cluster": {"server": endpoint.url, "certificate-authority": endpoint.ca_file}}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": "rc", "context": {"cluster": "rc", "user": name}}],
        "current-context": "rc",
    });
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&kubeconfig.to_string())
        .unwrap_or_else(|e| panic!("test cluster: kubeconfig for {name}: {e}"));
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("test cluster: client config for {name}: {e}"));
    kube::Client::try_from(config).unwrap_or_else(|e| panic!("test cluster: client for {name}: {e}"))
}

/// Runs the operator simulator for `cluster` on a thread with its own runtime
/// for the rest of the process: restarted 2 s after it fails, reconnected when
/// the cluster has been restarted (new `up` process, new port).
fn start_simulator(cluster: &'static Cluster) {
    let spawned = std::thread::Builder::new().name("operator-simulator".into()).spawn(move || {
        match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(supervise_simulator(cluster)),
            Err(e) => eprintln!("operator simulator: cannot build its runtime: {e}"),
        }
    });
    if let Err(e) = spawned {
        panic!("test cluster: cannot start the operator simulator thread: {e}");
    }
}

async fn supervise_simulator(cluster: &'static Cluster) {
    loop {
        let endpoint = cluster.current_endpoint();
        let pid = endpoint.pid;
        // A task, so that a panic (client setup) is reported and retried too.
        let mut run = tokio::spawn(async move {
            let client = client_at(&endpoint, User::Admin).await;
            simulator::run(client).await
        });
        let outcome = loop {
            tokio::select! {
                result = &mut run => break Some(result),
                () = tokio::time::sleep(Duration::from_millis(500)) => {
                    // Without waiting for a restart in progress (it holds the lock).
                    if cluster.try_current_pid().is_some_and(|now| now != pid) {
                        run.abort();
                        break None;
                    }
                }
            }
        };
        match outcome {
            None => {
                eprintln!("operator simulator: the test cluster was restarted; reconnecting");
                continue;
            }
            Some(Ok(Ok(()))) => eprintln!("operator simulator: stopped; restarting it in 2 s"),
            Some(Ok(Err(e))) => eprintln!("operator simulator: failed: {e:#}; restarting it in 2 s"),
            Some(Err(e)) => eprintln!("operator simulator: crashed: {e}; restarting it in 2 s"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// `(status, reason)` of condition `type_` in `obj.status.conditions`.
fn condition(obj: &serde_json::Value, type_: &str) -> (String, String) {
    let found = obj["status"]["conditions"].as_array().and_then(|all| all.iter().find(|c| c["type"] == type_));
    let text = |key: &str| found.and_then(|c| c[key].as_str()).unwrap_or_default().to_owned();
    (text("status"), text("reason"))
}

/// `None` when the simulator has settled the seeded registry in state Removed,
/// else what is not there yet.
async fn registry_settled(client: &kube::Client) -> Result<Option<String>, kube::Error> {
    use kube::api::{Api, DynamicObject};
    use simulator::{cluster_operator_resource, config_resource, image_pruner_resource};

    let get = |resource: kube::api::ApiResource, name: &'static str| {
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
        async move { api.get(name).await.map(|o| serde_json::to_value(o).unwrap_or_default()) }
    };
    let observed = |obj: &serde_json::Value| obj["status"]["observedGeneration"] == obj["metadata"]["generation"];

    let config = get(config_resource(), "cluster").await?;
    if !observed(&config) {
        return Ok(Some(format!(
            "configs/cluster observedGeneration {} != generation {}",
            config["status"]["observedGeneration"], config["metadata"]["generation"]
        )));
    }
    for (type_, status) in [("Available", "True"), ("Progressing", "False"), ("Degraded", "False"), ("Removed", "True")]
    {
        let seen = condition(&config, type_);
        if seen != (status.to_owned(), "Removed".to_owned()) {
            return Ok(Some(format!("configs/cluster {type_} is {seen:?}, not ({status:?}, \"Removed\")")));
        }
    }
    if config["status"]["storage"] != serde_json::json!({}) {
        return Ok(Some(format!("configs/cluster status.storage is {}", config["status"]["storage"])));
    }
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(client.clone(), "openshift-image-registry");
    if deployments.get_opt("image-registry").await?.is_some() {
        return Ok(Some("Deployment openshift-image-registry/image-registry still exists".into()));
    }
    let pruner = get(image_pruner_resource(), "cluster").await?;
    if !observed(&pruner) {
        return Ok(Some(format!(
            "imagepruners/cluster observedGeneration {} != generation {}",
            pruner["status"]["observedGeneration"], pruner["metadata"]["generation"]
        )));
    }
    let operator = get(cluster_operator_resource(), "image-registry").await?;
    for (type_, status) in [("Available", "True"), ("Progressing", "False"), ("Degraded", "False")] {
        let seen = condition(&operator, type_);
        if seen != (status.to_owned(), "AsExpected".to_owned()) {
            return Ok(Some(format!(
                "clusteroperators/image-registry {type_} is {seen:?}, not ({status:?}, \"AsExpected\")"
            )));
        }
    }
    Ok(None)
}

/// The exit status of `up` if it has ended. A process killed with SIGKILL
/// is a zombie (state Z) before all its threads are gone and `waitpid` can
/// reap it: treat that as ended and wait for it.
fn exited(child: &mut Child) -> Option<std::process::ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap_or_default();
    let zombie = stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'));
    if zombie { child.wait().ok() } else { None }
}

fn install_crypto_provider() {
    CRYPTO.call_once(|| {
        // Already installed by someone else is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_owned).unwrap_or_else(|| PathBuf::from("."))
}

fn clusters_dir() -> PathBuf {
    std::env::temp_dir().join("rc-e2e-clusters")
}

/// Deletes the directories of earlier runs whose process has ended.
fn remove_stale_dirs(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.strip_prefix("run-").and_then(|rest| rest.split('-').next()).and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// `$E2E_CONTROLPLANE_BIN`, else what `tests/controlplane/build.sh` builds.
fn controlplane_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("E2E_CONTROLPLANE_BIN") {
        let bin = PathBuf::from(bin);
        assert!(bin.is_file(), "test cluster: E2E_CONTROLPLANE_BIN={} is not a file", bin.display());
        return bin;
    }
    let script = repo_root().join("tests/controlplane/build.sh");
    let output = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("test cluster: cannot run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "test cluster: building rc-controlplane with {} failed ({}); its messages are above",
        script.display(),
        output.status
    );
    let path = String::from_utf8_lossy(&output.stdout).lines().last().unwrap_or_default().trim().to_owned();
    assert!(!path.is_empty(), "test cluster: {} printed no binary path", script.display());
    PathBuf::from(path)
}

/// The cluster's identity provider with its clients; panics naming it if it
/// cannot start.
fn start_idp() -> Idp {
    let clients = [idp_console_client(), idp_short_lived_client(), idp_other_audience_client(), idp_openshift_client()];
    Idp::start(&clients)
}

/// Starts `up` on `dir` and waits for its ready line; panics with the part
/// that failed, why, and the end of the logs.
fn spawn_up(bin: &Path, dir: &Path, seed: &Path, idp: &Idp) -> Running {
    let audiences = format!("{},{}", idp_console_client().id, idp_short_lived_client().id);
    let started = Instant::now();
    let stderr_path = dir.join("up.stderr");
    let stderr = std::fs::File::create(&stderr_path)
        .unwrap_or_else(|e| panic!("test cluster: cannot create {}: {e}", stderr_path.display()));
    let mut child = Command::new(bin)
        .arg("up")
        .arg("--dir")
        .arg(dir)
        .arg("--seed")
        .arg(seed)
        .arg("--exit-on-stdin-eof")
        .arg("--idp-issuer")
        .arg(&idp.issuer)
        .arg("--idp-ca-file")
        .arg(&idp.ca_file)
        .arg("--idp-audiences")
        .arg(&audiences)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("test cluster: cannot start {} up: {e}", bin.display()));
    let stdin = child.stdin.take();
    let Some(stdout) = child.stdout.take() else {
        panic!("test cluster: no stdout pipe from `up`");
    };

    // The first line is the status; later lines (a component dying) go to a
    // file, and reading on keeps `up` from blocking on a full pipe.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let later = dir.join("up.stdout");
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(first)) = lines.next() {
            let _ = tx.send(first);
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(later).ok();
        for line in lines.map_while(Result::ok) {
            if let Some(f) = file.as_mut() {
                let _ = writeln!(f, "{line}");
            }
        }
    });

    let fail = |child: &mut Child, why: String| -> ! {
        let _ = child.kill();
        let _ = child.wait();
        panic!("test cluster (rc-controlplane up --dir {}) did not start: {why}\n{}", dir.display(), log_tails(dir));
    };
    let line = match rx.recv_timeout(Duration::from_secs(150)) {
        Ok(line) => line,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => fail(&mut child, "no status line within 150 s".into()),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            let status = child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
            fail(&mut child, format!("`up` exited ({status}) without a status line"))
        }
    };
    let status: serde_json::Value = match serde_json::from_str(&line) {
        Ok(v) => v,
        Err(e) => fail(&mut child, format!("unreadable status line ({e}): {line}")),
    };
    if status["ready"] != true {
        let error = status["error"].as_str().unwrap_or("no error given").to_owned();
        fail(&mut child, error);
    }
    let text = |key: &str| status[key].as_str().unwrap_or_default().to_owned();
    let tokens = status["users"]
        .as_object()
        .map(|users| {
            users
                .iter()
                .map(|(name, u)| (name.clone(), u["token"].as_str().unwrap_or_default().to_owned()))
                .collect::<HashMap<_, _>>()
        })
        .unwrap_or_default();
    if let Some(missing) = User::ALL.iter().find(|u| tokens.get(u.name()).is_none_or(String::is_empty)) {
        fail(&mut child, format!("the status line has no token for user {}", missing.name()));
    }
    let endpoint = Endpoint {
        url: text("url"),
        ca_file: PathBuf::from(text("caFile")),
        kubeconfig: PathBuf::from(text("kubeconfig")),
        pid: child.id(),
        log_dir: PathBuf::from(text("logDir")),
        start_seconds: started.elapsed().as_secs_f64(),
        tokens,
    };
    Running { child, stdin, endpoint }
}

/// The last lines of `up`'s own stderr and of each component log.
fn log_tails(dir: &Path) -> String {
    let mut files = vec![dir.join("up.stderr")];
    if let Ok(entries) = std::fs::read_dir(dir.join("logs")) {
        let mut logs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        logs.sort();
        files.extend(logs);
    }
    let mut out = String::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(25)..];
        out.push_str(&format!("--- last {} lines of {} ---\n{}\n", tail.len(), file.display(), tail.join("\n")));
    }
    out
}

/// Sends a JSON body as the client's user and returns the JSON answer;
/// panics with the method, path and the API server's error otherwise.
pub async fn send_json(
    kube: &kube::Client,
    method: &str,
    path: &str,
    content_type: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .body(serde_json::to_vec(body).expect("json"))
        .expect("request");
    kube.request::<serde_json::Value>(request).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}
