//! The `ratchet-seal` command: seal a `.env` or JSON file for a profile, or
//! check a sealed value. Plaintext is read into memory and goes nowhere else.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::input::{self, InputFormat};
use crate::kms::Kms;
use crate::output::{self, DEFAULT_RESERVE, LAMBDA_ENV_LIMIT, OutputFormat};
use crate::{Error, ProfileName, seal};

/// Seals a profile's variables with KMS, or checks a sealed value.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "ratchet-seal", version)]
pub struct Args {
    /// Profile the value is sealed for (lowercase letters, digits, '-').
    #[arg(long)]
    pub profile: String,

    /// KMS key to seal with: key id, key ARN, alias name or alias ARN.
    #[arg(long, env = "RATCHET_KMS_KEY_ID", required_unless_present = "check")]
    pub key_id: Option<String>,

    /// File to read, or `-` for standard input.
    #[arg(long, default_value = "-")]
    pub input: PathBuf,

    /// How to read the input.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub format: InputFormat,

    /// What to print.
    #[arg(long, value_enum, default_value_t = OutputFormat::Value)]
    pub output: OutputFormat,

    /// Bytes of Lambda's 4096-byte environment kept for the function's other
    /// variables (the access map, other profiles).
    #[arg(long, default_value_t = DEFAULT_RESERVE)]
    pub reserve: usize,

    /// Open a sealed value (the input) with KMS and list its variable names.
    #[arg(long)]
    pub check: bool,
}

/// What the command prints: `stdout` for the machine, `report` for the human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// The sealed value in the chosen format, or the names when checking.
    pub stdout: String,
    /// Sizes and counts; never a value.
    pub report: String,
}

/// Runs the command on input already read into memory.
pub async fn run<K: Kms>(args: &Args, kms: &K, input: &[u8]) -> Result<Printed, Error> {
    let profile = ProfileName::parse(&args.profile)?;
    if args.check {
        check(&profile, kms, input).await
    } else {
        let key_id = args
            .key_id
            .as_deref()
            .ok_or_else(|| Error::Input("--key-id is required to seal".into()))?;
        seal_input(args, &profile, key_id, kms, input).await
    }
}

async fn seal_input<K: Kms>(
    args: &Args,
    profile: &ProfileName,
    key_id: &str,
    kms: &K,
    input: &[u8],
) -> Result<Printed, Error> {
    let variables = input::parse(input, args.format)?;
    let sealed = seal::seal(kms, key_id, profile, &variables).await?;
    let usage = output::check_fits(profile, &sealed, args.reserve)?;
    let report = format!(
        "sealed profile `{profile}`: {count} variable{s}, version {version}, {size} bytes; \
         {name} takes {entry} of the {available} bytes left of Lambda's {LAMBDA_ENV_LIMIT}-byte \
         environment after {reserve} kept for other variables\n",
        count = variables.len(),
        s = if variables.len() == 1 { "" } else { "s" },
        version = seal::version(&sealed),
        size = usage.sealed,
        name = profile.env_var(),
        entry = usage.entry,
        available = usage.available,
        reserve = args.reserve,
    );
    Ok(Printed {
        stdout: output::render(args.output, profile, &sealed),
        report,
    })
}

async fn check<K: Kms>(profile: &ProfileName, kms: &K, input: &[u8]) -> Result<Printed, Error> {
    let sealed = std::str::from_utf8(input).map_err(|_| Error::Malformed("it is not text"))?;
    let variables = seal::open(kms, profile, sealed).await?;
    let mut stdout = String::new();
    for name in variables.names() {
        writeln!(stdout, "{name}").expect("writing to a String cannot fail");
    }
    let report = format!(
        "sealed profile `{profile}` opens: {count} variable{s}, version {version}, {size} bytes\n",
        count = variables.len(),
        s = if variables.len() == 1 { "" } else { "s" },
        version = seal::version(sealed),
        size = sealed.trim().len(),
    );
    Ok(Printed { stdout, report })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::kms::MemoryKms;

    fn args(extra: &[&str]) -> Args {
        let mut all = vec![
            "ratchet-seal",
            "--profile",
            "app",
            "--key-id",
            "alias/ratchet",
        ];
        all.extend_from_slice(extra);
        Args::try_parse_from(all).unwrap()
    }

    /// Sealing prints the value and a report; checking lists names only.
    #[tokio::test]
    async fn seals_then_checks() {
        let kms = MemoryKms::new();
        let input = b"DATABASE_URL=postgres://u:s3cr3t@db/app\nTOKEN=\"t0k3n\"\n";
        let sealed = run(&args(&[]), &kms, input).await.unwrap();
        assert!(sealed.stdout.starts_with("ratchet:v1:"));
        assert!(sealed.report.contains("2 variables"), "{}", sealed.report);
        for printed in [&sealed.stdout, &sealed.report] {
            assert!(!printed.contains("s3cr3t") && !printed.contains("t0k3n"));
        }

        let checked = run(&args(&["--check"]), &kms, sealed.stdout.as_bytes())
            .await
            .unwrap();
        assert_eq!(checked.stdout, "DATABASE_URL\nTOKEN\n");
        assert!(
            checked.report.contains("opens: 2 variables"),
            "{}",
            checked.report
        );
        assert!(!checked.report.contains("s3cr3t"));
    }

    /// A profile too large for Lambda's environment is refused with the
    /// figures that explain why.
    #[tokio::test]
    async fn refuses_what_would_not_fit() {
        let kms = MemoryKms::new();
        let input = format!("BIG={}\n", "v".repeat(2400));
        let err = run(&args(&[]), &kms, input.as_bytes()).await.unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("would not fit") && message.contains("4096"),
            "{message}"
        );
        assert!(!message.contains("vvvv"));
        assert!(
            run(&args(&["--reserve", "0"]), &kms, input.as_bytes())
                .await
                .is_ok()
        );
    }

    /// Checking needs no key id; sealing does, and says so.
    #[tokio::test]
    async fn key_id_is_needed_to_seal_only() {
        assert!(Args::try_parse_from(["ratchet-seal", "--profile", "app", "--check"]).is_ok());
        let mut without_key = args(&[]);
        without_key.key_id = None;
        let err = run(&without_key, &MemoryKms::new(), b"A=1\n")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("--key-id"), "{err}");
    }
}
