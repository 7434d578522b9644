//! Rotation: new values sealed and deployed by the same hook, the function
//! restarted with the environment LocalStack now holds; the next read gets
//! the new values, and no read ever mixes two generations.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::chain::Chain;
use crate::support::profiles::{self, Profile};
use crate::support::stack::Stack;
use crate::support::tools::wait_until;

/// What one read held.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Read {
    /// Exactly the variables of one generation.
    Whole(String),
    /// Anything else: empty, partial, or values of two generations.
    Broken(String),
}

/// Sorts what a reader got into a generation, or broken.
fn classify(got: &[u8], generations: &[&Profile; 2], tags: [&str; 2]) -> Read {
    let parsed: Option<BTreeMap<String, String>> = serde_json::from_slice(got).ok();
    for (profile, tag) in generations.iter().zip(tags) {
        if parsed.as_ref() == Some(&profile.variables) {
            return Read::Whole(tag.to_owned());
        }
    }
    let seen: Vec<&str> = tags
        .iter()
        .copied()
        .filter(|tag| String::from_utf8_lossy(got).contains(tag))
        .collect();
    Read::Broken(format!("{} bytes holding {seen:?}", got.len()))
}

/// A reader reads every 20 ms through the rotation: generation 1 until the
/// function restarts (a new sealed value in LocalStack changes nothing for
/// a running function), generation 2 from the first read after it; never
/// an empty, partial or mixed read, never back to generation 1.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn rotation_switches_whole_profiles() {
    let first = profiles::generation("rotating", "gen-one");
    let second = profiles::generation("rotating", "gen-two");
    let stack = Stack::deploy("rotation", &profiles::readers(&[&first]), &[&first]);
    let chain = Chain::start(&stack);
    let daemon = chain.daemon("key", "rotating", &chain.key("app"), "json");
    let tags = ["gen-one", "gen-two"];

    // The reader loop. Lambda lets an execution environment finish its
    // request before replacing it; the lock does the same for the restart.
    let reads = Arc::new(Mutex::new(Vec::new()));
    let in_flight = Arc::new(Mutex::new(()));
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (reads, in_flight, stop) = (reads.clone(), in_flight.clone(), stop.clone());
        let (path, generations) = (daemon.path.clone(), [first.clone(), second.clone()]);
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let guard = in_flight.lock().unwrap_or_else(|e| e.into_inner());
                let got = std::fs::read(&path).expect("read the FIFO");
                drop(guard);
                let read = classify(&got, &[&generations[0], &generations[1]], tags);
                reads.lock().unwrap_or_else(|e| e.into_inner()).push(read);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let count = |tag: &str| {
        let reads = reads.lock().unwrap_or_else(|e| e.into_inner());
        reads
            .iter()
            .filter(|r| **r == Read::Whole(tag.into()))
            .count()
    };
    let total = || reads.lock().unwrap_or_else(|e| e.into_inner()).len();

    assert!(
        wait_until(Duration::from_secs(30), || count(tags[0]) >= 3),
        "no reads of generation 1"
    );
    let version_one = stack.version("rotating");
    stack.reseal(&[&second]);
    let version_two = stack.version("rotating");
    assert_ne!(version_one, version_two, "the reseal made a new version");
    let before_restart = total();
    assert!(wait_until(Duration::from_secs(30), || total() >= before_restart + 3));
    {
        let _quiet = in_flight.lock().unwrap_or_else(|e| e.into_inner());
        chain.restart_function();
    }
    let restarted_at = total();
    assert!(
        wait_until(Duration::from_secs(30), || count(tags[1]) >= 3),
        "no reads of generation 2"
    );
    stop.store(true, Ordering::SeqCst);
    reader.join().expect("the reader loop");

    let reads = reads.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let broken: Vec<&Read> = reads
        .iter()
        .filter(|r| matches!(r, Read::Broken(_)))
        .collect();
    assert!(broken.is_empty(), "broken reads: {broken:?}");
    let (before, after) = reads.split_at(restarted_at);
    assert!(
        before.iter().all(|r| *r == Read::Whole(tags[0].into())),
        "{before:?}"
    );
    assert!(
        after.iter().all(|r| *r == Read::Whole(tags[1].into())),
        "{after:?}"
    );

    // The audit shows the same switch, by version.
    let events = daemon.audit_events(reads.len());
    let versions: Vec<&str> = events
        .iter()
        .filter_map(|e| e["version"].as_str())
        .collect();
    assert_eq!(versions.len(), reads.len(), "one served event per read");
    let switch = versions
        .iter()
        .position(|v| *v == version_two)
        .expect("a read of the new version");
    assert!(
        versions[..switch].iter().all(|v| *v == version_one),
        "{versions:?}"
    );
    assert!(
        versions[switch..].iter().all(|v| *v == version_two),
        "{versions:?}"
    );
    chain.finish();
}
