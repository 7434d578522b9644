//! The one error type of the crate.
//!
//! No message built here ever holds a secret value, a sealed value or a data
//! key: inputs are located by line number or variable name, KMS failures by
//! their error code.

use std::fmt;

/// Everything that can go wrong while sealing, opening or serving a profile.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A profile name outside `^[a-z0-9][a-z0-9-]{0,63}$`.
    #[error(
        "`{0}` is not a valid profile name; use 1 to 64 lowercase letters, digits and '-', \
         starting with a letter or digit"
    )]
    ProfileName(String),

    /// A `.env` input that cannot be parsed. Only the line is named.
    #[error("line {line}: {problem}")]
    Dotenv {
        /// One-based line where the problem starts.
        line: usize,
        /// What is wrong with it.
        problem: DotenvProblem,
    },

    /// A JSON input that is not an object of strings.
    #[error("JSON input: {0}")]
    JsonInput(String),

    /// Input that cannot be read, or is too large to ever fit.
    #[error("{0}")]
    Input(String),

    /// A sealed value that is not in the expected format.
    #[error("sealed value is malformed: {0}")]
    Malformed(&'static str),

    /// The data key opened but the variables did not authenticate.
    #[error(
        "sealed value does not open for this profile: it was sealed for another profile, \
         or altered after sealing"
    )]
    Unseal,

    /// KMS refused the encrypted data key: wrong encryption context, another
    /// key, or altered bytes.
    #[error(
        "KMS refused the data key ({code}): the value was sealed for another profile, \
         with another key, or altered"
    )]
    KmsRejected {
        /// The KMS error code, e.g. `InvalidCiphertextException`.
        code: String,
    },

    /// KMS could not be used now: throttled, disabled key, denied, unreachable.
    #[error("KMS is unavailable ({code}): {message}")]
    KmsUnavailable {
        /// The KMS error code, or the kind of transport failure.
        code: String,
        /// KMS's own explanation; never holds key material.
        message: String,
    },

    /// The function's configuration (its environment) is wrong.
    #[error("configuration: {0}")]
    Config(String),
}

/// Why a `.env` line was refused. Kept apart so that no message can carry
/// the line's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DotenvProblem {
    /// The name has characters other than letters, digits and `_`, or starts
    /// with a digit.
    InvalidName,
    /// No `=` after the name.
    MissingEquals,
    /// A quoted value runs to the end of the input.
    UnclosedQuote,
    /// Something other than a comment follows a closing quote.
    AfterQuote,
    /// The name was already defined on an earlier line.
    Duplicate {
        /// Line of the first definition.
        first: usize,
    },
}

impl fmt::Display for DotenvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidName => f.write_str(
                "invalid variable name; use letters, digits and '_', not starting with a digit",
            ),
            Self::MissingEquals => f.write_str("expected NAME=value"),
            Self::UnclosedQuote => f.write_str("the quoted value opened here is never closed"),
            Self::AfterQuote => {
                f.write_str("unexpected text after the closing quote; only a # comment may follow")
            }
            Self::Duplicate { first } => {
                write!(
                    f,
                    "variable already defined on line {first}; keep one definition"
                )
            }
        }
    }
}
