//! The function's configuration, read once from its environment at start.

use std::collections::HashMap;

use crate::access::AccessMap;
use crate::seal::{Envelope, version};
use crate::{Error, ProfileName};

/// Name of the variable that holds the access map.
pub const ACCESS_VAR: &str = "RATCHET_ACCESS";

/// One profile as configured: its sealed text, still sealed.
#[derive(Clone)]
pub struct SealedProfile {
    /// The sealed value, as stored in `RATCHET_PROFILE_<NAME>`.
    pub sealed: String,
    /// What identifies this sealed value in responses and audit lines.
    pub version: String,
}

impl std::fmt::Debug for SealedProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedProfile")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Everything the function needs besides a KMS client.
#[derive(Debug, Clone)]
pub struct Config {
    /// Sealed profiles by name.
    pub profiles: HashMap<ProfileName, SealedProfile>,
    /// Who may read which profile.
    pub access: AccessMap,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_vars(std::env::vars_os().filter_map(|(name, value)| {
            Some((name.into_string().ok()?, value.into_string().ok()?))
        }))
    }

    /// Reads `RATCHET_ACCESS` and every `RATCHET_PROFILE_<NAME>` from `vars`.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, Error> {
        let mut profiles = HashMap::new();
        let mut access = None;
        for (name, value) in vars {
            if name == ACCESS_VAR {
                access = Some(AccessMap::parse(&value)?);
            } else if let Some(profile) = ProfileName::from_env_var(&name) {
                let profile = profile.map_err(|e| Error::Config(format!("{name}: {e}")))?;
                let version = version(&value);
                profiles.insert(
                    profile,
                    SealedProfile {
                        sealed: value,
                        version,
                    },
                );
            }
        }
        let access = access.ok_or_else(|| {
            Error::Config(format!(
                "{ACCESS_VAR} is not set; set it to a JSON access map such as \
                 {{\"app\": {{\"principals\": [\"arn:aws:iam::123456789012:role/app-task\"]}}}}"
            ))
        })?;
        Ok(Self { profiles, access })
    }

    /// Problems worth a warning at start, which do not stop the function:
    /// a profile nobody may read, a grant for a profile that is not there,
    /// a sealed value that is malformed. Each names a profile only.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for (profile, sealed) in &self.profiles {
            if let Err(e) = Envelope::decode(&sealed.sealed) {
                warnings.push(format!("profile `{profile}`: {e}"));
            }
        }
        let granted: Vec<_> = self.access.profiles().collect();
        for profile in self.profiles.keys() {
            if !granted.contains(&profile) {
                warnings.push(format!(
                    "profile `{profile}` is sealed but nobody may read it"
                ));
            }
        }
        for profile in granted {
            if !self.profiles.contains_key(profile) {
                warnings.push(format!(
                    "{ACCESS_VAR} grants profile `{profile}`, which has no {}",
                    profile.env_var()
                ));
            }
        }
        warnings.sort();
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Profiles and the access map are read; other variables are ignored.
    #[test]
    fn reads_profiles_and_access() {
        let config = Config::from_vars(vars(&[
            ("PATH", "/usr/bin"),
            ("RATCHET_ACCESS", r#"{"my-app": {"api_keys": ["k"]}}"#),
            ("RATCHET_PROFILE_MY_APP", "ratchet:v1:AAAA"),
        ]))
        .unwrap();
        let name = ProfileName::parse("my-app").unwrap();
        assert_eq!(config.profiles[&name].sealed, "ratchet:v1:AAAA");
        assert_eq!(config.profiles[&name].version.len(), 16);
        assert!(!format!("{config:?}").contains("AAAA"));
    }

    /// A missing access map and a badly named profile variable stop the start.
    #[test]
    fn refuses_bad_configuration() {
        let missing = Config::from_vars(vars(&[("RATCHET_PROFILE_APP", "x")])).unwrap_err();
        assert!(
            missing.to_string().contains("RATCHET_ACCESS is not set"),
            "{missing}"
        );
        let bad = Config::from_vars(vars(&[
            ("RATCHET_ACCESS", "{}"),
            ("RATCHET_PROFILE_app", "x"),
        ]))
        .unwrap_err();
        assert!(bad.to_string().contains("RATCHET_PROFILE_app"), "{bad}");
    }

    /// Warnings point at unreadable, ungranted and malformed profiles.
    #[test]
    fn warns_about_loose_ends() {
        let config = Config::from_vars(vars(&[
            ("RATCHET_ACCESS", r#"{"ghost": {"api_keys": ["k"]}}"#),
            ("RATCHET_PROFILE_APP", "not sealed"),
        ]))
        .unwrap();
        let warnings = config.warnings();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings.iter().all(|w| !w.contains("not sealed")));
    }
}
