//! Whole-file writes that a reader never sees half done: a temporary file in the same folder, flushed
//! to disk, put in the target's place in one step ([`super::replace`]).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use super::paths::folder_of;
use super::replace::{replace_patiently, Patience, ReplaceStep, BUSY_PATIENCE};

/// Writes `contents` to a temporary file beside `target`, flushes it to disk and puts it in the
/// place of `target`, so the file is always either the old or the new version.
/// `private` files are always 0600; otherwise an existing file's permissions are kept (on Windows
/// its ACL and attributes too).
pub(crate) fn write_atomically(target: &Path, contents: &[u8], private: bool) -> io::Result<()> {
    write_atomically_with(target, contents, private, system_step(), BUSY_PATIENCE, &mut std::thread::sleep)
}

/// The step on this system (chosen here, so that `replace` and `replace_windows` need not know
/// each other both ways): `ReplaceFileW` on Windows, which keeps the replaced file's ACL and
/// attributes; `rename` elsewhere, where an open file never stops a rename.
fn system_step() -> &'static dyn ReplaceStep {
    #[cfg(windows)]
    return &super::replace_windows::ReplaceFile;
    #[cfg(not(windows))]
    return &super::replace::Rename;
}

/// [`write_atomically`] with the replace step, how long a busy target is waited for, and the
/// sleep given. When it fails, the temporary file is gone and the target is as it was.
pub(crate) fn write_atomically_with(
    target: &Path,
    contents: &[u8],
    private: bool,
    step: &dyn ReplaceStep,
    patience: Patience,
    sleep: &mut dyn FnMut(Duration),
) -> io::Result<()> {
    let folder = folder_of(target);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // tempfile creates the file 0600 on Unix, which is what a new credentials file should be.
    let mut temp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(folder)?;
    if let (false, Ok(existing)) = (private, fs::metadata(target)) {
        fs::set_permissions(temp.path(), existing.permissions())?;
    }
    temp.write_all(contents)?;
    temp.as_file().sync_all()?;
    // Closed before the replace (Windows replaces no file this process holds open); the path
    // still deletes the file when dropped, which is what happens on failure.
    let temp = temp.into_temp_path();
    replace_patiently(step, &temp, target, patience, sleep)?;
    // Replaced: there is no temporary file any more to delete.
    temp.keep().map_err(|e| e.error)?;
    #[cfg(unix)]
    File::open(folder)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::error::Error;
    use crate::files::replace::is_windows_busy;

    const SHARING_VIOLATION: i32 = 32;

    /// A Windows replace as another program holding the target open makes it: refused with
    /// `error` for the first `refusals` attempts, then a rename.
    struct HeldOpen {
        refusals: u32,
        error: i32,
        attempts: Cell<u32>,
    }

    impl HeldOpen {
        fn new(refusals: u32, error: i32) -> HeldOpen {
            HeldOpen { refusals, error, attempts: Cell::new(0) }
        }
    }

    impl ReplaceStep for HeldOpen {
        fn replace(&self, temp: &Path, target: &Path) -> io::Result<()> {
            self.attempts.set(self.attempts.get() + 1);
            if self.attempts.get() <= self.refusals {
                return Err(io::Error::from_raw_os_error(self.error));
            }
            fs::rename(temp, target)
        }

        fn is_busy(&self, error: &io::Error) -> bool {
            is_windows_busy(error)
        }
    }

    /// Writes "new" over a file holding "old" with `step`; the result, the pauses slept, and the
    /// files left in the folder.
    fn write_over_old(step: &HeldOpen) -> (io::Result<()>, Vec<Duration>, String, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("credentials");
        fs::write(&target, "old").unwrap();
        let mut slept = Vec::new();
        let result = write_atomically_with(&target, b"new", false, step, BUSY_PATIENCE, &mut |d| slept.push(d));
        let names = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        (result, slept, fs::read_to_string(&target).unwrap(), names)
    }

    #[test]
    fn a_file_held_open_for_a_while_is_replaced_once_it_is_free() {
        for error in [5, SHARING_VIOLATION, 33, 1175] {
            let step = HeldOpen::new(6, error);
            let (result, slept, contents, names) = write_over_old(&step);
            result.unwrap();
            assert_eq!((contents.as_str(), names), ("new", vec!["credentials".to_string()]), "error {error}");
            assert_eq!(step.attempts.get(), 7);
            assert_eq!(slept, BUSY_PATIENCE.pauses().take(6).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_file_held_open_too_long_is_left_as_it_was_with_no_temporary_file_and_says_what_to_close() {
        let step = HeldOpen::new(u32::MAX, SHARING_VIOLATION);
        let (result, slept, contents, names) = write_over_old(&step);
        let error = result.unwrap_err();
        assert_eq!((contents.as_str(), names), ("old", vec!["credentials".to_string()]));
        assert_eq!(slept.iter().sum::<Duration>(), Duration::from_secs(5));
        assert_eq!(step.attempts.get() as usize, slept.len() + 1);
        let message = Error::io("cannot write", Path::new("C:\\Users\\u\\.aws\\credentials"), &error).to_string();
        for part in [
            "C:\\Users\\u\\.aws\\credentials",
            "another program kept the file open for 5 s",
            "close it",
            "left as it was",
        ] {
            assert!(message.contains(part), "{part} in {message}");
        }
    }

    #[test]
    fn other_errors_are_not_tried_again() {
        let step = HeldOpen::new(1, 2);
        let (result, slept, contents, names) = write_over_old(&step);
        assert_eq!(result.unwrap_err().raw_os_error(), Some(2));
        assert_eq!((step.attempts.get(), slept.len()), (1, 0));
        assert_eq!((contents.as_str(), names), ("old", vec!["credentials".to_string()]));
    }
}
