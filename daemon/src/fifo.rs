//! The FIFO at the app's `.env` path, and the moves that make it a ratchet.
//!
//! A [`Slot`] is the path: a directory the daemon holds open and a name in
//! it. The daemon never writes a FIFO by path. It creates each FIFO under a
//! hidden temporary name, holds an `O_PATH` descriptor to that inode, then
//! renames it over the name; every later operation goes through the
//! descriptor (`/proc/self/fd/N`), so a path swapped underneath cannot
//! redirect a write. Nothing at the path is ever followed: a symbolic link,
//! a regular file or a directory found there stops the daemon with an error
//! rather than being replaced.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, FcntlArg, OFlag, fcntl, open, openat, renameat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstat, fstatat};
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchownat, mkfifoat, unlinkat};

/// Why the FIFO could not be set up or replaced.
#[derive(Debug, thiserror::Error)]
pub enum FifoError {
    /// The path has no file name or no parent directory.
    #[error("{path} is not a file path; give the full path of the .env to serve")]
    BadPath { path: PathBuf },
    /// The parent directory is missing or unusable.
    #[error(
        "cannot open the directory {dir}: {source}; create it (the volume shared with the app) first"
    )]
    Directory { dir: PathBuf, source: Errno },
    /// Something other than a FIFO is at the path.
    #[error("{path} is {kind}; ratchet will not replace it: remove it or choose another path")]
    Occupied { path: PathBuf, kind: &'static str },
    /// A system call on the FIFO failed.
    #[error("cannot {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: Errno,
    },
}

/// Owner and mode given to each FIFO.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    /// Permission bits, e.g. `0o640`.
    pub mode: u32,
    /// Owner to set, if not the daemon's own user.
    pub uid: Option<u32>,
    /// Group to set, if not the daemon's own group.
    pub gid: Option<u32>,
}

/// The path served: a directory held open and a name in it.
pub struct Slot {
    dir: OwnedFd,
    stale: Option<Fifo>,
    path: PathBuf,
    name: OsString,
    temp_prefix: String,
    access: Access,
    created: u64,
}

/// A FIFO inode the daemon made, held by an `O_PATH` descriptor.
pub struct Fifo {
    fd: OwnedFd,
    dev: u64,
    ino: u64,
}

/// A FIFO created under its temporary name, not yet at the path.
pub struct Pending {
    fifo: Fifo,
    temp: OsString,
}

impl Slot {
    /// Opens the directory of `path` and checks what is at `path` now: nothing
    /// or a FIFO (left by an earlier run) is fine, anything else is refused.
    /// Temporary FIFOs left by an earlier run are removed.
    pub fn prepare(path: &Path, access: Access) -> Result<Slot, FifoError> {
        let bad = || FifoError::BadPath {
            path: path.to_owned(),
        };
        let name = path.file_name().ok_or_else(bad)?.to_owned();
        let dir_path = match path.parent() {
            Some(p) if p.as_os_str().is_empty() => Path::new("."),
            Some(p) => p,
            None => return Err(bad()),
        };
        let dir = open(
            dir_path,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|source| FifoError::Directory {
            dir: dir_path.to_owned(),
            source,
        })?;
        let mut slot = Slot {
            dir,
            stale: None,
            path: path.to_owned(),
            temp_prefix: temp_prefix(&name),
            name,
            access,
            created: 0,
        };
        slot.check_occupant()?;
        slot.stale = slot.hold_stale();
        slot.remove_leftovers(dir_path);
        Ok(slot)
    }

    /// The FIFO an earlier run left at the path, if any. Readers may be
    /// waiting on it; once it is replaced no writer would ever come to them.
    pub fn take_stale(&mut self) -> Option<Fifo> {
        self.stale.take()
    }

