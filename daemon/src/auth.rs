//! How the daemon proves who it is to the secrets API: an API Gateway key, or
//! an IAM identity signing each request with SigV4 for `execute-api`.
//!
//! IAM credentials come from the standard AWS chain (environment, shared
//! profile, the ECS task role's container endpoint, web identity, instance
//! metadata) through aws-config, which also caches and refreshes them; the
//! signature itself is aws-sigv4's. Nothing here is hand-rolled crypto.

use std::fmt;
use std::path::Path;
use std::time::SystemTime;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::tls;
use zeroize::Zeroizing;

/// The header API Gateway reads API keys from.
const API_KEY_HEADER: &str = "x-api-key";

/// Why a request could not be authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The key file could not be read.
    #[error("cannot read the API key file {path}: {source}; check RATCHET_API_KEY_FILE")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    /// The key (from the environment or the file) is empty or not a header value.
    #[error(
        "the API key is empty or holds characters a header cannot carry; check RATCHET_API_KEY or RATCHET_API_KEY_FILE"
    )]
    BadKey,
    /// No region was configured for signing.
    #[error("IAM auth needs a region: set AWS_REGION or RATCHET_REGION")]
    NoRegion,
    /// The AWS credential chain found nothing usable.
    #[error("no AWS credentials for IAM auth: {0}")]
    Credentials(String),
    /// aws-sigv4 refused to sign.
    #[error("cannot sign the request: {0}")]
    Signing(String),
}

/// A way of authenticating requests to the secrets API.
pub enum Auth {
    /// An API Gateway key sent as `x-api-key`.
    ApiKey(Zeroizing<String>),
    /// SigV4 for `execute-api`, with credentials from the AWS chain.
    Iam(Box<IamSigner>),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
            Auth::Iam(signer) => write!(f, "Iam(region={})", signer.region),
        }
    }
}

impl Auth {
    /// An API key from its value, or else from the first line of `file`.
    pub fn api_key(value: Option<&str>, file: Option<&Path>) -> Result<Self, AuthError> {
        let key = match (value, file) {
            (Some(value), _) => Zeroizing::new(value.trim().to_owned()),
            (None, Some(path)) => {
                let raw = Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
                    AuthError::KeyFile {
                        path: path.display().to_string(),
                        source,
                    }
                })?);
                Zeroizing::new(raw.trim().to_owned())
            }
            (None, None) => return Err(AuthError::BadKey),
        };
        if key.is_empty() || http::HeaderValue::from_str(&key).is_err() {
            return Err(AuthError::BadKey);
        }
        Ok(Auth::ApiKey(key))
    }

    /// IAM signing with the default AWS credential chain.
    pub async fn iam(region: Option<String>) -> Result<Self, AuthError> {
        // One TLS stack for the whole binary: rustls with ring, shared with
        // the secrets client. The chain only needs HTTP for STS, SSO and the
        // container and instance metadata endpoints.
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client);
        if let Some(region) = region {
            loader = loader.region(Region::new(region));
        }
        let config = loader.load().await;
        let region = config.region().ok_or(AuthError::NoRegion)?.to_string();
        let credentials = config
            .credentials_provider()
            .ok_or_else(|| AuthError::Credentials("the chain is empty".into()))?;
        Ok(Auth::Iam(Box::new(IamSigner {
            credentials,
            region,
        })))
    }

    /// Adds whatever headers prove the caller's identity to `request`.
    pub async fn apply(&self, request: &mut reqwest::Request) -> Result<(), AuthError> {
        match self {
            Auth::ApiKey(key) => {
                let mut value = http::HeaderValue::from_str(key).map_err(|_| AuthError::BadKey)?;
                value.set_sensitive(true);
                request.headers_mut().insert(API_KEY_HEADER, value);
                Ok(())
            }
            Auth::Iam(signer) => signer.sign(request).await,
        }
    }
}

/// Signs requests for API Gateway's `execute-api` service.
pub struct IamSigner {
    credentials: SharedCredentialsProvider,
    region: String,
}

impl IamSigner {
    /// A signer with fixed credentials, for tests.
    pub fn with_credentials(credentials: SharedCredentialsProvider, region: &str) -> Self {
        IamSigner {
            credentials,
            region: region.to_owned(),
        }
    }

    async fn sign(&self, request: &mut reqwest::Request) -> Result<(), AuthError> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| AuthError::Credentials(e.to_string()))?;
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("execute-api")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| AuthError::Signing(e.to_string()))?
            .into();

        // Sign what will be sent: method, URL and the headers set so far.
        let headers: Vec<(&str, &str)> = request
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
            .collect();
        let signable = SignableRequest::new(
            request.method().as_str(),
            request.url().as_str(),
            headers.into_iter(),
            SignableBody::Bytes(&[]),
        )
        .map_err(|e| AuthError::Signing(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| AuthError::Signing(e.to_string()))?
            .into_parts();

        let (headers, _query) = instructions.into_parts();
        for header in headers {
            let mut value = http::HeaderValue::from_str(header.value())
                .map_err(|e| AuthError::Signing(e.to_string()))?;
            value.set_sensitive(header.sensitive());
            let name = http::HeaderName::from_bytes(header.name().as_bytes())
                .map_err(|e| AuthError::Signing(e.to_string()))?;
            request.headers_mut().insert(name, value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;

    fn request() -> reqwest::Request {
        reqwest::Request::new(
            reqwest::Method::GET,
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod/v1/profiles/app"
                .parse()
                .unwrap(),
        )
    }

    /// An API key becomes a sensitive `x-api-key` header, read from a file when asked.
    #[tokio::test]
    async fn api_key_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "k3y-value\n").unwrap();
        let auth = Auth::api_key(None, Some(&path)).unwrap();
        assert_eq!(format!("{auth:?}"), "ApiKey(<redacted>)");
        let mut req = request();
        auth.apply(&mut req).await.unwrap();
        let header = &req.headers()[API_KEY_HEADER];
        assert_eq!(header, "k3y-value");
        assert!(header.is_sensitive());
    }

    /// An empty key is refused at start, not sent.
    #[test]
    fn empty_api_key_is_refused() {
        assert!(matches!(
            Auth::api_key(Some("  "), None),
            Err(AuthError::BadKey)
        ));
    }

    /// IAM signing adds a SigV4 authorization for execute-api in the region,
    /// and the session token.
    #[tokio::test]
    async fn iam_signs_for_execute_api() {
        let creds = Credentials::new("AKIDTEST", "secretkey", Some("tok".into()), None, "test");
        let signer =
            IamSigner::with_credentials(SharedCredentialsProvider::new(creds), "eu-west-1");
        let mut req = request();
        signer.sign(&mut req).await.unwrap();
        let authz = req.headers()["authorization"].to_str().unwrap();
        assert!(authz.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
        assert!(authz.contains("/eu-west-1/execute-api/aws4_request"));
        assert!(req.headers().contains_key("x-amz-date"));
        assert_eq!(req.headers()["x-amz-security-token"], "tok");
    }
}
