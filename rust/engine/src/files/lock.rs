//! The cross-process lock of a file that is replaced by rename: a small sidecar file next to it.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorCode, Result};

/// How long to sleep between two tries of a held lock.
const RETRY_PAUSE: Duration = Duration::from_millis(20);

/// The lock file of `target`: `.<name>.lock` in the same folder.
pub(crate) fn lock_path(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.lock"))
}

/// An exclusive lock on a small file next to the target (the target itself is replaced by rename,
/// so it cannot carry the lock). Released on drop, or by the OS when the process ends.
#[derive(Debug)]
pub(crate) struct FileLock {
    file: File,
}

impl FileLock {
    /// Waits at most `timeout` for the lock. Blocks the thread: call it where blocking is allowed.
    pub(crate) fn acquire(path: &Path, timeout: Duration) -> Result<FileLock> {
        let started = Instant::now();
        loop {
            match Self::try_acquire(path)? {
                Some(lock) => return Ok(lock),
                None if started.elapsed() < timeout => std::thread::sleep(RETRY_PAUSE),
                None => {
                    return Err(Error::new(
                        ErrorCode::Io,
                        format!(
                            "timed out after {}s waiting for another run to release {}",
                            timeout.as_secs(),
                            path.display()
                        ),
                    ))
                }
            }
        }
    }

    /// The lock if it is free now; `None` if another process (or another handle) holds it.
    pub(crate) fn try_acquire(path: &Path) -> Result<Option<FileLock>> {
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|e| Error::io("cannot open the lock file", path, &e))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(FileLock { file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(Error::io("cannot lock", path, &e)),
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_not_taken_twice_and_is_free_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path(&dir.path().join("credentials"));
        assert_eq!(path, dir.path().join(".credentials.lock"));
        let held = FileLock::try_acquire(&path).unwrap().unwrap();
        assert!(FileLock::try_acquire(&path).unwrap().is_none());
        assert!(FileLock::acquire(&path, Duration::from_millis(50)).unwrap_err().message.contains("timed out"));
        drop(held);
        assert!(FileLock::try_acquire(&path).unwrap().is_some());
    }
}
