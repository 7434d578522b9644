//! Child processes started by the tests, each in a process group of its
//! own, with their output in log files, stopped when their guard drops.
//!
//! Only processes a test started are ever signalled, by their own group id:
//! other builds, emulators and tests share this machine.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::os::unix::process::CommandExt;

/// A child process in its own process group, stopped (SIGTERM, then
/// SIGKILL) when dropped.
pub struct Proc {
    name: String,
    child: Mutex<Option<Child>>,
    status: Mutex<Option<ExitStatus>>,
    logs: Vec<PathBuf>,
}

impl Proc {
    /// Starts `command` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, command: Command, log: &Path) -> Proc {
        let out = append(log);
        let err = out.try_clone().expect("clone a log file handle");
        Proc::start(name, command, out, err, vec![log.to_owned()])
    }

    /// Starts `command` with stdout appended to `out` and stderr to `err`.
    pub fn spawn_split(name: &str, command: Command, out: &Path, err: &Path) -> Proc {
        Proc::start(
            name,
            command,
            append(out),
            append(err),
            vec![out.to_owned(), err.to_owned()],
        )
    }

    fn start(name: &str, mut command: Command, out: File, err: File, logs: Vec<PathBuf>) -> Proc {
        command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({:?}): {e}", command.get_program()));
        Proc {
            name: name.to_owned(),
            child: Mutex::new(Some(child)),
            status: Mutex::new(None),
            logs,
        }
    }

    /// The process id (also its process group id).
    pub fn pid(&self) -> Option<i32> {
        let child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        child.as_ref().map(|c| c.id() as i32)
    }

    /// Sends `signal` to the process alone.
    pub fn signal(&self, signal: i32) {
        if let Some(pid) = self.pid() {
            // SAFETY: signalling a child this guard spawned and has not reaped.
            unsafe { libc::kill(pid, signal) };
        }
    }

    /// The exit status, once the process has exited.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        let mut slot = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        if status.is_none()
            && let Some(child) = slot.as_mut()
            && let Ok(Some(exited)) = child.try_wait()
        {
            *status = Some(exited);
            *slot = None;
        }
        *status
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait_exit(&self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.exit_status() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until this server answers 200 to `GET path` on
    /// 127.0.0.1:`port`; fails the test, with the process's log, when it
    /// exits first or `limit` passes.
    pub fn wait_ready(&self, port: u16, path: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !crate::tools::http_ok(port, path) {
            assert!(
                self.exit_status().is_none(),
                "{} exited before it was ready\n{}",
                self.name,
                self.log_tail()
            );
            assert!(
                Instant::now() < deadline,
                "{} was not ready after {limit:?}\n{}",
                self.name,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the process group: SIGTERM, up to 5 s to exit, then SIGKILL.
    pub fn stop(&self) {
        let Some(mut child) = self.child.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let group = child.id() as i32;
        // SAFETY: signalling the process group this guard created.
        unsafe { libc::kill(-group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        // SAFETY: as above; whatever is left of the group goes too.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        if let Ok(status) = child.wait() {
            *self.status.lock().unwrap_or_else(|e| e.into_inner()) = Some(status);
        }
    }

    /// The end of the process's logs, for failure messages.
    pub fn log_tail(&self) -> String {
        let mut tail = String::new();
        for log in &self.logs {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let start = text.len().saturating_sub(4000);
            let start = (start..=text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            tail.push_str(&format!(
                "--- {} ({}) ---\n{}\n",
                self.name,
                log.display(),
                &text[start..]
            ));
        }
        tail
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

fn append(path: &Path) -> File {
    File::options()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot open the log {}: {e}", path.display()))
}

/// Runs `command` to completion within `limit`, killing its process group
/// if it takes longer; returns its status, stdout and stderr.
pub fn run_bounded(mut command: Command, limit: Duration) -> (ExitStatus, Vec<u8>, Vec<u8>) {
    let program = format!("{:?}", command.get_program());
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let group = child.id() as i32;
    let (done, finished) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let output = child.wait_with_output();
        let _ = done.send(());
        output
    });
    if finished.recv_timeout(limit).is_err() {
        // SAFETY: the group of the child started above.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = waiter.join();
        panic!("{program} did not finish within {limit:?}");
    }
    let output = waiter
        .join()
        .expect("the waiting thread")
        .unwrap_or_else(|e| panic!("waiting for {program}: {e}"));
    (output.status, output.stdout, output.stderr)
}
