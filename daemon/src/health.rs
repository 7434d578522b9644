//! The `health` subcommand: is the FIFO in place?
//!
//! A container health check runs this as a separate process, so it cannot
//! ask the daemon anything; it checks what a reader would find. It never
//! opens the FIFO, since an open is a read: it would fetch secrets and leave
//! an audit event every few seconds.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// Ok when `path` is a FIFO; otherwise what is wrong, in words.
pub fn check(path: &Path) -> Result<(), String> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_fifo() => Ok(()),
        Ok(_) => Err(format!("{} is not a FIFO", path.display())),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Healthy only when a FIFO is at the path.
    #[test]
    fn healthy_only_with_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        assert!(check(&path).is_err());
        std::fs::write(&path, "").unwrap();
        assert!(check(&path).unwrap_err().contains("not a FIFO"));
        std::fs::remove_file(&path).unwrap();
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        assert!(check(&path).is_ok());
    }
}
