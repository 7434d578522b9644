//! The handler in process, fed real API Gateway REST (v1) events from
//! `tests/fixtures/` and an in-memory KMS whose calls are counted.

mod support;

use lambda_http::{Body, Request, Response};
use ratchet_function::audit::{AuditRecord, Outcome};
use ratchet_function::config::Config;
use ratchet_function::handler::Function;
use ratchet_function::kms::{CountingKms, MemoryKms};
use ratchet_function::seal::{PREFIX, seal, version};
use ratchet_function::{ProfileName, Variables};
use support::events::{API_KEY, IAM, NO_IDENTITY, get, request};
use support::scenarios::{body, tampered};

const SECRETS: &str = r#"{"DATABASE_URL": "postgres://app:pa55-w0rd@db/app",
                          "API_TOKEN": "tok-7f3a9c", "MULTI": "line one\nline two"}"#;
const SECRET_VALUES: [&str; 3] = ["pa55-w0rd", "tok-7f3a9c", "line one"];
const ACCESS: &str = r#"{
    "app":     {"principals": ["arn:aws:iam::123456789012:role/app-task"],
                "api_keys": ["k3y1d9wx2v"]},
    "billing": {"principals": ["arn:aws:iam::123456789012:role/billing-task"]},
    "ghost":   {"principals": ["arn:aws:iam::123456789012:role/app-task"]},
    "copied":  {"principals": ["arn:aws:iam::123456789012:role/app-task"]},
    "broken":  {"principals": ["arn:aws:iam::123456789012:role/app-task"]},
    "altered": {"principals": ["arn:aws:iam::123456789012:role/app-task"]}
}"#;

/// A function with `app` readable by the fixtures' callers, `billing` by
/// someone else, `ghost` granted but not sealed, `copied` holding app's
/// value, `broken` malformed and `altered` tampered with.
struct Setup {
    function: Function<CountingKms<MemoryKms>>,
    sealed_app: String,
}

async fn setup() -> Setup {
    let kms = CountingKms::new(MemoryKms::new());
    let variables = Variables::from_json(SECRETS.as_bytes()).unwrap();
    let app = ProfileName::parse("app").unwrap();
    let billing = ProfileName::parse("billing").unwrap();
    let sealed_app = seal(&kms, "alias/ratchet", &app, &variables).await.unwrap();
    let sealed_billing = seal(&kms, "alias/ratchet", &billing, &variables)
        .await
        .unwrap();
    let vars = [
        ("RATCHET_ACCESS", ACCESS.to_owned()),
        ("RATCHET_PROFILE_APP", sealed_app.clone()),
        ("RATCHET_PROFILE_BILLING", sealed_billing),
        ("RATCHET_PROFILE_COPIED", sealed_app.clone()),
        (
            "RATCHET_PROFILE_BROKEN",
            "ratchet:v1:bm90IGFuIGVudmVsb3Bl".to_owned(),
        ),
        ("RATCHET_PROFILE_ALTERED", tampered(&sealed_app, 40)),
    ];
    let config = Config::from_vars(vars.map(|(k, v)| (k.to_owned(), v))).unwrap();
    Setup {
        function: Function::new(config, kms),
        sealed_app,
    }
}

impl Setup {
    async fn send(&self, request: Request) -> (Response<Body>, AuditRecord) {
        let (response, mut audit) = self.function.handle(&request).await;
        self.assert_clean(&mut audit);
        (response, audit)
    }

    fn decrypts(&self) -> usize {
        self.function.kms().decrypt_calls()
    }

    /// No audit line may hold a value, the sealed text or the API key.
    fn assert_clean(&self, audit: &mut AuditRecord) {
        let line = audit.finish();
        let sealed_body = &self.sealed_app[PREFIX.len()..];
        let mut forbidden = SECRET_VALUES.to_vec();
        forbidden.extend([&sealed_body[..24], &sealed_body[sealed_body.len() - 24..]]);
        forbidden.push("EXAMPLEapiKEYvalue");
        for text in forbidden {
            assert!(!line.contains(text), "audit line holds `{text}`: {line}");
        }
    }
}

fn json(response: &Response<Body>) -> serde_json::Value {
    serde_json::from_str(&body(response)).expect("responses are JSON")
}

/// A SigV4-signed request from the app's role session reads every variable
/// with exactly one KMS Decrypt, and the audit line says who and what.
#[tokio::test]
async fn serves_an_iam_caller_with_one_decrypt() {
    let setup = setup().await;
    let (response, audit) = setup.send(get(IAM, "app")).await;

    assert_eq!(response.status(), 200, "{}", body(&response));
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let served = json(&response);
    assert_eq!(served["profile"], "app");
    assert_eq!(served["version"], version(&setup.sealed_app));
    assert_eq!(
        served["variables"]["DATABASE_URL"],
        "postgres://app:pa55-w0rd@db/app"
    );
    assert_eq!(served["variables"]["API_TOKEN"], "tok-7f3a9c");
    assert_eq!(served["variables"]["MULTI"], "line one\nline two");
    assert_eq!(setup.decrypts(), 1);

    assert_eq!(audit.outcome, Outcome::Served);
    assert_eq!(audit.profile.as_deref(), Some("app"));
    assert_eq!(
        audit.principal.as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/app-task/ecs-task-4f2a")
    );
    assert_eq!(audit.api_key_id, None);
    assert_eq!(
        audit.request_id.as_deref(),
        Some("7d3b9a52-4c1e-4f0a-9b8e-2f6c1d0e5a71")
    );
    assert_eq!(audit.source_ip.as_deref(), Some("203.0.113.10"));
    assert_eq!(audit.user_agent.as_deref(), Some("ratchet/0.1.0"));
    assert_eq!(audit.variables, 3);
    assert_eq!(
        audit.version.as_deref(),
        Some(version(&setup.sealed_app).as_str())
    );
}

