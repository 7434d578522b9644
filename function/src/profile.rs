//! Profile names, and where a profile lives in the function's environment.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Prefix of the environment variables that hold sealed profiles.
pub const ENV_PREFIX: &str = "RATCHET_PROFILE_";

/// A profile name, checked against `^[a-z0-9][a-z0-9-]{0,63}$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProfileName(String);

impl ProfileName {
    /// Checks `name` and wraps it.
    pub fn parse(name: &str) -> Result<Self, Error> {
        let bytes = name.as_bytes();
        let first_ok = bytes
            .first()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_ok = bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if first_ok && rest_ok && bytes.len() <= 64 {
            Ok(Self(name.to_owned()))
        } else {
            Err(Error::ProfileName(name.to_owned()))
        }
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The environment variable that holds this profile's sealed value:
    /// `RATCHET_PROFILE_` and the name upper-cased with `-` as `_`.
    pub fn env_var(&self) -> String {
        let suffix: String = self
            .0
            .chars()
            .map(|c| {
                if c == '-' {
                    '_'
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect();
        format!("{ENV_PREFIX}{suffix}")
    }

    /// The profile an environment variable holds, or `None` when the variable
    /// is not a profile variable at all.
    pub fn from_env_var(var: &str) -> Option<Result<Self, Error>> {
        let suffix = var.strip_prefix(ENV_PREFIX)?;
        let looks_upper = suffix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !looks_upper {
            return Some(Err(Error::Config(format!(
                "{var} is not a profile variable: after {ENV_PREFIX} use upper-case letters, \
                 digits and '_'"
            ))));
        }
        let name: String = suffix
            .chars()
            .map(|c| {
                if c == '_' {
                    '-'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        Some(Self::parse(&name))
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ProfileName {
    type Error = Error;

    fn try_from(name: String) -> Result<Self, Error> {
        Self::parse(&name)
    }
}

impl From<ProfileName> for String {
    fn from(name: ProfileName) -> Self {
        name.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names follow the contract's pattern, including its 64-character bound.
    #[test]
    fn accepts_and_refuses_names() {
        for good in ["app", "a", "0", "my-app-2", &"a".repeat(64)] {
            assert!(ProfileName::parse(good).is_ok(), "{good} should be valid");
        }
        for bad in [
            "",
            "-app",
            "App",
            "my_app",
            "a/b",
            "..",
            "é",
            &"a".repeat(65),
        ] {
            assert!(ProfileName::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    /// The environment variable name round-trips to the profile name.
    #[test]
    fn maps_to_and_from_environment_variables() {
        let name = ProfileName::parse("billing-api-2").unwrap();
        assert_eq!(name.env_var(), "RATCHET_PROFILE_BILLING_API_2");
        let back = ProfileName::from_env_var(&name.env_var()).unwrap().unwrap();
        assert_eq!(back, name);
        assert!(ProfileName::from_env_var("RATCHET_ACCESS").is_none());
        assert!(
            ProfileName::from_env_var("RATCHET_PROFILE_lower")
                .unwrap()
                .is_err()
        );
        assert!(
            ProfileName::from_env_var("RATCHET_PROFILE_")
                .unwrap()
                .is_err()
        );
    }
}
