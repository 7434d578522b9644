//! Real readers of the FIFO, each run in the FIFO's folder with a clean
//! environment, each opening `.env` once: `cat`, python-dotenv, `node
//! --env-file`, bash and dash sourcing it, Python's and Node's JSON parsers,
//! and the demo app.
//!
//! Values come back through a pipe (JSON, or NUL-separated from shells),
//! never through a file.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::process::run_bounded;
use super::tools::{repo, tool};

/// What a loader made of the file: each name asked for, and its value if set.
pub type Loaded = BTreeMap<String, Option<String>>;

/// A command run in `dir` with nothing of the test's environment but PATH.
fn reader(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8");
    command
}

/// Node, as `scripts/tools.sh py` installs it (the pinned release, not
/// whatever the machine has).
fn node() -> std::path::PathBuf {
    tool("py/bin/node", "py")
}

/// Runs a reader; fails the test if it fails; returns its stdout.
fn output(name: &str, command: Command) -> Vec<u8> {
    let (status, stdout, stderr) = run_bounded(command, Duration::from_secs(60));
    assert!(
        status.success(),
        "{name} failed ({status}): {}",
        String::from_utf8_lossy(&stderr)
    );
    stdout
}

/// `cat .env`: the bytes as they arrive.
pub fn cat(dir: &Path) -> Vec<u8> {
    let mut command = reader("cat", dir);
    command.arg(".env");
    output("cat", command)
}

/// python-dotenv's `dotenv_values(".env")`.
pub fn python_dotenv(dir: &Path, names: &[String]) -> Loaded {
    let mut command = reader(tool("py/bin/python", "py"), dir);
    command.args([
        "-c",
        "import json, sys\n\
         from dotenv import dotenv_values\n\
         values = dotenv_values('.env')\n\
         json.dump({n: values.get(n) for n in sys.argv[1:]}, sys.stdout)",
    ]);
    command.args(names);
    json_map("python-dotenv", command)
}

/// `node --env-file=.env`, reading `process.env`.
pub fn node_env_file(dir: &Path, names: &[String]) -> Loaded {
    let mut command = reader(node(), dir);
    command.args([
        "--env-file=.env",
        "-e",
        "const names = process.argv.slice(1);\n\
         process.stdout.write(JSON.stringify(Object.fromEntries(\n\
           names.map((n) => [n, n in process.env ? process.env[n] : null]))));",
    ]);
    command.args(names);
    json_map("node --env-file", command)
}

/// `set -a; . ./.env` in `shell` (bash or dash), printing each variable.
pub fn shell_source(shell: &str, dir: &Path, names: &[String]) -> Loaded {
    let mut command = reader(shell, dir);
    command.args([
        "-c",
        "set -a; . ./.env; set +a\n\
         for name in \"$@\"; do\n\
           if eval \"[ -n \\\"\\${$name+set}\\\" ]\"; then\n\
             eval \"value=\\${$name}\"; printf '%s\\0%s\\0' \"$name\" \"$value\"\n\
           fi\n\
         done",
        shell,
    ]);
    command.args(names);
    let out = output(shell, command);
    let mut fields = out.split(|b| *b == 0);
    let mut found = BTreeMap::new();
    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
        found.insert(
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8(value.to_vec()).expect("values are UTF-8"),
        );
    }
    names.iter().map(|n| (n.clone(), found.remove(n))).collect()
}

/// Python's `json.load` of the file.
pub fn python_json(dir: &Path) -> BTreeMap<String, String> {
    let mut command = reader(tool("py/bin/python", "py"), dir);
    command.args([
        "-c",
        "import json, sys\njson.dump(json.load(open('.env')), sys.stdout)",
    ]);
    let out = output("python json", command);
    serde_json::from_slice(&out).expect("python printed JSON")
}

/// Node's `JSON.parse` of the file.
pub fn node_json(dir: &Path) -> BTreeMap<String, String> {
    let mut command = reader(node(), dir);
    command.args([
        "-e",
        "const fs = require('fs');\n\
         process.stdout.write(JSON.stringify(JSON.parse(fs.readFileSync('.env', 'utf8'))));",
    ]);
    let out = output("node json", command);
    serde_json::from_slice(&out).expect("node printed JSON")
}

/// The demo app (`tests/demo/app.mjs`), reading `rounds` times.
pub fn demo_app(dir: &Path, rounds: u32) -> String {
    let mut command = reader(node(), dir);
    command
        .arg(repo().join("tests/demo/app.mjs"))
        .arg(".env")
        .env("DEMO_INTERVAL_SECONDS", "0.1")
        .env("DEMO_ROUNDS", rounds.to_string());
    String::from_utf8(output("the demo app", command)).expect("the demo app prints UTF-8")
}

fn json_map(name: &str, command: Command) -> Loaded {
    let out = output(name, command);
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{name} printed no JSON: {e}"))
}

/// What a loader should report for `variables`: each one, set.
pub fn expected(variables: &BTreeMap<String, String>) -> Loaded {
    variables
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect()
}
