//! Who may read which profile: the access map, deny by default.
//!
//! `RATCHET_ACCESS` holds a JSON object from profile name to grants:
//!
//! ```json
//! {"app": {"principals": ["arn:aws:iam::123456789012:role/app-task"],
//!          "api_keys": ["a1b2c3d4e5"]}}
//! ```
//!
//! A principal grant matches the caller's `requestContext.identity.userArn`
//! exactly, or, for a role, any session of that role: the STS ARN
//! `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` matches the IAM ARN
//! `arn:aws:iam::ACCOUNT:role/PATH/ROLE` whatever its path. An API key grant
//! matches `requestContext.identity.apiKeyId`. Nothing else grants access.

use std::collections::HashMap;

use serde::Deserialize;

use crate::{Error, ProfileName};

/// Who is calling, as API Gateway saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The IAM principal ARN, for methods with AWS_IAM authorization.
    pub principal: Option<String>,
    /// The API key id (not the key), for methods that require a key.
    pub api_key_id: Option<String>,
}

impl Caller {
    /// Whether API Gateway identified the caller at all.
    pub fn is_anonymous(&self) -> bool {
        self.principal.is_none() && self.api_key_id.is_none()
    }
}

/// The grants of one profile.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// IAM principal ARNs (users, roles).
    #[serde(default)]
    pub principals: Vec<String>,
    /// API Gateway API key ids.
    #[serde(default)]
    pub api_keys: Vec<String>,
}

/// Profile name to grants. A profile that is absent grants nothing.
#[derive(Debug, Clone, Default)]
pub struct AccessMap(HashMap<ProfileName, Grant>);

impl AccessMap {
    /// Parses and checks the JSON access map.
    pub fn parse(json: &str) -> Result<Self, Error> {
        let map: HashMap<ProfileName, Grant> = serde_json::from_str(json)
            .map_err(|e| Error::Config(format!("RATCHET_ACCESS is not a valid access map: {e}")))?;
        for (profile, grant) in &map {
            if let Some(bad) = grant.principals.iter().find(|p| Arn::parse(p).is_none()) {
                return Err(Error::Config(format!(
                    "RATCHET_ACCESS: profile `{profile}`: `{bad}` is not an IAM principal ARN"
                )));
            }
            if grant.api_keys.iter().any(|k| k.trim().is_empty()) {
                return Err(Error::Config(format!(
                    "RATCHET_ACCESS: profile `{profile}`: an API key id is empty"
                )));
            }
        }
        Ok(Self(map))
    }

    /// The profiles that grant something.
    pub fn profiles(&self) -> impl Iterator<Item = &ProfileName> {
        self.0.keys()
    }

    /// Whether `caller` may read `profile`.
    pub fn allows(&self, profile: &ProfileName, caller: &Caller) -> bool {
        let Some(grant) = self.0.get(profile) else {
            return false;
        };
        let by_principal = caller.principal.as_deref().is_some_and(|caller| {
            grant
                .principals
                .iter()
                .any(|granted| principal_matches(granted, caller))
        });
        let by_key = caller
            .api_key_id
            .as_deref()
            .is_some_and(|id| grant.api_keys.iter().any(|k| k == id));
        by_principal || by_key
    }
}

/// Whether the granted ARN covers the caller's ARN.
fn principal_matches(granted: &str, caller: &str) -> bool {
    if granted == caller {
        return true;
    }
    let (Some(granted), Some(caller)) = (Arn::parse(granted), Arn::parse(caller)) else {
        return false;
    };
    // A role session matches its role, at any path.
    let Some(session_of) = caller
        .resource
        .strip_prefix("assumed-role/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(role, _session)| role)
    else {
        return false;
    };
    let role = granted
        .resource
        .strip_prefix("role/")
        .and_then(|path| path.rsplit('/').next());
    caller.service == "sts"
        && granted.service == "iam"
        && caller.partition == granted.partition
        && caller.account == granted.account
        && role == Some(session_of)
}

/// The parts of an IAM or STS ARN that matching needs.
struct Arn<'a> {
    partition: &'a str,
    service: &'a str,
    account: &'a str,
    resource: &'a str,
}

impl<'a> Arn<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        let (arn, partition, service, _region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let valid = arn == "arn"
            && !partition.is_empty()
            && matches!(service, "iam" | "sts")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !resource.is_empty();
        valid.then_some(Self {
            partition,
            service,
            account,
            resource,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = r#"{
        "app": {"principals": ["arn:aws:iam::123456789012:role/service/app-task",
                               "arn:aws:iam::123456789012:user/ci"],
                "api_keys": ["k3y1d"]},
        "empty": {}
    }"#;

    fn profile(name: &str) -> ProfileName {
        ProfileName::parse(name).unwrap()
    }

    fn principal(arn: &str) -> Caller {
        Caller {
            principal: Some(arn.into()),
            api_key_id: None,
        }
    }

    /// Exact ARNs, role sessions and API key ids are granted; nothing else.
    #[test]
    fn grants_listed_callers_only() {
        let map = AccessMap::parse(MAP).unwrap();
        let app = profile("app");
        let allowed = [
            principal("arn:aws:iam::123456789012:user/ci"),
            principal("arn:aws:iam::123456789012:role/service/app-task"),
            principal("arn:aws:sts::123456789012:assumed-role/app-task/8f3e2b"),
            Caller {
                principal: None,
                api_key_id: Some("k3y1d".into()),
            },
        ];
        for caller in &allowed {
            assert!(map.allows(&app, caller), "{caller:?}");
        }
        let denied = [
            Caller::default(),
            principal("arn:aws:sts::999999999999:assumed-role/app-task/8f3e2b"),
            principal("arn:aws-cn:sts::123456789012:assumed-role/app-task/8f3e2b"),
            principal("arn:aws:sts::123456789012:assumed-role/app-task-2/8f3e2b"),
            principal("arn:aws:sts::123456789012:assumed-role/task/8f3e2b"),
            principal("arn:aws:iam::123456789012:user/ci2"),
            principal("arn:aws:iam::123456789012:role/app-task"),
            Caller {
                principal: None,
                api_key_id: Some("other".into()),
            },
        ];
        for caller in &denied {
            assert!(!map.allows(&app, caller), "{caller:?}");
        }
        assert!(!map.allows(&profile("empty"), &allowed[0]));
        assert!(!map.allows(&profile("absent"), &allowed[0]));
    }

    /// Mistakes in the map are refused at start, naming the profile.
    #[test]
    fn refuses_bad_maps() {
        for bad in [
            r#"[]"#,
            r#"{"Bad_Name": {}}"#,
            r#"{"app": {"principal": []}}"#,
            r#"{"app": {"principals": ["app-task"]}}"#,
            r#"{"app": {"api_keys": [" "]}}"#,
        ] {
            let err = AccessMap::parse(bad).unwrap_err();
            assert!(err.to_string().contains("RATCHET_ACCESS"), "{err}");
        }
    }
}
