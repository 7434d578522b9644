//! The secrets the tests seal: profiles of variables with awkward values,
//! each carrying this run's marker so that a grep for the marker finds any
//! value that leaked into a log or a file.

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};

use serde_json::{Value, json};

/// Random for each run; part of every secret value.
pub static MARKER: LazyLock<String> = LazyLock::new(|| format!("rk{:012x}", fastrand::u64(..)));

/// Every value sealed in this run, for the leak checks.
static SEALED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// One profile: its name and its variables, in memory only.
#[derive(Clone, Debug)]
pub struct Profile {
    /// The profile name.
    pub name: String,
    /// Name to value.
    pub variables: BTreeMap<String, String>,
}

impl Profile {
    /// A profile of `variables`, remembered for the leak checks.
    pub fn new(name: &str, variables: &[(&str, String)]) -> Profile {
        let mut sealed = SEALED.lock().unwrap_or_else(|e| e.into_inner());
        sealed.extend(variables.iter().map(|(_, v)| v.clone()));
        Profile {
            name: name.to_owned(),
            variables: variables
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }

    /// The variable names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.variables.keys().cloned().collect()
    }

    /// The profile as the seal tool reads a `.env` file: every value in
    /// double quotes, with the escapes the tool understands, so that any
    /// value survives exactly.
    pub fn seal_input(&self) -> String {
        let mut out = String::from("# written by the end-to-end tests\n");
        for (name, value) in &self.variables {
            out.push_str(name);
            out.push_str("=\"");
            for c in value.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '$' => out.push_str("\\$"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c => out.push(c),
                }
            }
            out.push_str("\"\n");
        }
        out
    }
}

/// Every secret value sealed so far, with the marker.
pub fn sealed_values() -> Vec<String> {
    let mut values = SEALED.lock().unwrap_or_else(|e| e.into_inner()).clone();
    values.push(MARKER.clone());
    values.retain(|v| v.trim().len() >= 6);
    values
}

/// Values every dotenv loader reads back exactly: quotes, `$`, `#`,
/// newlines, unicode, padding, an empty value.
pub fn app() -> Profile {
    let m = &*MARKER;
    Profile::new(
        "app",
        &[
            ("API_TOKEN", format!("tok-{m}-7f3a9c")),
            (
                "DB_PASSWORD",
                format!("p@ss \"word\" $HOME $(id) #no-comment {m}"),
            ),
            ("GREETING", format!("it's a\nmulti-line value {m}")),
            ("UNICODE", format!("pässwörd ✓ 日本語 🔐 {m}")),
            (
                "TLS_KEY",
                format!("-----BEGIN KEY-----\nMIIB{m}\n-----END KEY-----"),
            ),
            ("PADDED", format!("  padded {m}  ")),
            ("EMPTY", String::new()),
        ],
    )
}

/// Values no dotenv quoting carries through every loader (so the daemon
/// refuses them in dotenv), served exactly by `json` and `shell`.
pub fn raw() -> Profile {
    let m = &*MARKER;
    Profile::new(
        "raw",
        &[
            ("QUOTES", format!("it's \"both\" {m}")),
            ("DOLLAR", format!("it's $HOME {m}")),
            ("BACKSLASH", format!("C:\\dir\\\\ {m}\\")),
            ("CRLF", format!("line\r\nbreak {m}")),
            ("BACKTICK", format!("`whoami` ${{USER}} {m}")),
            ("TAB", format!("tab\there {m}")),
        ],
    )
}

/// A profile only the `other` key and role may read.
pub fn other() -> Profile {
    Profile::new("other", &[("OTHER_TOKEN", format!("other-{}", *MARKER))])
}

/// Three variables sealed together, tagged by `generation`: a read that
/// mixed two generations would show two tags.
pub fn generation(name: &str, generation: &str) -> Profile {
    let m = &*MARKER;
    Profile::new(
        name,
        &[
            ("ROTATED_A", format!("alpha-{generation}-{m}")),
            ("ROTATED_B", format!("beta {generation} {m}")),
            ("ROTATED_C", format!("gamma\n{generation}\n{m}")),
        ],
    )
}

/// readers.json: `app` and `raw` for the `app` key and role, `other` for
/// the `other` key and role.
pub fn readers(profiles: &[&Profile]) -> Value {
    let mut grants = serde_json::Map::new();
    for profile in profiles {
        let reader = if profile.name == "other" {
            "other"
        } else {
            "app"
        };
        grants.insert(
            profile.name.clone(),
            json!({"roles": [format!("{reader}-task")], "api_keys": [reader]}),
        );
    }
    Value::Object(grants)
}
