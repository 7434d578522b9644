//! LocalStack's runtime (`localstack-core` on Python 3.13, from
//! `scripts/tools.sh localstack`), which starts without Docker and without
//! an account.

use std::path::Path;
use std::process::Command;

use crate::tools::tool;

/// The command that starts LocalStack listening on 127.0.0.1:`port` only,
/// with its files (and, on exit, nothing) under `dir`.
pub fn command(dir: &Path, port: u16) -> Command {
    let mut command = Command::new(tool("localstack/bin/python", "localstack"));
    command
        .args(["-m", "localstack.runtime.main"])
        .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
        // The default server binds every interface whatever it is told.
        .env("GATEWAY_SERVER", "hypercorn")
        .env("DNS_ADDRESS", "0")
        .env("DISABLE_EVENTS", "1")
        .env("SKIP_SSL_CERT_DOWNLOAD", "1")
        .env("TMPDIR", dir);
    command
}
