//! Sealing with `ratchet-seal` and serving with the handler against moto's
//! KMS, shared by the tests of this file.

mod support;

use support::{emulator, scenarios};

/// Sealed by the tool, served with one real KMS `Decrypt`.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn served_with_one_decrypt() {
    scenarios::served_with_one_decrypt(emulator::moto()).await;
}

/// A value copied to another profile fails on its encryption context.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn copied_value_fails() {
    scenarios::copied_value_fails(emulator::moto()).await;
}

/// A flipped bit in the ciphertext or the data key gives a 500.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn tampered_value_fails() {
    scenarios::tampered_value_fails(emulator::moto()).await;
}

/// Unknown and forbidden profiles get the same 403 without KMS.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn unknown_and_forbidden_are_denied() {
    scenarios::unknown_and_forbidden_are_denied(emulator::moto()).await;
}

/// `--check` lists names only, and fails for another profile.
#[tokio::test]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn check_lists_names() {
    scenarios::check_lists_names(emulator::moto()).await;
}
