//! wangge: the grid-governance (网格化管理) mapping service. Builds the application state (store +
//! snapshot) and the router; `main.rs` is the command line around it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub mod config;
pub mod geodata;
pub mod http;
pub mod spatial;
pub mod store;
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
    loaded: Arc<AtomicBool>,
}

impl AppState {
    /// Opens the store named in the configuration (migrating it) and loads the snapshot.
    pub async fn open(config: Config) -> Result<AppState, StoreError> {
        let store = store::open(&config.database_url).await?;
        let state = AppState {
            snapshot: Arc::new(SnapshotCell::new(Snapshot::build(
                Vec::new(),
                0,
                config.rules(),
            ))),
            config: Arc::new(config),
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
            move || cell.rebuild(units)
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
    axum::serve(listener, state.router())
        .with_graceful_shutdown(shutdown_signal())
        .await
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
