//! Fetching a profile's document from the secrets API.
//!
//! One client is built at start and reused, so connections are kept alive
//! between reads. Each fetch has a connect timeout, a per-attempt timeout and
//! an overall deadline; timeouts, connection failures and 5xx answers are
//! retried a bounded number of times with jittered exponential backoff, 4xx
//! answers never. The body is read into a wiped-on-drop buffer with a size
//! limit, then parsed. Errors name what failed and never quote the body.

use std::time::{Duration, Instant};

use reqwest::{StatusCode, Url};
use zeroize::Zeroizing;

use crate::auth::Auth;
use crate::document::Document;

/// Response headers that carry the API's request id, most specific first.
/// API Gateway sets `x-amzn-RequestId` to the id the function logs.
const REQUEST_ID_HEADERS: [&str; 2] = ["x-amzn-requestid", "x-request-id"];

/// Limits and retry policy for fetches.
#[derive(Clone, Debug)]
pub struct FetchPolicy {
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt, from sending to the last body byte.
    pub attempt_timeout: Duration,
    /// Time allowed for the whole fetch, retries and backoff included.
    pub deadline: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff; each retry doubles it, and a random part of it is slept.
    pub backoff: Duration,
    /// Largest response body accepted.
    pub max_body: usize,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            connect_timeout: Duration::from_secs(2),
            attempt_timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(10),
            retries: 2,
            backoff: Duration::from_millis(100),
            max_body: 512 * 1024,
        }
    }
}

/// Why no document was fetched. `Display` is safe to log: it never holds a
/// secret or a response body.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The API could not be reached or the connection broke.
    #[error("cannot reach the secrets API: {0}")]
    Unreachable(String),
    /// An attempt, or the whole fetch, ran out of time.
    #[error("the secrets API did not answer in time")]
    Timeout,
    /// The API answered with an error status.
    #[error("the secrets API answered {status}{}", hint(*.status))]
    Status { status: u16 },
    /// The body was larger than allowed.
    #[error(
        "the secrets API's answer exceeds {limit} bytes; raise RATCHET_MAX_RESPONSE_BYTES if that is expected"
    )]
    TooLarge { limit: usize },
    /// The body was not the document the contract describes.
    #[error("the secrets API's answer is not a valid document: {0}")]
    Malformed(String),
    /// The request could not be authenticated.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
}

fn hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (forbidden: check the key or role is allowed this profile)",
        404 => " (check RATCHET_API_URL points at the API's stage)",
        429 => " (throttled)",
        _ => "",
    }
}

impl FetchError {
    /// Short stable label for audit events.
    pub fn reason(&self) -> String {
        match self {
            FetchError::Unreachable(_) => "api_unreachable".into(),
            FetchError::Timeout => "api_timeout".into(),
            FetchError::Status { status } => format!("http_{status}"),
            FetchError::TooLarge { .. } => "response_too_large".into(),
            FetchError::Malformed(_) => "malformed_response".into(),
            FetchError::Auth(_) => "auth_failed".into(),
        }
    }

    /// Whether a later attempt might succeed: the API was down or slow, as
    /// opposed to refusing or answering nonsense.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Unreachable(_) | FetchError::Timeout => true,
            FetchError::Status { status } => *status >= 500,
            _ => false,
        }
    }
}

/// A fetched document and what is known about how it was fetched.
#[derive(Debug)]
pub struct Fetched {
    /// The document.
    pub document: Document,
    /// The API's request id, when it sent one.
    pub request_id: Option<String>,
}

/// A failed fetch, with the request id of the last answer if there was one.
#[derive(Debug)]
pub struct Failed {
    /// What went wrong.
    pub error: FetchError,
    /// The API's request id from the last attempt that got an answer.
    pub request_id: Option<String>,
}

/// Attempts made and time spent, reported whatever the outcome.
#[derive(Clone, Copy, Debug, Default)]
pub struct Effort {
    /// Attempts sent.
    pub attempts: u32,
    /// Time from the first attempt to the result.
    pub elapsed: Duration,
}

/// The secrets API client.
pub struct Fetcher {
    client: reqwest::Client,
    url: Url,
    profile: String,
    auth: Auth,
    policy: FetchPolicy,
}

