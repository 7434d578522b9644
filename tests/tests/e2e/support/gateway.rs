//! The stand-in for API Gateway, on 127.0.0.1: what LocalStack's API
//! Gateway cannot do here (it does not check SigV4, and cannot invoke a
//! Lambda without Docker), done from the API definition LocalStack holds.
//!
//! At start it reads from LocalStack each API's stages, resources and
//! methods (authorization type, `apiKeyRequired`, the AWS_PROXY
//! integration's function and timeout), the API keys with their values, and
//! the usage plans. Each request to `http://127.0.0.1:PORT/{api id}/{stage}/...`
//! then goes as on AWS:
//! - a path or method with no resource: 403 "Missing Authentication Token";
//! - AWS_IAM: the SigV4 signature is recomputed with aws-sigv4 from the
//!   caller's secret (the test hands the stand-in the credentials LocalStack's
//!   STS issued) and compared; no, unknown or wrong signature: 403;
//! - `apiKeyRequired`: `x-api-key` must be an enabled key in a usage plan of
//!   this stage: else 403 "Forbidden", and the function is not invoked;
//! - the function is invoked through the Runtime API emulator with a REST
//!   (v1) proxy event carrying `requestContext.requestId` and the caller's
//!   `identity` (`apiKeyId` or `userArn`); its proxy response becomes the
//!   HTTP response, with `x-amzn-RequestId` set to that request id.
//!
//! Every request leaves one access-log line (JSON, like a stage's access
//! log: request id, status, key id or principal, integration status; never
//! a key value). What the stand-in does not do: IAM policy evaluation (the
//! role policies and the API's resource policy are not consulted; the
//! function's access map is what authorizes), throttling and quotas, TLS,
//! custom domains.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};

use super::stack::{Credentials, Stack};

/// What the stand-in read from LocalStack about the stack's APIs.
#[derive(Debug, Clone)]
pub struct Model {
    region: String,
    account: String,
    function_name: String,
    apis: Vec<Api>,
    keys: Vec<ApiKey>,
    plans: Vec<Plan>,
}

#[derive(Debug, Clone)]
struct Api {
    id: String,
    stages: Vec<String>,
    routes: Vec<Route>,
}

#[derive(Debug, Clone)]
struct Route {
    resource: String,
    method: String,
    authorization: String,
    api_key_required: bool,
    integration: String,
    uri: String,
    timeout: Duration,
}

#[derive(Debug, Clone)]
struct ApiKey {
    id: String,
    value: String,
    enabled: bool,
}

#[derive(Debug, Clone)]
struct Plan {
    stages: Vec<(String, String)>,
    keys: Vec<String>,
}

impl Model {
    /// Reads the stack's APIs, keys and usage plans from LocalStack.
    pub fn load(stack: &Stack) -> Model {
        let localstack = stack.localstack();
        let apis = ["key", "iam"]
            .iter()
            .map(|flavour| {
                let id = stack.api_id(flavour);
                let stages = localstack.aws(&["apigateway", "get-stages", "--rest-api-id", &id]);
                let resources = localstack.aws(&[
                    "apigateway",
                    "get-resources",
                    "--rest-api-id",
                    &id,
                    "--embed",
                    "methods",
                ]);
                Api {
                    stages: strings(&stages["item"], "stageName"),
                    routes: routes(&resources),
                    id,
                }
            })
            .collect();
        let keys = localstack.aws(&["apigateway", "get-api-keys", "--include-values"]);
        let keys = list(&keys["items"])
            .map(|key| ApiKey {
                id: text(&key["id"]),
                value: text(&key["value"]),
                enabled: key["enabled"].as_bool().unwrap_or(false),
            })
            .collect();
        let plans = localstack.aws(&["apigateway", "get-usage-plans"]);
        let plans = list(&plans["items"])
            .map(|plan| {
                let id = text(&plan["id"]);
                let keys =
                    localstack.aws(&["apigateway", "get-usage-plan-keys", "--usage-plan-id", &id]);
                Plan {
                    stages: list(&plan["apiStages"])
                        .map(|s| (text(&s["apiId"]), text(&s["stage"])))
                        .collect(),
                    keys: strings(&keys["items"], "id"),
                }
            })
            .collect();
        let key_arn = text(&stack.outputs("kms")["key_arn"]);
        Model {
            region: super::localstack::REGION.to_owned(),
            account: key_arn.split(':').nth(4).unwrap_or_default().to_owned(),
            function_name: stack.name.clone(),
            apis,
            keys,
            plans,
        }
    }
}

