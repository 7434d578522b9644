//! A reader gets exactly the sealed variables, through the whole chain, in
//! each format and through each real loader.

use ratchet_daemon::render::Format;
use serde_json::Value;

use crate::support::chain::Chain;
use crate::support::daemon::Daemon;
use crate::support::payload;
use crate::support::profiles::{self, MARKER};
use crate::support::readers::{self, expected};
use crate::support::stack::shared;

/// Checks the audit event of open `seq`: served, `bytes` long, the
/// deployed version of `profile`.
fn assert_served(daemon: &Daemon, seq: usize, bytes: usize, version: &str) {
    let event = daemon.event(seq);
    assert_eq!(event["outcome"], "served", "{event}\n{}", daemon.log_tail());
    assert_eq!(event["bytes"], bytes, "{event}");
    assert_eq!(event["version"], version, "{event}");
    assert!(event["request_id"].is_string(), "{event}");
}

/// Checks that bash and dash, each sourcing the file with `set -a`, load
/// exactly `want`.
fn assert_sourced_by_shells(daemon: &Daemon, names: &[String], want: &readers::Loaded) {
    for shell in ["bash", "dash"] {
        assert_eq!(
            &readers::shell_source(shell, daemon.dir(), names),
            want,
            "{shell}"
        );
    }
}

/// dotenv: `cat` gets one whole copy, byte for byte; python-dotenv, `node
/// --env-file`, bash and dash `set -a; . ./.env` each read back every value
/// exactly: quotes, `$`, `#`, newlines, unicode, padding, an empty value.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn dotenv_reaches_every_loader() {
    let stack = shared();
    let chain = Chain::start(stack);
    let daemon = chain.daemon("key", "app", &chain.key("app"), "dotenv");
    let app = profiles::app();
    let names = app.names();
    let want = expected(&app.variables);
    let bytes = payload(Format::Dotenv, &app);

    assert_eq!(readers::cat(daemon.dir()), bytes, "cat");
    assert_eq!(
        readers::python_dotenv(daemon.dir(), &names),
        want,
        "python-dotenv"
    );
    assert_eq!(
        readers::node_env_file(daemon.dir(), &names),
        want,
        "node --env-file"
    );
    assert_sourced_by_shells(&daemon, &names, &want);
    for seq in 1..=5 {
        assert_served(&daemon, seq, bytes.len(), &stack.version("app"));
    }
    chain.finish();
}

/// json: values that no dotenv quoting carries (an apostrophe with `$`,
/// backslashes, CR LF, backticks, `${...}`, tabs) arrive exactly, in `cat`,
/// Python's and Node's JSON parsers.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn json_carries_what_dotenv_cannot() {
    let stack = shared();
    let chain = Chain::start(stack);
    let daemon = chain.daemon("key", "raw", &chain.key("app"), "json");
    let raw = profiles::raw();
    let bytes = payload(Format::Json, &raw);

    let got = readers::cat(daemon.dir());
    assert_eq!(got, bytes, "cat");
    let parsed: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&got).expect("the payload is JSON");
    assert_eq!(parsed, raw.variables, "the JSON payload");
    assert_eq!(
        readers::python_json(daemon.dir()),
        raw.variables,
        "python json"
    );
    assert_eq!(
        readers::node_json(daemon.dir()),
        raw.variables,
        "node JSON.parse"
    );
    for seq in 1..=3 {
        assert_served(&daemon, seq, bytes.len(), &stack.version("raw"));
    }
    chain.finish();
}

/// shell: the same values, sourced by bash and dash, arrive exactly.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn shell_format_sources_exactly() {
    let stack = shared();
    let chain = Chain::start(stack);
    let daemon = chain.daemon("key", "raw", &chain.key("app"), "shell");
    let raw = profiles::raw();
    let names = raw.names();
    let want = expected(&raw.variables);
    let bytes = payload(Format::Shell, &raw);

    assert_eq!(readers::cat(daemon.dir()), bytes, "cat");
    assert_sourced_by_shells(&daemon, &names, &want);
    for seq in 1..=3 {
        assert_served(&daemon, seq, bytes.len(), &stack.version("raw"));
    }
    chain.finish();
}

/// dotenv of values it cannot carry: the function serves them, the daemon
/// refuses to render and the reader gets an empty file, with the audit
/// naming the variable, never its value.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn dotenv_refuses_what_it_cannot_carry() {
    let chain = Chain::start(shared());
    let daemon = chain.daemon("key", "raw", &chain.key("app"), "dotenv");

    assert_eq!(readers::cat(daemon.dir()), b"", "cat");
    let event = daemon.event(1);
    assert_eq!(event["outcome"], "failed", "{event}");
    assert_eq!(event["reason"], "render_failed", "{event}");
    assert_eq!(event["bytes"], 0, "{event}");
    let read = find_read(&chain, &event);
    assert_eq!(read["outcome"], "served", "{read}");
    chain.finish();
}

/// The demo app reads twice and prints every name with its value masked:
/// lengths only, never a character of a value.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn demo_app_masks_every_value() {
    let stack = shared();
    let chain = Chain::start(stack);
    let daemon = chain.daemon("key", "app", &chain.key("app"), "dotenv");
    let app = profiles::app();

    let printed = readers::demo_app(daemon.dir(), 2);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 2, "{printed}");
    for (round, line) in lines.iter().enumerate() {
        assert!(
            line.starts_with(&format!("demo: read {}: 7 variables: ", round + 1)),
            "{line}"
        );
        for (name, value) in &app.variables {
            let shown = if value.is_empty() {
                format!("{name}=(empty)")
            } else {
                format!("{name}=****** ({} chars)", value.chars().count())
            };
            assert!(line.contains(&shown), "{shown} in {line}");
        }
    }
    assert!(
        !printed.contains(MARKER.as_str()),
        "a value in the demo's output"
    );
    for seq in 1..=2 {
        assert_served(
            &daemon,
            seq,
            payload(Format::Dotenv, &app).len(),
            &stack.version("app"),
        );
    }
    chain.finish();
}

/// The function's audit line for the request of a daemon's audit event.
pub fn find_read(chain: &Chain, event: &Value) -> Value {
    let request_id = &event["request_id"];
    chain
        .function
        .audit()
        .into_iter()
        .find(|read| &read["request_id"] == request_id)
        .unwrap_or_else(|| {
            panic!(
                "no function audit line for {event}\n{}",
                chain.function.log()
            )
        })
}
