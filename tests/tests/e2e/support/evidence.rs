//! The checks every chain ends with: the two audit trails join by request
//! id, no secret value is in any log, no plaintext file is anywhere in the
//! run's tree.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::profiles::sealed_values;

/// Checks that each of the daemon's audit events has its request in the
/// stand-in's access log, once per attempt, and, where the stand-in invoked
/// the function, one function audit line per attempt, the last of them
/// with the event's request id.
pub fn assert_joined(daemon: &[Value], gateway: &[Value], function: &[Value]) {
    for event in daemon {
        let Some(request_id) = event["request_id"].as_str() else {
            panic!("an audit event without a request id: {event}");
        };
        let access: Vec<&Value> = gateway
            .iter()
            .filter(|a| a["requestId"] == request_id)
            .collect();
        assert_eq!(
            access.len(),
            1,
            "request {request_id} in the access log: {access:?}"
        );
        let reads: Vec<&Value> = function
            .iter()
            .filter(|r| r["request_id"] == request_id)
            .collect();
        let invoked = !access[0]["integrationStatus"].is_null();
        assert_eq!(
            reads.len(),
            usize::from(invoked),
            "function audit lines for request {request_id} (invoked: {invoked}): {reads:?}"
        );
        if let Some(read) = reads.first() {
            assert_eq!(read["profile"], event["profile"], "{read} / {event}");
            if event["outcome"] == "served" {
                assert_eq!(read["outcome"], "served", "{read}");
                assert_eq!(read["version"], event["version"], "{read} / {event}");
            }
        }
    }
}

/// Checks that no sealed value (nor the run's marker) appears in any of
/// `logs`.
pub fn assert_no_secret_in_logs(logs: &[PathBuf]) {
    let secrets = sealed_values();
    for log in logs {
        let text = std::fs::read(log).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        for secret in &secrets {
            for line in secret.lines().filter(|l| l.trim().len() >= 6) {
                assert!(
                    !text.contains(line),
                    "a secret value appears in {}",
                    log.display()
                );
            }
        }
    }
}

/// Checks that no regular file under `root` holds a sealed value or the
/// run's marker, and that no regular file is named `.env`. FIFOs and other
/// special files are not opened (an open of a FIFO is a read).
pub fn assert_no_plaintext_file(root: &Path) {
    let secrets = sealed_values();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            assert_ne!(
                path.file_name().and_then(|n| n.to_str()),
                Some(".env"),
                "a regular file named .env at {}",
                path.display()
            );
            let Ok(content) = std::fs::read(&path) else {
                continue;
            };
            let content = String::from_utf8_lossy(&content);
            for secret in &secrets {
                assert!(
                    !content.contains(secret.as_str()),
                    "plaintext in the file {}",
                    path.display()
                );
            }
        }
    }
}
