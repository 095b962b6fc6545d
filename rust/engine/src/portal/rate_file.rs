//! What the pacer learnt about each portal endpoint, kept for the next process: a small JSON file of
//! ours beside the SSO token cache, `{"endpoints": {"<host[:port]>": {"requestsPerSecond": 18.4,
//! "throttled": true, "learnedAt": <epoch seconds>}}}`, written atomically. It only ever tells a
//! pacer where to start: a file that cannot be read or understood, or an entry that makes no sense,
//! is no memory at all, and is replaced at the next write.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::pacer::Start;
use super::{MAX_RATE, MIN_RATE, RATES_FILE, RATE_FILE_TRUSTED_FOR};

/// A few hundred bytes an endpoint: a file larger than this was not written by this tool, and is
/// not read (nor held in rate_file) at all.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Serialize, Deserialize, Default)]
struct RatesFile {
    #[serde(default)]
    endpoints: BTreeMap<String, Entry>,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
struct Entry {
    requests_per_second: f64,
    throttled: bool,
    learned_at: u64,
}

/// One endpoint's entry in one file.
#[derive(Clone, Debug)]
pub struct RateFile {
    path: PathBuf,
    endpoint: String,
}

impl RateFile {
    /// The entry of `endpoint` (a host, with its port if it has one) in the file in `dir`.
    pub fn new(dir: &Path, endpoint: &str) -> RateFile {
        RateFile { path: dir.join(RATES_FILE), endpoint: endpoint.to_ascii_lowercase() }
    }

    /// Where to start, if this endpoint was paced before. A rate learnt from 429s longer ago than
    /// [`RATE_FILE_TRUSTED_FOR`] is a place to start growing from, not a limit to probe under.
    pub fn recall(&self, now: SystemTime) -> Option<Start> {
        let entry = read(&self.path).endpoints.get(&self.endpoint).copied()?;
        let rate = entry.requests_per_second;
        if !rate.is_finite() || !(MIN_RATE..=MAX_RATE).contains(&rate) {
            return None;
        }
        // The file is anyone's to edit: a time no clock can hold (`learnedAt` near u64::MAX) or one
        // after `now` is not when anything was learnt.
        let learned_at = UNIX_EPOCH.checked_add(Duration::from_secs(entry.learned_at))?;
        let age = now.duration_since(learned_at).ok()?;
        Some(Start { rate, throttled: entry.throttled && age <= RATE_FILE_TRUSTED_FOR })
    }

