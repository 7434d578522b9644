//! The thread that waits for readers.
//!
//! Opening a FIFO for writing blocks until a reader opens it, and no async
//! runtime can wait on that, so one thread does nothing else. It keeps the
//! next FIFO created in advance; the moment its open returns it renames that
//! fresh FIFO over the path, so a reader arriving now gets a pipe of its own,
//! and hands the opened one over to be served. The rename is the first
//! system call after the wake-up: the shorter that gap, the fewer readers
//! arrive in time to share a pipe.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::oneshot;

use crate::fifo::{Fifo, FifoError, Slot};
use crate::sweep::Sweeper;

/// A reader has opened the FIFO: serve it through `writer`.
pub struct Opened {
    /// The write end, non-blocking.
    pub writer: std::fs::File,
    /// The FIFO the reader opened, no longer at the path.
    pub fifo: Arc<Fifo>,
    /// When the daemon's open returned.
    pub at: Instant,
    /// Number of this open since start, from 1.
    pub seq: u64,
}

/// Handle on the acceptor thread.
pub struct Acceptor {
    done: Option<oneshot::Receiver<Result<(), FifoError>>>,
    stop: Arc<AtomicBool>,
    current: Arc<Mutex<Option<Arc<Fifo>>>>,
}

impl Acceptor {
    /// Installs the first FIFO and starts waiting for readers; `serve` is
    /// called on the thread with each open and must not block. After
    /// `max_reads` opens the path is removed and the thread ends. Readers
    /// found waiting on a FIFO left by an earlier run are served first; an
    /// idle one goes to `sweeper`.
    pub fn start(
        mut slot: Slot,
        serve: impl Fn(Opened) + Send + 'static,
        max_reads: Option<u64>,
        sweeper: &Sweeper,
    ) -> Result<Self, FifoError> {
        let path = slot.path().to_owned();
        let stale = slot.take_stale();
        let pending = slot.create()?;
        let first = Arc::new(slot.install(pending)?);
        let mut seq = 0;
        if let Some(stale) = stale {
            let stale = Arc::new(stale);
            match stale.try_open_writer() {
                Ok(Some(writer)) => {
                    seq += 1;
                    serve(Opened {
                        writer,
                        fifo: stale,
                        at: Instant::now(),
                        seq,
                    });
                }
                _ => sweeper.retire(stale),
            }
        }

        let stop = Arc::new(AtomicBool::new(false));
        let current = Arc::new(Mutex::new(Some(first.clone())));
        let state = Loop {
            slot,
            serve: Box::new(serve),
            max_reads,
            stop: stop.clone(),
            current: current.clone(),
        };
        let (done_tx, done) = oneshot::channel();
        std::thread::Builder::new()
            .name("ratchet-acceptor".into())
            .spawn(move || {
                let _ = done_tx.send(state.run(first, seq));
            })
            .map_err(|_| FifoError::Io {
                op: "start the thread serving",
                path,
                source: nix::errno::Errno::EAGAIN,
            })?;
        Ok(Acceptor {
            done: Some(done),
            stop,
            current,
        })
    }

    /// Stops accepting: no further open of the path is served, and the path
    /// is removed.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // The thread publishes each FIFO before checking the flag, so the one
        // it may be blocked on is the one published.
        if let Some(fifo) = self.current.lock().unwrap().as_ref() {
            fifo.wake();
        }
    }

    /// Completes when the thread has ended, with its result. Safe to use in
    /// `select!`: it resolves once and then stays pending.
    pub async fn finished(&mut self) -> Result<(), FifoError> {
        match self.done.as_mut() {
            Some(done) => {
                let result = done.await.unwrap_or(Ok(()));
                self.done = None;
                result
            }
            None => std::future::pending().await,
        }
    }
}

struct Loop {
    slot: Slot,
    serve: Box<dyn Fn(Opened) + Send>,
    max_reads: Option<u64>,
    stop: Arc<AtomicBool>,
    current: Arc<Mutex<Option<Arc<Fifo>>>>,
}

impl Loop {
    fn run(mut self, mut current: Arc<Fifo>, mut seq: u64) -> Result<(), FifoError> {
        loop {
            let done = self.max_reads.is_some_and(|max| seq >= max);
            if done || self.stop.load(Ordering::SeqCst) {
                break;
            }
            let next = self.slot.create()?;
            let writer = match current.open_writer() {
                Ok(writer) => writer,
                Err(source) => {
                    self.slot.discard(next);
                    return Err(FifoError::Io {
                        op: "open for writing",
                        path: self.slot.path().to_owned(),
                        source,
                    });
                }
            };
            let at = Instant::now();
            if self.stop.load(Ordering::SeqCst) {
                // Woken to stop. A reader that raced the wake-up sees end of
                // file when the writer is dropped.
                self.slot.discard(next);
                break;
            }
            seq += 1;
            let last = self.max_reads.is_some_and(|max| seq >= max);

            // Put a fresh FIFO at the path at once, then hand this one over.
            let retired = current;
            let installed = if last {
                self.slot.discard(next);
                self.slot.remove(&retired);
                None
            } else {
                Some(self.slot.install(next))
            };
            (self.serve)(Opened {
                writer,
                fifo: retired.clone(),
                at,
                seq,
            });
            match installed {
                None => return Ok(()),
                Some(Err(e)) => return Err(e),
                Some(Ok(fifo)) => {
                    current = Arc::new(fifo);
                    *self.current.lock().unwrap() = Some(current.clone());
                }
            }
        }
        self.slot.remove(&current);
        Ok(())
    }
}
