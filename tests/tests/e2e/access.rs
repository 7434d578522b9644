//! Who may read: API keys (valid, missing, wrong, allowed only another
//! profile) and IAM callers (the allowed role, another role, a bad
//! signature). Every refusal leaves the reader an empty file, the daemon's
//! audit saying why, and the denial where it happened: the function's log
//! when the function decided, the gateway's access log when API Gateway
//! refused before invoking it.

use serde_json::Value;

use crate::formats::find_read;
use crate::support::chain::Chain;
use crate::support::daemon::{Auth, Daemon};
use crate::support::evidence;
use crate::support::readers;
use crate::support::stack::{Stack, shared};
use crate::support::tools::scratch;

/// Reads once and checks the reader got nothing and the daemon's audit says
/// the API answered 403; returns the audit event.
fn refused(daemon: &Daemon) -> Value {
    assert_eq!(readers::cat(daemon.dir()), b"", "the reader got something");
    let event = daemon.event(1);
    assert_eq!(event["outcome"], "failed", "{event}");
    assert_eq!(event["reason"], "http_403", "{event}");
    assert_eq!(event["attempts"], 1, "a 403 is not retried: {event}");
    assert!(event["request_id"].is_string(), "{event}");
    event
}

/// The gateway's access-log line for the request of `event`.
fn access_line(chain: &Chain, event: &Value) -> Value {
    chain
        .gateway
        .access_log()
        .into_iter()
        .find(|line| line["requestId"] == event["request_id"])
        .unwrap_or_else(|| panic!("no access-log line for {event}"))
}

/// Checks API Gateway refused `event` itself, with `message`, and never
/// invoked the function.
fn refused_by_gateway(chain: &Chain, event: &Value, message: &str) {
    let access = access_line(chain, event);
    assert_eq!(access["status"], 403, "{access}");
    assert_eq!(access["errorMessage"], message, "{access}");
    assert!(access["integrationStatus"].is_null(), "{access}");
    let request_id = &event["request_id"];
    assert!(
        chain
            .function
            .audit()
            .iter()
            .all(|r| &r["request_id"] != request_id),
        "the function was invoked for a request API Gateway refused"
    );
}

fn key_id(stack: &Stack, consumer: &str) -> String {
    stack.outputs("api")["api_keys"][consumer]
        .as_str()
        .expect("a key id per consumer")
        .to_owned()
}

/// A valid key allowed the profile: served, and the function's audit names
/// the key id (never the key).
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn valid_api_key_is_served() {
    let stack = shared();
    let chain = Chain::start(stack);
    let daemon = chain.daemon("key", "other", &chain.key("other"), "dotenv");

    assert!(!readers::cat(daemon.dir()).is_empty());
    let event = daemon.event(1);
    assert_eq!(event["outcome"], "served", "{event}");
    let read = find_read(&chain, &event);
    assert_eq!(read["outcome"], "served", "{read}");
    assert_eq!(read["api_key_id"], key_id(stack, "other"), "{read}");
    assert!(read["principal"].is_null(), "{read}");
    let key = std::fs::read_to_string(stack.api_key_file("other")).expect("the key file");
    assert!(
        !chain.function.log().contains(key.trim()),
        "the key in the function's log"
    );
    chain.finish();
}

/// No key (a daemon signing with IAM at the key API): API Gateway refuses,
/// the function is never invoked.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn missing_api_key_is_refused() {
    let stack = shared();
    let chain = Chain::start(stack);
    let credentials = stack.assume_role("app-task");
    chain.gateway.know(&credentials);
    let daemon = chain.daemon("key", "app", &Auth::Iam(credentials), "dotenv");

    let event = refused(&daemon);
    refused_by_gateway(&chain, &event, "Forbidden");
    chain.finish();
}

/// A key that is no key: API Gateway refuses, the function is never invoked.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn wrong_api_key_is_refused() {
    let chain = Chain::start(shared());
    let wrong = Auth::Key(format!("not-a-key-{:016x}", fastrand::u64(..)));
    let daemon = chain.daemon("key", "app", &wrong, "dotenv");

    let event = refused(&daemon);
    refused_by_gateway(&chain, &event, "Forbidden");
    chain.finish();
}

