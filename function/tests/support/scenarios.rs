//! Seal with the real `ratchet-seal`, serve with the function's handler and
//! a real KMS client: the scenarios every emulator must pass.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64;
use lambda_http::{Body, Response};
use ratchet_function::audit::{AuditRecord, Outcome};
use ratchet_function::config::Config;
use ratchet_function::handler::Function;
use ratchet_function::kms::{AwsKms, CountingKms};
use ratchet_function::seal::PREFIX;

use super::emulator::Emulator;
use super::events::{IAM, get};

/// The `.env` every scenario seals.
pub const DOTENV: &str = "# app secrets\nDATABASE_URL=\"postgres://app:pa55-w0rd@db:5432/app\"\nexport API_TOKEN=tok-7f3a9c\nEMPTY=\n";

/// The role the IAM fixture's caller assumed.
pub const APP_ROLE: &str = "arn:aws:iam::123456789012:role/app-task";

/// Runs `ratchet-seal ARGS` against `emulator` with `stdin` as input.
pub fn seal_cli(emulator: &Emulator, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ratchet-seal"));
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    emulator.configure(&mut command);
    let mut child = command.spawn().expect("start ratchet-seal");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes())
        .expect("write to ratchet-seal");
    child.wait_with_output().expect("wait for ratchet-seal")
}

/// Seals `DOTENV` for `profile` with the tool; returns the sealed value.
pub fn seal_dotenv(emulator: &Emulator, key_id: &str, profile: &str) -> String {
    let output = seal_cli(
        emulator,
        &["--profile", profile, "--key-id", key_id],
        DOTENV,
    );
    assert!(
        output.status.success(),
        "ratchet-seal failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("sealed values are text")
        .trim()
        .to_owned()
}

/// A function serving `profiles` (name, sealed), readable by the app role,
/// with a real KMS client counted.
pub async fn function(
    emulator: &Emulator,
    profiles: &[(&str, &str)],
) -> Function<CountingKms<AwsKms>> {
    let mut vars = Vec::new();
    let mut access = serde_json::Map::new();
    for (name, sealed) in profiles {
        let var = format!("RATCHET_PROFILE_{}", name.to_uppercase().replace('-', "_"));
        vars.push((var, (*sealed).to_owned()));
        access.insert(
            (*name).to_owned(),
            serde_json::json!({ "principals": [APP_ROLE] }),
        );
    }
    vars.push((
        "RATCHET_ACCESS".to_owned(),
        serde_json::Value::Object(access).to_string(),
    ));
    let config = Config::from_vars(vars).expect("valid configuration");
    Function::new(config, CountingKms::new(emulator.kms().await))
}

/// The body of a response as text.
pub fn body(response: &Response<Body>) -> String {
    match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Body::Empty => String::new(),
        _ => panic!("unexpected body kind"),
    }
}

/// Asserts that an audit line holds none of the sealed secrets or bytes.
pub fn assert_clean(audit: &mut AuditRecord, sealed: &str) {
    let line = audit.finish();
    for secret in [
        "pa55-w0rd",
        "tok-7f3a9c",
        &sealed[PREFIX.len()..PREFIX.len() + 24],
    ] {
        assert!(!line.contains(secret), "audit line leaks: {line}");
    }
}

/// A sealed value with one bit flipped in byte `index` of its envelope.
pub fn tampered(sealed: &str, index: usize) -> String {
    let mut bytes = BASE64
        .decode(&sealed[PREFIX.len()..])
        .expect("sealed values are base64");
    bytes[index] ^= 0x01;
    format!("{PREFIX}{}", BASE64.encode(bytes))
}

/// Sealed by the tool, served by the handler: 200, every variable, one
/// `Decrypt`, a clean audit line.
pub async fn served_with_one_decrypt(emulator: &Emulator) {
    let key = emulator.create_key().await;
    let sealed = seal_dotenv(emulator, &key, "app");
    let function = function(emulator, &[("app", &sealed)]).await;

    let (response, mut audit) = function.handle(&get(IAM, "app")).await;
    assert_eq!(response.status(), 200, "{}", body(&response));
    let served: serde_json::Value = serde_json::from_str(&body(&response)).unwrap();
    assert_eq!(served["profile"], "app");
    assert_eq!(served["version"], ratchet_function::seal::version(&sealed));
    assert_eq!(
        served["variables"]["DATABASE_URL"],
        "postgres://app:pa55-w0rd@db:5432/app"
    );
    assert_eq!(served["variables"]["API_TOKEN"], "tok-7f3a9c");
    assert_eq!(served["variables"]["EMPTY"], "");
    assert_eq!(function.kms().decrypt_calls(), 1);
    assert_eq!(audit.outcome, Outcome::Served);
    assert_eq!(audit.variables, 3);
    assert!(audit.kms_ms > 0.0);
    assert_clean(&mut audit, &sealed);
}

