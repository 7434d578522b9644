//! KMS emulators (moto, LocalStack) on 127.0.0.1, each a child process
//! stopped when its guard is dropped.
//!
//! One emulator of each kind is shared by all the tests of a test binary,
//! because LocalStack takes seconds and ~120 MB to start. A static is never
//! dropped, so the shared ones are stopped by an `atexit` hook when the test
//! binary exits.

use std::process::Command;
use std::sync::{Mutex, Once, OnceLock};
use std::time::Duration;

use aws_sdk_kms::config::{Credentials, Region};
use ratchet_function::kms::AwsKms;

use ratchet_harness::process::Proc;
use ratchet_harness::tools::{free_port, tool};

/// Region the tests use everywhere.
pub const REGION: &str = "us-east-1";

/// A KMS emulator listening on 127.0.0.1.
pub struct Emulator {
    port: u16,
    process: Proc,
    dir: Mutex<Option<tempfile::TempDir>>,
}

impl Emulator {
    /// Starts moto's server on a free port.
    pub fn start_moto() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        let port = free_port();
        let mut command = Command::new(tool("py/bin/moto_server", "py"));
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        let process = Proc::spawn("moto", command, &dir.path().join("moto.log"));
        Self::ready(port, process, dir, "/moto-api/")
    }

    /// Starts LocalStack's runtime on a free port, with its own TMPDIR.
    pub fn start_localstack() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        let port = free_port();
        let command = ratchet_harness::localstack::command(dir.path(), port);
        let process = Proc::spawn("localstack", command, &dir.path().join("localstack.log"));
        Self::ready(port, process, dir, "/_localstack/health")
    }

    /// Waits until `path` answers 200, or fails with the emulator's log.
    fn ready(port: u16, process: Proc, dir: tempfile::TempDir, path: &str) -> Self {
        let emulator = Self {
            port,
            process,
            dir: Mutex::new(Some(dir)),
        };
        emulator
            .process
            .wait_ready(port, path, Duration::from_secs(90));
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
