//! The audit line: one JSON object on stdout per request.
//!
//! The schema is stable because metric filters match it
//! (`{ $.event = "ratchet.read" && $.outcome = "denied" }`); fields are
//! added, never renamed or removed. It carries identities, sizes and
//! timings, never a value and never a sealed value.

use std::io::Write;
use std::time::{Duration, SystemTime};

use aws_sdk_kms::primitives::{DateTime, DateTimeFormat};
use serde::Serialize;

/// The `event` field of every audit line.
pub const EVENT: &str = "ratchet.read";

/// Longest user agent kept, in bytes; the rest is cut.
const USER_AGENT_LIMIT: usize = 256;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 200: the variables were returned.
    Served,
    /// 403: unknown profile, caller not granted, or no identity.
    Denied,
    /// 503: KMS failed; the caller may retry.
    Unavailable,
    /// 500: the sealed value is malformed or does not open.
    InvalidSeal,
    /// 404 or 405: not a profile read.
    BadRequest,
}

/// One audit line. Field order is the documented order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// Always [`EVENT`].
    pub event: &'static str,
    /// RFC 3339 time the line was written.
    pub time: String,
    /// API Gateway's `requestContext.requestId`, which the daemon also logs.
    pub request_id: Option<String>,
    /// The Lambda invocation id.
    pub lambda_request_id: Option<String>,
    /// The profile asked for, when the path named a valid one.
    pub profile: Option<String>,
    /// The caller's IAM principal ARN.
    pub principal: Option<String>,
    /// The caller's API key id.
    pub api_key_id: Option<String>,
    /// The caller's address as API Gateway saw it.
    pub source_ip: Option<String>,
    /// The caller's user agent, cut to 256 bytes.
    pub user_agent: Option<String>,
    /// How the request ended.
    pub outcome: Outcome,
    /// Number of variables returned (0 unless served).
    pub variables: usize,
    /// Milliseconds spent in KMS `Decrypt` (0 when KMS was not called).
    pub kms_ms: f64,
    /// Version of the sealed value read, when one was.
    pub version: Option<String>,
}

impl AuditRecord {
    /// A record for a request that has not ended yet: outcome `bad_request`
    /// until the handler says otherwise.
    pub fn new() -> Self {
        Self {
            event: EVENT,
            time: String::new(),
            request_id: None,
            lambda_request_id: None,
            profile: None,
            principal: None,
            api_key_id: None,
            source_ip: None,
            user_agent: None,
            outcome: Outcome::BadRequest,
            variables: 0,
            kms_ms: 0.0,
            version: None,
        }
    }

    /// Keeps a user agent, cut at a character boundary.
    pub fn set_user_agent(&mut self, agent: Option<&str>) {
        self.user_agent = agent.map(|agent| {
            let mut end = agent.len().min(USER_AGENT_LIMIT);
            while !agent.is_char_boundary(end) {
                end -= 1;
            }
            agent[..end].to_owned()
        });
    }

    /// Records time spent in KMS, to the microsecond.
    pub fn set_kms_time(&mut self, elapsed: Duration) {
        self.kms_ms = (elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0;
    }

    /// Stamps the time and renders the single-line JSON.
    pub fn finish(&mut self) -> String {
        self.time = DateTime::from(SystemTime::now())
            .fmt(DateTimeFormat::DateTime)
            .unwrap_or_default();
        serde_json::to_string(self).expect("an audit record always serializes")
    }

    /// Writes the line to stdout in one write, so that lines never interleave.
    pub fn emit(&mut self) {
        let mut line = self.finish();
        line.push('\n');
        let mut stdout = std::io::stdout().lock();
        // Losing stdout leaves nothing to report the loss to.
        let _ = stdout
            .write_all(line.as_bytes())
            .and_then(|()| stdout.flush());
    }
}

impl Default for AuditRecord {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line has every documented field, in order, with the right types.
    #[test]
    fn renders_the_documented_schema() {
        let mut record = AuditRecord::new();
        record.request_id = Some("r-1".into());
        record.profile = Some("app".into());
        record.outcome = Outcome::InvalidSeal;
        record.set_kms_time(Duration::from_micros(12_345));
        let line = record.finish();
        assert!(!line.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        let mut expected = [
            "event",
            "time",
            "request_id",
            "lambda_request_id",
            "profile",
            "principal",
            "api_key_id",
            "source_ip",
            "user_agent",
            "outcome",
            "variables",
            "kms_ms",
            "version",
        ];
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert!(
            line.starts_with(r#"{"event":"ratchet.read","time":""#),
            "{line}"
        );
        assert_eq!(value["outcome"], "invalid_seal");
        assert_eq!(value["kms_ms"], 12.345);
        assert!(value["time"].as_str().unwrap().ends_with('Z'));
    }

    /// Long user agents are cut without splitting a character.
    #[test]
    fn cuts_user_agents() {
        let mut record = AuditRecord::new();
        record.set_user_agent(Some(&"é".repeat(200)));
        let kept = record.user_agent.unwrap();
        assert!(kept.len() <= USER_AGENT_LIMIT && kept.chars().all(|c| c == 'é'));
    }
}