impl Fetcher {
    /// A client for `profile` at the API stage `base` (e.g.
    /// `https://id.execute-api.region.amazonaws.com/prod`).
    pub fn new(
        base: &Url,
        profile: &str,
        auth: Auth,
        policy: FetchPolicy,
    ) -> Result<Self, FetchError> {
        let url = profile_url(base, profile);
        // One TLS stack for the binary: rustls with ring, verifying against
        // the platform's trust store (the CA bundle in the image). Installing
        // fails only when a provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.attempt_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ratchet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Unreachable(format!("cannot build the HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            url,
            profile: profile.to_owned(),
            auth,
            policy,
        })
    }

    /// The URL fetched for each read.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Fetches the document, retrying transient failures within the deadline.
    pub async fn fetch(&self) -> (Result<Fetched, Failed>, Effort) {
        let started = Instant::now();
        let deadline = started + self.policy.deadline;
        let mut effort = Effort::default();
        let mut last_request_id = None;
        loop {
            effort.attempts += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let attempt = tokio::time::timeout(remaining, self.attempt()).await;
            let (result, request_id) = attempt.unwrap_or((Err(FetchError::Timeout), None));
            last_request_id = request_id.or(last_request_id);
            effort.elapsed = started.elapsed();
            let error = match result {
                Ok(document) => {
                    let fetched = Fetched {
                        document,
                        request_id: last_request_id,
                    };
                    return (Ok(fetched), effort);
                }
                Err(error) => error,
            };

            // Retry only what may pass next time, and only while the pause
            // still leaves time for an attempt.
            let pause = self.backoff(effort.attempts);
            let retry = error.is_transient()
                && effort.attempts <= self.policy.retries
                && Instant::now() + pause < deadline;
            if !retry {
                let failed = Failed {
                    error,
                    request_id: last_request_id,
                };
                return (Err(failed), effort);
            }
            tracing::debug!(attempt = effort.attempts, reason = %error.reason(), pause_ms = pause.as_millis() as u64, "retrying fetch");
            tokio::time::sleep(pause).await;
        }
    }

    /// Full jitter: a uniformly random pause up to `backoff * 2^(n-1)`.
    fn backoff(&self, attempts: u32) -> Duration {
        let ceiling = self
            .policy
            .backoff
            .saturating_mul(1 << attempts.saturating_sub(1).min(16));
        ceiling.mul_f64(fastrand::f64())
    }

    async fn attempt(&self) -> (Result<Document, FetchError>, Option<String>) {
        let mut request = reqwest::Request::new(reqwest::Method::GET, self.url.clone());
        request
            .headers_mut()
            .insert(http::header::ACCEPT, "application/json".parse().unwrap());
        if let Err(e) = self.auth.apply(&mut request).await {
            return (Err(e.into()), None);
        }
        let response = match self.client.execute(request).await {
            Ok(response) => response,
            Err(e) => return (Err(transport_error(&e)), None),
        };
        let request_id = request_id(&response);
        (self.read(response).await, request_id)
    }

    async fn read(&self, mut response: reqwest::Response) -> Result<Document, FetchError> {
        let status = response.status();
        if status != StatusCode::OK {
            return Err(FetchError::Status {
                status: status.as_u16(),
            });
        }
        let limit = self.policy.max_body;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(FetchError::TooLarge { limit });
        }

        // Collect the body into one wiped buffer, sized once when the length
        // is known so that growing it leaves no copies behind.
        let hint = response.content_length().unwrap_or(16 * 1024) as usize;
        let mut body = Zeroizing::new(Vec::with_capacity(hint.min(limit)));
        while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(FetchError::TooLarge { limit });
            }
            if body.len() + chunk.len() > body.capacity() {
                let mut bigger = Zeroizing::new(Vec::with_capacity(
                    (body.capacity() * 2)
                        .max(body.len() + chunk.len())
                        .min(limit),
                ));
                bigger.extend_from_slice(&body);
                body = bigger;
            }
            body.extend_from_slice(&chunk);
        }
        self.parse(&body)
    }

    fn parse(&self, body: &[u8]) -> Result<Document, FetchError> {
        // serde_json's messages can quote the offending value, so only its
        // category and position are kept.
        let document: Document = serde_json::from_slice(body).map_err(|e| {
            FetchError::Malformed(format!(
                "{:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        if document.profile != self.profile {
            return Err(FetchError::Malformed(format!(
                "it is for profile {:?}, not {:?}",
                document.profile.chars().take(64).collect::<String>(),
                self.profile
            )));
        }
        Ok(document)
    }
}

/// `{base}/v1/profiles/{profile}`, keeping the stage path of `base`.
fn profile_url(base: &Url, profile: &str) -> Url {
    let mut url = base.clone();
    url.path_segments_mut()
        .expect("an http(s) URL has a path")
        .pop_if_empty()
        .extend(["v1", "profiles", profile]);
    url
}

fn request_id(response: &reqwest::Response) -> Option<String> {
    REQUEST_ID_HEADERS.iter().find_map(|name| {
        let value = response.headers().get(*name)?.to_str().ok()?;
        Some(value.chars().take(128).collect())
    })
}

fn transport_error(error: &reqwest::Error) -> FetchError {
    if error.is_timeout() {
        return FetchError::Timeout;
    }
    // The chain of sources says why (refused, reset, TLS); the URL is ours
    // and holds no secret.
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    FetchError::Unreachable(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The profile path is appended to the stage path, with or without a trailing slash.
    #[test]
    fn profile_url_keeps_the_stage() {
        for base in ["https://api.example/prod", "https://api.example/prod/"] {
            let url = profile_url(&base.parse().unwrap(), "app");
            assert_eq!(url.as_str(), "https://api.example/prod/v1/profiles/app");
        }
    }

    /// Only failures that may pass later are retried.
    #[test]
    fn transient_errors() {
        assert!(FetchError::Timeout.is_transient());
        assert!(FetchError::Status { status: 503 }.is_transient());
        assert!(!FetchError::Status { status: 403 }.is_transient());
        assert!(!FetchError::Malformed(String::new()).is_transient());
    }
}
