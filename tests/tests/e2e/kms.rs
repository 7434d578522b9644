//! KMS failing: with the key disabled in LocalStack (whose KMS refuses a
//! disabled key, as AWS does), the reader gets an empty file and both audit
//! trails say why; with the key enabled again, reads are served again.

use crate::support::chain::Chain;
use crate::support::profiles;
use crate::support::readers;
use crate::support::stack::Stack;

/// Disabled key: an empty file; the daemon's audit says `http_503` after
/// its retries; the function logs `unavailable` for each attempt, the last
/// one with the daemon's request id, and names KMS's error code.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn disabled_key_leaves_an_empty_file() {
    let guarded = profiles::generation("guarded", "kms");
    let stack = Stack::deploy("kms", &profiles::readers(&[&guarded]), &[&guarded]);
    let chain = Chain::start(&stack);
    let daemon = chain.daemon("key", "guarded", &chain.key("app"), "dotenv");
    let key_id = stack.outputs("kms")["key_id"]
        .as_str()
        .expect("the key id")
        .to_owned();
    let localstack = stack.localstack();

    assert!(!readers::cat(daemon.dir()).is_empty(), "served before");
    localstack.aws(&["kms", "disable-key", "--key-id", &key_id]);
    assert_eq!(readers::cat(daemon.dir()), b"", "the reader got something");
    localstack.aws(&["kms", "enable-key", "--key-id", &key_id]);
    assert!(!readers::cat(daemon.dir()).is_empty(), "served after");

    let event = daemon.event(2);
    assert_eq!(event["outcome"], "failed", "{event}");
    assert_eq!(event["reason"], "http_503", "{event}");
    let attempts = event["attempts"].as_u64().expect("attempts") as usize;
    assert_eq!(attempts, 3, "a 503 is retried twice: {event}");
    let unavailable: Vec<_> = chain
        .function
        .audit()
        .into_iter()
        .filter(|read| read["outcome"] == "unavailable")
        .collect();
    assert_eq!(unavailable.len(), attempts, "{unavailable:?}");
    assert_eq!(unavailable[attempts - 1]["request_id"], event["request_id"]);
    assert!(unavailable.iter().all(|r| r["kms_ms"].as_f64() > Some(0.0)));
    assert!(
        chain.function.log().contains("DisabledException"),
        "the function's log names KMS's error\n{}",
        chain.function.log()
    );
    assert_eq!(daemon.event(3)["outcome"], "served");
    chain.finish();
}
