//! wangge: the grid-governance (网格化管理) mapping service. Builds the application state (store +
//! snapshot) and the router; `main.rs` is the command line around it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub mod auth;
pub mod config;
pub mod coverage;
pub mod facilities;
pub mod geodata;
pub mod households;
pub mod http;
pub mod maps;
pub mod reports;
pub mod spatial;
pub mod store;
pub mod tabular;
pub mod units;

use config::Config;
use spatial::{Snapshot, SnapshotCell};
use store::{Store, StoreError};

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub snapshot: Arc<SnapshotCell>,
    /// Serialises writers (imports, edits) so each builds on the snapshot the previous one left.
    pub writer: Arc<tokio::sync::Mutex<()>>,
    /// Vector tile layers and their cache, kept in step with the snapshot.
    pub tiles: Arc<maps::MapTiles>,
    /// Buckets of the public-write rate limits (see `auth::rate_limit`).
    pub limiter: Arc<auth::rate_limit::RateLimiter>,
    /// Report intake's group commit.
    pub intake: reports::intake_writer::IntakeWriter,
    /// The facility catalogue, walking estimate and in-memory index of the circle.
    pub facilities: Arc<facilities::FacilityService>,
    /// The coverage analysis of households by the circle's elements.
    pub coverage: Arc<coverage::CoverageCell>,
    loaded: Arc<AtomicBool>,
}

impl AppState {
    /// Opens the store named in the configuration (migrating it) and loads the snapshot.
    pub async fn open(config: Config) -> Result<AppState, StoreError> {
        let store = store::open(&config.database_url).await?;
        reports::catalogue::seed(store.as_ref()).await?;
        let facilities =
            facilities::FacilityService::load(store.as_ref(), config.catalogue(), config.walking())
                .await?;
        let state = AppState {
            tiles: Arc::new(maps::MapTiles::new(&config, &facilities)),
            facilities: Arc::new(facilities),
            coverage: Arc::new(coverage::CoverageCell::default()),
            snapshot: Arc::new(SnapshotCell::new(Snapshot::build(
                Vec::new(),
                0,
                config.rules(),
            ))),
            limiter: Arc::new(auth::rate_limit::RateLimiter::from_config(&config)),
            config: Arc::new(config),
            intake: reports::intake_writer::IntakeWriter::start(store.clone()),
            store,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            loaded: Arc::new(AtomicBool::new(false)),
        };
        state.reload_snapshot().await?;
        Ok(state)
    }

    /// Rebuilds the snapshot from the store's current units and swaps it in.
    pub async fn reload_snapshot(&self) -> Result<Arc<Snapshot>, StoreError> {
        let units = self.store.current_units().await?;
        let snap = tokio::task::spawn_blocking({
            let cell = self.snapshot.clone();
            let tiles = self.tiles.clone();
            move || {
                let snap = cell.rebuild(units);
                tiles.snapshot_swapped(&snap);
                snap
            }
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("snapshot build panicked: {e}")))?;
        self.loaded.store(true, Ordering::Release);
        Ok(snap)
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    pub fn router(&self) -> axum::Router {
        http::router(self.clone())
    }
}

/// Serves until ctrl-c or SIGTERM, then finishes in-flight requests.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let every = std::time::Duration::from_secs(state.config.escalation_interval_s);
    let escalation = reports::escalation::spawn(state.clone(), every);
    // Connection info gives handlers the client address (rate limits, the audit log).
    let app = state
        .router()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    escalation.abort();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
