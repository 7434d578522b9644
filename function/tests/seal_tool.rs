//! The `ratchet-seal` binary as a user runs it: input errors (no KMS
//! needed), output formats, the size limit and `--check` (against moto).

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use support::{emulator, scenarios};

/// Runs `ratchet-seal ARGS` with no usable KMS, for errors found first.
fn run_offline(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ratchet-seal"))
        .args(args)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ratchet-seal");
    // The tool may exit on bad arguments before reading its input.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A bad `.env` line is refused by number, and its text is never printed.
#[test]
fn names_the_bad_line_not_its_value() {
    let input = "GOOD=1\n# comment\nhunter2-pa55word\n";
    let output = run_offline(&["--profile", "app", "--key-id", "alias/x"], input);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("line 3: invalid variable name"),
        "{message}"
    );
    assert!(
        !message.contains("hunter2") && output.stdout.is_empty(),
        "{message}"
    );
}

/// An invalid profile name and a missing key id are explained.
#[test]
fn explains_bad_arguments() {
    let output = run_offline(&["--profile", "My_App", "--key-id", "alias/x"], "A=1\n");
    assert!(
        stderr(&output).contains("not a valid profile name"),
        "{}",
        stderr(&output)
    );
    let output = run_offline(&["--profile", "app"], "A=1\n");
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--key-id"), "{}", stderr(&output));
}

/// An unreachable KMS fails plainly and prints nothing on stdout.
#[test]
fn reports_an_unreachable_kms() {
    let output = run_offline(
        &["--profile", "app", "--key-id", "alias/x"],
        "TOKEN=s3cr3t\n",
    );
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("KMS is unavailable"), "{message}");
    assert!(!message.contains("s3cr3t") && output.stdout.is_empty());
}

/// `--output tfvars` and `--output lambda-env` print the JSON their
/// consumers read, from a file given with `--input`.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn prints_each_output_format() {
    let moto = emulator::moto();
    let key = moto.create_key().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.json");
    std::fs::write(&file, r#"{"API_TOKEN": "tok-7f3a9c"}"#).unwrap();
    let file = file.to_str().unwrap();

    let base = ["--profile", "my-app", "--key-id", &key, "--input", file];
    let tfvars = scenarios::seal_cli(moto, &[&base[..], &["--output", "tfvars"]].concat(), "");
    assert!(tfvars.status.success(), "{}", stderr(&tfvars));
    let tfvars: serde_json::Value = serde_json::from_slice(&tfvars.stdout).unwrap();
    let sealed = tfvars["sealed_profiles"]["my-app"].as_str().unwrap();
    assert!(sealed.starts_with("ratchet:v1:"));

    let env = scenarios::seal_cli(moto, &[&base[..], &["--output", "lambda-env"]].concat(), "");
    assert!(env.status.success(), "{}", stderr(&env));
    let env: serde_json::Value = serde_json::from_slice(&env.stdout).unwrap();
    let sealed = env["Variables"]["RATCHET_PROFILE_MY_APP"].as_str().unwrap();

    let check = scenarios::seal_cli(moto, &["--check", "--profile", "my-app"], sealed);
    assert_eq!(
        String::from_utf8_lossy(&check.stdout),
        "API_TOKEN\n",
        "{}",
        stderr(&check)
    );
}

/// A profile that would not fit Lambda's 4 KB environment is refused with
/// the figures, and nothing is printed on stdout.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn refuses_what_would_not_fit() {
    let moto = emulator::moto();
    let key = moto.create_key().await;
    let input: String = (0..40)
        .map(|i| format!("VAR_{i}={}\n", "x".repeat(60)))
        .collect();

    let output = scenarios::seal_cli(moto, &["--profile", "app", "--key-id", &key], &input);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("would not fit") && message.contains("4096-byte"),
        "{message}"
    );
    assert!(output.stdout.is_empty());

    let small: String = input.lines().take(5).map(|l| format!("{l}\n")).collect();
    let output = scenarios::seal_cli(moto, &["--profile", "app", "--key-id", &key], &small);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("5 variables"),
        "{}",
        stderr(&output)
    );
}
