//! What the seal tool reads: a `.env` or JSON file, or standard input, held
//! in memory only.

use std::io::Read;

use zeroize::Zeroizing;

use crate::{Error, Variables, dotenv};

/// Largest input accepted. Anything near it could never fit in Lambda's
/// 4 KB environment; the bound lets the buffer be allocated once, so no
/// unwiped copy is left behind by a reallocation.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// How to read the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// JSON when the first non-blank character is `{`, `.env` otherwise (a
    /// `.env` line cannot start with `{`).
    Auto,
    /// `KEY=value` lines.
    Dotenv,
    /// One JSON object of strings.
    Json,
}

/// Reads all of `reader` into a buffer that is wiped on drop.
pub fn read_all(mut reader: impl Read) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut buffer = Zeroizing::new(Vec::with_capacity(MAX_INPUT_BYTES + 1));
    (&mut reader)
        .take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut buffer)
        .map_err(|e| Error::Input(format!("cannot read the input: {e}")))?;
    if buffer.len() > MAX_INPUT_BYTES {
        return Err(Error::Input(format!(
            "input is larger than {MAX_INPUT_BYTES} bytes; sealed, it could never fit in \
             Lambda's 4 KB environment"
        )));
    }
    Ok(buffer)
}

/// Parses the input's bytes as `format`.
pub fn parse(bytes: &[u8], format: InputFormat) -> Result<Variables, Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Error::Input(format!("line {line}: input is not UTF-8"))
    })?;
    let is_json = match format {
        InputFormat::Json => true,
        InputFormat::Dotenv => false,
        InputFormat::Auto => text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{'),
    };
    let variables = if is_json {
        Variables::from_json(text.trim_start_matches('\u{feff}').as_bytes())?
    } else {
        dotenv::parse(text)?
    };
    if variables.is_empty() {
        return Err(Error::Input(
            "the input defines no variable; a profile needs at least one".into(),
        ));
    }
    Ok(variables)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `auto` tells JSON from `.env` by the first character.
    #[test]
    fn detects_the_format() {
        let json = parse(b"  {\"A\": \"1\"}", InputFormat::Auto).unwrap();
        assert_eq!(json.get("A"), Some("1"));
        let dotenv = parse(b"A=1\n", InputFormat::Auto).unwrap();
        assert_eq!(dotenv.get("A"), Some("1"));
        assert!(parse(b"A=1\n", InputFormat::Json).is_err());
    }

    /// Empty input, non-UTF-8 input and oversized input are refused plainly.
    #[test]
    fn refuses_unusable_input() {
        assert!(parse(b"# only a comment\n", InputFormat::Auto).is_err());
        let message = parse(b"A=1\nB=\xff\n", InputFormat::Auto)
            .unwrap_err()
            .to_string();
        assert_eq!(message, "line 2: input is not UTF-8");
        let big = vec![b'a'; MAX_INPUT_BYTES + 1];
        assert!(read_all(&big[..]).is_err());
        assert_eq!(
            read_all(&big[..MAX_INPUT_BYTES]).unwrap().len(),
            MAX_INPUT_BYTES
        );
    }
}
