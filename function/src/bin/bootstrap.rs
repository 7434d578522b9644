//! The Lambda: reads its configuration, builds the KMS client once, serves.

use ratchet_function::config::Config;
use ratchet_function::handler::{self, Function};
use ratchet_function::kms::AwsKms;
use tracing_subscriber::EnvFilter;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    init_tracing();
    let config = Config::from_env().inspect_err(|e| tracing::error!(error = %e, "cannot start"))?;
    for warning in config.warnings() {
        tracing::warn!(warning, "configuration");
    }
    let kms = AwsKms::from_env().await;
    handler::run(Function::new(config, kms)).await
}

/// Diagnostics go to stderr as JSON, so that stdout carries audit lines only.
/// The level comes from `RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`.
fn init_tracing() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").unwrap_or_else(|_| "info".into());
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level.to_lowercase()))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .without_time()
        .init();
}
