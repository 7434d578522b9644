//! One chain for one test: the function (real `bootstrap`, Runtime API
//! emulator, environment from LocalStack), the stand-in gateway in front of
//! it, and the daemons the test starts; and the checks it ends with.

use std::path::PathBuf;
use std::sync::Mutex;

use super::daemon::{Auth, Daemon};
use super::evidence;
use super::gateway::{Gateway, Model};
use super::lambda::Function;
use super::stack::Stack;
use super::tools::{run_root, scratch};

/// The function and the gateway for one test, over a deployed stack.
pub struct Chain<'s> {
    /// The deployed stack.
    pub stack: &'s Stack,
    /// The function behind the gateway.
    pub function: Function,
    /// The stand-in API Gateway.
    pub gateway: Gateway,
    dir: PathBuf,
    daemons: Mutex<Vec<std::sync::Arc<Daemon>>>,
}

impl<'s> Chain<'s> {
    /// Starts the function with the environment LocalStack holds for it, and
    /// the gateway with the API definition LocalStack holds.
    pub fn start(stack: &'s Stack) -> Chain<'s> {
        let dir = scratch("chain-");
        let function = Function::start(&dir, stack.localstack(), &stack.function_environment());
        let gateway = Gateway::start(
            Model::load(stack),
            function.invoke_url(),
            &dir.join("gateway.access.log"),
        );
        Chain {
            stack,
            function,
            gateway,
            dir,
            daemons: Mutex::new(Vec::new()),
        }
    }

    /// The stage URL of an API flavour (`key` or `iam`) at the stand-in.
    pub fn url(&self, flavour: &str) -> String {
        self.gateway.stage_url(&self.stack.api_id(flavour))
    }

    /// Starts a daemon serving `profile` from the API `flavour`.
    pub fn daemon(
        &self,
        flavour: &str,
        profile: &str,
        auth: &Auth,
        format: &str,
    ) -> std::sync::Arc<Daemon> {
        self.daemon_at(&self.url(flavour), profile, auth, format, &[])
    }

    /// Starts a daemon against any stage URL, with extra variables.
    pub fn daemon_at(
        &self,
        url: &str,
        profile: &str,
        auth: &Auth,
        format: &str,
        extra: &[(&str, &str)],
    ) -> std::sync::Arc<Daemon> {
        let mut daemons = self.daemons.lock().unwrap_or_else(|e| e.into_inner());
        let dir = self.dir.join(format!("app-{}", daemons.len() + 1));
        let daemon = std::sync::Arc::new(Daemon::start(&dir, url, profile, auth, format, extra));
        daemons.push(daemon.clone());
        daemon
    }

    /// The API key file of a consumer.
    pub fn key(&self, consumer: &str) -> Auth {
        Auth::KeyFile(self.stack.api_key_file(consumer))
    }

    /// Restarts the function with the environment LocalStack holds now.
    pub fn restart_function(&self) {
        self.function.restart(&self.stack.function_environment());
    }

    /// The checks every test ends with, on every daemon it started here:
    /// - each audit event is joined, by request id, to one access-log line
    ///   and (where the gateway invoked the function) one function audit
    ///   line; no request reached the gateway or the function that no
    ///   daemon made;
    /// - no secret value is in any log (daemons, function, Runtime API,
    ///   gateway, LocalStack, deploy);
    /// - no plaintext file is anywhere in the run's tree.
    pub fn finish(self) {
        self.finish_with(Vec::new(), Vec::new());
    }

    /// The same checks, also over audit `events` and `logs` of daemons
    /// started elsewhere (in a container).
    pub fn finish_with(self, mut events: Vec<serde_json::Value>, mut logs: Vec<PathBuf>) {
        let daemons = self.daemons.lock().unwrap_or_else(|e| e.into_inner());
        for daemon in daemons.iter() {
            assert!(
                daemon.stop(),
                "the daemon did not stop cleanly\n{}",
                daemon.log_tail()
            );
        }
        events.extend(daemons.iter().flat_map(|d| d.audit()));
        let access = self.gateway.access_log();
        let reads = self.function.audit();
        evidence::assert_joined(&events, &access, &reads);
        let attempts: u64 = events
            .iter()
            .map(|e| e["attempts"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(
            access.len() as u64,
            attempts,
            "requests at the gateway vs attempts in the daemons' audit"
        );
        let invoked = access
            .iter()
            .filter(|a| !a["integrationStatus"].is_null())
            .count();
        assert_eq!(reads.len(), invoked, "function audit lines vs invocations");

        logs.extend(daemons.iter().flat_map(|d| d.log_files()));
        logs.extend(self.function.log_files());
        logs.push(self.gateway.log_path().to_owned());
        logs.push(self.stack.localstack().dir().join("localstack.log"));
        evidence::assert_no_secret_in_logs(&logs);
        evidence::assert_no_plaintext_file(run_root());
    }
}
