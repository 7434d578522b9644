//! The daemon binary end to end against a mock API: what readers get, what
//! the audit says, and how every fault ends (always an empty file or a whole
//! copy, never a secret in a log).

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::{Duration, Instant};

use ratchet_daemon::render::Format;
use serde_json::Value;
use support::*;
use wiremock::matchers::{header_regex, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A mock API answering every request with `response`.
async fn api_answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

/// A mock API answering every request with `json` after `delay`.
async fn slow_api(json: &Value, delay: Duration) -> MockServer {
    api_answering(
        ResponseTemplate::new(200)
            .set_body_json(json)
            .set_delay(delay),
    )
    .await
}

/// Reads once and returns the audit event of that read.
fn read_and_audit(daemon: &Daemon) -> (Vec<u8>, Value) {
    let got = daemon.read();
    let seq = daemon.reads();
    let events = daemon.audit_events(seq as usize);
    let event = events
        .iter()
        .find(|e| e["seq"] == seq)
        .expect("an audit event for the read");
    (got, event.clone())
}

/// Each open gets exactly one whole copy, and one audit event naming the
/// outcome, the request id, the version and the reading process.
#[tokio::test(flavor = "multi_thread")]
async fn serves_one_whole_copy_per_open() {
    let json = document_json("app", &secret_vars());
    let api = api_serving(&json).await;
    let daemon = Daemon::start(&stage_url(&api), &[]);
    let payload = expected(Format::Dotenv, &json);

    for _ in 0..3 {
        assert_eq!(daemon.read(), payload);
    }
    let events = daemon.audit_events(3);
    assert_eq!(events.len(), 3);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["event"], "ratchet.open");
        assert_eq!(event["outcome"], "served");
        assert_eq!(event["seq"], i as u64 + 1);
        assert_eq!(event["bytes"], payload.len());
        assert_eq!(event["request_id"], "req-0001");
        assert_eq!(event["version"], "v-test-1");
        assert_eq!(event["profile"], "app");
        assert_eq!(event["reader"]["pid"], std::process::id());
        assert!(event["fetch_ms"].as_f64().unwrap() > 0.0);
        assert!(event["time"].as_str().unwrap().ends_with('Z'));
    }
}

/// json and shell formats carry the same variables.
#[tokio::test(flavor = "multi_thread")]
async fn serves_json_and_shell() {
    let json = document_json("app", &secret_vars());
    let api = api_serving(&json).await;
    for format in [Format::Json, Format::Shell] {
        let daemon = Daemon::start(&stage_url(&api), &["--format", &format.to_string()]);
        assert_eq!(daemon.read(), expected(format, &json));
    }
    let daemon = Daemon::start(&stage_url(&api), &["--format", "json"]);
    let parsed: Value = serde_json::from_slice(&daemon.read()).unwrap();
    assert_eq!(parsed["TLS_KEY"], SECRETS[1]);
}

