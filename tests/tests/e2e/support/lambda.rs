//! The function as Lambda runs it: the real `bootstrap` (the binary in the
//! deployed zip) polling a real Lambda Runtime API, `cargo lambda watch
//! --only-lambda-apis`, with the environment LocalStack holds for the
//! function and LocalStack's KMS as its KMS.
//!
//! Invocations go to the emulator's invoke endpoint; an invocation that
//! arrives while no function process polls waits for the next one, as it
//! would for a fresh Lambda execution environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use super::artifacts::artifacts;
use super::localstack::{LocalStack, REGION};
use super::process::Proc;
use super::tools::{free_port, tool, wait_for_port};

/// The name the emulator serves; with `--only-lambda-apis` it takes any
/// function under this name.
const FUNCTION_NAME: &str = "_";

/// The Runtime API emulator and the function process behind it.
pub struct Function {
    port: u16,
    log: PathBuf,
    localstack: &'static LocalStack,
    _emulator: Proc,
    process: Mutex<Option<Proc>>,
}

impl Function {
    /// Starts the emulator and the function with `environment` (the
    /// function's configuration), logging under `dir`.
    pub fn start(
        dir: &Path,
        localstack: &'static LocalStack,
        environment: &BTreeMap<String, String>,
    ) -> Function {
        let port = free_port();
        let mut watch = Command::new(tool("py/bin/cargo-lambda", "py"));
        watch
            .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1"])
            .args(["-P", &port.to_string()])
            // cargo-lambda reads the project's metadata even here.
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        let emulator = Proc::spawn("cargo lambda watch", watch, &dir.join("runtime-api.log"));
        assert!(
            wait_for_port(port, Duration::from_secs(60)),
            "the Runtime API did not listen\n{}",
            emulator.log_tail()
        );
        let function = Function {
            port,
            log: dir.join("function.log"),
            localstack,
            _emulator: emulator,
            process: Mutex::new(None),
        };
        function.launch(environment);
        function
    }

    /// Stops the function process and starts a new one with `environment`,
    /// as Lambda does after a configuration change.
    pub fn restart(&self, environment: &BTreeMap<String, String>) {
        if let Some(old) = self.slot().take() {
            old.stop();
        }
        self.launch(environment);
    }

    fn launch(&self, environment: &BTreeMap<String, String>) {
        let mut command = Command::new(&artifacts().bootstrap);
        command.env_clear().envs(environment);
        self.localstack.configure(&mut command);
        command
            .env_remove("PATH")
            .env("AWS_REGION", REGION)
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{}/.rt", self.port),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128");
        let process = Proc::spawn("bootstrap", command, &self.log);
        *self.slot() = Some(process);
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Proc>> {
        self.process.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The emulator's endpoint for invoking the function.
    pub fn invoke_url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/2015-03-31/functions/{FUNCTION_NAME}/invocations",
            self.port
        )
    }

    /// Everything the function printed, across restarts.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The function's audit lines, parsed.
    pub fn audit(&self) -> Vec<Value> {
        self.log()
            .lines()
            .filter(|line| line.starts_with(r#"{"event":"ratchet.read""#))
            .map(|line| serde_json::from_str(line).expect("audit lines are JSON"))
            .collect()
    }

    /// The function's log files, for the leak checks.
    pub fn log_files(&self) -> Vec<PathBuf> {
        let dir = self.log.parent().expect("logs live in a folder");
        vec![self.log.clone(), dir.join("runtime-api.log")]
    }
}
