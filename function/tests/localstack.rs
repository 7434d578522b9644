//! Sealing with `ratchet-seal` and serving with the handler against
//! LocalStack's KMS, one LocalStack shared by the tests of this file. Only
//! LocalStack refuses a disabled key as AWS does.

mod support;

use ratchet_function::audit::Outcome;
use support::events::{IAM, get};
use support::{emulator, scenarios};

/// Sealed by the tool, served with one real KMS `Decrypt`.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn served_with_one_decrypt() {
    scenarios::served_with_one_decrypt(emulator::localstack()).await;
}

/// A value copied to another profile fails on its encryption context.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn copied_value_fails() {
    scenarios::copied_value_fails(emulator::localstack()).await;
}

/// A flipped bit in the ciphertext or the data key gives a 500.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn tampered_value_fails() {
    scenarios::tampered_value_fails(emulator::localstack()).await;
}

/// Unknown and forbidden profiles get the same 403 without KMS.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn unknown_and_forbidden_are_denied() {
    scenarios::unknown_and_forbidden_are_denied(emulator::localstack()).await;
}

/// `--check` lists names only, and fails for another profile.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn check_lists_names() {
    scenarios::check_lists_names(emulator::localstack()).await;
}

/// A disabled key is KMS being unavailable: 503 with a retry hint, and
/// reads recover once the key is enabled again.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn disabled_key_is_503() {
    let localstack = emulator::localstack();
    let key = localstack.create_key().await;
    let sealed = scenarios::seal_dotenv(localstack, &key, "app");
    let function = scenarios::function(localstack, &[("app", &sealed)]).await;
    let admin = localstack.kms().await;

    admin
        .client()
        .disable_key()
        .key_id(&key)
        .send()
        .await
        .expect("disable the key");
    let (response, mut audit) = function.handle(&get(IAM, "app")).await;
    assert_eq!(response.status(), 503, "{}", scenarios::body(&response));
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(audit.outcome, Outcome::Unavailable);
    scenarios::assert_clean(&mut audit, &sealed);

    admin
        .client()
        .enable_key()
        .key_id(&key)
        .send()
        .await
        .expect("enable the key");
    let (response, _) = function.handle(&get(IAM, "app")).await;
    assert_eq!(response.status(), 200, "{}", scenarios::body(&response));
}