/// IAM auth: requests carry a SigV4 signature for execute-api made with the
/// credentials from the AWS chain (here, the environment).
#[tokio::test(flavor = "multi_thread")]
async fn iam_auth_signs_each_request() {
    let json = document_json("app", &secret_vars());
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/prod/v1/profiles/app"))
        .and(header_regex(
            "authorization",
            &format!("^AWS4-HMAC-SHA256 Credential={IAM_KEY_ID}/\\d{{8}}/eu-west-1/execute-api/aws4_request, SignedHeaders=accept;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{{64}}$"),
        ))
        .and(header_regex("x-amz-security-token", "^test-session-token$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&json))
        .mount(&api)
        .await;
    let daemon = Daemon::start_with(
        &stage_url(&api),
        Options {
            expect_fifo: true,
            iam: true,
            ..Options::default()
        },
    );
    assert_eq!(daemon.read(), expected(Format::Dotenv, &json));
}

/// API down: the reader gets an empty file after the bounded retries, and the
/// audit says the API was unreachable.
#[tokio::test(flavor = "multi_thread")]
async fn api_down_gives_an_empty_file() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/prod", closed.local_addr().unwrap());
    drop(closed);
    let daemon = Daemon::start(&url, &["--retries", "2"]);
    let (got, event) = read_and_audit(&daemon);
    assert!(got.is_empty());
    assert_eq!(event["outcome"], "failed");
    assert_eq!(event["reason"], "api_unreachable");
    assert_eq!(event["attempts"], 3);
}

/// A slow API hits the deadline: the reader waits no longer than it.
#[tokio::test(flavor = "multi_thread")]
async fn slow_api_is_cut_at_the_deadline() {
    let json = document_json("app", &secret_vars());
    let api = slow_api(&json, Duration::from_secs(5)).await;
    let daemon = Daemon::start(
        &stage_url(&api),
        &["--request-timeout", "200ms", "--fetch-deadline", "700ms"],
    );
    let started = Instant::now();
    let (got, event) = read_and_audit(&daemon);
    let waited = started.elapsed();
    assert!(got.is_empty());
    assert_eq!(event["reason"], "api_timeout");
    assert!(waited < Duration::from_secs(2), "reader waited {waited:?}");
}

/// A 403 is final: no retry, an empty file, the status in the audit.
#[tokio::test(flavor = "multi_thread")]
async fn forbidden_is_not_retried() {
    let api =
        api_answering(ResponseTemplate::new(403).set_body_string(r#"{"message":"forbidden"}"#))
            .await;
    let daemon = Daemon::start(&stage_url(&api), &[]);
    let (got, event) = read_and_audit(&daemon);
    assert!(got.is_empty());
    assert_eq!(event["reason"], "http_403");
    assert_eq!(event["attempts"], 1);
    assert_eq!(api.received_requests().await.unwrap().len(), 1);
}

/// A 500 is retried the configured number of times, then gives an empty file.
#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried() {
    let api = api_answering(ResponseTemplate::new(500)).await;
    let daemon = Daemon::start(&stage_url(&api), &["--retries", "2"]);
    let (got, event) = read_and_audit(&daemon);
    assert!(got.is_empty());
    assert_eq!(event["reason"], "http_500");
    assert_eq!(event["attempts"], 3);
    assert_eq!(api.received_requests().await.unwrap().len(), 3);
}

/// A response over the size limit is refused whole.
#[tokio::test(flavor = "multi_thread")]
async fn oversize_answers_are_refused() {
    let json = document_of_size(5000);
    let api = api_serving(&json).await;
    let daemon = Daemon::start(&stage_url(&api), &["--max-response-bytes", "1000"]);
    let (got, event) = read_and_audit(&daemon);
    assert!(got.is_empty());
    assert_eq!(event["reason"], "response_too_large");
}

/// Malformed JSON, a wrongly typed field and another profile's document are
/// refused; the error never quotes the body.
#[tokio::test(flavor = "multi_thread")]
async fn malformed_answers_are_refused() {
    let bodies = [
        "{not json".to_string(),
        format!(
            r#"{{"profile":"app","version":"v","variables":{{"A":["{}"]}}}}"#,
            SECRETS[0]
        ),
        serde_json::to_string(&document_json("other", &secret_vars())).unwrap(),
    ];
    for body in bodies {
        let api = api_answering(ResponseTemplate::new(200).set_body_string(body)).await;
        let daemon = Daemon::start(&stage_url(&api), &[]);
        let (got, event) = read_and_audit(&daemon);
        assert!(got.is_empty());
        assert_eq!(event["reason"], "malformed_response");
    }
}

/// A variable name no loader accepts fails the whole document, by name.
#[tokio::test(flavor = "multi_thread")]
async fn invalid_names_are_refused() {
    let mut vars = secret_vars();
    vars.push(("BAD-NAME", SECRETS[0]));
    let api = api_serving(&document_json("app", &vars)).await;
    let daemon = Daemon::start(&stage_url(&api), &[]);
    let (got, event) = read_and_audit(&daemon);
    assert!(got.is_empty());
    assert_eq!(event["reason"], "render_failed");
    assert!(event["detail"].as_str().unwrap().contains("\"BAD-NAME\""));
}

/// A reader that closes early and one that never reads stall nobody: the
/// readers after them each get a whole copy, promptly.
#[tokio::test(flavor = "multi_thread")]
async fn bad_readers_stall_nobody() {
    let json = document_of_size(200_000);
    let api = api_serving(&json).await;
    let daemon = Daemon::start(&stage_url(&api), &[]);
    let payload = expected(Format::Dotenv, &json);

    // Closes after 5 bytes.
    {
        use std::io::Read;
        let mut file = std::fs::File::open(&daemon.path).unwrap();
        let mut five = [0u8; 5];
        file.read_exact(&mut five).unwrap();
    }
    // Opens and holds the FIFO without reading for two seconds. The next
    // reader starts once a fresh FIFO has replaced the one held, as it would
    // after any pause; one that opened in the same instant would share the
    // held pipe (see the stress test for those).
    let held = std::fs::metadata(&daemon.path).unwrap().ino();
    let idle = std::fs::File::open(&daemon.path).unwrap();
    let idle_until = Instant::now() + Duration::from_secs(2);
    while std::fs::metadata(&daemon.path).unwrap().ino() == held {
        std::thread::sleep(Duration::from_micros(100));
    }

    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let got = read_bounded(&daemon.path, Duration::from_secs(5)).expect("reader hung");
        slowest = slowest.max(started.elapsed());
        assert_eq!(
            classify(&got, &payload),
            Got::Exact,
            "{:#?}",
            daemon.audit()
        );
    }
    assert!(
        Instant::now() < idle_until,
        "reads were held up by the idle reader"
    );
    assert!(
        slowest < Duration::from_secs(1),
        "slowest read took {slowest:?}"
    );
    drop(idle);
}

/// Opens are served concurrently: four readers arriving one after another
/// while the API takes 400 ms each finish in about one fetch's time, not four.
#[tokio::test(flavor = "multi_thread")]
async fn slow_fetches_overlap() {
    let json = document_json("app", &secret_vars());
    let api = slow_api(&json, Duration::from_millis(400)).await;
    let daemon = Daemon::start(&stage_url(&api), &[]);
    let started = Instant::now();
    let mut readers = Vec::new();
    for _ in 0..4 {
        // Each reader opens once the previous one has its own FIFO.
        let held = std::fs::metadata(&daemon.path).unwrap().ino();
        let path = daemon.path.clone();
        readers.push(std::thread::spawn(move || std::fs::read(path).unwrap()));
        while std::fs::metadata(&daemon.path).unwrap().ino() == held {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    for reader in readers {
        assert_eq!(reader.join().unwrap(), expected(Format::Dotenv, &json));
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1200),
        "four reads took {took:?}"
    );
}

/// SIGTERM while a fetch is in flight: the read is cut when the grace period
/// ends (an empty file), the FIFO is removed, the daemon exits 0.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_cuts_reads_after_the_grace_period() {
    let json = document_json("app", &secret_vars());
    let api = slow_api(&json, Duration::from_secs(8)).await;
    let mut daemon = Daemon::start(&stage_url(&api), &["--shutdown-grace", "300ms"]);
    let path = daemon.path.clone();
    let reader = std::thread::spawn(move || std::fs::read(path).unwrap());
    while api.received_requests().await.unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    assert_eq!(daemon.stop(), Some(0));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(reader.join().unwrap().is_empty());
    assert!(!daemon.path.exists());
    let events = daemon.audit_events(1);
    assert_eq!(events[0]["outcome"], "cut");
}

/// SIGTERM during a short fetch lets that read finish whole.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_in_flight_reads_finish() {
    let json = document_json("app", &secret_vars());
    let api = slow_api(&json, Duration::from_millis(400)).await;
    let mut daemon = Daemon::start(&stage_url(&api), &["--shutdown-grace", "5s"]);
    let path = daemon.path.clone();
    let reader = std::thread::spawn(move || std::fs::read(path).unwrap());
    while api.received_requests().await.unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(daemon.stop(), Some(0));
    assert_eq!(reader.join().unwrap(), expected(Format::Dotenv, &json));
    assert!(!daemon.path.exists());
}