    /// Records what was learnt, keeping the other endpoints' entries.
    pub fn remember(&self, learned: Start, now: SystemTime) -> io::Result<()> {
        let mut file = read(&self.path);
        let learned_at = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let entry = Entry { requests_per_second: learned.rate, throttled: learned.throttled, learned_at };
        file.endpoints.insert(self.endpoint.clone(), entry);
        let json = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
        let folder = self.path.parent().unwrap_or(Path::new("."));
        crate::files::create_private_dir(folder)?;
        crate::files::write_atomically(&self.path, &json, true)
    }
}

/// The file's contents; empty when it is missing, unreadable, larger than [`MAX_FILE_BYTES`] or not
/// ours to understand.
fn read(path: &Path) -> RatesFile {
    crate::files::read_at_most(path, MAX_FILE_BYTES)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use serde_json::json;

    use super::*;
    use crate::files::hostile_json::{damaged, padded, Rng};

    #[test]
    fn round_trip_per_endpoint() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let portal = RateFile::new(dir.path(), "portal.sso.us-east-1.amazonaws.com");
        let other = RateFile::new(dir.path(), "127.0.0.1:8080");
        assert_eq!(portal.recall(now), None, "nothing yet");
        portal.remember(Start { rate: 18.5, throttled: true }, now).unwrap();
        other.remember(Start { rate: 400.0, throttled: false }, now).unwrap();
        assert_eq!(portal.recall(now), Some(Start { rate: 18.5, throttled: true }));
        assert_eq!(other.recall(now), Some(Start { rate: 400.0, throttled: false }));
        assert_eq!(RateFile::new(dir.path(), "PORTAL.sso.us-east-1.amazonaws.com").recall(now), portal.recall(now));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(RATES_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn an_old_limit_is_grown_from_rather_than_probed_under() {
        let dir = tempfile::tempdir().unwrap();
        let rate_file = RateFile::new(dir.path(), "host");
        let then = SystemTime::now() - RATE_FILE_TRUSTED_FOR - Duration::from_secs(60);
        rate_file.remember(Start { rate: 3.0, throttled: true }, then).unwrap();
        assert_eq!(rate_file.recall(SystemTime::now()), Some(Start { rate: 3.0, throttled: false }));
    }

    #[test]
    fn garbage_is_no_memory_and_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let rate_file = RateFile::new(dir.path(), "host");
        let path = dir.path().join(RATES_FILE);
        let now = SystemTime::now();
        for garbage in [
            &b"\xff\xfe not json"[..],
            b"",
            b"[]",
            b"{\"endpoints\": {\"host\": {\"requestsPerSecond\": \"fast\"}}}",
            b"{\"endpoints\": {\"host\": {\"requestsPerSecond\": -4, \"throttled\": true, \"learnedAt\": 0}}}",
            b"{\"endpoints\": {\"host\": {\"requestsPerSecond\": 1e300, \"throttled\": true, \"learnedAt\": 0}}}",
            b"{\"endpoints\": {\"host\": {\"requestsPerSecond\": 5, \"throttled\": true, \"learnedAt\": 18446744073709551615}}}",
            b"{\"endpoints\": {\"host\": {\"requestsPerSecond\": 5, \"throttled\": true, \"learnedAt\": -1}}}",
            b"{\"endpoints\": {\"host\": {\"requestsPerSecond\": 5, \"throttled\": true, \"learnedAt\": 1e308}}}",
            b"{\"endpoints\": {\"host\": {\"requestsPerSecond\": 5, \"throttled\": true, \"learnedAt\": 4102444800}}}",
        ] {
            std::fs::write(&path, garbage).unwrap();
            let recalled = catch_unwind(|| rate_file.recall(now));
            assert!(matches!(recalled, Ok(None)), "{:?}", String::from_utf8_lossy(garbage));
        }
        rate_file.remember(Start { rate: 12.0, throttled: true }, now).unwrap();
        assert_eq!(rate_file.recall(now), Some(Start { rate: 12.0, throttled: true }));
        // A folder where the file should be: no rate_file, and no panic.
        let blocked = tempfile::tempdir().unwrap();
        std::fs::create_dir(blocked.path().join(RATES_FILE)).unwrap();
        let rate_file = RateFile::new(blocked.path(), "host");
        assert_eq!(rate_file.recall(now), None);
        assert!(rate_file.remember(Start::default(), now).is_err());
    }

    /// A valid file of one to three endpoints, `host` among them most of the time.
    fn valid_file(rng: &mut Rng, now: SystemTime) -> serde_json::Value {
        let seconds = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let mut endpoints = serde_json::Map::new();
        for name in ["host", "127.0.0.1:8080", "portal.sso.eu-west-1.amazonaws.com"] {
            if rng.percent(70) {
                let learned_at = seconds - *rng.pick(&[0, 60, RATE_FILE_TRUSTED_FOR.as_secs() + 1, seconds]);
                let rate = *rng.pick(&[MIN_RATE, 18.4, 400.0, MAX_RATE]);
                let entry = json!({"requestsPerSecond": rate, "throttled": rng.percent(50), "learnedAt": learned_at});
                endpoints.insert(name.to_string(), entry);
            }
        }
        json!({ "endpoints": endpoints })
    }

    /// The file as hostile input: whatever it holds, `recall` and `remember` never panic, what is
    /// recalled is a rate the pacer may start from, and `remember` replaces what cannot be read.
    #[test]
    fn no_file_makes_recall_or_remember_panic() {
        const FILES: usize = 2_000;
        let dir = tempfile::tempdir().unwrap();
        let (path, rate_file) = (dir.path().join(RATES_FILE), RateFile::new(dir.path(), "host"));
        let mut rng = Rng::seeded(0x7a7e_5eed);
        let now = SystemTime::now();
        let (mut recalled, mut panics) = (0, Vec::new());
        for case in 0..FILES {
            let valid = valid_file(&mut rng, now);
            let bytes = if case % 1000 == 999 {
                padded(&valid, MAX_FILE_BYTES as usize + 1)
            } else {
                damaged(&mut rng, &valid)
            };
            std::fs::write(&path, &bytes).unwrap();
            match catch_unwind(AssertUnwindSafe(|| rate_file.recall(now))) {
                Err(_) => panics.push(format!("case {case}: {:.300}", String::from_utf8_lossy(&bytes))),
                Ok(Some(start)) => {
                    assert!((MIN_RATE..=MAX_RATE).contains(&start.rate), "case {case}: {start:?}");
                    recalled += 1;
                }
                Ok(None) => {}
            }
            if case % 20 == 0 && panics.is_empty() {
                let learned = Start { rate: 7.0, throttled: true };
                rate_file.remember(learned, now).unwrap_or_else(|e| panic!("case {case}: {e}"));
                assert_eq!(rate_file.recall(now), Some(learned), "case {case}");
            }
        }
        assert!(panics.is_empty(), "{} of {FILES} files made recall panic:\n{}", panics.len(), panics.join("\n"));
        assert!(recalled * 20 > FILES, "only {recalled} of {FILES} files were remembered: the damage hides the reader");
    }

    #[test]
    fn a_file_larger_than_the_limit_is_no_memory() {
        let dir = tempfile::tempdir().unwrap();
        let rate_file = RateFile::new(dir.path(), "host");
        let valid = json!({"endpoints": {"host": {"requestsPerSecond": 9.0, "throttled": false, "learnedAt": 1}}});
        std::fs::write(dir.path().join(RATES_FILE), padded(&valid, MAX_FILE_BYTES as usize)).unwrap();
        let now = SystemTime::now();
        assert_eq!(rate_file.recall(now), Some(Start { rate: 9.0, throttled: false }));
        std::fs::write(dir.path().join(RATES_FILE), padded(&valid, MAX_FILE_BYTES as usize + 1)).unwrap();
        assert_eq!(rate_file.recall(now), None);
    }
}
