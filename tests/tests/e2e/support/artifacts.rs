//! The binaries under test: the ones that ship, built by the project's own
//! scripts, never the test profile's debug builds.
//!
//! `scripts/test-e2e.sh` builds them first and passes their paths in
//! `RATCHET_E2E_ARTIFACTS` and `RATCHET_E2E_DAEMON`; without those the
//! tests run the same scripts themselves.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use super::process::run_bounded;
use super::tools::repo;

/// Paths of the built binaries.
pub struct Artifacts {
    /// The folder `localstack/build-artifacts.sh` fills (the hooks' RATCHET_ARTIFACTS).
    pub dir: PathBuf,
    /// The function, as zipped for Lambda.
    pub bootstrap: PathBuf,
    /// The static daemon, as in the image.
    pub daemon: PathBuf,
}

/// The artifacts, built on first use when not given.
pub fn artifacts() -> &'static Artifacts {
    static ARTIFACTS: OnceLock<Artifacts> = OnceLock::new();
    ARTIFACTS.get_or_init(|| {
        let dir = given_or_built("RATCHET_E2E_ARTIFACTS", "localstack/build-artifacts.sh");
        let daemon = given_or_built("RATCHET_E2E_DAEMON", "scripts/build-daemon.sh");
        for path in [&dir.join("bootstrap"), &dir.join("ratchet-seal"), &daemon] {
            assert!(path.is_file(), "{} is missing", path.display());
        }
        Artifacts {
            bootstrap: dir.join("bootstrap"),
            dir,
            daemon,
        }
    })
}

/// The path in `variable`, or the last line `script` prints.
fn given_or_built(variable: &str, script: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(variable) {
        return PathBuf::from(path);
    }
    PathBuf::from(run_script(&repo().join(script), &[]))
}

/// Runs a build script of the repository and returns the last line it
/// printed; fails the test with its output when it fails.
pub fn run_script(script: &Path, args: &[&str]) -> String {
    let mut command = Command::new(script);
    command.args(args).current_dir(repo());
    let (status, stdout, stderr) = run_bounded(command, Duration::from_secs(1800));
    assert!(
        status.success(),
        "{} failed ({status}):\n{}",
        script.display(),
        String::from_utf8_lossy(&stderr)
    );
    String::from_utf8_lossy(&stdout)
        .lines()
        .last()
        .unwrap_or_else(|| panic!("{} printed nothing", script.display()))
        .trim()
        .to_owned()
}
