//! Serving one open of the FIFO: fetch, render, check the pipe is not
//! shared, write the whole payload at once, close, audit.
//!
//! The payload is complete in memory before anything is written, and it is
//! written with a single `write` into a pipe enlarged to hold all of it. So
//! the write never blocks, whatever the reader does: a reader that never
//! reads holds a full pipe and stalls nobody, a reader that left makes the
//! write fail with `EPIPE`, and no reader can see part of a payload followed
//! by end of file. When several opens share one pipe (they reached the path
//! in the instant before a fresh FIFO replaced it) no split can give each a
//! whole copy, so none gets anything: each reads an empty file, and the
//! audit event lists them.

use std::io::Write;
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, fcntl};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

use crate::acceptor::Opened;
use crate::audit::{AuditLog, CacheUse, OpenEvent, Outcome, ReaderField, millis};
use crate::fetch::Fetcher;
use crate::readers;
use crate::render::{Format, render};
use crate::sweep::Sweeper;

/// Everything sessions share, built once.
pub struct Context {
    /// The API client.
    pub fetcher: Fetcher,
    /// Output format.
    pub format: Format,
    /// Audit trail.
    pub audit: AuditLog,
    /// Path served, for audit events.
    pub path: String,
    /// Profile served, for audit events.
    pub profile: String,
    /// Whether to look for readers in `/proc`.
    pub reader_scan: bool,
    /// Serve the last good payload, up to this old, when the API is down.
    pub cache_max_age: Option<Duration>,
    /// The last good payload.
    pub cache: Mutex<Option<Cached>>,
    /// Bounds concurrent fetches, so a burst of opens cannot flood the API.
    pub fetches: Semaphore,
    /// Cancelled when the shutdown grace period is over.
    pub cut: CancellationToken,
    /// Watches FIFOs after they are served.
    pub sweeper: Sweeper,
}

/// The last payload served from a fresh fetch.
pub struct Cached {
    payload: Zeroizing<Vec<u8>>,
    version: String,
    at: Instant,
}

/// Why the payload was not written.
enum WriteError {
    /// The reader closed its end first.
    ReaderGone,
    /// The pipe could not be made large enough to take the payload at once.
    PipeTooSmall(Errno),
    /// Any other failure of the write.
    Io(std::io::Error),
}

/// Serves one open, from fetch to audit event.
pub async fn serve(ctx: Arc<Context>, opened: Opened) {
    let mut event = OpenEvent::new(&ctx.path, &ctx.profile, opened.seq);

    // A cut during the fetch leaves the reader an empty file.
    let payload = tokio::select! {
        payload = ctx.prepare(&mut event) => payload,
        _ = ctx.cut.cancelled() => {
            event.outcome = Outcome::Cut;
            None
        }
    };

    // Look for the reader now: every open that shares this pipe has
    // finished by the time the fetch has. The scan makes one system call
    // per descriptor in view, so it runs here rather than on another thread.
    let opens = if ctx.reader_scan {
        let (dev, ino) = opened.fifo.id();
        readers::distinct_opens(&readers::holders(dev, ino))
    } else {
        Vec::new()
    };
    if let Some(first) = opens.first() {
        event.reader = ReaderField::Known(readers::describe(first.pid));
    }

    if opens.len() > 1 {
        event.readers = opens.iter().map(|h| readers::describe(h.pid)).collect();
    }

    if let Some(payload) = payload {
        if opens.len() > 1 {
            event.outcome = Outcome::Collision;
        } else {
            match write_whole(&opened.writer, &payload) {
                Ok(()) => {
                    event.outcome = Outcome::Served;
                    event.bytes = payload.len();
                }
                Err(WriteError::ReaderGone) => event.outcome = Outcome::ReaderGone,
                Err(WriteError::PipeTooSmall(errno)) => {
                    event.outcome = Outcome::Failed;
                    event.reason = Some("pipe_too_small".into());
                    event.detail = Some(format!(
                        "cannot enlarge the pipe to {} bytes ({errno}); raise /proc/sys/fs/pipe-max-size or shrink the profile",
                        payload.len()
                    ));
                }
                Err(WriteError::Io(e)) => {
                    event.outcome = Outcome::Failed;
                    event.reason = Some("write_failed".into());
                    event.detail = Some(e.to_string());
                }
            }
        }
    }

    // Closing the write end is the reader's end of file.
    drop(opened.writer);
    event.total_ms = millis(opened.at.elapsed());
    ctx.audit.record(event);
    ctx.sweeper.retire(opened.fifo);
}

