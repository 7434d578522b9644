//! Turning a document into the bytes a reader gets: `dotenv`, `json` or
//! `shell`.
//!
//! Rendering is all or nothing: the whole payload is built in memory (in a
//! buffer that is wiped on drop) before a byte reaches the pipe, and any
//! variable that cannot be written faithfully fails the whole render.
//!
//! The dotenv dialect is the one every loader Ratchet is tested with reads the
//! same way: python-dotenv, node's `--env-file` and `process.loadEnvFile`,
//! dotenvy, and `set -a; . ./.env` in bash or dash. Each value is written in
//! single quotes when that is exact for all of them, else in double quotes
//! when that is exact, else the render fails and names the variable. Single
//! quotes cannot hold `'`, a doubled or trailing backslash (python-dotenv
//! unescapes them) or `${...}` (python-dotenv expands it even there); double
//! quotes cannot hold `"`, `\`, `$` or a backtick (node keeps escapes that the
//! others remove, and shells expand). A carriage return survives no loader.
//! Values outside that dialect are served exactly by `json` and `shell`.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::document::Document;

/// How a document is written into the pipe.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `NAME='value'` lines, quoted for every common loader.
    #[default]
    Dotenv,
    /// One JSON object of strings.
    Json,
    /// `export NAME='value'` lines for POSIX shells.
    Shell,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Dotenv => "dotenv",
            Format::Json => "json",
            Format::Shell => "shell",
        })
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        <Format as clap::ValueEnum>::from_str(s, true)
    }
}

/// Why a document could not be rendered. Names are shown; values never are.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    /// A name that loaders and shells would not accept as a variable.
    #[error(
        "variable name {name:?} is not valid (letters, digits and `_`, not starting with a digit); rename it in the profile"
    )]
    InvalidName { name: String },
    /// A value holding a NUL byte, which no process environment can carry.
    #[error("value of {name} contains a NUL byte, which no environment can hold; fix the profile")]
    NulByte { name: String },
    /// A value the portable dotenv dialect cannot carry exactly.
    #[error(
        "value of {name} cannot be written as portable dotenv ({why}); serve this profile with format json or shell"
    )]
    NotPortable { name: String, why: &'static str },
}

/// Renders `doc` in `format` into a buffer that is wiped when dropped.
pub fn render(format: Format, doc: &Document) -> Result<Zeroizing<Vec<u8>>, RenderError> {
    for (name, value) in &doc.variables {
        check_name(name)?;
        if value.contains('\0') {
            return Err(RenderError::NulByte { name: name.clone() });
        }
    }
    match format {
        Format::Dotenv => dotenv(doc),
        Format::Json => Ok(json(doc)),
        Format::Shell => Ok(shell(doc)),
    }
}

/// Accepts `[A-Za-z_][A-Za-z0-9_]*`, the names every shell and loader takes.
fn check_name(name: &str) -> Result<(), RenderError> {
    let mut chars = name.chars();
    let valid = matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
    if valid {
        return Ok(());
    }
    // The name is echoed in logs and audit events, so keep it short and
    // printable even when the API sent garbage.
    let shown: String = name.chars().take(64).collect();
    Err(RenderError::InvalidName { name: shown })
}

fn dotenv(doc: &Document) -> Result<Zeroizing<Vec<u8>>, RenderError> {
    let mut out = Zeroizing::new(Vec::with_capacity(payload_hint(doc)));
    for (name, value) in &doc.variables {
        let quote = dotenv_quote(value).map_err(|why| RenderError::NotPortable {
            name: name.clone(),
            why,
        })?;
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        out.push(quote);
        out.extend_from_slice(value.as_bytes());
        out.push(quote);
        out.push(b'\n');
    }
    Ok(out)
}

/// Picks the quote character that every tested loader reads back exactly.
fn dotenv_quote(value: &str) -> Result<u8, &'static str> {
    if value.contains('\r') {
        return Err("it holds a carriage return");
    }
    let single_ok = !value.contains('\'')
        && !value.contains("\\\\")
        && !value.ends_with('\\')
        && !has_brace_expansion(value);
    if single_ok {
        return Ok(b'\'');
    }
    let double_ok = !value.contains(['"', '\\', '$', '`']);
    if double_ok {
        return Ok(b'"');
    }
    Err(if value.contains('\'') {
        "it holds a single quote together with one of \" \\ $ `"
    } else {
        "it holds a doubled or trailing backslash, or ${...}, together with one of \" \\ $ `"
    })
}

/// True when python-dotenv would expand part of the value: `${` followed by a
/// closing brace.
fn has_brace_expansion(value: &str) -> bool {
    value
        .find("${")
        .is_some_and(|start| value[start..].contains('}'))
}