fn routes(resources: &Value) -> Vec<Route> {
    let mut routes = Vec::new();
    for resource in list(&resources["items"]) {
        let Some(methods) = resource["resourceMethods"].as_object() else {
            continue;
        };
        for (method, spec) in methods {
            let integration = &spec["methodIntegration"];
            routes.push(Route {
                resource: text(&resource["path"]),
                method: method.clone(),
                authorization: text(&spec["authorizationType"]),
                api_key_required: spec["apiKeyRequired"].as_bool().unwrap_or(false),
                integration: text(&integration["type"]),
                uri: text(&integration["uri"]),
                timeout: Duration::from_millis(
                    integration["timeoutInMillis"].as_u64().unwrap_or(29_000),
                ),
            });
        }
    }
    routes
}

fn list(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn strings(items: &Value, field: &str) -> Vec<String> {
    list(items).map(|item| text(&item[field])).collect()
}

/// The running stand-in.
pub struct Gateway {
    port: u16,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct State {
    model: Model,
    invoke_url: String,
    callers: Mutex<HashMap<String, Credentials>>,
    log_path: PathBuf,
    log: Mutex<Vec<Value>>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Gateway {
    /// Serves `model` on a free port of 127.0.0.1, invoking the function at
    /// `invoke_url`, with its access log in `log`.
    pub fn start(model: Model, invoke_url: String, log: &Path) -> Gateway {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let port = listener.local_addr().expect("local address").port();
        let state = Arc::new(State {
            model,
            invoke_url,
            callers: Mutex::new(HashMap::new()),
            log_path: log.to_owned(),
            log: Mutex::new(Vec::new()),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        let (shutdown, stop) = tokio::sync::oneshot::channel();
        let served = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the stand-in");
            runtime.block_on(serve(listener, served, stop));
        });
        Gateway {
            port,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// The stage URL of an API, as a daemon's `RATCHET_API_URL`.
    pub fn stage_url(&self, api_id: &str) -> String {
        format!("http://127.0.0.1:{}/{api_id}/prod", self.port)
    }

    /// The same with `localhost` as host, to exercise name resolution.
    pub fn stage_url_by_name(&self, api_id: &str) -> String {
        format!("http://localhost:{}/{api_id}/prod", self.port)
    }

    /// Lets requests signed with `credentials` through, as the principal
    /// they name: the stand-in's view of IAM.
    pub fn know(&self, credentials: &Credentials) {
        let mut callers = self.state.callers.lock().unwrap_or_else(|e| e.into_inner());
        callers.insert(credentials.access_key_id.clone(), credentials.clone());
    }

    /// The access log so far.
    pub fn access_log(&self) -> Vec<Value> {
        self.state
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The access log file.
    pub fn log_path(&self) -> &Path {
        &self.state.log_path
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(state.handle(request, peer).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// One access-log line in the making.
struct Access {
    entry: Value,
}

impl State {
    async fn handle(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let request_id = request_id();
        let (parts, _body) = request.into_parts();
        let mut access = Access {
            entry: json!({
                "requestId": request_id,
                "ip": peer.ip().to_string(),
                "httpMethod": parts.method.as_str(),
                "path": parts.uri.path(),
                "requestTime": humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
                "apiKeyId": null,
                "userArn": null,
                "integrationStatus": null,
                "errorMessage": null,
            }),
        };
        let response = match self.route(&parts, peer, &request_id, &mut access).await {
            Ok(response) => response,
            Err((status, message)) => {
                access.entry["errorMessage"] = message.into();
                gateway_error(status, message)
            }
        };
        let mut response = response;
        response.headers_mut().insert(
            "x-amzn-RequestId",
            request_id.parse().expect("request ids are header values"),
        );
        access.entry["status"] = response.status().as_u16().into();
        self.record(access.entry);
        response
    }

    /// Authorizes, builds the event, invokes; an `Err` is API Gateway's own
    /// answer, the function never being called.
    async fn route(
        &self,
        parts: &http::request::Parts,
        peer: SocketAddr,
        request_id: &str,
        access: &mut Access,
    ) -> Result<Response<Full<Bytes>>, (StatusCode, &'static str)> {
        const MISSING: (StatusCode, &str) = (StatusCode::FORBIDDEN, "Missing Authentication Token");
        const FORBIDDEN: (StatusCode, &str) = (StatusCode::FORBIDDEN, "Forbidden");

        // /{api}/{stage}/{path...}
        let mut segments = parts.uri.path().trim_start_matches('/').splitn(3, '/');
        let (api_id, stage) = (segments.next().unwrap_or(""), segments.next().unwrap_or(""));
        let path = format!("/{}", segments.next().unwrap_or(""));
        let api = self
            .model
            .apis
            .iter()
            .find(|a| a.id == api_id && a.stages.iter().any(|s| s == stage))
            .ok_or(MISSING)?;
        let (route, parameters) = api
            .routes
            .iter()
            .find_map(|r| {
                (r.method == parts.method.as_str())
                    .then(|| matches(&r.resource, &path))
                    .flatten()
                    .map(|p| (r, p))
            })
            .ok_or(MISSING)?;
        access.entry["apiId"] = api_id.into();
        access.entry["stage"] = stage.into();
        access.entry["resourcePath"] = route.resource.clone().into();

        // Who is calling.
        let caller = match route.authorization.as_str() {
            "NONE" => None,
            "AWS_IAM" => Some(
                self.verify_signature(parts)
                    .map_err(|m| (StatusCode::FORBIDDEN, m))?,
            ),
            _ => return Err((StatusCode::INTERNAL_SERVER_ERROR, "authorizer not emulated")),
        };
        let key = if route.api_key_required {
            let presented = header(parts, "x-api-key").ok_or(FORBIDDEN)?;
            Some(self.usable_key(presented, api_id, stage).ok_or(FORBIDDEN)?)
        } else {
            None
        };
        access.entry["apiKeyId"] = key.map(|k| k.id.clone()).into();
        access.entry["userArn"] = caller.as_ref().map(|c| c.arn.clone()).into();

        // The integration must be the stack's function.
        let function = format!(":function:{}/invocations", self.model.function_name);
        if route.integration != "AWS_PROXY" || !route.uri.ends_with(&function) {
            return Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                "integration not emulated",
            ));
        }
        let event = self.event(
            parts,
            peer,
            request_id,
            route,
            &parameters,
            caller.as_ref(),
            key,
        );
        let answer = self.invoke(&event, route.timeout).await;
        access.entry["integrationStatus"] =
            answer.as_ref().map_or(Value::Null, |(s, _)| (*s).into());
        let (_, proxy) = answer.map_err(|m| {
            if m == "timeout" {
                (StatusCode::GATEWAY_TIMEOUT, "Endpoint request timed out")
            } else {
                (StatusCode::BAD_GATEWAY, "Internal server error")
            }
        })?;
        proxy_response(&proxy).ok_or((StatusCode::BAD_GATEWAY, "Internal server error"))
    }

    /// Recomputes the SigV4 signature of the request with the caller's
    /// secret and compares it with the one sent.
    fn verify_signature(&self, parts: &http::request::Parts) -> Result<Credentials, &'static str> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        use aws_sigv4::sign::v4;

        const MISSING: &str = "Missing Authentication Token";
        const MISMATCH: &str =
            "The request signature we calculated does not match the signature you provided.";
        let authorization = header(parts, "authorization").ok_or(MISSING)?;
        let signed = SignedRequest::parse(authorization).ok_or(MISSING)?;
        if signed.service != "execute-api" || signed.region != self.model.region {
            return Err("Credential should be scoped to a valid region and service.");
        }
        let caller = self
            .callers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&signed.access_key)
            .cloned()
            .ok_or("The security token included in the request is invalid.")?;
        let time = header(parts, "x-amz-date")
            .and_then(amz_date)
            .ok_or(MISSING)?;
        let skew = SystemTime::now()
            .duration_since(time)
            .unwrap_or_else(|e| e.duration());
        if skew > Duration::from_secs(300) {
            return Err("Signature expired");
        }

        // The signer adds host, x-amz-date and the session token itself.
        let headers: Vec<(&str, &str)> = signed
            .headers
            .iter()
            .filter(|name| {
                !matches!(
                    name.as_str(),
                    "host" | "x-amz-date" | "x-amz-security-token"
                )
            })
            .map(|name| Ok((name.as_str(), header(parts, name).ok_or(MISMATCH)?)))
            .collect::<Result<_, &'static str>>()?;
        let host = header(parts, "host").ok_or(MISMATCH)?;
        let url = format!("http://{host}{}", parts.uri);
        let identity = aws_credential_types::Credentials::new(
            &caller.access_key_id,
            &caller.secret_access_key,
            Some(caller.session_token.clone()),
            None,
            "stand-in",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.model.region)
            .name("execute-api")
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|_| MISMATCH)?
            .into();
        let signable = SignableRequest::new(
            parts.method.as_str(),
            &url,
            headers.into_iter(),
            SignableBody::Bytes(&[]),
        )
        .map_err(|_| MISMATCH)?;
        let (_, signature) = sign(signable, &params).map_err(|_| MISMATCH)?.into_parts();
        if signature != signed.signature {
            return Err(MISMATCH);
        }
        Ok(caller)
    }

    /// The key whose value was presented, if it is enabled and in a usage
    /// plan of this stage.
    fn usable_key(&self, presented: &str, api_id: &str, stage: &str) -> Option<&ApiKey> {
        let key = self
            .model
            .keys
            .iter()
            .find(|k| k.enabled && k.value == presented)?;
        self.model
            .plans
            .iter()
            .any(|plan| {
                plan.keys.contains(&key.id)
                    && plan.stages.iter().any(|(a, s)| a == api_id && s == stage)
            })
            .then_some(key)
    }

    /// The REST (v1) proxy event API Gateway sends the function.
    #[allow(clippy::too_many_arguments)]
    fn event(
        &self,
        parts: &http::request::Parts,
        peer: SocketAddr,
        request_id: &str,
        route: &Route,
        parameters: &BTreeMap<String, String>,
        caller: Option<&Credentials>,
        key: Option<&ApiKey>,
    ) -> Value {
        let mut headers = serde_json::Map::new();
        let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in &parts.headers {
            let value = value.to_str().unwrap_or_default().to_owned();
            headers.insert(name.to_string(), value.clone().into());
            multi.entry(name.to_string()).or_default().push(value);
        }
        let user_agent = header(parts, "user-agent");
        let (api_id, stage) = {
            let mut segments = parts.uri.path().trim_start_matches('/').splitn(3, '/');
            (segments.next().unwrap_or(""), segments.next().unwrap_or(""))
        };
        let path = parts.uri.path()[api_id.len() + 1..].to_owned();
        let resource_path = path[stage.len() + 1..].to_owned();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        json!({
            "resource": route.resource,
            "path": resource_path,
            "httpMethod": parts.method.as_str(),
            "headers": headers,
            "multiValueHeaders": multi,
            "queryStringParameters": null,
            "multiValueQueryStringParameters": null,
            "pathParameters": parameters,
            "stageVariables": null,
            "requestContext": {
                "resourceId": "standin",
                "resourcePath": route.resource,
                "httpMethod": parts.method.as_str(),
                "requestTime": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
                "path": path,
                "accountId": self.model.account,
                "protocol": "HTTP/1.1",
                "stage": stage,
                "domainPrefix": api_id,
                "requestTimeEpoch": now.as_millis() as u64,
                "requestId": request_id,
                "identity": {
                    "cognitoIdentityPoolId": null,
                    "accountId": caller.map(|_| self.model.account.clone()),
                    "cognitoIdentityId": null,
                    "caller": caller.map(|c| c.caller.clone()),
                    "apiKey": key.map(|k| k.value.clone()),
                    "apiKeyId": key.map(|k| k.id.clone()),
                    "sourceIp": peer.ip().to_string(),
                    "principalOrgId": null,
                    "accessKey": caller.map(|c| c.access_key_id.clone()),
                    "cognitoAuthenticationType": null,
                    "cognitoAuthenticationProvider": null,
                    "userArn": caller.map(|c| c.arn.clone()),
                    "userAgent": user_agent,
                    "user": caller.map(|c| c.caller.clone()),
                },
                "domainName": header(parts, "host"),
                "apiId": api_id,
            },
            "body": null,
            "isBase64Encoded": false,
        })
    }

    /// Invokes the function through the Runtime API emulator; returns the
    /// emulator's status and the function's proxy response.
    async fn invoke(&self, event: &Value, timeout: Duration) -> Result<(u16, Value), &'static str> {
        let request = Request::post(&self.invoke_url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(event.to_string())))
            .expect("an invoke request");
        let response = tokio::time::timeout(timeout, self.client.request(request))
            .await
            .map_err(|_| "timeout")?
            .map_err(|_| "invoke failed")?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|_| "invoke failed")?
            .to_bytes();
        if status != 200 {
            return Err("function error");
        }
        let proxy = serde_json::from_slice(&body).map_err(|_| "malformed proxy response")?;
        Ok((status, proxy))
    }

    fn record(&self, entry: Value) {
        let mut line = entry.to_string();
        line.push('\n');
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
        {
            let _ = file.write_all(line.as_bytes());
        }
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry);
    }
}