impl Context {
    /// Fetches and renders the payload, or returns `None` with the reason in
    /// `event`. Falls back to the last good payload when allowed.
    async fn prepare(&self, event: &mut OpenEvent) -> Option<Zeroizing<Vec<u8>>> {
        let _permit = self.fetches.acquire().await.ok()?;
        let (result, effort) = self.fetcher.fetch().await;
        event.fetch_ms = Some(millis(effort.elapsed));
        event.attempts = effort.attempts;

        let failed = match result {
            Ok(fetched) => {
                event.request_id = fetched.request_id;
                event.version = Some(fetched.document.version.clone());
                return match render(self.format, &fetched.document) {
                    Ok(payload) => {
                        self.remember(&payload, &fetched.document.version);
                        Some(payload)
                    }
                    Err(e) => {
                        event.reason = Some("render_failed".into());
                        event.detail = Some(e.to_string());
                        tracing::warn!(error = %e, "cannot render the profile");
                        None
                    }
                };
            }
            Err(failed) => failed,
        };

        event.request_id = failed.request_id;
        tracing::warn!(error = %failed.error, attempts = effort.attempts, "fetch failed");
        if failed.error.is_transient()
            && let Some((payload, version, age)) = self.recall()
        {
            event.version = Some(version);
            event.cached = Some(CacheUse {
                age_s: age.as_secs_f64(),
                fetch_error: failed.error.reason(),
            });
            return Some(payload);
        }
        event.reason = Some(failed.error.reason());
        event.detail = Some(failed.error.to_string());
        None
    }

    fn remember(&self, payload: &Zeroizing<Vec<u8>>, version: &str) {
        if self.cache_max_age.is_none() {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        *cache = Some(Cached {
            payload: payload.clone(),
            version: version.to_owned(),
            at: Instant::now(),
        });
    }

    /// The last good payload, if one is kept and young enough.
    fn recall(&self) -> Option<(Zeroizing<Vec<u8>>, String, Duration)> {
        let max_age = self.cache_max_age?;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let age = cache.as_ref()?.at.elapsed();
        if age > max_age {
            // Too old to serve; wipe it now rather than at the next success.
            *cache = None;
            return None;
        }
        let cached = cache.as_ref()?;
        Some((cached.payload.clone(), cached.version.clone(), age))
    }
}

/// Writes `payload` with one non-blocking `write`, after making the pipe
/// large enough to hold it all.
fn write_whole(writer: &std::fs::File, payload: &[u8]) -> Result<(), WriteError> {
    if payload.is_empty() {
        return Ok(());
    }
    let capacity =
        fcntl(writer.as_fd(), FcntlArg::F_GETPIPE_SZ).map_err(WriteError::PipeTooSmall)?;
    if (capacity as usize) < payload.len() {
        let wanted =
            i32::try_from(payload.len()).map_err(|_| WriteError::PipeTooSmall(Errno::EFBIG))?;
        fcntl(writer.as_fd(), FcntlArg::F_SETPIPE_SZ(wanted)).map_err(WriteError::PipeTooSmall)?;
    }
    let mut writer = writer;
    match writer.write(payload) {
        Ok(n) if n == payload.len() => Ok(()),
        // Cannot happen: the pipe was empty and large enough. Should it ever,
        // the audit event says so.
        Ok(n) => Err(WriteError::Io(std::io::Error::other(format!(
            "short write: {n} of {} bytes",
            payload.len()
        )))),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(WriteError::ReaderGone),
        Err(e) => Err(WriteError::Io(e)),
    }
}