/// A valid key that the access map allows only another profile: API Gateway
/// lets it through, the function denies it and says so in its audit.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn api_key_of_another_profile_is_denied() {
    let stack = shared();
    let chain = Chain::start(stack);
    let daemon = chain.daemon("key", "app", &chain.key("other"), "dotenv");

    let event = refused(&daemon);
    let read = find_read(&chain, &event);
    assert_eq!(read["outcome"], "denied", "{read}");
    assert_eq!(read["profile"], "app", "{read}");
    assert_eq!(read["api_key_id"], key_id(stack, "other"), "{read}");
    assert_eq!(
        read["kms_ms"], 0.0,
        "KMS is not called for a denied read: {read}"
    );
    chain.finish();
}

/// A request signed by a session of the allowed role: the stand-in verifies
/// the signature, the function matches the session to the role, served.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn iam_allowed_role_is_served() {
    let stack = shared();
    let chain = Chain::start(stack);
    let credentials = stack.assume_role("app-task");
    chain.gateway.know(&credentials);
    let daemon = chain.daemon("iam", "app", &Auth::Iam(credentials.clone()), "dotenv");

    assert!(!readers::cat(daemon.dir()).is_empty());
    let event = daemon.event(1);
    assert_eq!(event["outcome"], "served", "{event}");
    let read = find_read(&chain, &event);
    assert_eq!(read["outcome"], "served", "{read}");
    assert_eq!(read["principal"], credentials.arn, "{read}");
    assert!(read["api_key_id"].is_null(), "{read}");
    chain.finish();
}

/// A request signed by a session of another role: a valid signature, so
/// API Gateway invokes the function, which denies it.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn iam_other_role_is_denied() {
    let stack = shared();
    let chain = Chain::start(stack);
    let credentials = stack.assume_role("other-task");
    chain.gateway.know(&credentials);
    let daemon = chain.daemon("iam", "app", &Auth::Iam(credentials.clone()), "dotenv");

    let event = refused(&daemon);
    let read = find_read(&chain, &event);
    assert_eq!(read["outcome"], "denied", "{read}");
    assert_eq!(read["principal"], credentials.arn, "{read}");
    chain.finish();
}

/// A request signed with the wrong secret, and one with credentials IAM
/// never issued: API Gateway refuses both, the function is never invoked.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn iam_bad_signatures_are_refused() {
    let stack = shared();
    let chain = Chain::start(stack);
    let credentials = stack.assume_role("app-task");
    chain.gateway.know(&credentials);
    let mut forged = credentials.clone();
    forged.secret_access_key = format!("{}x", &credentials.secret_access_key[1..]);
    let mut unknown = credentials.clone();
    unknown.access_key_id = "ASIAUNKNOWNKEY000000".into();

    let daemon = chain.daemon("iam", "app", &Auth::Iam(forged), "dotenv");
    let event = refused(&daemon);
    refused_by_gateway(
        &chain,
        &event,
        "The request signature we calculated does not match the signature you provided.",
    );
    let daemon = chain.daemon("iam", "app", &Auth::Iam(unknown), "dotenv");
    let event = refused(&daemon);
    refused_by_gateway(
        &chain,
        &event,
        "The security token included in the request is invalid.",
    );
    chain.finish();
}

/// LocalStack's own API Gateway refuses the requests the stand-in refuses
/// for keys (no key, a wrong key), with its own request id: the stand-in's
/// key check matches what LocalStack does.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn localstack_gateway_refuses_the_same_keys() {
    let stack = shared();
    let url = stack.outputs("api")["apis"]["key"]["url"]
        .as_str()
        .expect("the key API's URL")
        .to_owned();
    let dir = scratch("localstack-gateway-");
    let no_key = Auth::Iam(stack.assume_role("app-task"));
    let wrong = Auth::Key(format!("not-a-key-{:016x}", fastrand::u64(..)));

    let mut logs = Vec::new();
    for (n, auth) in [no_key, wrong].iter().enumerate() {
        let daemon = Daemon::start(&dir.join(n.to_string()), &url, "app", auth, "dotenv", &[]);
        refused(&daemon);
        assert!(daemon.stop(), "{}", daemon.log_tail());
        logs.extend(daemon.log_files());
    }
    evidence::assert_no_secret_in_logs(&logs);
}
