//! The last step of an atomic write: the written temporary file takes the target's place. On
//! Windows that step fails while another program holds the target open without letting it be
//! deleted (an editor, an antivirus scan, a sync client, a .NET `FileStream`); such a refusal is
//! tried again for a few seconds before it is reported. The step is a parameter, so that the retry
//! rule is tested on any system with a step that refuses as Windows does.

use std::io;
use std::path::Path;
use std::time::Duration;

/// Puts `temp` in the place of `target` (replacing it if it exists), in one step.
pub(crate) trait ReplaceStep {
    fn replace(&self, temp: &Path, target: &Path) -> io::Result<()>;

    /// Whether `error` says another program has the target (or the folder entry) in use for now.
    fn is_busy(&self, error: &io::Error) -> bool;
}

/// Windows errors that mean "in use by another program, try again": access denied (5, also what a
/// file being deleted or scanned answers), sharing violation (32), lock violation (33), and
/// `ReplaceFileW`'s "the replaced file could not be removed" (1175), its form of the same.
#[cfg(any(windows, test))]
const WINDOWS_BUSY_ERRORS: [i32; 4] = [5, 32, 33, 1175];

/// `error` is one of the Windows errors of a file in use ([`WINDOWS_BUSY_ERRORS`]).
#[cfg(any(windows, test))]
pub(crate) fn is_windows_busy(error: &io::Error) -> bool {
    error.raw_os_error().is_some_and(|code| WINDOWS_BUSY_ERRORS.contains(&code))
}

/// How long a busy target is waited for: pauses that double from `first_pause` up to `max_pause`,
/// until `patience` has been spent. An editor's save or a scan ends within a second or two.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Patience {
    pub first_pause: Duration,
    pub max_pause: Duration,
    pub total: Duration,
}

pub(crate) const BUSY_PATIENCE: Patience = Patience {
    first_pause: Duration::from_millis(25),
    max_pause: Duration::from_millis(1000),
    total: Duration::from_secs(5),
};

impl Patience {
    /// The pauses between attempts, in order; their sum is `total`.
    pub(crate) fn pauses(self) -> impl Iterator<Item = Duration> {
        let mut spent = Duration::ZERO;
        let mut next = self.first_pause;
        std::iter::from_fn(move || {
            let pause = next.min(self.total.saturating_sub(spent));
            if pause.is_zero() {
                return None;
            }
            spent += pause;
            next = (next * 2).min(self.max_pause);
            Some(pause)
        })
    }
}

/// Runs `step`, trying again after each pause of `patience` while the target is busy; `sleep`
/// waits (a test passes one that only records). A target still busy at the end is an error that
/// says what to do; the caller names the file.
pub(crate) fn replace_patiently(
    step: &dyn ReplaceStep,
    temp: &Path,
    target: &Path,
    patience: Patience,
    sleep: &mut dyn FnMut(Duration),
) -> io::Result<()> {
    let mut pauses = patience.pauses();
    loop {
        let error = match step.replace(temp, target) {
            Ok(()) => return Ok(()),
            Err(error) if step.is_busy(&error) => error,
            Err(error) => return Err(error),
        };
        match pauses.next() {
            Some(pause) => {
                tracing::debug!(?pause, %error, "the file is in use by another program; trying again");
                sleep(pause);
            }
            None => return Err(still_busy(&error, patience.total)),
        }
    }
}

fn still_busy(error: &io::Error, waited: Duration) -> io::Error {
    io::Error::new(
        error.kind(),
        format!(
            "another program kept the file open for {} s ({error}); close it (an editor, or a sync or \
             antivirus scan still at work on it) and run again. It was left as it was",
            waited.as_secs_f32()
        ),
    )
}

/// The step outside Windows: `rename`.
#[cfg(not(windows))]
pub(super) struct Rename;

#[cfg(not(windows))]
impl ReplaceStep for Rename {
    fn replace(&self, temp: &Path, target: &Path) -> io::Result<()> {
        std::fs::rename(temp, target)
    }

    fn is_busy(&self, _error: &io::Error) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pauses_grow_and_add_up_to_the_patience() {
        let pauses: Vec<_> = BUSY_PATIENCE.pauses().collect();
        assert_eq!(pauses[..3], [25, 50, 100].map(Duration::from_millis));
        assert!(pauses.iter().all(|p| *p <= BUSY_PATIENCE.max_pause));
        assert_eq!(pauses.iter().sum::<Duration>(), Duration::from_secs(5));
    }

    #[test]
    fn only_the_errors_of_a_file_in_use_are_busy() {
        for code in [5, 32, 33, 1175] {
            assert!(is_windows_busy(&io::Error::from_raw_os_error(code)), "{code}");
        }
        for code in [2, 3, 112] {
            assert!(!is_windows_busy(&io::Error::from_raw_os_error(code)), "{code}");
        }
        assert!(!is_windows_busy(&io::Error::other("no code")));
    }
}
