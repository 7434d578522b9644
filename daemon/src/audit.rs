//! The audit trail: one JSON line on stdout per open of the FIFO.
//!
//! The schema is stable; fields are added, never renamed. An event names
//! the path, profile, outcome, sizes, timings, the API's request id and the
//! reader, and never a value. Diagnostics go to stderr through `tracing`, so
//! stdout carries audit events only.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::readers::Reader;

/// What the reader of one open got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// One whole copy of the payload, then end of file.
    Served,
    /// Nothing (an empty file): the fetch or render failed; `reason` says why.
    Failed,
    /// Nothing: several opens shared one pipe, so no copy could be whole for
    /// each; `readers` lists them.
    Collision,
    /// The reader closed before the payload was written.
    ReaderGone,
    /// The daemon was stopping and cut the read short: an empty file.
    Cut,
}

/// Who had the FIFO open, or `"unknown"` when the daemon cannot see.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ReaderField {
    /// The reading process.
    Known(Reader),
    /// Not visible (no shared PID namespace, or no permission).
    Unknown(&'static str),
}

/// Served from the in-memory last-good copy because the API failed.
#[derive(Debug, Serialize)]
pub struct CacheUse {
    /// Age of the copy, in seconds.
    pub age_s: f64,
    /// Why the fresh fetch failed.
    pub fetch_error: String,
}

/// One audit event, for one open of the FIFO.
#[derive(Debug, Serialize)]
pub struct OpenEvent {
    /// Always `ratchet.open`.
    pub event: &'static str,
    /// When the event was written, RFC 3339 in UTC.
    pub time: String,
    /// Path of the FIFO.
    pub path: String,
    /// Profile served.
    pub profile: String,
    /// Number of this open since the daemon started, from 1.
    pub seq: u64,
    /// What the reader got.
    pub outcome: Outcome,
    /// Why the reader got nothing, for `failed`: a stable label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The same, in words, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Bytes written into the pipe.
    pub bytes: usize,
    /// Time spent fetching, in milliseconds.
    pub fetch_ms: Option<f64>,
    /// HTTP attempts made.
    pub attempts: u32,
    /// Time from the open to the close of the write end, in milliseconds.
    pub total_ms: f64,
    /// The API's request id (`x-amzn-RequestId`), to join with the function's log.
    pub request_id: Option<String>,
    /// The sealed value's version as the API reported it.
    pub version: Option<String>,
    /// Set when the payload came from the last-good copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached: Option<CacheUse>,
    /// The reading process.
    pub reader: ReaderField,
    /// Every process sharing the pipe, for `collision`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readers: Vec<Reader>,
}

impl OpenEvent {
    /// An event for open number `seq`, to be filled in as the open is served.
    pub fn new(path: &str, profile: &str, seq: u64) -> Self {
        OpenEvent {
            event: "ratchet.open",
            time: String::new(),
            path: path.to_owned(),
            profile: profile.to_owned(),
            seq,
            outcome: Outcome::Failed,
            reason: None,
            detail: None,
            bytes: 0,
            fetch_ms: None,
            attempts: 0,
            total_ms: 0.0,
            request_id: None,
            version: None,
            cached: None,
            reader: ReaderField::Unknown("unknown"),
            readers: Vec::new(),
        }
    }
}

/// Where audit events go: a line each, written whole under a lock.
pub struct AuditLog {
    out: Mutex<Box<dyn Write + Send>>,
}

impl AuditLog {
    /// Events to standard output.
    pub fn stdout() -> Self {
        Self::to(Box::new(std::io::stdout()))
    }

    /// Events to any writer (tests use a buffer).
    pub fn to(out: Box<dyn Write + Send>) -> Self {
        AuditLog {
            out: Mutex::new(out),
        }
    }

    /// Stamps and writes `event` as one line.
    pub fn record(&self, mut event: OpenEvent) {
        event.time = humantime::format_rfc3339_micros(SystemTime::now()).to_string();
        let mut line = serde_json::to_vec(&event).expect("audit events serialize");
        line.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        // An audit line that cannot be written is reported, not fatal: the
        // reader has already been served or refused.
        if let Err(e) = out.write_all(&line).and_then(|_| out.flush()) {
            tracing::error!(error = %e, "cannot write audit event");
        }
    }
}

/// Milliseconds with microsecond precision, for event fields.
pub fn millis(d: Duration) -> f64 {
    (d.as_micros() as f64) / 1000.0
}
