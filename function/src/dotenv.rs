//! A `.env` parser for the seal tool.
//!
//! The rules, which the README repeats:
//! - blank lines and lines starting with `#` are skipped; an `export ` prefix
//!   is allowed;
//! - `NAME=value`, with spaces allowed around `=`; names are letters, digits
//!   and `_`, not starting with a digit;
//! - unquoted values run to the end of the line, trimmed; a `#` after a space
//!   starts a comment;
//! - `'single'` quotes keep their content as written, across lines if need be;
//! - `"double"` quotes may span lines and understand `\n`, `\r`, `\t`, `\"`,
//!   `\\`, `\'` and `\$`; any other backslash is kept as written;
//! - nothing is interpolated: `${OTHER}` stays as written;
//! - a name defined twice is refused.
//!
//! Errors name the line and the problem, never the line's text, which could
//! be a secret pasted in the wrong place.

use zeroize::Zeroizing;

use crate::error::DotenvProblem;
use crate::{Error, Variables, variables::is_valid_name};

/// Parses a whole `.env` text.
pub fn parse(text: &str) -> Result<Variables, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser {
        rest: text,
        line: 1,
    };
    let mut variables = Variables::new();
    let mut defined_on = std::collections::HashMap::new();
    while let Some((line, name, mut value)) = parser.next_entry()? {
        if let Some(&first) = defined_on.get(&name) {
            return Err(problem(line, DotenvProblem::Duplicate { first }));
        }
        defined_on.insert(name.clone(), line);
        // The check above makes this insert succeed.
        let _ = variables.insert(name, std::mem::take(&mut *value));
    }
    Ok(variables)
}

fn problem(line: usize, problem: DotenvProblem) -> Error {
    Error::Dotenv { line, problem }
}

/// A cursor over the text that counts lines.
struct Parser<'a> {
    rest: &'a str,
    line: usize,
}

