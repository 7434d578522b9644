//! Where things are: the checkout, the tools `scripts/tools.sh` installs,
//! the run's temporary tree, free ports.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_owned()
}

/// `$RATCHET_TOOLS_DIR`, by default `.tools/` at the repository root.
pub fn tools_dir() -> PathBuf {
    std::env::var_os("RATCHET_TOOLS_DIR").map_or_else(|| repo().join(".tools"), PathBuf::from)
}

/// A tool under the tools folder; fails the test, naming the install step,
/// when it is missing.
pub fn tool(relative: &str, part: &str) -> PathBuf {
    let path = tools_dir().join(relative);
    assert!(
        path.is_file(),
        "{} is missing: run `scripts/tools.sh {part}` (or set RATCHET_TOOLS_DIR)",
        path.display()
    );
    path
}

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

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// Waits until something accepts connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
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
