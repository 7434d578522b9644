//! `ratchet-seal`: seals a `.env` or JSON file for a profile, or checks a
//! sealed value. See `ratchet-seal --help`.

use std::io::Write;

use anyhow::Context;
use clap::Parser;
use ratchet_function::cli::{self, Args};
use ratchet_function::input;
use ratchet_function::kms::AwsKms;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let input = if args.input.as_os_str() == "-" {
        input::read_all(std::io::stdin().lock())?
    } else {
        let file = std::fs::File::open(&args.input)
            .with_context(|| format!("cannot open {}", args.input.display()))?;
        input::read_all(file)?
    };
    let kms = AwsKms::from_env().await;
    let printed = cli::run(&args, &kms, &input).await?;
    eprint!("{}", printed.report);
    std::io::stdout().write_all(printed.stdout.as_bytes())?;
    Ok(())
}