impl<'a> Parser<'a> {
    /// The next `(line, name, value)`, or `None` at the end.
    fn next_entry(&mut self) -> Result<Option<(usize, String, Zeroizing<String>)>, Error> {
        // Skip blank lines and comment lines.
        loop {
            self.skip_blanks();
            match self.peek() {
                None => return Ok(None),
                Some('\n') => self.bump(),
                Some('#') => self.skip_line(),
                Some(_) => break,
            }
        }

        // Name, after an optional `export` keyword.
        let line = self.line;
        let mut name = self.take_word();
        if name == "export" && matches!(self.peek(), Some(' ' | '\t')) {
            self.skip_blanks();
            name = self.take_word();
        }
        if !is_valid_name(name) {
            return Err(problem(line, DotenvProblem::InvalidName));
        }
        self.skip_blanks();
        if self.peek() != Some('=') {
            return Err(problem(line, DotenvProblem::MissingEquals));
        }
        self.bump();
        let spaced = matches!(self.peek(), Some(' ' | '\t'));
        self.skip_blanks();

        let value = match self.peek() {
            Some('"') => self.quoted('"', line)?,
            Some('\'') => self.quoted('\'', line)?,
            // `NAME= # note` is an empty value and a comment.
            Some('#') if spaced => {
                self.skip_line();
                Zeroizing::new(String::new())
            }
            _ => self.unquoted(),
        };
        Ok(Some((line, name.to_owned(), value)))
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            if c == '\n' {
                self.line += 1;
            }
            self.rest = &self.rest[c.len_utf8()..];
        }
    }

    /// Skips spaces, tabs and carriage returns, not newlines.
    fn skip_blanks(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t', '\r']);
    }

    /// Skips to the start of the next line.
    fn skip_line(&mut self) {
        match self.rest.find('\n') {
            Some(end) => {
                self.rest = &self.rest[end + 1..];
                self.line += 1;
            }
            None => self.rest = "",
        }
    }

    /// Takes characters up to a blank, `=` or a line end.
    fn take_word(&mut self) -> &'a str {
        let end = self
            .rest
            .find([' ', '\t', '\r', '\n', '='])
            .unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        word
    }

    /// An unquoted value: the rest of the line, minus a trailing comment,
    /// trimmed.
    fn unquoted(&mut self) -> Zeroizing<String> {
        let end = self.rest.find('\n').unwrap_or(self.rest.len());
        let raw = &self.rest[..end];
        let without_comment = raw
            .char_indices()
            .find(|&(i, c)| c == '#' && i > 0 && raw[..i].ends_with([' ', '\t']))
            .map_or(raw, |(i, _)| &raw[..i]);
        let value = Zeroizing::new(without_comment.trim_end().to_owned());
        self.rest = &self.rest[end..];
        value
    }

    /// A quoted value opened on `line`; `quote` is `'` or `"`.
    fn quoted(&mut self, quote: char, line: usize) -> Result<Zeroizing<String>, Error> {
        self.bump();
        let mut value = Zeroizing::new(String::with_capacity(self.rest.len()));
        loop {
            let Some(c) = self.peek() else {
                return Err(problem(line, DotenvProblem::UnclosedQuote));
            };
            self.bump();
            match c {
                c if c == quote => break,
                '\\' if quote == '"' => match self.peek() {
                    Some(escaped @ ('"' | '\\' | '\'' | '$')) => {
                        value.push(escaped);
                        self.bump();
                    }
                    Some('n') => {
                        value.push('\n');
                        self.bump();
                    }
                    Some('r') => {
                        value.push('\r');
                        self.bump();
                    }
                    Some('t') => {
                        value.push('\t');
                        self.bump();
                    }
                    _ => value.push('\\'),
                },
                // A CRLF inside a quoted value is read as a newline.
                '\r' if self.peek() == Some('\n') => {}
                c => value.push(c),
            }
        }

        // Only blanks and a comment may follow the closing quote.
        self.skip_blanks();
        match self.peek() {
            None | Some('\n') => {}
            Some('#') => self.skip_line(),
            Some(_) => return Err(problem(self.line, DotenvProblem::AfterQuote)),
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Variables {
        parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn refused(text: &str) -> (usize, DotenvProblem) {
        match parse(text) {
            Err(Error::Dotenv { line, problem }) => (line, problem),
            other => panic!("expected a dotenv error, got {other:?}"),
        }
    }

    /// Plain lines, comments, blank lines, `export` and spaces around `=`.
    #[test]
    fn reads_plain_lines() {
        let vars = parsed(
            "# comment\n\nA=1\nexport B = two words  \n  C=3 # trailing comment\nD=\nE=a#b\nF= # note\n",
        );
        assert_eq!(vars.get("A"), Some("1"));
        assert_eq!(vars.get("B"), Some("two words"));
        assert_eq!(vars.get("C"), Some("3"));
        assert_eq!(vars.get("D"), Some(""));
        assert_eq!(vars.get("E"), Some("a#b"));
        assert_eq!(vars.get("F"), Some(""));
        assert_eq!(vars.len(), 6);
    }

    /// Quotes: escapes in double quotes, literal single quotes, lines joined.
    #[test]
    fn reads_quoted_values() {
        let vars = parsed(concat!(
            "A=\"line one\\nline two\\t\\\"q\\\" \\\\ \\$HOME \\x\"\n",
            "B='kept \\n as ${IS}'\n",
            "C=\"first\nsecond\" # comment\n",
            "D='-----BEGIN KEY-----\r\nabc\r\n-----END KEY-----'\r\n",
            "E=\"\"\n",
            "F=\"#not a comment\"\n",
        ));
        assert_eq!(
            vars.get("A"),
            Some("line one\nline two\t\"q\" \\ $HOME \\x")
        );
        assert_eq!(vars.get("B"), Some("kept \\n as ${IS}"));
        assert_eq!(vars.get("C"), Some("first\nsecond"));
        assert_eq!(
            vars.get("D"),
            Some("-----BEGIN KEY-----\nabc\n-----END KEY-----")
        );
        assert_eq!(vars.get("E"), Some(""));
        assert_eq!(vars.get("F"), Some("#not a comment"));
    }

    /// CRLF files and a byte-order mark read like plain ones.
    #[test]
    fn reads_windows_files() {
        let vars = parsed("\u{feff}A=1\r\nB=\"2\"\r\n");
        assert_eq!(vars.get("A"), Some("1"));
        assert_eq!(vars.get("B"), Some("2"));
    }

    /// Each refusal names the right line, counting lines inside quotes.
    #[test]
    fn names_the_failing_line() {
        assert_eq!(refused("A=1\n1BAD=x\n"), (2, DotenvProblem::InvalidName));
        assert_eq!(refused("A=1\nB-C=x\n"), (2, DotenvProblem::InvalidName));
        assert_eq!(refused("=x\n"), (1, DotenvProblem::InvalidName));
        assert_eq!(
            refused("A=\"x\ny\"\nJUSTTEXT\n"),
            (3, DotenvProblem::MissingEquals)
        );
        assert_eq!(
            refused("A=1\nB=\"open\nmore\n"),
            (2, DotenvProblem::UnclosedQuote)
        );
        assert_eq!(refused("A='x' y\n"), (1, DotenvProblem::AfterQuote));
        assert_eq!(
            refused("A=1\nB=2\nexport A=3\n"),
            (3, DotenvProblem::Duplicate { first: 1 })
        );
    }

    /// No error message repeats any of the input's text.
    #[test]
    fn errors_never_quote_the_input() {
        for text in [
            "hunter2-s3cr3t\n",
            "s3cr3t value=1\n",
            "A=\"s3cr3t\n",
            "A='s3cr3t' s3cr3t\n",
            "A=s3cr3t\nA=s3cr3t\n",
        ] {
            let message = parse(text).unwrap_err().to_string();
            assert!(!message.contains("s3cr3t"), "{message}");
            assert!(message.starts_with("line "), "{message}");
        }
    }
}
