//! `Application::build` binds the port and wires the route table; `main.rs`
//! and the tests both use it, so tests run the real server on port 0.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use sqlx::SqlitePool;
use tracing_actix_web::TracingLogger;

use crate::auth::Sessions;
use crate::cluster::{ClientCache, ClusterAccess, ClusterError};
use crate::config::Settings;
use crate::metrics::{self, Metrics};
use crate::registry::cache::{CacheError, ReadCache};
use crate::registry::plan::store::{PlanSeal, StoreError};
use crate::web::WebAssets;
use crate::{api, auth, db, web as web_app};

/// Allows the app's own script and WASM and nothing else: no inline script
/// or style, no other origin, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {address}")]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Database(#[from] db::DbError),
    #[error(transparent)]
    Web(#[from] web_app::WebError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    PlanStore(#[from] StoreError),
    #[error(transparent)]
    ReadCache(#[from] CacheError),
    #[error(transparent)]
    Session(#[from] crate::auth::SessionError),
}

/// Shared by every request handler.
pub struct AppState {
    pub db: SqlitePool,
    pub started: Instant,
    pub cluster: ClusterAccess,
    pub settings: Settings,
    /// Seals previewed plans (they may hold secret values) until their apply.
    pub plan_seal: PlanSeal,
    /// The watch-fed registry view, when the console has a credential of its own.
    pub read_cache: Option<Arc<ReadCache>>,
}

pub struct Application {
    address: SocketAddr,
    server: Server,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let started = Instant::now();
        // rustls is reached through several crates; pick its crypto once (a second call is a no-op).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let pool = db::connect(&settings.database_url).await?;
        let cluster = ClusterAccess::from_settings(&settings.cluster).await?;
        let plan_seal = PlanSeal::generate()?;
        let sessions = web::Data::new(Sessions::from_settings(&settings.session, settings.listen, pool.clone())?);
        if !cluster.is_configured() {
            tracing::warn!("no cluster configured; registry calls will answer 503");
        }
        let read_cache = match &settings.cluster.service_token_file {
            Some(token_file) => Some(Arc::new(ReadCache::start(&cluster, token_file)?)),
            None => None,
        };
        let assets = WebAssets::load(&settings.web_root)?;
        if !assets.has_app() {
            tracing::warn!(web_root = %settings.web_root.display(), "browser app not found; serving the API only");
        }
        let listener = TcpListener::bind(settings.listen)
            .map_err(|source| StartupError::Bind { address: settings.listen, source })?;
        let address =
            listener.local_addr().map_err(|source| StartupError::Bind { address: settings.listen, source })?;

        let state =
            web::Data::new(AppState { db: pool, started, cluster, settings: settings.clone(), plan_seal, read_cache });
        let assets = web::Data::new(assets);
        let metrics = web::Data::new(Metrics::default());
        let server = HttpServer::new(move || {
            // Per worker: a client's connections live on the runtime that made it.
            let clients = web::Data::new(ClientCache::new(state.cluster.clone()));
            App::new()
                .app_data(state.clone())
                .app_data(clients)
                .app_data(assets.clone())
                .app_data(metrics.clone())
                .app_data(api::json_config())
                .app_data(api::query_config())
                .app_data(sessions.clone())
                // The session middleware (outside) loads the session the CSRF check needs.
                .wrap(from_fn(auth::csrf::protect))
                .wrap(from_fn(auth::session::middleware))
                .wrap(security_headers())
                .wrap(Compress::default())
                .wrap(from_fn(metrics::record))
                .wrap(from_fn(crate::telemetry::request_id_header))
                .wrap(TracingLogger::default())
                .route("/healthz", web::get().to(api::health::get_healthz))
                .route("/readyz", web::get().to(api::health::get_readyz))
                .route("/metrics", web::get().to(metrics::get_metrics))
                .service(api::scope())
                .default_service(web::to(web_app::serve))
        })
        // A client that closes its side is gone: end its response (an SSE
        // stream's watches close at once instead of at the next failed write).
        .h1_allow_half_closed(false)
        // Without it a compressed answer on a kept-alive connection (its body written after its
        // head) waits for the client's delayed ACK: ~40 ms per API call.
        .tcp_nodelay(true)
        .listen(listener)
        .map_err(|source| StartupError::Bind { address, source })?
        .shutdown_timeout(settings.shutdown_timeout_seconds)
        // actix would stop at once on SIGINT; `shutdown_signal` is graceful for both.
        .disable_signals()
        .run();
        Ok(Self { address, server })
    }

    /// The bound address; with port 0 in the settings, the port the OS chose.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until the server is stopped (tests drop it with their runtime).
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until `shutdown` completes, then lets open requests finish
    /// (up to `shutdown_timeout_seconds`) and returns.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let handle = self.server.handle();
        let mut server = std::pin::pin!(self.server);
        tokio::select! {
            result = &mut server => return result,
            () = shutdown => {}
        }
        tracing::info!("shutting down");
        // The stop command is handled by the server future itself: poll both.
        let (result, ()) = tokio::join!(server, handle.stop(true));
        result
    }
}

/// Completes at the first SIGTERM or SIGINT. The handlers are registered
/// when this is called, not when the future is first polled.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
}