/// A FIFO left by an earlier run is replaced and served, and a reader
/// already waiting on it when the daemon starts is served too.
#[tokio::test(flavor = "multi_thread")]
async fn stale_fifo_is_replaced_and_its_reader_served() {
    let json = document_json("app", &secret_vars());
    let api = api_serving(&json).await;
    let early = std::sync::Arc::new(std::sync::Mutex::new(None));
    let early_reader = early.clone();
    let daemon = Daemon::start_with(
        &stage_url(&api),
        Options {
            expect_fifo: true,
            prepare: Some(Box::new(move |dir| {
                let stale = dir.join(".env");
                let mode = nix::sys::stat::Mode::from_bits_truncate(0o644);
                nix::unistd::mkfifo(&stale, mode).unwrap();
                let (tid_tx, tid_rx) = std::sync::mpsc::channel();
                let reader = std::thread::spawn(move || {
                    tid_tx.send(nix::unistd::gettid()).unwrap();
                    std::fs::read(stale).unwrap()
                });
                // Start the daemon only once the reader waits in `open`.
                let wchan = format!("/proc/self/task/{}/wchan", tid_rx.recv().unwrap());
                while std::fs::read_to_string(&wchan).unwrap() != "wait_for_partner" {
                    std::thread::sleep(Duration::from_millis(1));
                }
                *early_reader.lock().unwrap() = Some(reader);
            })),
            ..Options::default()
        },
    );
    let payload = expected(Format::Dotenv, &json);
    let early = early.lock().unwrap().take().unwrap();
    assert_eq!(early.join().unwrap(), payload);
    assert_eq!(daemon.read(), payload);
}

