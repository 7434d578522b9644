//! The daemon's life: set up the FIFO, serve every open concurrently, and on
//! shutdown stop accepting, let in-flight reads finish within a grace
//! period, cut the rest, remove the FIFO.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

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
    let (sweeper, sweep_task) = Sweeper::start();
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
        sweeper: sweeper.clone(),
    });

    // Each open is spawned onto the runtime straight from the acceptor
    // thread, in its own task, tracked for shutdown.
    let sessions = TaskTracker::new();
    let spawn = {
        let (sessions, ctx, runtime) = (sessions.clone(), ctx.clone(), Handle::current());
        move |opened| {
            sessions.spawn_on(session::serve(ctx.clone(), opened), &runtime);
        }
    };
    let mut acceptor = Acceptor::start(slot, spawn, config.max_reads, &sweeper)?;
    drop(sweeper);
    tracing::info!(path = %config.path.display(), profile = %config.profile, format = %config.format, "serving");

    // Serve until a shutdown signal, the last allowed read, or an error.
    let result = tokio::select! {
        result = acceptor.finished() => result,
        _ = shutdown => {
            tracing::info!("stopping: no new reads accepted");
            acceptor.stop();
            acceptor.finished().await
        }
    };

    // In-flight reads get the grace period, then are cut: their readers get
    // an empty file and the audit says `cut`.
    sessions.close();
    if tokio::time::timeout(config.grace, sessions.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            in_flight = sessions.len(),
            "grace period over: cutting reads"
        );
        ctx.cut.cancel();
        sessions.wait().await;
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
