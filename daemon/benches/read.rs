//! Read latency, throughput and memory of the daemon against a loopback API.
//!
//! In one run: a minimal HTTP server on 127.0.0.1 serves a document; the
//! baseline is a bare GET of it (reqwest, kept-alive connection), the
//! measurement is a read of the FIFO from open to end of file through the
//! real `ratchet` binary fetching from the same server. Latencies are
//! reported as p50/p99 and as a ratio to the baseline; sequential reads per
//! second; the daemon's resident memory when idle and at its peak. Two more
//! measurements bound what any FIFO server could reach in the same run: a
//! bare thread handing readers a payload it already holds, and the same
//! thread making the GET first. Last, the daemon's `/proc` scan for readers
//! is timed by itself, with the number of descriptors in view, since its
//! cost grows with them.
//!
//!     cargo bench -p ratchet-daemon --bench read                 # 5,000 reads
//!     cargo bench -p ratchet-daemon --bench read -- --quick      # 1,000 reads
//!     cargo bench -p ratchet-daemon --bench read -- --delay-ms 5 # a slower API
//!
//! `--delay-ms` makes the API answer after a pause, standing in for the time
//! API Gateway and the function take; without it the API answers at once,
//! which exposes the daemon's own overhead. `RATCHET_BENCH_DAEMON` names the
//! binary to measure (default: this build's `ratchet`; the test command
//! passes the image's, built with the `sidecar` profile). `RATCHET_BENCH_ARGS`
//! adds options to `ratchet serve` (e.g. `--reader-scan off`).
//! `RATCHET_BENCH_AUDIT` names a file for the daemon's audit events.
//!
//! The daemon scans /proc for readers on every open; with many processes in
//! view that scan costs more, so run it in a PID namespace of its own, as in
//! a task: `unshare --pid --fork --mount-proc <bench binary> --quick`.

use std::convert::Infallible;
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

