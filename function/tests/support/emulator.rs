//! KMS emulators (moto, LocalStack) on 127.0.0.1, and child processes that
//! are stopped when their guard is dropped.
//!
//! One emulator of each kind is shared by all the tests of a test binary,
//! because LocalStack takes seconds and ~120 MB to start. A static is never
//! dropped, so the shared ones are stopped by an `atexit` hook when the test
//! binary exits.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_kms::config::{Credentials, Region};
use ratchet_function::kms::AwsKms;

use super::tools::{free_port, tool};

/// Region the tests use everywhere.
pub const REGION: &str = "us-east-1";

/// A child process, stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Guard {
    name: String,
    child: Mutex<Option<Child>>,
    log: PathBuf,
}

impl Guard {
    /// Starts `command` with its output in `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Self {
        let out = File::create(log).expect("create the log file");
        let err = out.try_clone().expect("clone the log file");
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({:?}): {e}", command.get_program()));
        Self {
            name: name.to_owned(),
            child: Mutex::new(Some(child)),
            log: log.to_owned(),
        }
    }

    /// Whether the process has exited already.
    pub fn has_exited(&self) -> bool {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        child
            .as_mut()
            .is_none_or(|c| c.try_wait().ok().flatten().is_some())
    }

    /// The last part of what the process printed, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(3000);
        let start = (start..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        format!(
            "--- {} log ({}) ---\n{}",
            self.name,
            self.log.display(),
            &text[start..]
        )
    }

    /// Stops the process: SIGTERM, up to 5 s to exit, then SIGKILL.
    pub fn stop(&self) {
        let mut slot = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let Some(mut child) = slot.take() else {
            return;
        };
        if child.try_wait().ok().flatten().is_none() {
            let pid = libc::pid_t::try_from(child.id()).expect("pids fit in pid_t");
            // SAFETY: signalling a child this guard spawned and has not reaped.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A KMS emulator listening on 127.0.0.1.
pub struct Emulator {
    port: u16,
    process: Guard,
    dir: Mutex<Option<tempfile::TempDir>>,
}

impl Emulator {
    /// Starts moto's server on a free port.
    pub fn start_moto() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        let port = free_port();
        let mut command = Command::new(tool("py/bin/moto_server", "py"));
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        let process = Guard::spawn("moto", command, &dir.path().join("moto.log"));
        Self::ready(port, process, dir, "/moto-api/")
    }

    /// Starts LocalStack's runtime on a free port, with its own TMPDIR.
    pub fn start_localstack() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        let port = free_port();
        let mut command = Command::new(tool("localstack/bin/python", "localstack"));
        command
            .args(["-m", "localstack.runtime.main"])
            .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
            .env("GATEWAY_SERVER", "hypercorn")
            .env("DNS_ADDRESS", "0")
            .env("DISABLE_EVENTS", "1")
            .env("SKIP_SSL_CERT_DOWNLOAD", "1")
            .env("TMPDIR", dir.path());
        let process = Guard::spawn("localstack", command, &dir.path().join("localstack.log"));
        Self::ready(port, process, dir, "/_localstack/health")
    }

    /// Waits until `path` answers 200, or fails with the emulator's log.
    fn ready(port: u16, process: Guard, dir: tempfile::TempDir, path: &str) -> Self {
        let emulator = Self {
            port,
            process,
            dir: Mutex::new(Some(dir)),
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        while !http_ok(port, path) {
            assert!(
                !emulator.process.has_exited(),
                "the emulator exited before it was ready\n{}",
                emulator.process.log_tail()
            );
            assert!(
                Instant::now() < deadline,
                "the emulator was not ready after 90 s\n{}",
                emulator.process.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        emulator
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A KMS client aimed at this emulator, through the function's own code.
    pub async fn kms(&self) -> AwsKms {
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
            .endpoint_url(self.endpoint());
        AwsKms::load(loader).await
    }

    /// A fresh symmetric key; returns its id.
    pub async fn create_key(&self) -> String {
        let kms = self.kms().await;
        let key = kms
            .client()
            .create_key()
            .description("ratchet test key")
            .send()
            .await
            .expect("create a KMS key");
        key.key_metadata()
            .expect("CreateKey returns metadata")
            .key_id()
            .to_owned()
    }

    /// Points a child process at this emulator, with test credentials and no
    /// shared AWS configuration.
    pub fn configure(&self, command: &mut Command) {
        for var in [
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_ENDPOINT_URL_KMS",
            "AWS_DEFAULT_REGION",
        ] {
            command.env_remove(var);
        }
        command
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    }

    /// Stops the emulator and removes its folder.
    pub fn stop(&self) {
        self.process.stop();
        drop(self.dir.lock().unwrap_or_else(|e| e.into_inner()).take());
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

static MOTO: OnceLock<Emulator> = OnceLock::new();
static LOCALSTACK: OnceLock<Emulator> = OnceLock::new();

/// The moto server shared by this test binary.
pub fn moto() -> &'static Emulator {
    stop_at_exit();
    MOTO.get_or_init(Emulator::start_moto)
}

/// The LocalStack shared by this test binary.
pub fn localstack() -> &'static Emulator {
    stop_at_exit();
    LOCALSTACK.get_or_init(Emulator::start_localstack)
}

fn stop_at_exit() {
    static REGISTER: Once = Once::new();
    extern "C" fn stop_shared() {
        for shared in [&MOTO, &LOCALSTACK] {
            if let Some(emulator) = shared.get() {
                emulator.stop();
            }
        }
    }
    // SAFETY: registers a plain function with no arguments, once.
    REGISTER.call_once(|| unsafe {
        libc::atexit(stop_shared);
    });
}

/// Whether `GET path` on 127.0.0.1:`port` answers 200.
fn http_ok(port: u16, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b" 200")
}
