//! What the seal tool prints, and whether it fits Lambda's environment.
//!
//! Lambda allows 4 KB of environment per function, all variables together.
//! The tool assumes AWS counts what the `Environment.Variables` map takes as
//! JSON (each name and value quoted, with `:` and `,` between), and keeps a
//! part of the 4 KB for the function's other variables (`RATCHET_ACCESS`,
//! other profiles, logging settings), 1024 bytes unless told otherwise.

use serde_json::json;

use crate::{Error, ProfileName};

/// Lambda's limit on a function's environment, in bytes.
pub const LAMBDA_ENV_LIMIT: usize = 4096;

/// Bytes kept for the function's other variables unless told otherwise.
pub const DEFAULT_RESERVE: usize = 1024;

/// How to print a sealed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// The sealed value alone, for `RATCHET_PROFILE_<NAME>`.
    Value,
    /// `{"sealed_profiles": {"<profile>": "<sealed>"}}`, a `.tfvars.json`
    /// fragment for the Terraform module.
    Tfvars,
    /// `{"Variables": {"RATCHET_PROFILE_<NAME>": "<sealed>"}}`, for
    /// `aws lambda update-function-configuration --environment file://...`.
    LambdaEnv,
}

/// Renders `sealed` for `profile` as `format`, ending with a newline.
pub fn render(format: OutputFormat, profile: &ProfileName, sealed: &str) -> String {
    let text = match format {
        OutputFormat::Value => sealed.to_owned(),
        OutputFormat::Tfvars => {
            json!({ "sealed_profiles": { profile.as_str(): sealed } }).to_string()
        }
        OutputFormat::LambdaEnv => {
            json!({ "Variables": { profile.env_var(): sealed } }).to_string()
        }
    };
    text + "\n"
}

/// How much of Lambda's environment one sealed profile takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvUsage {
    /// Bytes of the sealed value alone.
    pub sealed: usize,
    /// Bytes of `"RATCHET_PROFILE_<NAME>":"<sealed>",` as Lambda counts them.
    pub entry: usize,
    /// Bytes left for this profile after the reserve.
    pub available: usize,
}

/// Measures the profile's entry and refuses it if it cannot fit beside
/// `reserve` bytes of other variables.
pub fn check_fits(profile: &ProfileName, sealed: &str, reserve: usize) -> Result<EnvUsage, Error> {
    let name = profile.env_var();
    // Two quotes around each of name and value, a colon, a comma.
    let entry = name.len() + sealed.len() + 6;
    let available = LAMBDA_ENV_LIMIT.saturating_sub(reserve);
    let usage = EnvUsage {
        sealed: sealed.len(),
        entry,
        available,
    };
    if entry > available {
        return Err(Error::Input(format!(
            "sealed profile `{profile}` would not fit: {name} and its value take {entry} bytes of \
             Lambda's environment, and {available} are left of the {LAMBDA_ENV_LIMIT}-byte limit \
             once {reserve} bytes are kept for the function's other variables (--reserve); \
             move some variables to another profile, or lower --reserve if the other variables \
             are smaller"
        )));
    }
    Ok(usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> ProfileName {
        ProfileName::parse("my-app").unwrap()
    }

    /// Each output format is what its consumer expects.
    #[test]
    fn renders_each_format() {
        assert_eq!(
            render(OutputFormat::Value, &app(), "ratchet:v1:AA"),
            "ratchet:v1:AA\n"
        );
        let tfvars: serde_json::Value =
            serde_json::from_str(&render(OutputFormat::Tfvars, &app(), "ratchet:v1:AA")).unwrap();
        assert_eq!(tfvars["sealed_profiles"]["my-app"], "ratchet:v1:AA");
        let env: serde_json::Value =
            serde_json::from_str(&render(OutputFormat::LambdaEnv, &app(), "ratchet:v1:AA"))
                .unwrap();
        assert_eq!(env["Variables"]["RATCHET_PROFILE_MY_APP"], "ratchet:v1:AA");
    }

    /// The budget counts the name, the value and the JSON around them.
    #[test]
    fn measures_against_the_limit() {
        let name_len = "RATCHET_PROFILE_MY_APP".len();
        let fits = "x".repeat(LAMBDA_ENV_LIMIT - DEFAULT_RESERVE - name_len - 6);
        let usage = check_fits(&app(), &fits, DEFAULT_RESERVE).unwrap();
        assert_eq!(usage.entry, usage.available);
        let too_big = format!("{fits}x");
        let message = check_fits(&app(), &too_big, DEFAULT_RESERVE)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("would not fit") && message.contains("--reserve"),
            "{message}"
        );
        assert!(check_fits(&app(), &too_big, 0).is_ok());
    }
}
