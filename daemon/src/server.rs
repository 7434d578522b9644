//! The daemon's life: set up the FIFO, serve every open concurrently, and on
//! shutdown stop accepting, let in-flight reads finish within a grace
//! period, cut the rest, remove the FIFO.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::acceptor::Acceptor;
use crate::audit::AuditLog;
use crate::fetch::Fetcher;
use crate::fifo::{Access, FifoError, Slot};
use crate::render::Format;
use crate::session::{self, Context};
use crate::sweep::Sweeper;

/// What `serve` needs besides the API client.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Path of the FIFO, e.g. `/run/ratchet/.env`.
    pub path: PathBuf,
    /// Profile served, for audit events.
    pub profile: String,
    /// Output format.
    pub format: Format,
    /// Owner and mode of the FIFO.
    pub access: Access,
    /// Stop after this many opens, removing the FIFO.
    pub max_reads: Option<u64>,
    /// Serve the last good payload up to this old when the API is down.
    pub cache_max_age: Option<Duration>,
    /// Look for readers in `/proc` (for the audit and to detect shared pipes).
    pub reader_scan: bool,
    /// Time in-flight reads get to finish after a shutdown signal.
    pub grace: Duration,
    /// Fetches allowed at once.
    pub max_fetches: usize,
}

/// Serves the FIFO until `shutdown` completes or `max_reads` is reached.
pub async fn serve(
    config: ServeConfig,
    fetcher: Fetcher,
    audit: AuditLog,
    shutdown: impl Future<Output = ()>,
) -> Result<(), FifoError> {
    // Modes are given exactly, not filtered through the inherited umask.
    nix::sys::stat::umask(nix::sys::stat::Mode::empty());
    let slot = Slot::prepare(&config.path, config.access)?;
    let (opened_tx, mut opened_rx) = mpsc::channel(64);
    let (sweeper, sweep_task) = Sweeper::start();
    let acceptor = Acceptor::start(slot, opened_tx, config.max_reads, &sweeper)?;
    let ctx = Arc::new(Context {
        fetcher,
        format: config.format,
        audit,
        path: config.path.display().to_string(),
        profile: config.profile.clone(),
        reader_scan: config.reader_scan,
        cache_max_age: config.cache_max_age,
        cache: Mutex::new(None),
        fetches: Semaphore::new(config.max_fetches),
        cut: CancellationToken::new(),
        sweeper,
    });
    tracing::info!(path = %config.path.display(), profile = %config.profile, format = %config.format, "serving");

    // Serve each open in its own task until the acceptor stops, which it
    // does on shutdown, after the last allowed read, or on error.
    let mut sessions = JoinSet::new();
    let mut stopping = false;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown, if !stopping => {
                tracing::info!("stopping: no new reads accepted");
                stopping = true;
                acceptor.stop();
            }
            opened = opened_rx.recv() => match opened {
                Some(opened) => { sessions.spawn(session::serve(ctx.clone(), opened)); }
                None => break,
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    let result = acceptor.join().await;

    // In-flight reads get the grace period, then are cut: their readers get
    // an empty file and the audit says `cut`.
    let drained = tokio::time::timeout(config.grace, drain(&mut sessions)).await;
    if drained.is_err() {
        tracing::warn!(
            in_flight = sessions.len(),
            "grace period over: cutting reads"
        );
        ctx.cut.cancel();
        drain(&mut sessions).await;
    }

    // The sweeper ends when the last handle on it is dropped, releasing any
    // reader still waiting on a retired FIFO.
    drop(ctx);
    sweep_task.finish().await;
    if let Err(e) = &result {
        tracing::error!(error = %e, "stopped on error");
    } else {
        tracing::info!("stopped");
    }
    result
}

async fn drain(sessions: &mut JoinSet<()>) {
    while let Some(joined) = sessions.join_next().await {
        if let Err(e) = joined
            && e.is_panic()
        {
            tracing::error!("a read's task panicked");
        }
    }
}