/// A regular file or a symbolic link at the path stops the daemon with a
/// clear error, and is left exactly as it was.
#[tokio::test(flavor = "multi_thread")]
async fn refuses_to_replace_files_and_links() {
    let api = api_serving(&document_json("app", &secret_vars())).await;

    // A regular file: refused, content intact.
    let daemon = refused_start(&api, |dir| {
        std::fs::write(dir.join(".env"), "KEEP=me\n").unwrap()
    });
    assert!(
        daemon.stderr().contains("is a regular file"),
        "{}",
        daemon.stderr()
    );
    assert_eq!(std::fs::read_to_string(&daemon.path).unwrap(), "KEEP=me\n");

    // A symbolic link: refused, neither the link nor its target touched.
    let daemon = refused_start(&api, |dir| {
        std::fs::write(dir.join("target"), "TARGET=1\n").unwrap();
        std::os::unix::fs::symlink(dir.join("target"), dir.join(".env")).unwrap();
    });
    assert!(
        daemon.stderr().contains("is a symbolic link"),
        "{}",
        daemon.stderr()
    );
    let meta = std::fs::symlink_metadata(&daemon.path).unwrap();
    assert!(meta.file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&daemon.path).unwrap(), "TARGET=1\n");
}

/// Starts a daemon on a directory set up by `prepare` and expects it to exit 1.
fn refused_start(api: &MockServer, prepare: fn(&std::path::Path)) -> Daemon {
    let mut daemon = Daemon::start_with(
        &stage_url(api),
        Options {
            prepare: Some(Box::new(prepare)),
            ..Options::default()
        },
    );
    assert_eq!(daemon.wait_exit(Duration::from_secs(10)), Some(1));
    daemon
}

