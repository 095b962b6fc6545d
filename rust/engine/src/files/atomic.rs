//! Whole-file writes that a reader never sees half done: a temporary file in the same folder, flushed
//! to disk, renamed over the target.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use super::paths::folder_of;

/// How often, and how long apart, a rename refused on Windows is tried again.
const WINDOWS_RENAME_ATTEMPTS: u32 = 10;
const WINDOWS_RENAME_PAUSE: Duration = Duration::from_millis(50);

/// Writes `contents` to a temporary file beside `target`, flushes it to disk and renames it over
/// `target`, so the file is always either the old or the new version.
/// `private` files are always 0600; otherwise an existing file's permissions are kept.
pub(crate) fn write_atomically(target: &Path, contents: &[u8], private: bool) -> io::Result<()> {
    let folder = folder_of(target);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // tempfile creates the file 0600 on Unix, which is what a new credentials file should be.
    let mut temp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(folder)?;
    if let (false, Ok(existing)) = (private, fs::metadata(target)) {
        fs::set_permissions(temp.path(), existing.permissions())?;
    }
    temp.write_all(contents)?;
    temp.as_file().sync_all()?;
    // On Windows the rename fails while another program (an AWS CLI run, an editor) has the file
    // open for a moment; retrying briefly keeps the write atomic without failing the run.
    let mut attempt = 0;
    loop {
        match temp.persist(target) {
            Ok(_) => break,
            Err(e)
                if cfg!(windows)
                    && e.error.kind() == io::ErrorKind::PermissionDenied
                    && attempt < WINDOWS_RENAME_ATTEMPTS =>
            {
                attempt += 1;
                temp = e.file;
                std::thread::sleep(WINDOWS_RENAME_PAUSE);
            }
            Err(e) => return Err(e.error),
        }
    }
    #[cfg(unix)]
    File::open(folder)?.sync_all()?;
    Ok(())
}
