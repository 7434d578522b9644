//! `ratchet`: parse options, start logging, build the client once, run.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use ratchet_daemon::config::{Cli, Command, LogFormat};
use ratchet_daemon::{audit::AuditLog, health, render};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);

    // Secrets pass through this process's memory: no core dumps, and no
    // ptrace or /proc/<pid>/mem access by other processes of the same user.
    if let Err(e) = nix::sys::prctl::set_dumpable(false) {
        tracing::warn!(error = %e, "cannot mark the process non-dumpable");
    }

    let result = match cli.command {
        Command::Health(args) => health::check(&args.path).map_err(anyhow::Error::msg),
        Command::Serve(args) => runtime().and_then(|rt| rt.block_on(serve(args))),
        Command::Fetch(args) => runtime().and_then(|rt| rt.block_on(fetch(args))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ratchet_daemon::config::ServeArgs) -> anyhow::Result<()> {
    let fetcher = args.api.fetcher().await?;
    warn_if_plaintext(&args.api);
    let config = args.serve_config();
    ratchet_daemon::serve(config, fetcher, AuditLog::stdout(), shutdown_signal()).await?;
    Ok(())
}

async fn fetch(args: ratchet_daemon::config::FetchArgs) -> anyhow::Result<()> {
    let fetcher = args.api.fetcher().await?;
    warn_if_plaintext(&args.api);
    let (result, _) = fetcher.fetch().await;
    let fetched = result.map_err(|failed| failed.error)?;
    let payload = render::render(args.format, &fetched.document)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&payload).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    Ok(())
}

fn warn_if_plaintext(api: &ratchet_daemon::config::ApiArgs) {
    if api.insecure_plaintext_http && api.api_url.scheme() == "http" {
        tracing::warn!(url = %api.api_url, "secrets travel over plain http");
    }
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; stop with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!(signal = "SIGTERM", "shutting down"),
        _ = int.recv() => tracing::info!(signal = "SIGINT", "shutting down"),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;

    // RATCHET_LOG takes a level ("debug") or per-target levels
    // ("ratchet_daemon=debug,info").
    let filter = std::env::var("RATCHET_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Json => registry.with(layer.json()).init(),
        LogFormat::Text => registry.with(layer).init(),
    }
}