fn json(doc: &Document) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(payload_hint(doc)));
    let map: std::collections::BTreeMap<&str, &str> = doc
        .variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Writing into a Vec cannot fail, and every key and value is a string.
    serde_json::to_writer(&mut *out, &map).expect("serializing strings to memory");
    out.push(b'\n');
    out
}

fn shell(doc: &Document) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(payload_hint(doc)));
    for (name, value) in &doc.variables {
        // Inside single quotes a shell takes every byte literally; a quote is
        // closed, escaped and reopened.
        let _ = write!(out, "export {name}='");
        for (i, piece) in value.split('\'').enumerate() {
            if i > 0 {
                out.extend_from_slice(b"'\\''");
            }
            out.extend_from_slice(piece.as_bytes());
        }
        out.extend_from_slice(b"'\n");
    }
    out
}

/// Room for the rendered payload, so the buffer is not reallocated (each
/// reallocation would leave an unwiped copy behind).
fn payload_hint(doc: &Document) -> usize {
    doc.variables
        .iter()
        .map(|(k, v)| k.len() + v.len() * 2 + 16)
        .sum::<usize>()
        + 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(vars: &[(&str, &str)]) -> Document {
        Document {
            profile: "app".into(),
            version: "v1".into(),
            variables: vars
                .iter()
                .map(|(k, v)| (k.to_string(), Zeroizing::new(v.to_string())))
                .collect(),
        }
    }

    fn text(format: Format, vars: &[(&str, &str)]) -> Result<String, RenderError> {
        render(format, &doc(vars)).map(|b| String::from_utf8(b.to_vec()).unwrap())
    }

    /// Plain values are single-quoted, one line each, sorted by name.
    #[test]
    fn dotenv_single_quotes_by_default() {
        let out = text(Format::Dotenv, &[("B", "two words"), ("A", "x$y #z")]).unwrap();
        assert_eq!(out, "A='x$y #z'\nB='two words'\n");
    }

    /// A value with an apostrophe but nothing a shell expands uses double quotes.
    #[test]
    fn dotenv_double_quotes_for_apostrophes() {
        let out = text(Format::Dotenv, &[("A", "it's\nfine")]).unwrap();
        assert_eq!(out, "A=\"it's\nfine\"\n");
    }

    /// Values no quoting carries through every loader are refused by name.
    #[test]
    fn dotenv_refuses_what_no_quote_carries() {
        for value in ["it's $HOME", "a\\\\b \"q\"", "line\r\n", "\"q\"\\"] {
            let err = text(Format::Dotenv, &[("K", value)]).unwrap_err();
            assert!(matches!(err, RenderError::NotPortable { ref name, .. } if name == "K"));
            assert!(!err.to_string().contains(value));
        }
    }

    /// `${...}` goes into double quotes only when that is exact, else refused.
    #[test]
    fn dotenv_brace_expansion_is_never_left_to_python_dotenv() {
        assert!(text(Format::Dotenv, &[("K", "${HOME}")]).is_err());
        assert_eq!(
            text(Format::Dotenv, &[("K", "${HOME")]).unwrap(),
            "K='${HOME'\n"
        );
    }

    /// Invalid names fail the whole render, whatever the format.
    #[test]
    fn invalid_names_are_refused() {
        for name in ["1ABC", "A-B", "A B", "", "É"] {
            for format in [Format::Dotenv, Format::Json, Format::Shell] {
                let err = text(format, &[("OK", "1"), (name, "v")]).unwrap_err();
                assert!(matches!(err, RenderError::InvalidName { .. }), "{name:?}");
            }
        }
    }

    /// NUL bytes cannot live in an environment, so they are refused.
    #[test]
    fn nul_bytes_are_refused() {
        let err = text(Format::Json, &[("K", "a\0b")]).unwrap_err();
        assert_eq!(err, RenderError::NulByte { name: "K".into() });
    }

    /// JSON output is one object that parses back to the same map.
    #[test]
    fn json_round_trips() {
        let vars = [("A", "q\"'\\$`\n\r✓"), ("B", "")];
        let out = text(Format::Json, &vars).unwrap();
        let back: std::collections::BTreeMap<String, String> = serde_json::from_str(&out).unwrap();
        assert_eq!(back["A"], vars[0].1);
        assert_eq!(back["B"], "");
    }

    /// Shell output closes and reopens quotes around apostrophes.
    #[test]
    fn shell_escapes_apostrophes() {
        let out = text(Format::Shell, &[("A", "it's")]).unwrap();
        assert_eq!(out, "export A='it'\\''s'\n");
    }

    /// An empty document renders to an empty payload in the line formats.
    #[test]
    fn empty_documents_render_empty() {
        assert_eq!(text(Format::Dotenv, &[]).unwrap(), "");
        assert_eq!(text(Format::Json, &[]).unwrap(), "{}\n");
    }
}
