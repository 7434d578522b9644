//! Shared harness: a wiremock secrets API, the real `ratchet` binary serving
//! a FIFO in a temporary directory, and readers that classify what they got.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ratchet_daemon::document::Document;
use ratchet_daemon::render::{Format, render};
use serde_json::Value;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The API key the mock API expects.
pub const API_KEY: &str = "test-api-key-9f8e7d";

/// The access key id of the static IAM credentials the daemon signs with.
pub const IAM_KEY_ID: &str = "AKIATESTRATCHET";

/// Secret values used by the tests; none may ever appear in a log.
pub const SECRETS: [&str; 3] = [
    "s3cr3t-Hunter2-value",
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
    "pässwörd with spaces #and $dollars",
];

/// The JSON document the API returns for `vars`.
pub fn document_json(profile: &str, vars: &[(&str, &str)]) -> Value {
    let variables: BTreeMap<&str, &str> = vars.iter().copied().collect();
    serde_json::json!({"profile": profile, "version": "v-test-1", "variables": variables})
}

/// The standard test variables: one for each secret.
pub fn secret_vars() -> Vec<(&'static str, &'static str)> {
    vec![
        ("API_TOKEN", SECRETS[0]),
        ("TLS_KEY", SECRETS[1]),
        ("DB_PASSWORD", SECRETS[2]),
    ]
}

/// What the daemon should write for `json` in `format`, computed by the library.
pub fn expected(format: Format, json: &Value) -> Vec<u8> {
    let doc: Document = serde_json::from_value(json.clone()).unwrap();
    render(format, &doc).unwrap().to_vec()
}

/// A document of variables whose dotenv rendering is exactly `size` bytes.
pub fn document_of_size(size: usize) -> Value {
    // `Vnnnn='...'\n` lines of 100 bytes, then one line padded to fit.
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut left = size;
    let mut i = 0;
    while left > 0 {
        let name = format!("V{i:05}");
        let overhead = name.len() + 4;
        let line = left.min(100).max(overhead);
        let value: String = (0..line - overhead)
            .map(|j| (b'a' + ((i + j) % 26) as u8) as char)
            .collect();
        left -= line;
        vars.push((name, value));
        i += 1;
    }
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let json = document_json("app", &vars);
    assert_eq!(expected(Format::Dotenv, &json).len(), size);
    json
}

/// Starts a mock API serving `json` for profile `app` to holders of [`API_KEY`].
pub async fn api_serving(json: &Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/prod/v1/profiles/app"))
        .and(header("x-api-key", API_KEY))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-amzn-RequestId", "req-0001")
                .set_body_json(json),
        )
        .mount(&server)
        .await;
    server
}

/// The stage URL of a mock API.
pub fn stage_url(server: &MockServer) -> String {
    format!("{}/prod", server.uri())
}

/// The real daemon binary serving a FIFO in a temporary directory.
pub struct Daemon {
    child: Option<Child>,
    /// Temporary directory holding the FIFO.
    pub dir: tempfile::TempDir,
    /// Path of the FIFO.
    pub path: PathBuf,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    reads: std::sync::atomic::AtomicU64,
}

/// Sets up the temporary directory before the daemon starts.
pub type Prepare = Box<dyn FnOnce(&Path)>;

/// Options for [`Daemon::start`] beyond the API and key.
#[derive(Default)]
pub struct Options {
    /// Extra command-line arguments.
    pub args: Vec<String>,
    /// Whether a FIFO must appear (false for start-up failures).
    pub expect_fifo: bool,
    /// Prepare the directory before the daemon starts.
    pub prepare: Option<Prepare>,
    /// Sign with IAM (static test credentials) instead of sending the API key.
    pub iam: bool,
}

impl Daemon {
    /// Starts `ratchet serve` against `api_url` with the test key and waits
    /// for the FIFO.
    pub fn start(api_url: &str, args: &[&str]) -> Daemon {
        Daemon::start_with(
            api_url,
            Options {
                args: args.iter().map(|s| s.to_string()).collect(),
                expect_fifo: true,
                ..Options::default()
            },
        )
    }

    /// Starts `ratchet serve` with full control over the options.
    pub fn start_with(api_url: &str, options: Options) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        if let Some(prepare) = options.prepare {
            prepare(dir.path());
        }
        let before = std::fs::symlink_metadata(&path).ok().map(|m| m.ino());
        let mut command = Command::new(env!("CARGO_BIN_EXE_ratchet"));
        command
            .arg("serve")
            .args(["--api-url", api_url, "--profile", "app"])
            .arg("--path")
            .arg(&path)
            .args(&options.args)
            .env("RATCHET_LOG", "debug");
        if options.iam {
            command
                .args(["--auth", "iam"])
                .env("AWS_ACCESS_KEY_ID", IAM_KEY_ID)
                .env("AWS_SECRET_ACCESS_KEY", "test-secret-access-key")
                .env("AWS_SESSION_TOKEN", "test-session-token")
                .env("AWS_REGION", "eu-west-1")
                .env("AWS_EC2_METADATA_DISABLED", "true");
        } else {
            command
                .args(["--auth", "api-key"])
                .env("RATCHET_API_KEY", API_KEY);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning the ratchet binary");
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        let mut daemon = Daemon {
            child: Some(child),
            dir,
            path,
            stdout,
            stderr,
            reads: Default::default(),
        };
        if options.expect_fifo {
            daemon.wait_for_fifo(before);
        }
        daemon
    }

