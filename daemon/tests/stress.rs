//! The pipe protocol under load, with counts.
//!
//! Sequential readers (each reads to end of file before the next opens) must
//! each get exactly one whole copy. Simultaneous readers must all finish
//! within a bound and never get a duplicated payload; with the reader scan
//! on (the default), never a partial one either: opens that shared a pipe
//! get an empty file. With the scan off (what a daemon that cannot see the
//! readers' processes does), shared pipes are not detected and the counts
//! show what that costs; they are reported, and only hangs and duplicates
//! fail the test.
//!
//! The default is a short run for CI. `RATCHET_STRESS=full` runs the full
//! counts (10,000 sequential reads per payload size, 200 rounds of each
//! simultaneous size); run it with `--release --nocapture` to see the table.

mod support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use ratchet_daemon::render::Format;
use support::*;

/// How long any reader may take, open to end of file, before it counts as
/// hung: the fetch (well under a second here) plus the last sweep probe (2 s)
/// with room to spare.
const BOUND: Duration = Duration::from_secs(5);

struct Scale {
    sequential: usize,
    rounds: usize,
}

fn scale() -> Scale {
    if std::env::var("RATCHET_STRESS").as_deref() == Ok("full") {
        Scale {
            sequential: 10_000,
            rounds: 200,
        }
    } else {
        Scale {
            sequential: 300,
            rounds: 15,
        }
    }
}

/// Sequential readers of 100 B, 4 KB and 200 KB payloads each get exactly
/// one whole copy.
#[tokio::test(flavor = "multi_thread")]
async fn sequential_readers_each_get_one_copy() {
    let scale = scale();
    for size in [100, 4_000, 200_000] {
        let json = document_of_size(size);
        let api = api_serving(&json).await;
        let daemon = Daemon::start(&stage_url(&api), &[]);
        let payload = expected(Format::Dotenv, &json);

        let started = Instant::now();
        let mut tally = Tally::default();
        for _ in 0..scale.sequential {
            match read_bounded(&daemon.path, BOUND) {
                Some(got) => tally.add(classify(&got, &payload)),
                None => tally.add(Got::Hung),
            }
        }
        let rate = scale.sequential as f64 / started.elapsed().as_secs_f64();
        println!("sequential, {size:>6} B: {tally} ({rate:.0} reads/s)");
        assert_eq!(tally.count(Got::Exact), scale.sequential, "{tally}");
        let served = daemon.audit_events(scale.sequential);
        assert!(served.iter().all(|e| e["outcome"] == "served"));
    }
}

/// Readers that start together (2, 4 and 16 at once, many rounds) all finish
/// within the bound; none gets a duplicate, and with the reader scan on none
/// gets a partial payload. Collisions are audited.
#[tokio::test(flavor = "multi_thread")]
async fn simultaneous_readers_never_hang_or_split() {
    let scale = scale();
    for scan in ["on", "off"] {
        for size in [100, 200_000] {
            let json = document_of_size(size);
            let api = api_serving(&json).await;
            let mut daemon = Daemon::start(&stage_url(&api), &["--reader-scan", scan]);
            let payload = Arc::new(expected(Format::Dotenv, &json));
            for at_once in [2, 4, 16] {
                let tally = rounds(&daemon, &payload, at_once, scale.rounds);
                println!("simultaneous x{at_once:<2}, {size:>6} B, scan {scan:>3}: {tally}");
                assert_eq!(tally.count(Got::Hung), 0, "{tally}");
                assert_eq!(tally.count(Got::Duplicated), 0, "{tally}");
                if scan == "on" {
                    assert_eq!(tally.count(Got::Partial), 0, "{tally}");
                }
            }
            assert_eq!(daemon.stop(), Some(0));
            let events = daemon.audit();
            let collisions = events
                .iter()
                .filter(|e| e["outcome"] == "collision")
                .count();
            if scan == "on" {
                // Every collision names the readers that shared the pipe.
                for event in events.iter().filter(|e| e["outcome"] == "collision") {
                    assert!(event["readers"].as_array().unwrap().len() >= 2);
                }
            } else {
                assert_eq!(collisions, 0, "without the scan no collision can be seen");
            }
            println!("    audit: {} opens, {collisions} collisions", events.len());
        }
    }
}

/// Runs `rounds` rounds of `at_once` readers released together.
fn rounds(daemon: &Daemon, payload: &Arc<Vec<u8>>, at_once: usize, rounds: usize) -> Tally {
    let mut tally = Tally::default();
    for _ in 0..rounds {
        let barrier = Arc::new(Barrier::new(at_once));
        let (tx, rx) = std::sync::mpsc::channel();
        for _ in 0..at_once {
            let (barrier, tx, path) = (barrier.clone(), tx.clone(), daemon.path.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let _ = tx.send(std::fs::read(path).unwrap_or_default());
            });
        }
        let deadline = Instant::now() + BOUND;
        for _ in 0..at_once {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(got) => tally.add(classify(&got, payload)),
                Err(_) => tally.add(Got::Hung),
            }
        }
    }
    tally
}
