//! Serving `GET /v1/profiles/{profile}`: routing, authorization, one KMS
//! `Decrypt`, the response, and the audit record of it all.
//!
//! Unknown profile, forbidden profile and missing identity give the same
//! 403 without touching KMS, so a caller learns nothing about which profiles
//! exist. Plaintext lives only for the length of one request.

use std::time::Instant;

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response, service_fn};
use serde::Serialize;

use crate::access::Caller;
use crate::audit::{AuditRecord, Outcome};
use crate::config::{Config, SealedProfile};
use crate::kms::{Kms, encryption_context};
use crate::seal::Envelope;
use crate::{Error, ProfileName, Variables};

/// The route's fixed part; the profile name follows it.
const ROUTE_PREFIX: &str = "/v1/profiles/";

/// The function: its configuration and a KMS client, both built once.
pub struct Function<K> {
    config: Config,
    kms: K,
}

impl<K: Kms> Function<K> {
    /// Wraps a configuration and a KMS client.
    pub fn new(config: Config, kms: K) -> Self {
        Self { config, kms }
    }

    /// The KMS client, for tests that count its calls.
    pub fn kms(&self) -> &K {
        &self.kms
    }

    /// Answers one request and says what to audit about it.
    pub async fn handle(&self, request: &Request) -> (Response<Body>, AuditRecord) {
        let mut audit = AuditRecord::new();
        let caller = identify(request, &mut audit);
        let response = self.serve(request, &caller, &mut audit).await;
        (response, audit)
    }

    async fn serve(
        &self,
        request: &Request,
        caller: &Caller,
        audit: &mut AuditRecord,
    ) -> Response<Body> {
        // Only one route and one method exist.
        let Some(name) = route(request) else {
            return reply(StatusCode::NOT_FOUND, r#"{"message":"not found"}"#);
        };
        if request.method() != Method::GET {
            let response = reply(
                StatusCode::METHOD_NOT_ALLOWED,
                r#"{"message":"method not allowed"}"#,
            );
            return with_header(response, header::ALLOW, "GET");
        }

        // Unknown, forbidden and anonymous look alike from outside.
        audit.outcome = Outcome::Denied;
        let Ok(profile) = ProfileName::parse(name) else {
            return forbidden();
        };
        audit.profile = Some(profile.to_string());
        let Some(sealed) = self.readable(&profile, caller) else {
            return forbidden();
        };
        audit.version = Some(sealed.version.clone());

        match self.open(&profile, sealed, audit).await {
            Ok(variables) => {
                audit.outcome = Outcome::Served;
                audit.variables = variables.len();
                served(&profile, &sealed.version, &variables)
            }
            Err(Error::KmsUnavailable { code, message }) => {
                tracing::warn!(profile = %profile, code, detail = message, "kms unavailable");
                audit.outcome = Outcome::Unavailable;
                unavailable()
            }
            Err(error) => {
                tracing::error!(profile = %profile, error = %error, "sealed value does not open");
                audit.outcome = Outcome::InvalidSeal;
                reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    r#"{"message":"internal error"}"#,
                )
            }
        }
    }

    /// The sealed profile, if it exists and `caller` may read it.
    fn readable(&self, profile: &ProfileName, caller: &Caller) -> Option<&SealedProfile> {
        let sealed = self.config.profiles.get(profile)?;
        self.config.access.allows(profile, caller).then_some(sealed)
    }

    /// Opens a sealed profile with one KMS call, timing that call.
    async fn open(
        &self,
        profile: &ProfileName,
        sealed: &SealedProfile,
        audit: &mut AuditRecord,
    ) -> Result<Variables, Error> {
        let envelope = Envelope::decode(&sealed.sealed)?;
        let started = Instant::now();
        let data_key = self
            .kms
            .decrypt(envelope.encrypted_key(), &encryption_context(profile))
            .await;
        audit.set_kms_time(started.elapsed());
        envelope.unseal(&data_key?, profile)
    }
}

/// Serves requests from the Lambda Runtime API until the process ends,
/// writing one audit line per request.
pub async fn run<K: Kms>(function: Function<K>) -> Result<(), lambda_http::Error> {
    let function = &function;
    lambda_http::run(service_fn(move |request: Request| async move {
        let (response, mut audit) = function.handle(&request).await;
        audit.emit();
        Ok::<_, lambda_http::Error>(response)
    }))
    .await
}

/// Reads who is calling from the REST API request context, and records the
/// request's identifiers.
fn identify(request: &Request, audit: &mut AuditRecord) -> Caller {
    audit.lambda_request_id = request.lambda_context_ref().map(|c| c.request_id.clone());
    let Some(RequestContext::ApiGatewayV1(context)) = request.request_context_ref() else {
        return Caller::default();
    };
    let identity = &context.identity;
    audit.request_id = context.request_id.clone();
    audit.source_ip = identity.source_ip.clone();
    audit.set_user_agent(identity.user_agent.as_deref());
    let caller = Caller {
        principal: identity.user_arn.clone().filter(|arn| !arn.is_empty()),
        api_key_id: identity.api_key_id.clone().filter(|id| !id.is_empty()),
    };
    audit.principal = caller.principal.clone();
    audit.api_key_id = caller.api_key_id.clone();
    caller
}

/// The profile segment of `/v1/profiles/{profile}`, or `None` for any other
/// path. REST events carry the stage apart from the path, so the raw path is
/// used.
fn route(request: &Request) -> Option<&str> {
    let path = match request.raw_http_path() {
        "" => request.uri().path(),
        raw => raw,
    };
    let name = path.strip_prefix(ROUTE_PREFIX)?;
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// The 200 body.
#[derive(Serialize)]
struct Served<'a> {
    profile: &'a str,
    version: &'a str,
    variables: &'a Variables,
}

fn served(profile: &ProfileName, version: &str, variables: &Variables) -> Response<Body> {
    let body = serde_json::to_string(&Served {
        profile: profile.as_str(),
        version,
        variables,
    })
    .expect("a map of strings always serializes");
    reply(StatusCode::OK, body)
}

fn forbidden() -> Response<Body> {
    reply(StatusCode::FORBIDDEN, r#"{"message":"forbidden"}"#)
}

fn unavailable() -> Response<Body> {
    let response = reply(
        StatusCode::SERVICE_UNAVAILABLE,
        r#"{"message":"secrets temporarily unavailable"}"#,
    );
    with_header(response, header::RETRY_AFTER, "1")
}

fn with_header(
    mut response: Response<Body>,
    name: header::HeaderName,
    value: &'static str,
) -> Response<Body> {
    response
        .headers_mut()
        .insert(name, HeaderValue::from_static(value));
    response
}

/// A JSON response that no cache may keep.
fn reply(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.into()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(path: &str) -> Request {
        lambda_http::http::Request::builder()
            .uri(format!("https://example.test/prod{path}"))
            .body(Body::Empty)
            .unwrap()
            .with_raw_http_path(path)
    }

    /// Only `/v1/profiles/<one segment>` routes, whatever the stage.
    #[test]
    fn routes_one_path() {
        assert_eq!(route(&at("/v1/profiles/app")), Some("app"));
        assert_eq!(route(&at("/v1/profiles/Not_Valid")), Some("Not_Valid"));
        for path in [
            "/v1/profiles/",
            "/v1/profiles/app/x",
            "/v1/profiles",
            "/v2/profiles/app",
            "/",
        ] {
            assert_eq!(route(&at(path)), None, "{path}");
        }
    }
}