    /// Waits for a FIFO other than the inode `before` to be at the path.
    fn wait_for_fifo(&mut self, before: Option<u64>) {
        use std::os::unix::fs::FileTypeExt;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let meta = std::fs::symlink_metadata(&self.path);
            if meta.is_ok_and(|m| m.file_type().is_fifo() && Some(m.ino()) != before) {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "daemon exited with {status} before serving:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!(
            "no FIFO at {} after 10 s:\n{}",
            self.path.display(),
            self.stderr()
        );
    }

    /// Reads the FIFO once, to end of file.
    pub fn read(&self) -> Vec<u8> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::fs::read(&self.path).unwrap()
    }

    /// Reads made through [`Daemon::read`] so far.
    pub fn reads(&self) -> u64 {
        self.reads.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Sends a signal to the daemon.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.as_ref().unwrap().id() as i32);
        nix::sys::signal::kill(pid, signal).unwrap();
    }

    /// Waits up to `limit` for the daemon to exit; returns its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        let child = self.child.as_mut().unwrap();
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                // Let the log collectors reach end of file.
                std::thread::sleep(Duration::from_millis(50));
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    /// Stops the daemon with SIGTERM and returns its exit code.
    pub fn stop(&mut self) -> Option<i32> {
        self.signal(nix::sys::signal::Signal::SIGTERM);
        self.wait_exit(Duration::from_secs(15))
    }

    /// Audit events written so far, parsed.
    pub fn audit(&self) -> Vec<Value> {
        self.stdout
            .lock()
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).expect("audit lines are JSON"))
            .collect()
    }

    /// Waits until `n` audit events have been written, and returns them.
    pub fn audit_events(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let events = self.audit();
            if events.len() >= n || Instant::now() > deadline {
                return events;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Everything logged on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Everything the daemon wrote on both streams.
    pub fn all_logs(&self) -> String {
        format!("{}\n{}", self.stdout.lock().unwrap(), self.stderr())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Every test's logs are checked for the secrets it served.
        if std::thread::panicking() {
            return;
        }
        let logs = self.all_logs();
        for secret in SECRETS {
            for line in secret.lines() {
                assert!(
                    !logs.contains(line),
                    "a secret value appeared in the daemon's logs"
                );
            }
        }
    }
}

fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let buffer = Arc::new(Mutex::new(String::new()));
    let sink = buffer.clone();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            sink.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    buffer
}

/// What one reader got, compared with the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Got {
    /// Exactly one copy.
    Exact,
    /// Nothing.
    Empty,
    /// Two or more whole copies back to back.
    Duplicated,
    /// Anything else: a part, or parts interleaved.
    Partial,
    /// Did not reach end of file within the bound.
    Hung,
}

/// Classifies `got` against the expected `payload`.
pub fn classify(got: &[u8], payload: &[u8]) -> Got {
    if got == payload {
        Got::Exact
    } else if got.is_empty() {
        Got::Empty
    } else if got.len().is_multiple_of(payload.len())
        && got.chunks(payload.len()).all(|c| c == payload)
    {
        Got::Duplicated
    } else {
        Got::Partial
    }
}

/// Counts of outcomes, printed as one line.
#[derive(Default, Debug)]
pub struct Tally(pub BTreeMap<Got, usize>);

impl Tally {
    /// Adds one outcome.
    pub fn add(&mut self, got: Got) {
        *self.0.entry(got).or_default() += 1;
    }
    /// Count of one outcome.
    pub fn count(&self, got: Got) -> usize {
        self.0.get(&got).copied().unwrap_or(0)
    }
    /// Total outcomes.
    pub fn total(&self) -> usize {
        self.0.values().sum()
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [
            Got::Exact,
            Got::Empty,
            Got::Duplicated,
            Got::Partial,
            Got::Hung,
        ]
        .iter()
        .map(|g| format!("{g:?}={}", self.count(*g)).to_lowercase())
        .collect();
        write!(f, "{} of {}", parts.join(" "), self.total())
    }
}

/// Reads `path` in a thread; gives up after `bound` and reports a hang (the
/// thread is left blocked and ends with the process).
pub fn read_bounded(path: &Path, bound: Duration) -> Option<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let path = path.to_owned();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read(path).unwrap_or_default());
    });
    rx.recv_timeout(bound).ok()
}
