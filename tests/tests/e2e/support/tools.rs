//! Where things are: the checkout, the tools `scripts/tools.sh` installs,
//! the run's temporary tree, free ports.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use ratchet_harness::tools::{free_port, repo, tool, tools_dir, wait_for_port};

/// The temporary tree of this test run: LocalStack's files, the deploy
/// outputs, every chain's FIFOs and logs. Removed at exit unless
/// `RATCHET_E2E_KEEP` is set; the plaintext scan walks all of it.
pub fn run_root() -> &'static Path {
    RUN_ROOT.get_or_init(|| {
        super::cleanup::register();
        tempfile::Builder::new()
            .prefix("ratchet-e2e-")
            .tempdir()
            .expect("create the run's temporary folder")
            .keep()
    })
}

/// The run's tree, once made.
pub(crate) static RUN_ROOT: OnceLock<PathBuf> = OnceLock::new();

/// A fresh folder under the run's tree.
pub fn scratch(prefix: &str) -> PathBuf {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(run_root())
        .expect("create a folder in the run's tree")
        .keep()
}

/// Polls `done` every 20 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