    fn hold_stale(&self) -> Option<Fifo> {
        let fd = openat(
            self.dir.as_fd(),
            self.name.as_os_str(),
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        let stat = fstat(&fd).ok()?;
        (kind(&stat) == "a FIFO").then(|| Fifo::from_stat(fd, &stat))
    }

    /// The path served.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates a FIFO under a fresh temporary name, with the configured owner
    /// and mode.
    pub fn create(&mut self) -> Result<Pending, FifoError> {
        self.created += 1;
        let temp = OsString::from(format!(
            "{}{}-{}",
            self.temp_prefix,
            std::process::id(),
            self.created
        ));
        let io = |op, source| FifoError::Io {
            op,
            path: self.path.with_file_name(&temp),
            source,
        };
        mkfifoat(
            self.dir.as_fd(),
            temp.as_os_str(),
            Mode::from_bits_truncate(self.access.mode),
        )
        .map_err(|e| io("create the FIFO", e))?;

        // Hold the inode itself; if the name was swapped for a link in the
        // meantime, O_NOFOLLOW holds the link and the type check refuses it.
        let fd = openat(
            self.dir.as_fd(),
            temp.as_os_str(),
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io("open the new FIFO", e))?;
        let stat = fstat(&fd).map_err(|e| io("inspect the new FIFO", e))?;
        if kind(&stat) != "a FIFO" {
            return Err(io("create the FIFO", Errno::EEXIST));
        }
        if self.access.uid.is_some() || self.access.gid.is_some() {
            fchownat(
                &fd,
                "",
                self.access.uid.map(Uid::from_raw),
                self.access.gid.map(Gid::from_raw),
                AtFlags::AT_EMPTY_PATH,
            )
            .map_err(|e| io("set the owner of", e))?;
        }
        Ok(Pending {
            fifo: Fifo::from_stat(fd, &stat),
            temp,
        })
    }

    /// Moves `pending` onto the path in one atomic rename, replacing the FIFO
    /// there. Readers that open the path from now on get the new inode.
    pub fn install(&self, pending: Pending) -> Result<Fifo, FifoError> {
        if let Err(e) = self.check_occupant() {
            self.discard(pending);
            return Err(e);
        }
        renameat(
            self.dir.as_fd(),
            pending.temp.as_os_str(),
            self.dir.as_fd(),
            self.name.as_os_str(),
        )
        .map_err(|source| FifoError::Io {
            op: "rename a FIFO onto",
            path: self.path.clone(),
            source,
        })?;
        Ok(pending.fifo)
    }

    /// Removes a FIFO that was created but will not be installed.
    pub fn discard(&self, pending: Pending) {
        let _ = unlinkat(
            self.dir.as_fd(),
            pending.temp.as_os_str(),
            UnlinkatFlags::NoRemoveDir,
        );
    }

    /// Removes the path if it is still `fifo`.
    pub fn remove(&self, fifo: &Fifo) {
        let current = fstatat(
            self.dir.as_fd(),
            self.name.as_os_str(),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        );
        if let Ok(stat) = current
            && fifo.is(&stat)
        {
            let _ = unlinkat(
                self.dir.as_fd(),
                self.name.as_os_str(),
                UnlinkatFlags::NoRemoveDir,
            );
        }
    }

    fn check_occupant(&self) -> Result<(), FifoError> {
        match fstatat(
            self.dir.as_fd(),
            self.name.as_os_str(),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        ) {
            Err(Errno::ENOENT) => Ok(()),
            Err(source) => Err(FifoError::Io {
                op: "inspect",
                path: self.path.clone(),
                source,
            }),
            Ok(stat) if kind(&stat) == "a FIFO" => Ok(()),
            Ok(stat) => Err(FifoError::Occupied {
                path: self.path.clone(),
                kind: kind(&stat),
            }),
        }
    }

    fn remove_leftovers(&self, dir_path: &Path) {
        let Ok(entries) = std::fs::read_dir(dir_path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let ours = name.as_bytes().starts_with(self.temp_prefix.as_bytes());
            let is_fifo = fstatat(
                self.dir.as_fd(),
                name.as_os_str(),
                AtFlags::AT_SYMLINK_NOFOLLOW,
            )
            .is_ok_and(|stat| kind(&stat) == "a FIFO");
            if ours && is_fifo {
                let _ = unlinkat(
                    self.dir.as_fd(),
                    name.as_os_str(),
                    UnlinkatFlags::NoRemoveDir,
                );
            }
        }
    }
}

impl Fifo {
    fn from_stat(fd: OwnedFd, stat: &FileStat) -> Self {
        Fifo {
            fd,
            dev: stat.st_dev,
            ino: stat.st_ino,
        }
    }

    /// Device and inode numbers, to find the FIFO in other processes' fds.
    pub fn id(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }

    fn is(&self, stat: &FileStat) -> bool {
        stat.st_dev == self.dev && stat.st_ino == self.ino
    }

