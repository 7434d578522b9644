//! Figures for the function, printed rather than asserted:
//! - cold init of the real `bootstrap` binary, from exec until it first asks
//!   a stand-in Runtime API for an invocation;
//! - warm handler time without KMS (p50, p99) for 1, 10 and 50 variables;
//! - KMS calls per read;
//! - the deployment zip's size.
//!
//! `cargo bench -p ratchet-function --bench function [-- --quick] [--zip PATH]
//! [--bootstrap PATH]`: `--quick` takes fewer samples, `--zip` names the zip
//! to weigh, `--bootstrap` another binary to start (e.g. the one in the zip).

// The integration tests' fixture events; the benchmark uses one of them.
#[path = "../tests/support/events.rs"]
#[allow(dead_code)]
mod events;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ratchet_function::config::Config;
use ratchet_function::handler::Function;
use ratchet_function::kms::{CountingKms, Kms, MemoryKms};
use ratchet_function::seal::seal;
use ratchet_function::{ProfileName, Variables};

const ACCESS: &str = r#"{"app": {"principals": ["arn:aws:iam::123456789012:role/app-task"]}}"#;

/// The targets each figure is compared with.
const INIT_TARGET_MS: f64 = 50.0;
const WARM_TARGET_MS: f64 = 1.0;
const ZIP_TARGET_BYTES: u64 = 5 * 1024 * 1024;

struct Options {
    quick: bool,
    zip: PathBuf,
    bootstrap: PathBuf,
}

fn options() -> Options {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        quick: false,
        zip: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../target/lambda/bootstrap/bootstrap.zip"),
        bootstrap: PathBuf::from(env!("CARGO_BIN_EXE_bootstrap")),
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--zip" => options.zip = args.next().expect("--zip needs a path").into(),
            "--bootstrap" => {
                options.bootstrap = args.next().expect("--bootstrap needs a path").into();
            }
            // `cargo bench` passes `--bench`; other harness flags are ignored.
            _ => {}
        }
    }
    options
}

fn main() {
    let options = options();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a runtime");
    let (init_runs, warm_reads) = if options.quick { (5, 300) } else { (30, 5000) };

    println!(
        "ratchet-function benchmark ({})",
        if options.quick { "quick" } else { "full" }
    );
    let sealed = runtime.block_on(sealed_profile(&MemoryKms::new(), 10));
    let mut init: Vec<_> = (0..init_runs)
        .map(|_| cold_init(&options.bootstrap, &sealed))
        .collect();
    report(
        "cold init (exec to first /next)",
        &percentiles(&mut init),
        INIT_TARGET_MS,
    );
    println!("    binary: {}", options.bootstrap.display());

    for count in [1, 10, 50] {
        let (warm, calls) = runtime.block_on(warm_handler(count, warm_reads));
        report(
            &format!("warm handler, {count:>2} variables"),
            &warm,
            WARM_TARGET_MS,
        );
        let verdict = if calls == 1.0 { "ok" } else { "MISSED" };
        println!("  KMS calls per read, {count:>2} variables: {calls} (target 1) {verdict}");
    }

    match std::fs::metadata(&options.zip) {
        Ok(meta) => {
            let verdict = if meta.len() <= ZIP_TARGET_BYTES {
                "ok"
            } else {
                "MISSED"
            };
            println!(
                "  zip size: {:.2} MB, {} bytes (target <= 5 MB) {verdict}  [{}]",
                meta.len() as f64 / 1_048_576.0,
                meta.len(),
                options.zip.display()
            );
        }
        Err(_) => println!(
            "  zip size: not built at {}; run scripts/build-function.sh or pass --zip PATH",
            options.zip.display()
        ),
    }
}

/// A sealed profile of `count` variables of realistic sizes.
async fn sealed_profile(kms: &impl Kms, count: usize) -> String {
    let json = serde_json::Value::Object(
        (0..count)
            .map(|i| {
                (
                    format!("SECRET_{i:02}"),
                    format!("value-{i:02}-{}", "x".repeat(24)).into(),
                )
            })
            .collect(),
    );
    let variables = Variables::from_json(json.to_string().as_bytes()).unwrap();
    let profile = ProfileName::parse("app").unwrap();
    seal(kms, "alias/ratchet", &profile, &variables)
        .await
        .unwrap()
}

/// Milliseconds from spawning the release `bootstrap` until its first
/// `GET .../runtime/invocation/next` reaches a stand-in Runtime API.
fn cold_init(bootstrap: &Path, sealed: &str) -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let mut child = Command::new(bootstrap)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "ratchet")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("RATCHET_ACCESS", ACCESS)
        .env("RATCHET_PROFILE_APP", sealed)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bootstrap");

    let (stream, _) = listener.accept().expect("bootstrap connects");
    let mut request_line = String::new();
    BufReader::new(&stream)
        .read_line(&mut request_line)
        .expect("read the request line");
    let elapsed = started.elapsed();
    assert!(
        request_line.contains("/runtime/invocation/next"),
        "{request_line}"
    );
    let _ = (&stream).write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n");
    let _ = child.kill();
    let _ = child.wait();
    millis(elapsed)
}

/// Handler time minus KMS time per read, and KMS calls per read, for a
/// profile of `count` variables.
async fn warm_handler(count: usize, reads: usize) -> (Vec<f64>, f64) {
    let kms = CountingKms::new(MemoryKms::new());
    let sealed = sealed_profile(&kms, count).await;
    let vars = [
        ("RATCHET_ACCESS".to_owned(), ACCESS.to_owned()),
        ("RATCHET_PROFILE_APP".to_owned(), sealed),
    ];
    let function = Function::new(Config::from_vars(vars).unwrap(), kms);
    let event = events::event_json(events::IAM, "GET", "/v1/profiles/app");

    let mut times = Vec::with_capacity(reads);
    for _ in 0..reads {
        // The event is parsed inside the timing, as lambda_http does per
        // invocation; the audit line is rendered but not printed.
        let started = Instant::now();
        let request = lambda_http::request::from_str(&event).unwrap();
        let (response, mut audit) = function.handle(&request).await;
        let line = audit.finish();
        let elapsed = started.elapsed();
        assert_eq!(response.status(), 200);
        std::hint::black_box(line);
        times.push(millis(elapsed) - audit.kms_ms);
    }
    let calls = function.kms().decrypt_calls() as f64 / reads as f64;
    (percentiles(&mut times), calls)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// p50 and p99 (and the sample) of `samples`, sorted in place.
fn percentiles(samples: &mut [f64]) -> Vec<f64> {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    vec![at(0.5), at(0.99), samples.len() as f64]
}

fn report(name: &str, figures: &[f64], target_ms: f64) {
    let (p50, p99, n) = (figures[0], figures[1], figures[2]);
    let verdict = if p99 <= target_ms { "ok" } else { "MISSED" };
    println!(
        "  {name}: p50 {p50:.3} ms, p99 {p99:.3} ms over {n} runs (target <= {target_ms} ms) {verdict}"
    );
}
