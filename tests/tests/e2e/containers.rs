//! The daemon image (`scripts/build-daemon-image.sh`) and a reader image
//! (`tests/build-reader-image.sh`), both `FROM scratch` around binaries
//! built here, so nothing is pulled. They share a volume, a host folder
//! bind-mounted at /run/ratchet in both.
//!
//! The daemon container uses the host's network and reaches the stand-in
//! gateway at `localhost`, which the static binary resolves from the
//! `/etc/hosts` Docker provides; the rest of the chain is the one the other
//! tests run. Every test here runs only where `docker info` succeeds, and
//! says plainly that it was skipped otherwise.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use ratchet_daemon::render::Format;
use serde_json::Value;
use testcontainers::core::wait::ExitWaitStrategy;
use testcontainers::core::{AccessMode, Mount, WaitFor};
use testcontainers::runners::SyncRunner;
use testcontainers::{GenericImage, ImageExt};

use crate::support::artifacts::run_script;
use crate::support::chain::Chain;
use crate::support::payload;
use crate::support::process::run_bounded;
use crate::support::profiles;
use crate::support::stack::shared;
use crate::support::tools::{repo, scratch};

/// The two images' tags, built once.
struct Images {
    daemon: String,
    reader: String,
}

/// The images, or `None` (after saying so) when Docker is not usable.
fn images_or_skip(test: &str) -> Option<&'static Images> {
    static IMAGES: OnceLock<Result<Images, String>> = OnceLock::new();
    let images = IMAGES.get_or_init(|| {
        let mut info = Command::new("docker");
        info.arg("info");
        let (status, _, stderr) = run_bounded(info, Duration::from_secs(60));
        if !status.success() {
            return Err(String::from_utf8_lossy(&stderr).trim().to_owned());
        }
        Ok(Images {
            daemon: run_script(
                &repo().join("scripts/build-daemon-image.sh"),
                &["ratchet-daemon:e2e"],
            ),
            reader: run_script(
                &repo().join("tests/build-reader-image.sh"),
                &["ratchet-e2e-reader:e2e"],
            ),
        })
    });
    match images {
        Ok(images) => Some(images),
        Err(why) => {
            eprintln!("SKIPPED {test}: `docker info` failed, so no container test runs: {why}");
            None
        }
    }
}

fn image(tag: &str) -> GenericImage {
    let (name, tag) = tag.rsplit_once(':').expect("a tag with a version");
    GenericImage::new(name, tag)
}

fn bind(host: &Path, container: &str, mode: AccessMode) -> Mount {
    Mount::bind_mount(host.display().to_string(), container).with_access_mode(mode)
}