    /// The magic link that reopens this exact inode.
    fn proc_path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))
    }

    fn reopen(&self, flags: OFlag) -> nix::Result<OwnedFd> {
        open(&self.proc_path(), flags | OFlag::O_CLOEXEC, Mode::empty())
    }

    /// Opens the write end, blocking until a reader opens the FIFO (or
    /// [`Fifo::wake`] is called). The returned file is non-blocking.
    pub fn open_writer(&self) -> nix::Result<File> {
        let fd = loop {
            match self.reopen(OFlag::O_WRONLY) {
                Err(Errno::EINTR) => continue,
                other => break other?,
            }
        };
        fcntl(&fd, FcntlArg::F_SETFL(OFlag::O_WRONLY | OFlag::O_NONBLOCK))?;
        Ok(File::from(fd))
    }

    /// Opens the write end without waiting: `None` when no process has the
    /// FIFO open for reading or is waiting in `open` for a writer.
    pub fn try_open_writer(&self) -> nix::Result<Option<File>> {
        match self.reopen(OFlag::O_WRONLY | OFlag::O_NONBLOCK) {
            Ok(fd) => Ok(Some(File::from(fd))),
            Err(Errno::ENXIO) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether any process has this FIFO open for reading or is waiting in
    /// `open` for a writer. A waiting reader is let through and sees end of
    /// file at once, since the probe writes nothing.
    pub fn probe(&self) -> nix::Result<bool> {
        Ok(self.try_open_writer()?.is_some())
    }

    /// Releases a thread blocked in [`Fifo::open_writer`] by opening and
    /// closing the read end.
    pub fn wake(&self) {
        let _ = self.reopen(OFlag::O_RDONLY | OFlag::O_NONBLOCK);
    }
}

/// Temporary names are hidden and start with the served name:
/// `.env` → `.env.ratchet-<pid>-<n>`.
fn temp_prefix(name: &OsStr) -> String {
    let name = name.to_string_lossy();
    let dot = if name.starts_with('.') { "" } else { "." };
    format!("{dot}{name}.ratchet-")
}

/// How a file type reads in an error message.
fn kind(stat: &FileStat) -> &'static str {
    match SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits()) {
        SFlag::S_IFIFO => "a FIFO",
        SFlag::S_IFREG => "a regular file",
        SFlag::S_IFLNK => "a symbolic link",
        SFlag::S_IFDIR => "a directory",
        SFlag::S_IFSOCK => "a socket",
        _ => "a device node",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

    fn access() -> Access {
        Access {
            mode: 0o640,
            uid: None,
            gid: None,
        }
    }

    /// A regular file, a symlink or a directory at the path is refused and left alone.
    #[test]
    fn refuses_what_is_not_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "KEEP=1").unwrap();
        let err = Slot::prepare(&path, access()).err().unwrap();
        assert!(err.to_string().contains("is a regular file"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "KEEP=1");

        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", &path).unwrap();
        let err = Slot::prepare(&path, access()).err().unwrap();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
        assert!(
            std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );

        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        let err = Slot::prepare(&path, access()).err().unwrap();
        assert!(err.to_string().contains("is a directory"), "{err}");
    }

    /// A missing directory is named in the error.
    #[test]
    fn missing_directory_is_named() {
        let err = Slot::prepare(Path::new("/nonexistent/dir/.env"), access())
            .err()
            .unwrap();
        assert!(err.to_string().contains("/nonexistent/dir"), "{err}");
    }

    /// A stale FIFO is replaced, leftover temporaries removed, and the new
    /// FIFO has the configured mode.
    #[test]
    fn replaces_stale_fifo_and_cleans_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o600)).unwrap();
        let leftover = dir.path().join(".env.ratchet-1-1");
        nix::unistd::mkfifo(&leftover, Mode::from_bits_truncate(0o600)).unwrap();
        let stale_ino = std::fs::symlink_metadata(&path).unwrap().ino();

        let old_umask = nix::sys::stat::umask(Mode::empty());
        let mut slot = Slot::prepare(&path, access()).unwrap();
        let pending = slot.create().unwrap();
        let fifo = slot.install(pending).unwrap();
        nix::sys::stat::umask(old_umask);

        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_fifo());
        assert_ne!(meta.ino(), stale_ino);
        assert_eq!(meta.ino(), fifo.id().1);
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
        assert!(!leftover.exists());
        slot.remove(&fifo);
        assert!(!path.exists());
    }

    /// The writer blocks until a reader comes, and a probe tells whether one is there.
    #[test]
    fn writer_meets_reader_through_the_descriptor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        let mut slot = Slot::prepare(&path, access()).unwrap();
        let pending = slot.create().unwrap();
        let fifo = slot.install(pending).unwrap();
        assert!(!fifo.probe().unwrap());

        let reader_path = path.clone();
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            File::open(reader_path)
                .unwrap()
                .read_to_string(&mut s)
                .unwrap();
            s
        });
        let mut writer = fifo.open_writer().unwrap();
        std::io::Write::write_all(&mut writer, b"A=1\n").unwrap();
        drop(writer);
        assert_eq!(reader.join().unwrap(), "A=1\n");
    }
}
