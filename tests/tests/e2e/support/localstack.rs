//! LocalStack on 127.0.0.1, one for the whole test binary, and the AWS CLI
//! aimed at it.
//!
//! LocalStack's runtime (`localstack-core` on Python 3.13, installed by
//! `scripts/tools.sh localstack`) starts without Docker and without an
//! account; its KMS, IAM, STS, API Gateway and Lambda control plane are what
//! the deploy hooks and the tests talk to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use super::process::{Proc, run_bounded};
use super::tools::{free_port, scratch, tool, tools_dir};

/// The region everything is deployed in.
pub const REGION: &str = "us-east-1";

/// The LocalStack shared by this test binary.
pub(crate) static SHARED: OnceLock<LocalStack> = OnceLock::new();

/// The shared LocalStack, started on first use.
pub fn localstack() -> &'static LocalStack {
    SHARED.get_or_init(LocalStack::start)
}

/// A running LocalStack.
pub struct LocalStack {
    port: u16,
    dir: PathBuf,
    process: Proc,
}

impl LocalStack {
    fn start() -> LocalStack {
        super::cleanup::register();
        let dir = scratch("localstack-");
        let port = free_port();
        let command = ratchet_harness::localstack::command(&dir, port);
        let process = Proc::spawn("localstack", command, &dir.join("localstack.log"));
        let localstack = LocalStack { port, dir, process };
        localstack
            .process
            .wait_ready(port, "/_localstack/health", Duration::from_secs(90));
        localstack
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// LocalStack's own folder (its TMPDIR and log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// LocalStack's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("localstack.log")).unwrap_or_default()
    }

    /// Points `command` at LocalStack: endpoint, region, dummy credentials,
    /// no shared AWS configuration, and the AWS CLI of the LocalStack tools
    /// first on PATH (the deploy hooks call `aws` and `python3`).
    pub fn configure(&self, command: &mut Command) {
        for var in [
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_ENDPOINT_URL_KMS",
            "AWS_CA_BUNDLE",
        ] {
            command.env_remove(var);
        }
        let path = std::env::var("PATH").unwrap_or_default();
        command
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_REGION", REGION)
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_PAGER", "")
            .env(
                "PATH",
                format!("{}:{path}", tools_dir().join("localstack/bin").display()),
            );
    }

    /// Runs the AWS CLI with `args` and returns its JSON output (`null` for
    /// none); fails the test with the CLI's message when it fails.
    pub fn aws(&self, args: &[&str]) -> Value {
        let (status, stdout, stderr) = self.try_aws(args);
        assert!(
            status,
            "aws {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&stderr)
        );
        if stdout.iter().all(u8::is_ascii_whitespace) {
            return Value::Null;
        }
        serde_json::from_slice(&stdout)
            .unwrap_or_else(|e| panic!("aws {} printed no JSON: {e}", args.join(" ")))
    }

    /// Runs the AWS CLI; returns whether it succeeded, and its output.
    pub fn try_aws(&self, args: &[&str]) -> (bool, Vec<u8>, Vec<u8>) {
        let mut command = Command::new(tool("localstack/bin/aws", "localstack"));
        self.configure(&mut command);
        command.args(["--output", "json"]).args(args);
        let (status, stdout, stderr) = run_bounded(command, Duration::from_secs(60));
        (status.success(), stdout, stderr)
    }

    /// A Lambda function's environment, as LocalStack holds it.
    pub fn function_environment(&self, name: &str) -> BTreeMap<String, String> {
        let config = self.aws(&[
            "lambda",
            "get-function-configuration",
            "--function-name",
            name,
        ]);
        serde_json::from_value(config["Environment"]["Variables"].clone())
            .expect("the function has an environment of strings")
    }

    /// Stops LocalStack.
    pub fn stop(&self) {
        self.process.stop();
    }
}
