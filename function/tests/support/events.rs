//! API Gateway REST (v1) events made from the fixtures under `tests/fixtures/`.

use serde_json::{Value, json};

/// A request signed with SigV4 by an ECS task role (`identity.userArn`).
pub const IAM: &str = include_str!("../fixtures/rest-iam.json");
/// A request to a method that requires an API key (`identity.apiKeyId`).
pub const API_KEY: &str = include_str!("../fixtures/rest-api-key.json");
/// A request with no IAM principal and no API key.
pub const NO_IDENTITY: &str = include_str!("../fixtures/rest-no-identity.json");

/// The fixture's event, re-aimed at `method path` (path without the stage).
pub fn event_json(fixture: &str, method: &str, path: &str) -> String {
    let mut event: Value = serde_json::from_str(fixture).expect("fixtures are valid JSON");
    event["path"] = path.into();
    event["httpMethod"] = method.into();
    event["requestContext"]["path"] = format!("/prod{path}").into();
    event["requestContext"]["httpMethod"] = method.into();
    event["pathParameters"] = match path.strip_prefix("/v1/profiles/") {
        Some(profile) => json!({ "profile": profile }),
        None => Value::Null,
    };
    event.to_string()
}

/// The same event as the request lambda_http hands to the function.
pub fn request(fixture: &str, method: &str, path: &str) -> lambda_http::Request {
    lambda_http::request::from_str(&event_json(fixture, method, path))
        .expect("fixtures are REST API events")
}

/// A GET of one profile.
pub fn get(fixture: &str, profile: &str) -> lambda_http::Request {
    request(fixture, "GET", &format!("/v1/profiles/{profile}"))
}