/// The path parameters if `path` matches the resource template.
fn matches(template: &str, path: &str) -> Option<BTreeMap<String, String>> {
    let template: Vec<&str> = template.trim_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_matches('/').split('/').collect();
    if template.len() != path.len() {
        return None;
    }
    let mut parameters = BTreeMap::new();
    for (t, p) in template.iter().zip(&path) {
        if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            if p.is_empty() {
                return None;
            }
            parameters.insert(name.to_owned(), (*p).to_owned());
        } else if t != p {
            return None;
        }
    }
    Some(parameters)
}

/// The HTTP response for a Lambda proxy response, or `None` if malformed.
fn proxy_response(proxy: &Value) -> Option<Response<Full<Bytes>>> {
    let status = StatusCode::from_u16(u16::try_from(proxy["statusCode"].as_u64()?).ok()?).ok()?;
    if proxy["isBase64Encoded"].as_bool().unwrap_or(false) {
        return None;
    }
    let body = proxy["body"].as_str().unwrap_or_default().to_owned();
    let mut response = Response::builder().status(status);
    for (name, value) in proxy["headers"].as_object().into_iter().flatten() {
        response = response.header(name, value.as_str()?);
    }
    for (name, values) in proxy["multiValueHeaders"].as_object().into_iter().flatten() {
        for value in values.as_array()? {
            response = response.header(name, value.as_str()?);
        }
    }
    response.body(Full::new(Bytes::from(body))).ok()
}

