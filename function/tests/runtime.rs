//! The real `bootstrap` binary behind `cargo lambda watch`'s Lambda Runtime
//! API, invoked with REST (v1) events by `cargo lambda invoke`, opening its
//! profile with moto's KMS.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ratchet_harness::process::Proc;
use ratchet_harness::tools::{free_port, tool, wait_for_port};
use support::emulator;
use support::events::{self, IAM, NO_IDENTITY};
use support::scenarios::{self, APP_ROLE};

/// Sends `event` to the function `_` through the Runtime API on `port`;
/// returns the API Gateway proxy response.
fn invoke(cargo_lambda: &Path, port: u16, event: &Path) -> serde_json::Value {
    let output = Command::new(cargo_lambda)
        .args(["lambda", "invoke", "--invoke-address", "127.0.0.1"])
        .args([
            "--invoke-port",
            &port.to_string(),
            "--output-format",
            "json",
        ])
        .arg("--data-file")
        .arg(event)
        .arg("_")
        .output()
        .expect("run cargo lambda invoke");
    assert!(
        output.status.success(),
        "cargo lambda invoke failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "invoke printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The bootstrap binary starts as Lambda starts it, serves an IAM caller's
/// read with the real KMS client, denies an anonymous one, and writes one
/// clean audit line for each, keyed by API Gateway's request id.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn bootstrap_serves_rest_events() {
    let moto = emulator::moto();
    let key = moto.create_key().await;
    let sealed = scenarios::seal_dotenv(moto, &key, "app");
    let dir = tempfile::tempdir().unwrap();
    let cargo_lambda = tool("py/bin/cargo-lambda", "py");

    // The Runtime API alone; the test starts the function itself.
    let port = free_port();
    let mut watch = Command::new(&cargo_lambda);
    watch
        .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1"])
        .args(["-P", &port.to_string()])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    let watch = Proc::spawn("cargo lambda watch", watch, &dir.path().join("watch.log"));
    assert!(
        wait_for_port(port, Duration::from_secs(60)),
        "{}",
        watch.log_tail()
    );

    // The function, with the variables Lambda itself would set.
    let mut function = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
    moto.configure(&mut function);
    function
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env(
            "RATCHET_ACCESS",
            format!(r#"{{"app": {{"principals": ["{APP_ROLE}"]}}}}"#),
        )
        .env("RATCHET_PROFILE_APP", &sealed);
    let function = Proc::spawn("bootstrap", function, &dir.path().join("bootstrap.log"));

    // An IAM caller is served.
    let served_event = dir.path().join("iam.json");
    std::fs::write(
        &served_event,
        events::event_json(IAM, "GET", "/v1/profiles/app"),
    )
    .unwrap();
    let served = invoke(&cargo_lambda, port, &served_event);
    assert_eq!(
        served["statusCode"],
        200,
        "{served}\n{}",
        function.log_tail()
    );
    let body: serde_json::Value = serde_json::from_str(served["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["profile"], "app");
    assert_eq!(body["variables"]["API_TOKEN"], "tok-7f3a9c");
    // REST responses carry their headers as multi-value headers.
    assert_eq!(served["multiValueHeaders"]["cache-control"][0], "no-store");

    // An anonymous caller is denied.
    let denied_event = dir.path().join("anonymous.json");
    std::fs::write(
        &denied_event,
        events::event_json(NO_IDENTITY, "GET", "/v1/profiles/app"),
    )
    .unwrap();
    let denied = invoke(&cargo_lambda, port, &denied_event);
    assert_eq!(denied["statusCode"], 403, "{denied}");
    assert_eq!(denied["body"], r#"{"message":"forbidden"}"#);

    // One audit line per request, joined to API Gateway's request id.
    let log = std::fs::read_to_string(dir.path().join("bootstrap.log")).unwrap();
    let audit: Vec<serde_json::Value> = log
        .lines()
        .filter(|line| line.starts_with(r#"{"event":"ratchet.read""#))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(audit.len(), 2, "{log}");
    assert_eq!(audit[0]["outcome"], "served");
    assert_eq!(
        audit[0]["request_id"],
        "7d3b9a52-4c1e-4f0a-9b8e-2f6c1d0e5a71"
    );
    assert!(audit[0]["lambda_request_id"].is_string());
    assert_eq!(audit[0]["variables"], 3);
    assert_eq!(audit[1]["outcome"], "denied");
    for secret in ["pa55-w0rd", "tok-7f3a9c", &sealed[20..44]] {
        assert!(
            !log.contains(secret),
            "the function's output holds `{secret}`:\n{log}"
        );
    }
    drop(function);
    drop(watch);
}