/// After --max-reads opens the FIFO is removed and the daemon exits 0.
#[tokio::test(flavor = "multi_thread")]
async fn max_reads_removes_the_fifo() {
    let json = document_json("app", &secret_vars());
    let api = api_serving(&json).await;
    let mut daemon = Daemon::start(&stage_url(&api), &["--max-reads", "2"]);
    assert_eq!(daemon.read(), expected(Format::Dotenv, &json));
    assert_eq!(daemon.read(), expected(Format::Dotenv, &json));
    assert_eq!(daemon.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(!daemon.path.exists());
}

/// With the last-good copy enabled, a 503 is served from memory and flagged;
/// a 403 never is.
#[tokio::test(flavor = "multi_thread")]
async fn last_good_copy_covers_outages_not_refusals() {
    let json = document_json("app", &secret_vars());
    let api = api_serving(&json).await;
    let daemon = Daemon::start(
        &stage_url(&api),
        &["--cache-max-age", "60s", "--retries", "0"],
    );
    let payload = expected(Format::Dotenv, &json);
    assert_eq!(daemon.read(), payload);

    api.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&api)
        .await;
    let (got, event) = read_and_audit(&daemon);
    assert_eq!(got, payload);
    assert_eq!(event["outcome"], "served");
    assert_eq!(event["cached"]["fetch_error"], "http_503");
    assert!(event["cached"]["age_s"].as_f64().unwrap() < 60.0);

    api.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&api)
        .await;
    let (got, event) = read_and_audit(&daemon);
    assert!(got.is_empty());
    assert_eq!(event["reason"], "http_403");
}

/// The FIFO gets the configured mode and owner.
#[tokio::test(flavor = "multi_thread")]
async fn fifo_has_the_configured_mode_and_owner() {
    let api = api_serving(&document_json("app", &secret_vars())).await;
    let root = nix::unistd::geteuid().is_root();
    let (uid, gid) = if root {
        (4321, 4321)
    } else {
        (
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        )
    };
    let owner = format!("{uid}:{gid}");
    let daemon = Daemon::start(&stage_url(&api), &["--mode", "0604", "--owner", &owner]);
    let meta = std::fs::symlink_metadata(&daemon.path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o604);
    assert_eq!((meta.uid(), meta.gid()), (uid, gid));
}

/// `health` passes while the FIFO is served and fails after; `fetch` prints
/// one rendered document.
#[tokio::test(flavor = "multi_thread")]
async fn health_and_fetch_subcommands() {
    let json = document_json("app", &secret_vars());
    let api = api_serving(&json).await;
    let mut daemon = Daemon::start(&stage_url(&api), &[]);
    let health = |path: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ratchet"))
            .arg("health")
            .arg("--path")
            .arg(path)
            .output()
            .unwrap()
    };
    assert!(health(&daemon.path).status.success());
    assert_eq!(daemon.stop(), Some(0));
    let after = health(&daemon.path);
    assert!(!after.status.success());
    assert!(String::from_utf8_lossy(&after.stderr).contains(".env"));

    let fetched = std::process::Command::new(env!("CARGO_BIN_EXE_ratchet"))
        .args([
            "fetch",
            "--api-url",
            &stage_url(&api),
            "--profile",
            "app",
            "--auth",
            "api-key",
            "--format",
            "json",
        ])
        .env("RATCHET_API_KEY", API_KEY)
        .output()
        .unwrap();
    assert!(fetched.status.success());
    assert_eq!(fetched.stdout, expected(Format::Json, &json));
}

/// Plain http to a remote host is refused at start, naming the flag that
/// would allow it.
#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_remote_hosts_is_refused() {
    let mut daemon = Daemon::start_with("http://api.example.com/prod", Options::default());
    assert_eq!(daemon.wait_exit(Duration::from_secs(10)), Some(1));
    assert!(daemon.stderr().contains("RATCHET_INSECURE_PLAINTEXT_HTTP"));
    assert!(!daemon.path.exists());
}