/// API Gateway's own error answer.
fn gateway_error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let error_type = match status {
        StatusCode::FORBIDDEN if message == "Missing Authentication Token" => {
            "MissingAuthenticationTokenException"
        }
        StatusCode::FORBIDDEN if message == "Forbidden" => "ForbiddenException",
        StatusCode::FORBIDDEN => "UnrecognizedClientException",
        StatusCode::GATEWAY_TIMEOUT => "IntegrationTimeoutException",
        _ => "InternalServerErrorException",
    };
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-ErrorType", error_type)
        .body(Full::new(Bytes::from(
            json!({ "message": message }).to_string(),
        )))
        .expect("an error response")
}

fn header<'a>(parts: &'a http::request::Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name)?.to_str().ok()
}

/// A random id in the shape of API Gateway's.
fn request_id() -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        fastrand::u32(..),
        fastrand::u16(..),
        fastrand::u16(..0x1000),
        fastrand::u16(0x8000..0xc000),
        fastrand::u64(..1 << 48)
    )
}

/// `x-amz-date` (`20261203T200625Z`) as a time.
fn amz_date(value: &str) -> Option<SystemTime> {
    if value.len() != 16 || !value.is_ascii() {
        return None;
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &value[0..4],
        &value[4..6],
        &value[6..8],
        &value[9..11],
        &value[11..13],
        &value[13..15]
    );
    humantime::parse_rfc3339(&rfc3339).ok()
}

/// The parts of a SigV4 `Authorization` header.
struct SignedRequest {
    access_key: String,
    region: String,
    service: String,
    headers: Vec<String>,
    signature: String,
}

impl SignedRequest {
    fn parse(header: &str) -> Option<SignedRequest> {
        let rest = header.strip_prefix("AWS4-HMAC-SHA256 ")?;
        let mut fields = HashMap::new();
        for field in rest.split(',') {
            let (name, value) = field.trim().split_once('=')?;
            fields.insert(name, value);
        }
        let mut scope = fields.get("Credential")?.split('/');
        let access_key = scope.next()?.to_owned();
        let _date = scope.next()?;
        let region = scope.next()?.to_owned();
        let service = scope.next()?.to_owned();
        Some(SignedRequest {
            access_key,
            region,
            service,
            headers: fields
                .get("SignedHeaders")?
                .split(';')
                .map(str::to_owned)
                .collect(),
            signature: fields.get("Signature")?.to_string(),
        })
    }
}