/// FNV-1a 64 of `bytes`, as the reader prints it.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The daemon container turns healthy once its FIFO is in place (0640,
/// 65532:65532 as RATCHET_OWNER and RATCHET_MODE say); a reader container
/// running as uid 1000 in the daemon's group gets one whole copy; one
/// running as an unrelated uid is refused by the file system; `docker stop`
/// ends the daemon cleanly and removes the FIFO. Its audit, read from the
/// container's log, joins the function's by request id.
#[test]
#[ignore = "needs scripts/tools.sh and Docker; run by scripts/test-e2e.sh"]
fn daemon_image_serves_a_reader_container() {
    let Some(images) = images_or_skip("daemon_image_serves_a_reader_container") else {
        return;
    };
    let stack = shared();
    let chain = Chain::start(stack);
    let volume = scratch("volume-");
    std::os::unix::fs::chown(&volume, Some(65532), Some(65532)).expect("chown the volume");
    std::fs::set_permissions(&volume, std::fs::Permissions::from_mode(0o750)).expect("chmod");

    let daemon = image(&images.daemon)
        .with_wait_for(WaitFor::healthcheck())
        .with_network("host")
        .with_env_var(
            "RATCHET_API_URL",
            chain.gateway.stage_url_by_name(&stack.api_id("key")),
        )
        .with_env_var("RATCHET_PROFILE", "app")
        .with_env_var("RATCHET_AUTH", "api-key")
        .with_env_var("RATCHET_API_KEY_FILE", "/deploy/api-key")
        .with_env_var("RATCHET_OWNER", "65532:65532")
        .with_env_var("RATCHET_MODE", "0640")
        .with_env_var("RATCHET_LOG_FORMAT", "json")
        .with_mount(bind(&volume, "/run/ratchet", AccessMode::ReadWrite))
        .with_mount(bind(
            &stack.api_key_file("app"),
            "/deploy/api-key",
            AccessMode::ReadOnly,
        ))
        .with_startup_timeout(Duration::from_secs(60))
        .start()
        .expect("the daemon container starts and turns healthy");

    let fifo = std::fs::symlink_metadata(volume.join(".env")).expect("the FIFO");
    assert!(fifo.file_type().is_fifo());
    assert_eq!(
        (fifo.uid(), fifo.gid(), fifo.mode() & 0o777),
        (65532, 65532, 0o640)
    );

    let reader = |user: &str, code: i64| {
        image(&images.reader)
            .with_wait_for(WaitFor::exit(ExitWaitStrategy::new().with_exit_code(code)))
            .with_user(user)
            .with_network("none")
            .with_mount(bind(&volume, "/run/ratchet", AccessMode::ReadOnly))
            .with_cmd(["read", "/run/ratchet/.env"])
            .with_startup_timeout(Duration::from_secs(60))
            .start()
            .unwrap_or_else(|e| panic!("the reader as {user} exits with {code}: {e}"))
    };
    let member = reader("1000:65532", 0);
    let printed = String::from_utf8(member.stdout_to_vec().expect("logs")).expect("UTF-8");
    let bytes = payload(Format::Dotenv, &profiles::app());
    assert_eq!(
        printed.trim(),
        format!("bytes={} fnv1a64={:016x}", bytes.len(), fnv1a64(&bytes))
    );
    let stranger = reader("1001:1001", 1);
    let refused = String::from_utf8(stranger.stderr_to_vec().expect("logs")).expect("UTF-8");
    assert!(refused.contains("Permission denied"), "{refused}");

    daemon.stop().expect("docker stop");
    assert_eq!(
        daemon.exit_code().expect("inspect"),
        Some(0),
        "a clean exit on SIGTERM"
    );
    assert!(
        std::fs::symlink_metadata(volume.join(".env")).is_err(),
        "the FIFO is still there after docker stop"
    );

    // The container's audit: one event, the member's read.
    let stdout = daemon.stdout_to_vec().expect("the daemon's stdout");
    let stderr = daemon.stderr_to_vec().expect("the daemon's stderr");
    let logs = scratch("daemon-container-");
    std::fs::write(logs.join("daemon.audit.log"), &stdout).expect("keep the audit");
    std::fs::write(logs.join("daemon.log"), &stderr).expect("keep the log");
    let events: Vec<Value> = String::from_utf8_lossy(&stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("audit lines are JSON"))
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["outcome"], "served", "{}", events[0]);
    assert_eq!(events[0]["bytes"], bytes.len());
    chain.finish_with(
        events,
        vec![logs.join("daemon.audit.log"), logs.join("daemon.log")],
    );
}

/// The static binaries resolve names inside a container FROM scratch (no
/// /etc/nsswitch.conf, no NSS modules): a peer's name on a user-defined
/// network through Docker's DNS, and `localhost` from /etc/hosts. The
/// reader resolves as the daemon does (getaddrinfo of glibc, linked in);
/// nothing connects to the addresses.
#[test]
#[ignore = "needs scripts/tools.sh and Docker; run by scripts/test-e2e.sh"]
fn static_binaries_resolve_names_in_a_container() {
    let Some(images) = images_or_skip("static_binaries_resolve_names_in_a_container") else {
        return;
    };
    let suffix = format!("{:08x}", fastrand::u32(..));
    let network = format!("ratchet-e2e-{suffix}");
    let peer_name = format!("ratchet-e2e-peer-{suffix}");
    let _peer = image(&images.reader)
        .with_network(&network)
        .with_container_name(&peer_name)
        .with_cmd(["wait", "120"])
        .start()
        .expect("the peer container starts");
    let resolver = image(&images.reader)
        .with_wait_for(WaitFor::exit(ExitWaitStrategy::new().with_exit_code(0)))
        .with_network(&network)
        .with_cmd(["resolve", &peer_name, "localhost"])
        .with_startup_timeout(Duration::from_secs(60))
        .start()
        .expect("the resolver exits with 0");

    let printed = String::from_utf8(resolver.stdout_to_vec().expect("logs")).expect("UTF-8");
    let lines: Vec<Vec<&str>> = printed.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines.len(), 2, "{printed}");
    assert_eq!(lines[0][0], peer_name);
    let peer: std::net::IpAddr = lines[0][1].parse().expect("an address for the peer");
    assert!(!peer.is_loopback(), "{printed}");
    assert_eq!(lines[1][0], "localhost");
    assert!(
        lines[1][1..].contains(&"127.0.0.1") || lines[1][1..].contains(&"::1"),
        "{printed}"
    );
}