/// A request through an API key method is granted by its key id, and the
/// audit line names the id, never the key.
#[tokio::test]
async fn serves_an_api_key_caller() {
    let setup = setup().await;
    let (response, audit) = setup.send(get(API_KEY, "app")).await;
    assert_eq!(response.status(), 200, "{}", body(&response));
    assert_eq!(json(&response)["variables"]["API_TOKEN"], "tok-7f3a9c");
    assert_eq!(audit.api_key_id.as_deref(), Some("k3y1d9wx2v"));
    assert_eq!(audit.principal, None);
    assert_eq!(audit.outcome, Outcome::Served);
    assert_eq!(setup.decrypts(), 1);
}

/// Every read is a KMS call: nothing is cached between requests.
#[tokio::test]
async fn calls_kms_once_per_read() {
    let setup = setup().await;
    for read in 1..=5 {
        let (response, _) = setup.send(get(IAM, "app")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(setup.decrypts(), read);
    }
}

/// A request with neither principal nor API key is denied without KMS.
#[tokio::test]
async fn denies_a_missing_identity() {
    let setup = setup().await;
    let (response, audit) = setup.send(get(NO_IDENTITY, "app")).await;
    assert_eq!(response.status(), 403);
    assert_eq!(body(&response), r#"{"message":"forbidden"}"#);
    assert_eq!(audit.outcome, Outcome::Denied);
    assert_eq!((audit.principal, audit.api_key_id), (None, None));
    assert_eq!(audit.source_ip.as_deref(), Some("192.0.2.77"));
    assert_eq!(setup.decrypts(), 0);
}

/// Unknown, granted-but-absent, forbidden and invalid profile names all get
/// byte-identical 403s, and none reaches KMS.
#[tokio::test]
async fn unknown_and_forbidden_profiles_look_alike() {
    let setup = setup().await;
    let mut seen = Vec::new();
    for profile in [
        "nope",
        "ghost",
        "billing",
        "Not_Valid",
        "app%2F..",
        &"a".repeat(65),
    ] {
        let (response, audit) = setup.send(get(IAM, profile)).await;
        assert_eq!(audit.outcome, Outcome::Denied, "{profile}");
        seen.push((
            response.status(),
            response.headers().clone(),
            body(&response),
        ));
    }
    assert_eq!(seen[0].0, 403);
    assert_eq!(seen[0].2, r#"{"message":"forbidden"}"#);
    assert!(seen.iter().all(|s| *s == seen[0]), "{seen:?}");
    assert_eq!(setup.decrypts(), 0);

    // Invalid names are not echoed into the audit line.
    let (_, audit) = setup.send(get(IAM, "Not_Valid")).await;
    assert_eq!(audit.profile, None);
}

/// A KMS failure is a 503 with a retry hint, and it clears when KMS does.
#[tokio::test]
async fn kms_failure_is_503_with_retry_after() {
    let setup = setup().await;
    setup.function.kms().inner().set_unavailable(true);
    let (response, audit) = setup.send(get(IAM, "app")).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        body(&response),
        r#"{"message":"secrets temporarily unavailable"}"#
    );
    assert_eq!(audit.outcome, Outcome::Unavailable);
    assert_eq!(audit.variables, 0);

    setup.function.kms().inner().set_unavailable(false);
    let (response, _) = setup.send(get(IAM, "app")).await;
    assert_eq!(response.status(), 200);
}

/// Malformed, copied and tampered sealed values are 500s that say nothing.
#[tokio::test]
async fn bad_seals_are_500() {
    let setup = setup().await;
    for (profile, decrypts) in [("broken", 0), ("copied", 1), ("altered", 2)] {
        let (response, audit) = setup.send(get(IAM, profile)).await;
        assert_eq!(response.status(), 500, "{profile}");
        assert_eq!(body(&response), r#"{"message":"internal error"}"#);
        assert_eq!(audit.outcome, Outcome::InvalidSeal, "{profile}");
        assert_eq!(setup.decrypts(), decrypts, "{profile}");
    }
}

/// Other paths are 404s and other methods 405s, audited as bad requests.
#[tokio::test]
async fn other_routes_and_methods() {
    let setup = setup().await;
    let (response, audit) = setup.send(request(IAM, "POST", "/v1/profiles/app")).await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET");
    assert_eq!(audit.outcome, Outcome::BadRequest);
    for path in [
        "/v1/profiles",
        "/v1/profiles/app/extra",
        "/",
        "/prod/v1/profiles/app",
    ] {
        let (response, audit) = setup.send(request(IAM, "GET", path)).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(audit.outcome, Outcome::BadRequest);
    }
    assert_eq!(setup.decrypts(), 0);
}

/// The audit line is one JSON object with the contract's fields.
#[tokio::test]
async fn audit_line_follows_the_schema() {
    let setup = setup().await;
    let (_, mut audit) = setup.send(get(IAM, "app")).await;
    let line = audit.finish();
    assert!(!line.contains('\n'));
    let record: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(record["event"], "ratchet.read");
    assert_eq!(record["outcome"], "served");
    assert_eq!(record["variables"], 3);
    assert!(record["kms_ms"].is_number());
    assert!(record["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(
        record["lambda_request_id"].is_null(),
        "no Lambda context in process"
    );
}
