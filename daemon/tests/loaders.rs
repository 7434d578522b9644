//! What real loaders read from the FIFO: python-dotenv, node's `--env-file`
//! and `process.loadEnvFile`, dotenvy, and `set -a; . ./.env` in bash and
//! dash, each as its own process opening the daemon's FIFO. Every variable
//! must come back exactly, in each format the loader speaks.
//!
//! python-dotenv and node come from `scripts/tools.sh py`; these tests fail
//! with that command in the message when they are missing.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// Values the portable dotenv dialect carries: spaces, `$`, `#`, single
/// backslashes, newlines (a PEM key), double quotes, apostrophes, unicode,
/// `=`, padding, tabs and nothing at all.
const DOTENV_VALUES: [(&str, &str); 14] = [
    ("SPACES", "two words  and more"),
    ("DOLLAR", "pa$$word $HOME ${HOME"),
    ("HASH", "before #after"),
    ("BACKSLASH", r"C:\path\to\n"),
    (
        "PEM",
        "-----BEGIN KEY-----\nMIIB\nabc=\n-----END KEY-----\n",
    ),
    ("DQUOTE", r#"say "hi""#),
    ("APOSTROPHE", "it's"),
    ("APOSTROPHE_NL", "it's\nmulti"),
    ("UNICODE", "pässwörd ✓ 日本語 🔑"),
    ("EQUALS", "a=b==c"),
    ("PADDED", "  padded  "),
    ("TAB", "a\tb"),
    ("EMPTY", ""),
    ("S3CRET", SECRETS[0]),
];

/// Values only json and shell carry exactly: an apostrophe with `$`, a
/// doubled backslash with a quote, a carriage return, `${...}`.
const HARD_VALUES: [(&str, &str); 4] = [
    ("MIXED", r#"it's $HOME "quoted" \\server\share"#),
    ("CR", "line\r\nnext"),
    ("BRACES", "${HOME} and ${PATH}"),
    ("TRAILING", r"ends with \"),
];

/// A program of the Python tools (python, node, dotenv), by name.
fn tool(name: &str) -> PathBuf {
    ratchet_harness::tools::tool(&format!("py/bin/{name}"), "py")
}

/// Runs a loader that prints the variables it loaded as a JSON object.
fn load_with(program: &Path, args: &[&str]) -> BTreeMap<String, String> {
    let output = Command::new(program)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
    assert!(
        output.status.success(),
        "{} failed: {}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the loader prints JSON")
}

/// Keeps the variables the test served, dropping the loader's own environment.
fn ours(loaded: BTreeMap<String, String>, vars: &[(&str, &str)]) -> BTreeMap<String, String> {
    loaded
        .into_iter()
        .filter(|(k, _)| vars.iter().any(|(name, _)| name == k))
        .collect()
}

fn want(vars: &[(&str, &str)]) -> BTreeMap<String, String> {
    vars.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A shell sourcing the file with `set -a`, then printing its environment.
fn source_with(shell: &str, path: &Path) -> BTreeMap<String, String> {
    let script = format!(
        "set -a; . '{}'; exec {} -c 'import json, os; print(json.dumps(dict(os.environ)))'",
        path.display(),
        tool("python").display()
    );
    load_with(Path::new(shell), &["-c", &script])
}

/// Every loader reads every portable value back exactly from dotenv.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn dotenv_round_trips_through_every_loader() {
    let vars = DOTENV_VALUES.to_vec();
    let api = api_serving(&document_json("app", &vars)).await;
    let daemon = Daemon::start(&stage_url(&api), &["--format", "dotenv"]);
    let path = daemon.path.to_str().unwrap();
    let expected = want(&vars);

    let python = r#"import json, sys, dotenv
print(json.dumps(dotenv.dotenv_values(sys.argv[1])))"#;
    let loaded = load_with(&tool("python"), &["-c", python, path]);
    assert_eq!(ours(loaded, &vars), expected, "python-dotenv");

    let env_file = format!("--env-file={path}");
    let print = "console.log(JSON.stringify(process.env))";
    let loaded = load_with(&tool("node"), &[&env_file, "-e", print]);
    assert_eq!(ours(loaded, &vars), expected, "node --env-file");

    let load = "process.loadEnvFile(process.argv[1]); console.log(JSON.stringify(process.env))";
    let loaded = load_with(&tool("node"), &["-e", load, path]);
    assert_eq!(ours(loaded, &vars), expected, "node process.loadEnvFile");

    let loaded: BTreeMap<String, String> = dotenvy::from_path_iter(&daemon.path)
        .unwrap()
        .map(|item| item.unwrap())
        .collect();
    assert_eq!(ours(loaded, &vars), expected, "dotenvy");

    for shell in ["/bin/bash", "/bin/dash"] {
        assert_eq!(
            ours(source_with(shell, &daemon.path), &vars),
            expected,
            "{shell}"
        );
    }
    assert_eq!(daemon.audit_events(6).len(), 6);
}

/// The shell format carries every value, the hard ones included, into bash and dash.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn shell_format_round_trips_every_value() {
    let vars: Vec<_> = DOTENV_VALUES.iter().chain(&HARD_VALUES).copied().collect();
    let api = api_serving(&document_json("app", &vars)).await;
    let daemon = Daemon::start(&stage_url(&api), &["--format", "shell"]);
    for shell in ["/bin/bash", "/bin/dash"] {
        assert_eq!(
            ours(source_with(shell, &daemon.path), &vars),
            want(&vars),
            "{shell}"
        );
    }
}

/// The json format carries every value into Python's and node's JSON parsers.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs scripts/tools.sh; run by scripts/test.sh"]
async fn json_format_round_trips_every_value() {
    let vars: Vec<_> = DOTENV_VALUES.iter().chain(&HARD_VALUES).copied().collect();
    let api = api_serving(&document_json("app", &vars)).await;
    let daemon = Daemon::start(&stage_url(&api), &["--format", "json"]);
    let path = daemon.path.to_str().unwrap();

    let python = "import json, sys; print(json.dumps(json.load(open(sys.argv[1]))))";
    let loaded = load_with(&tool("python"), &["-c", python, path]);
    assert_eq!(loaded, want(&vars), "python json");

    let node = "const fs = require('fs'); console.log(JSON.stringify(JSON.parse(fs.readFileSync(process.argv[1], 'utf8'))))";
    let loaded = load_with(&tool("node"), &["-e", node, path]);
    assert_eq!(loaded, want(&vars), "node JSON.parse");
}

/// The hard values are refused in dotenv, naming the variable, rather than
/// written in a form some loader would misread.
#[tokio::test(flavor = "multi_thread")]
async fn dotenv_refuses_what_a_loader_would_misread() {
    for (name, value) in HARD_VALUES {
        let api = api_serving(&document_json("app", &[(name, value)])).await;
        let daemon = Daemon::start(&stage_url(&api), &[]);
        assert!(daemon.read().is_empty());
        let event = &daemon.audit_events(1)[0];
        assert_eq!(event["reason"], "render_failed");
        assert!(event["detail"].as_str().unwrap().contains(name));
    }
}
