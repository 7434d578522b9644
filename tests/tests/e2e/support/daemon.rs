//! The daemon, the static binary that goes into the image, serving a FIFO
//! in the run's tree; its audit events (stdout) and diagnostics (stderr) in
//! log files there.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::artifacts::artifacts;
use super::localstack::REGION;
use super::process::Proc;
use super::stack::Credentials;
use super::tools::wait_until;

/// How the daemon proves who it is.
pub enum Auth {
    /// `--auth api-key` with the key in this file (the deploy's output).
    KeyFile(PathBuf),
    /// `--auth api-key` with this value (for keys that are wrong anyway).
    Key(String),
    /// `--auth iam`, signing with these credentials.
    Iam(Credentials),
}

/// A running `ratchet serve`.
pub struct Daemon {
    /// The FIFO.
    pub path: PathBuf,
    audit: PathBuf,
    stderr: PathBuf,
    process: Proc,
}

impl Daemon {
    /// Starts the daemon in `dir` for `profile` at the stage `url`, with
    /// `format` and extra `RATCHET_*` variables, and waits for its FIFO.
    pub fn start(
        dir: &Path,
        url: &str,
        profile: &str,
        auth: &Auth,
        format: &str,
        extra: &[(&str, &str)],
    ) -> Daemon {
        std::fs::create_dir_all(dir).expect("create the daemon's folder");
        let path = dir.join(".env");
        let mut command = Command::new(&artifacts().daemon);
        command
            .env_clear()
            .arg("serve")
            .env("RATCHET_API_URL", url)
            .env("RATCHET_PROFILE", profile)
            .env("RATCHET_PATH", &path)
            .env("RATCHET_FORMAT", format)
            .env("RATCHET_LOG_FORMAT", "json")
            .env("RATCHET_LOG", "debug")
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .envs(extra.iter().copied());
        match auth {
            Auth::KeyFile(file) => {
                command
                    .env("RATCHET_AUTH", "api-key")
                    .env("RATCHET_API_KEY_FILE", file);
            }
            Auth::Key(value) => {
                command
                    .env("RATCHET_AUTH", "api-key")
                    .env("RATCHET_API_KEY", value);
            }
            Auth::Iam(credentials) => {
                command
                    .env("RATCHET_AUTH", "iam")
                    .env("AWS_ACCESS_KEY_ID", &credentials.access_key_id)
                    .env("AWS_SECRET_ACCESS_KEY", &credentials.secret_access_key)
                    .env("AWS_SESSION_TOKEN", &credentials.session_token);
            }
        }
        let audit = dir.join("daemon.audit.log");
        let stderr = dir.join("daemon.log");
        let process = Proc::spawn_split("ratchet serve", command, &audit, &stderr);
        let daemon = Daemon {
            path,
            audit,
            stderr,
            process,
        };
        let ready = wait_until(Duration::from_secs(20), || {
            daemon.process.exit_status().is_some()
                || std::fs::symlink_metadata(&daemon.path).is_ok_and(|m| m.file_type().is_fifo())
        });
        assert!(
            ready && daemon.process.exit_status().is_none(),
            "the daemon did not serve {}\n{}",
            daemon.path.display(),
            daemon.process.log_tail()
        );
        daemon
    }

    /// The folder holding the FIFO (the reader's working directory).
    pub fn dir(&self) -> &Path {
        self.path.parent().expect("the FIFO is in a folder")
    }

    /// Audit events so far, parsed.
    pub fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("audit lines are JSON"))
            .collect()
    }

    /// Waits until `n` audit events are written, and returns them all.
    pub fn audit_events(&self, n: usize) -> Vec<Value> {
        wait_until(Duration::from_secs(30), || self.audit().len() >= n);
        self.audit()
    }

    /// The audit event of open number `seq` (from 1), waiting for it.
    pub fn event(&self, seq: usize) -> Value {
        let events = self.audit_events(seq);
        events
            .into_iter()
            .find(|e| e["seq"] == seq)
            .unwrap_or_else(|| panic!("no audit event for open {seq}\n{}", self.process.log_tail()))
    }

    /// Stops the daemon with SIGTERM; returns whether it exited cleanly.
    pub fn stop(&self) -> bool {
        self.process.signal(libc::SIGTERM);
        self.process
            .wait_exit(Duration::from_secs(15))
            .is_some_and(|s| s.success())
    }

    /// The daemon's log files, for the leak checks.
    pub fn log_files(&self) -> Vec<PathBuf> {
        vec![self.audit.clone(), self.stderr.clone()]
    }

    /// The end of its logs, for failure messages.
    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }
}
