//! Finding which processes hold a FIFO open, through `/proc`.
//!
//! Once the daemon's open for writing returns, every reader that opened the
//! same FIFO has a descriptor for it in `/proc/<pid>/fd`. Scanning for the
//! FIFO's device and inode names the reader for the audit trail and tells
//! whether several opens share the one pipe. Two descriptors that came from
//! one `open` (a `dup`, or a child inheriting its parent's) are one reader:
//! `kcmp` tells them apart from separate opens.
//!
//! This sees only what the PID namespace and permissions allow: readers in
//! another container without a shared PID namespace, or running as another
//! user while the daemon lacks `CAP_SYS_PTRACE`, stay unknown.

use std::ffi::CStr;
use std::fs;
use std::os::unix::fs::MetadataExt;

use nix::dir::Dir;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{Mode, fstatat};
use serde::Serialize;

/// A process holding the FIFO open for reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reader {
    /// Process id, in the daemon's PID namespace.
    pub pid: i32,
    /// Effective user id, when visible.
    pub uid: Option<u32>,
    /// Executable path, when visible.
    pub exe: Option<String>,
}

/// One descriptor on the FIFO in another process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holder {
    /// Process holding it.
    pub pid: i32,
    /// Descriptor number in that process.
    pub fd: i32,
}

/// Every descriptor, in processes other than this one, that refers to the
/// inode `(dev, ino)`.
///
/// Each descriptor is looked at relative to its process's open `fd`
/// directory, so the scan makes one `fstatat` per descriptor and walks no
/// path: it runs between the fetch and the write, on every open.
pub fn holders(dev: u64, ino: u64) -> Vec<Holder> {
    let me = std::process::id() as i32;
    let Ok(mut procs) = Dir::open("/proc", DIR_FLAGS, Mode::empty()) else {
        return Vec::new();
    };
    let pids: Vec<i32> = procs
        .iter()
        .flatten()
        .filter_map(|entry| number(entry.file_name()))
        .filter(|&pid| pid != me)
        .collect();
    let mut found = Vec::new();
    for pid in pids {
        // Processes that end, or that this user may not inspect, are skipped.
        let Ok(mut fds) = Dir::openat(
            &procs,
            format!("{pid}/fd").as_str(),
            DIR_FLAGS,
            Mode::empty(),
        ) else {
            continue;
        };
        let numbers: Vec<i32> = fds
            .iter()
            .flatten()
            .filter_map(|entry| number(entry.file_name()))
            .collect();
        for fd in numbers {
            // Without AT_SYMLINK_NOFOLLOW this follows the fd link to the
            // open file itself.
            if let Ok(stat) = fstatat(&fds, format!("{fd}").as_str(), AtFlags::empty())
                && stat.st_dev == dev
                && stat.st_ino == ino
            {
                found.push(Holder { pid, fd });
            }
        }
    }
    found
}

const DIR_FLAGS: OFlag = OFlag::O_RDONLY
    .union(OFlag::O_DIRECTORY)
    .union(OFlag::O_CLOEXEC);

/// A `/proc` entry's name as a pid or descriptor number.
fn number(name: &CStr) -> Option<i32> {
    name.to_str().ok()?.parse().ok()
}

/// Keeps one holder per open file description: descriptors duplicated from
/// one `open` count once.
pub fn distinct_opens(holders: &[Holder]) -> Vec<Holder> {
    let mut distinct: Vec<Holder> = Vec::with_capacity(holders.len());
    for holder in holders {
        if !distinct.iter().any(|seen| same_open(seen, holder)) {
            distinct.push(*holder);
        }
    }
    distinct
}

/// Whether two descriptors share one open file description. When `kcmp` is
/// not permitted they are counted apart: the cautious answer, since a
/// collision serves nothing rather than risk a split payload.
fn same_open(a: &Holder, b: &Holder) -> bool {
    const KCMP_FILE: libc::c_int = 0;
    // SAFETY: kcmp only reads the two processes' file tables; the arguments
    // are plain integers.
    let result = unsafe {
        libc::syscall(
            libc::SYS_kcmp,
            a.pid as libc::pid_t,
            b.pid as libc::pid_t,
            KCMP_FILE,
            a.fd as libc::c_ulong,
            b.fd as libc::c_ulong,
        )
    };
    result == 0
}

/// The pid, user and executable of process `pid`, as far as visible.
pub fn describe(pid: i32) -> Reader {
    let base = format!("/proc/{pid}");
    Reader {
        pid,
        uid: fs::metadata(&base).ok().map(|m| m.uid()),
        exe: fs::read_link(format!("{base}/exe"))
            .ok()
            .map(|p| p.display().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// Two opens of one file are found and counted as two; a dup of one of
    /// them, and the copies a child process inherits, are not more.
    #[test]
    fn finds_and_distinguishes_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, b"x").unwrap();
        let meta = fs::metadata(&path).unwrap();

        // A shell holding fd 3 and 4 as separate opens and 5 as a dup of 3,
        // and its child `sleep` inheriting all three.
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "exec 3<'{0}' 4<'{0}' 5<&3; sleep 30",
                path.display()
            ))
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let mut found = Vec::new();
        for _ in 0..200 {
            found = holders(meta.dev(), meta.ino());
            if found.len() == 6 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let distinct = distinct_opens(&found);
        let reader = describe(pid);
        child.kill().unwrap();
        child.wait().unwrap();

        assert_eq!(found.len(), 6, "{found:?}");
        assert!(found.iter().any(|h| h.pid == pid));
        assert_eq!(distinct.len(), 2, "{distinct:?}");
        assert_eq!(reader.uid, Some(nix::unistd::geteuid().as_raw()));
        assert!(reader.exe.is_some());
    }
}
