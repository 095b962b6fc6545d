//! The Windows replace step: `ReplaceFileW`, which keeps the replaced file's ACL (one the user
//! tightened stays tight), owner, attributes and creation time; `MoveFileExW` for a new file.
//!
//! The only `unsafe` of the engine outside the C ABI crate: two Win32 calls that take
//! NUL-terminated UTF-16 paths, which this file builds and keeps alive across each call.
#![allow(unsafe_code)]

use std::io;
use std::iter;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use std::ptr;

use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_UNABLE_TO_MOVE_REPLACEMENT};
use windows_sys::Win32::Storage::FileSystem::{
    MoveFileExW, ReplaceFileW, SetFileAttributesW, FILE_ATTRIBUTE_NORMAL, MOVEFILE_REPLACE_EXISTING,
    MOVEFILE_WRITE_THROUGH, REPLACEFILE_IGNORE_MERGE_ERRORS,
};

use super::replace::{is_windows_busy, ReplaceStep};

pub(crate) struct ReplaceFile;

impl ReplaceStep for ReplaceFile {
    fn replace(&self, temp: &Path, target: &Path) -> io::Result<()> {
        let temp_w = wide(temp);
        let target_w = wide(target);
        // tempfile marks its files temporary (kept in memory, not meant to last); the result must
        // not be. A new file gets this attribute; a replaced one keeps its own.
        // SAFETY: `temp_w` is a NUL-terminated UTF-16 string that outlives the call.
        if unsafe { SetFileAttributesW(temp_w.as_ptr(), FILE_ATTRIBUTE_NORMAL) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both paths are NUL-terminated UTF-16 strings that outlive the call; the backup
        // name, exclude and reserved pointers may be null.
        let replaced = unsafe {
            ReplaceFileW(
                target_w.as_ptr(),
                temp_w.as_ptr(),
                ptr::null(),
                REPLACEFILE_IGNORE_MERGE_ERRORS,
                ptr::null(),
                ptr::null(),
            )
        };
        if replaced != 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        // No file to replace: a move, which gives the new file the folder's inherited ACL. The same
        // when ReplaceFileW removed the target but could not rename the new file into its place
        // (ERROR_UNABLE_TO_MOVE_REPLACEMENT, no backup asked for): the move finishes the write.
        if ![ERROR_FILE_NOT_FOUND, ERROR_UNABLE_TO_MOVE_REPLACEMENT]
            .map(|code| Some(code as i32))
            .contains(&error.raw_os_error())
        {
            return Err(error);
        }
        // SAFETY: as above.
        let moved = unsafe {
            MoveFileExW(temp_w.as_ptr(), target_w.as_ptr(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)
        };
        if moved == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn is_busy(&self, error: &io::Error) -> bool {
        is_windows_busy(error)
    }
}

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain(iter::once(0)).collect()
}