const TARGET_RATIO: f64 = 1.15;
const TARGET_READS_PER_S: f64 = 2000.0;
const TARGET_IDLE_RSS_MIB: f64 = 5.0;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let delay = args
        .iter()
        .position(|a| a == "--delay-ms")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or_default();
    let reads = match (quick, delay.is_zero()) {
        (true, true) => 1_000,
        (false, true) => 5_000,
        (true, false) => 100,
        (false, false) => 500,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let body = document();
    let addr = runtime.block_on(serve_api(body.clone(), delay));
    let url = format!("http://{addr}/prod");
    let (procs, _) = in_view();
    let daemon_binary = std::env::var("RATCHET_BENCH_DAEMON")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ratchet").to_owned());
    println!(
        "ratchet read benchmark: {reads} reads, {} B document, API delay {} ms, {procs} processes in view\n  daemon {daemon_binary}",
        body.len(),
        delay.as_millis()
    );

    // Baseline: the same GET the daemon makes, from a kept-alive client.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let get_url = format!("{url}/v1/profiles/app");
    let baseline = runtime.block_on(async {
        let mut samples = Vec::with_capacity(reads);
        for _ in 0..reads / 10 {
            client
                .get(&get_url)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
        }
        for _ in 0..reads {
            let started = Instant::now();
            let got = client
                .get(&get_url)
                .header("x-api-key", "bench")
                .send()
                .await
                .unwrap();
            got.bytes().await.unwrap();
            samples.push(started.elapsed());
        }
        samples
    });

    // The least any FIFO server can cost, measured the same way: a thread
    // that waits for the open, puts a fresh FIFO in place and writes what it
    // has; once with the payload in hand, once fetching it first.
    let dir = tempfile::tempdir().unwrap();
    let fixed = Bytes::from(vec![b'x'; 700]);
    let mut from_memory = handoff(dir.path(), reads, move || fixed.clone());
    let handle = runtime.handle().clone();
    let mut get_and_handoff = handoff(dir.path(), reads, move || {
        handle.block_on(async {
            let got = client.get(&get_url).header("x-api-key", "bench").send();
            got.await.unwrap().bytes().await.unwrap()
        })
    });

    // The daemon, and sequential readers from open to end of file.
    let path = dir.path().join(".env");
    let mut daemon = start_daemon(&daemon_binary, &url, &path);
    std::thread::sleep(Duration::from_millis(300));
    let idle_rss = rss_kib(&daemon, "VmRSS");

    let (mut samples, elapsed) = timed_reads(&path, reads, "the daemon (see its audit)");
    let peak_rss = rss_kib(&daemon, "VmHWM");
    daemon.kill().unwrap();
    daemon.wait().unwrap();

    let (base50, base99) = percentiles(&mut baseline.clone());
    let (hand50, hand99) = percentiles(&mut from_memory);
    let (least50, least99) = percentiles(&mut get_and_handoff);
    let (read50, read99) = percentiles(&mut samples);
    let ratio50 = read50.as_secs_f64() / base50.as_secs_f64();
    let ratio99 = read99.as_secs_f64() / base99.as_secs_f64();
    let rate = reads as f64 / elapsed.as_secs_f64();
    let idle_mib = idle_rss as f64 / 1024.0;
    println!(
        "bare GET      p50 {:>8.1} us   p99 {:>8.1} us",
        us(base50),
        us(base99)
    );
    println!(
        "FIFO handoff  p50 {:>8.1} us   p99 {:>8.1} us   (a FIFO served from memory, no fetch)",
        us(hand50),
        us(hand99)
    );
    println!(
        "GET + handoff p50 {:>8.1} us   p99 {:>8.1} us   ratio p50 {:.2}, p99 {:.2}: the least a fetch per open costs",
        us(least50),
        us(least99),
        least50.as_secs_f64() / base50.as_secs_f64(),
        least99.as_secs_f64() / base99.as_secs_f64()
    );
    println!(
        "FIFO read     p50 {:>8.1} us   p99 {:>8.1} us   (the daemon; {:+.1} us at p50 over GET + handoff)",
        us(read50),
        us(read99),
        us(read50) - us(least50)
    );
    println!(
        "ratio         p50 {ratio50:>8.2}      p99 {ratio99:>8.2}      (target <= {TARGET_RATIO}) {}",
        verdict(ratio50 <= TARGET_RATIO && ratio99 <= TARGET_RATIO)
    );
    // A slow API bounds the rate, so the target applies to the fast one.
    let rate_verdict = if delay.is_zero() {
        verdict(rate >= TARGET_READS_PER_S)
    } else {
        "not applicable: bound by the API's delay"
    };
    println!(
        "sequential    {rate:>8.0} reads/s                    (target >= {TARGET_READS_PER_S}) {rate_verdict}"
    );
    println!(
        "daemon RSS    idle {idle_mib:.2} MiB, peak {:.2} MiB        (target idle <= {TARGET_IDLE_RSS_MIB} MiB) {}",
        peak_rss as f64 / 1024.0,
        verdict(idle_mib <= TARGET_IDLE_RSS_MIB)
    );

    // The reader scan by itself, against a process holding more and more
    // descriptors: its cost grows with the descriptors in view.
    for held in [10, 100, 1000] {
        let mut holder = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "for i in $(seq {held}); do exec {{fd}}</dev/null; done; exec sleep 60"
            ))
            .spawn()
            .unwrap();
        let fd_dir = format!("/proc/{}/fd", holder.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_dir(&fd_dir).map_or(0, |d| d.count()) < held {
            assert!(
                Instant::now() < deadline,
                "the descriptor holder did not start"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let (processes, descriptors) = in_view();
        let scans = 100;
        let t = Instant::now();
        for _ in 0..scans {
            std::hint::black_box(ratchet_daemon::readers::holders(0, 0));
        }
        let per = t.elapsed() / scans;
        holder.kill().unwrap();
        holder.wait().unwrap();
        println!(
            "reader scan   {:>8.1} us per open, {descriptors} descriptors in {processes} processes in view",
            us(per)
        );
    }
}

/// Processes in view in /proc, and the descriptors they hold.
fn in_view() -> (usize, usize) {
    let pids: Vec<_> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .collect();
    let descriptors = pids
        .iter()
        .filter_map(|e| std::fs::read_dir(e.path().join("fd")).ok())
        .map(|fds| fds.count())
        .sum();
    (pids.len(), descriptors)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT MET" }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    (at(0.50), at(0.99))
}

/// A document of 20 variables, like a typical service's.
fn document() -> Bytes {
    let variables: serde_json::Map<String, serde_json::Value> = (0..20)
        .map(|i| {
            (
                format!("VAR_{i:02}"),
                format!("value-{i:02}-0123456789abcdef").into(),
            )
        })
        .collect();
    let doc = serde_json::json!({"profile": "app", "version": "bench", "variables": variables});
    Bytes::from(serde_json::to_vec(&doc).unwrap())
}

/// Serves `body` to every request after `delay`, HTTP/1.1 with keep-alive.
async fn serve_api(body: Bytes, delay: Duration) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            let body = body.clone();
            tokio::spawn(async move {
                let service = service_fn(move |_request| {
                    let response = hyper::Response::builder()
                        .header("content-type", "application/json")
                        .header("x-amzn-RequestId", "bench")
                        .body(Full::new(body.clone()))
                        .unwrap();
                    async move {
                        if !delay.is_zero() {
                            tokio::time::sleep(delay).await;
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn start_daemon(binary: &str, url: &str, path: &Path) -> Child {
    let child = Command::new(binary)
        .args([
            "serve",
            "--api-url",
            url,
            "--profile",
            "app",
            "--auth",
            "api-key",
        ])
        .args(
            std::env::var("RATCHET_BENCH_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .arg("--path")
        .arg(path)
        .env("RATCHET_API_KEY", "bench")
        .stdout(match std::env::var_os("RATCHET_BENCH_AUDIT") {
            Some(file) => Stdio::from(std::fs::File::create(file).unwrap()),
            None => Stdio::null(),
        })
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        assert!(Instant::now() < deadline, "the daemon did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

/// Reads `path` [`with_warm_up`] times, each from open to end of file;
/// returns the time of each of the last `reads`, and those reads' total.
/// Every read must bring something from `server`.
fn timed_reads(path: &Path, reads: usize, server: &str) -> (Vec<Duration>, Duration) {
    let mut samples = Vec::with_capacity(reads);
    let mut started = Instant::now();
    for i in 0..with_warm_up(reads) {
        if i == reads / 10 {
            started = Instant::now();
        }
        let t = Instant::now();
        let n = read_fifo(path);
        if i >= reads / 10 {
            samples.push(t.elapsed());
        }
        assert!(n > 0, "a read served by {server} came back empty");
    }
    (samples, started.elapsed())
}

/// Reads made for `reads` measured ones: a tenth more, to warm up first.
fn with_warm_up(reads: usize) -> usize {
    reads + reads / 10
}

fn read_fifo(path: &Path) -> usize {
    let mut buf = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .unwrap()
        .read_to_end(&mut buf)
        .unwrap();
    buf.len()
}

/// Serves `reads` opens of a FIFO in `dir` from a plain thread, the way the
/// daemon does at its simplest: wait for the open, rename a fresh FIFO over
/// the path, write what `payload` returns, close. Returns each read's time
/// from open to end of file.
fn handoff(
    dir: &Path,
    reads: usize,
    mut payload: impl FnMut() -> Bytes + Send + 'static,
) -> Vec<Duration> {
    use std::io::Write;
    let path = dir.join("handoff");
    let fresh = dir.join("handoff.next");
    let mode = nix::sys::stat::Mode::from_bits_truncate(0o600);
    nix::unistd::mkfifo(&path, mode).unwrap();
    let total = with_warm_up(reads);
    let server = {
        let path = path.clone();
        std::thread::spawn(move || {
            for _ in 0..total {
                nix::unistd::mkfifo(&fresh, mode).unwrap();
                let mut writer = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                std::fs::rename(&fresh, &path).unwrap();
                writer.write_all(&payload()).unwrap();
            }
        })
    };
    let (samples, _) = timed_reads(&path, reads, "the handoff thread");
    server.join().unwrap();
    std::fs::remove_file(&path).unwrap();
    samples
}

fn rss_kib(child: &Child, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim_start_matches(':')
                .trim()
                .strip_suffix(" kB")?
                .parse()
                .ok()
        })
        .unwrap()
}