/// A value sealed for `app` and stored as profile `copy` does not open.
pub async fn copied_value_fails(emulator: &Emulator) {
    let key = emulator.create_key().await;
    let sealed = seal_dotenv(emulator, &key, "app");
    let function = function(emulator, &[("copy", &sealed)]).await;

    let (response, mut audit) = function.handle(&get(IAM, "copy")).await;
    assert_eq!(response.status(), 500, "{}", body(&response));
    assert_eq!(body(&response), r#"{"message":"internal error"}"#);
    assert_eq!(audit.outcome, Outcome::InvalidSeal);
    assert_eq!(function.kms().decrypt_calls(), 1);
    assert_clean(&mut audit, &sealed);
}

/// Flipping a bit of the ciphertext, or of the encrypted data key, gives a
/// 500 and never the variables.
pub async fn tampered_value_fails(emulator: &Emulator) {
    let key = emulator.create_key().await;
    let sealed = seal_dotenv(emulator, &key, "app");
    // The envelope's last byte is in the GCM tag; the encrypted data key ends
    // at 3 + its length, and its own last bytes are KMS's authentication tag.
    let envelope = BASE64.decode(&sealed[PREFIX.len()..]).unwrap();
    let key_end = 3 + usize::from(u16::from_be_bytes([envelope[1], envelope[2]]));
    for index in [envelope.len() - 1, key_end - 1] {
        let altered = tampered(&sealed, index);
        let function = function(emulator, &[("app", &altered)]).await;
        let (response, mut audit) = function.handle(&get(IAM, "app")).await;
        assert_eq!(response.status(), 500, "byte {index}: {}", body(&response));
        assert_eq!(audit.outcome, Outcome::InvalidSeal);
        assert_clean(&mut audit, &sealed);
    }
}

/// An unknown profile and a profile the caller may not read get the same
/// 403, and KMS is not called for either.
pub async fn unknown_and_forbidden_are_denied(emulator: &Emulator) {
    let key = emulator.create_key().await;
    let sealed = seal_dotenv(emulator, &key, "app");
    let mut function_vars = vec![
        ("RATCHET_PROFILE_APP".to_owned(), sealed.clone()),
        ("RATCHET_PROFILE_BILLING".to_owned(), sealed.clone()),
    ];
    function_vars.push((
        "RATCHET_ACCESS".to_owned(),
        serde_json::json!({
            "app": { "principals": [APP_ROLE] },
            "billing": { "principals": ["arn:aws:iam::123456789012:role/billing-task"] },
        })
        .to_string(),
    ));
    let config = Config::from_vars(function_vars).unwrap();
    let function = Function::new(config, CountingKms::new(emulator.kms().await));

    let (unknown, mut unknown_audit) = function.handle(&get(IAM, "nope")).await;
    let (forbidden, mut forbidden_audit) = function.handle(&get(IAM, "billing")).await;
    for response in [&unknown, &forbidden] {
        assert_eq!(response.status(), 403);
        assert_eq!(body(response), r#"{"message":"forbidden"}"#);
    }
    assert_eq!(unknown.headers(), forbidden.headers());
    assert_eq!(unknown_audit.outcome, Outcome::Denied);
    assert_eq!(forbidden_audit.outcome, Outcome::Denied);
    assert_eq!(function.kms().decrypt_calls(), 0);
    assert_clean(&mut unknown_audit, &sealed);
    assert_clean(&mut forbidden_audit, &sealed);
}

/// `ratchet-seal --check` opens a sealed value with KMS and lists the names,
/// never the values; for another profile it fails without printing any.
pub async fn check_lists_names(emulator: &Emulator) {
    let key = emulator.create_key().await;
    let sealed = seal_dotenv(emulator, &key, "app");

    let output = seal_cli(emulator, &["--check", "--profile", "app"], &sealed);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stdout, "API_TOKEN\nDATABASE_URL\nEMPTY\n");
    assert!(stderr.contains("3 variables"), "{stderr}");

    let other = seal_cli(emulator, &["--check", "--profile", "other"], &sealed);
    assert!(!other.status.success());
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(stderr.contains("another profile"), "{stderr}");
    for printed in [&stdout, &stderr] {
        assert!(!printed.contains("pa55-w0rd") && !printed.contains("tok-7f3a9c"));
    }
}
