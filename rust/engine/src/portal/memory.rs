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
use super::{MAX_RATE, MEMORY_TRUSTED_FOR, MIN_RATE, RATES_FILE};

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
pub struct RateMemory {
    path: PathBuf,
    endpoint: String,
}

impl RateMemory {
    /// The memory of `endpoint` (a host, with its port if it has one) in `dir`.
    pub fn new(dir: &Path, endpoint: &str) -> RateMemory {
        RateMemory { path: dir.join(RATES_FILE), endpoint: endpoint.to_ascii_lowercase() }
    }

    /// Where to start, if this endpoint was paced before. A rate learnt from 429s longer ago than
    /// [`MEMORY_TRUSTED_FOR`] is a place to start growing from, not a limit to probe under.
    pub fn recall(&self, now: SystemTime) -> Option<Start> {
        let entry = read(&self.path).endpoints.get(&self.endpoint).copied()?;
        let rate = entry.requests_per_second;
        if !rate.is_finite() || !(MIN_RATE..=MAX_RATE).contains(&rate) {
            return None;
        }
        let age = now.duration_since(UNIX_EPOCH + Duration::from_secs(entry.learned_at)).unwrap_or(Duration::ZERO);
        Some(Start { rate, throttled: entry.throttled && age <= MEMORY_TRUSTED_FOR })
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

/// The file's contents; empty when it is missing, unreadable or not ours to understand.
fn read(path: &Path) -> RatesFile {
    std::fs::read(path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_per_endpoint() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let portal = RateMemory::new(dir.path(), "portal.sso.us-east-1.amazonaws.com");
        let other = RateMemory::new(dir.path(), "127.0.0.1:8080");
        assert_eq!(portal.recall(now), None, "nothing yet");
        portal.remember(Start { rate: 18.5, throttled: true }, now).unwrap();
        other.remember(Start { rate: 400.0, throttled: false }, now).unwrap();
        assert_eq!(portal.recall(now), Some(Start { rate: 18.5, throttled: true }));
        assert_eq!(other.recall(now), Some(Start { rate: 400.0, throttled: false }));
        assert_eq!(RateMemory::new(dir.path(), "PORTAL.sso.us-east-1.amazonaws.com").recall(now), portal.recall(now));
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
        let memory = RateMemory::new(dir.path(), "host");
        let then = SystemTime::now() - MEMORY_TRUSTED_FOR - Duration::from_secs(60);
        memory.remember(Start { rate: 3.0, throttled: true }, then).unwrap();
        assert_eq!(memory.recall(SystemTime::now()), Some(Start { rate: 3.0, throttled: false }));
    }

    #[test]
    fn garbage_is_no_memory_and_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let memory = RateMemory::new(dir.path(), "host");
        let path = dir.path().join(RATES_FILE);
        let now = SystemTime::now();
        for garbage in [
            &b"\xff\xfe not json"[..],
            b"",
            b"[]",
            b"{\"endpoints\": {\"host\": {\"requestsPerSecond\": \"fast\"}}}",
            b"{\"endpoints\": {\"host\": {\"requestsPerSecond\": -4, \"throttled\": true, \"learnedAt\": 0}}}",
            b"{\"endpoints\": {\"host\": {\"requestsPerSecond\": 1e300, \"throttled\": true, \"learnedAt\": 0}}}",
        ] {
            std::fs::write(&path, garbage).unwrap();
            assert_eq!(memory.recall(now), None, "{:?}", String::from_utf8_lossy(garbage));
        }
        memory.remember(Start { rate: 12.0, throttled: true }, now).unwrap();
        assert_eq!(memory.recall(now), Some(Start { rate: 12.0, throttled: true }));
        // A folder where the file should be: no memory, and no panic.
        let blocked = tempfile::tempdir().unwrap();
        std::fs::create_dir(blocked.path().join(RATES_FILE)).unwrap();
        let memory = RateMemory::new(blocked.path(), "host");
        assert_eq!(memory.recall(now), None);
        assert!(memory.remember(Start::default(), now).is_err());
    }
}
