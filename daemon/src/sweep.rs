//! Releasing readers left waiting on a FIFO that is no longer at the path.
//!
//! A reader resolves the path to an inode, then waits in `open` for a
//! writer. If the daemon renamed a fresh FIFO over the path between those two
//! steps and has since closed the old one's write end, that reader would
//! wait forever: no writer will come to an inode without a name. So each
//! retired FIFO is probed a few times after it was served; a probe opens the
//! write end without blocking and closes it at once, which lets any waiting
//! reader through to an immediate end of file (an empty read, never a stale
//! or partial one). A probe that finds no reader at all ends the watch early;
//! that is the common case, at the first probe.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::fifo::Fifo;

/// Delays after the write end is closed at which a retired FIFO is probed.
/// The last one bounds how long a reader can wait in `open`.
pub const PROBES: [Duration; 4] = [
    Duration::from_millis(5),
    Duration::from_millis(50),
    Duration::from_millis(500),
    Duration::from_secs(2),
];

/// Sends retired FIFOs to the sweeping task.
#[derive(Clone)]
pub struct Sweeper {
    tx: mpsc::UnboundedSender<Arc<Fifo>>,
}

/// The sweeping task, to be awaited after the last FIFO is retired.
pub struct SweepTask {
    handle: tokio::task::JoinHandle<()>,
}

struct Due {
    at: Instant,
    probe: usize,
    fifo: Arc<Fifo>,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

impl Sweeper {
    /// Starts the sweeping task. It runs until every [`Sweeper`] is dropped,
    /// then probes what is left once and ends.
    pub fn start() -> (Sweeper, SweepTask) {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = tokio::spawn(run(rx));
        (Sweeper { tx }, SweepTask { handle })
    }

    /// Watches `fifo`, whose write end has just been closed.
    pub fn retire(&self, fifo: Arc<Fifo>) {
        // The task only ends after every sender is gone, so this cannot fail.
        let _ = self.tx.send(fifo);
    }
}

impl SweepTask {
    /// Waits for the final probes.
    pub async fn finish(self) {
        let _ = self.handle.await;
    }
}

async fn run(mut rx: mpsc::UnboundedReceiver<Arc<Fifo>>) {
    let mut queue: BinaryHeap<Reverse<Due>> = BinaryHeap::new();
    loop {
        let next_due = queue.peek().map(|Reverse(due)| due.at);
        tokio::select! {
            retired = rx.recv() => match retired {
                Some(fifo) => queue.push(Reverse(Due { at: Instant::now() + PROBES[0], probe: 0, fifo })),
                None => break,
            },
            _ = sleep_until(next_due) => {
                let Reverse(due) = queue.pop().expect("a due entry");
                let someone = due.fifo.probe().unwrap_or(false);
                let next = due.probe + 1;
                if someone && next < PROBES.len() {
                    let at = Instant::now() + (PROBES[next] - PROBES[due.probe]);
                    queue.push(Reverse(Due { at, probe: next, fifo: due.fifo }));
                }
            }
        }
    }

    // Stopping: release anyone still waiting, once.
    for Reverse(due) in queue {
        let _ = due.fifo.probe();
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
