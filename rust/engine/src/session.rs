//! What the engine remembers per environment inside one process: the SSO token (the original
//! script's `<Env>SSOToken` global), a device login in progress (or one another process runs),
//! and client registrations.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use crate::files::FileLock;
use crate::secret::Secret;

/// An OIDC public-client registration, reusable until it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub region: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub expires_at: SystemTime,
}

impl Registration {
    pub fn valid_for(&self, margin: Duration) -> bool {
        self.expires_at > SystemTime::now() + margin
    }
}

/// An SSO access token for one start URL, with what can refresh it.
#[derive(Clone, Debug)]
pub struct SsoToken {
    pub access_token: Secret,
    pub expires_at: SystemTime,
    pub start_url: String,
    pub region: String,
    pub refresh_token: Option<Secret>,
    pub registration: Option<Registration>,
}

impl SsoToken {
    /// True when the token is still usable for at least `margin`.
    pub fn valid_for(&self, margin: Duration) -> bool {
        self.expires_at > SystemTime::now() + margin
    }

    /// True when a refresh-token grant may renew it without the user.
    pub fn refreshable(&self) -> bool {
        self.refresh_token.is_some() && self.registration.as_ref().is_some_and(|r| r.valid_for(Duration::ZERO))
    }
}

/// A device authorization waiting for the user's approval.
#[derive(Clone, Debug)]
pub struct PendingLogin {
    pub registration: Registration,
    pub device_code: Secret,
    pub start_url: String,
    pub region: String,
    pub interval: Duration,
    pub next_poll: Instant,
    pub expires: Instant,
    pub persist: Persistence,
}

/// Where a login's token goes once it is approved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Persistence {
    /// The AWS CLI v2 cache file, unless the caller asked for memory only.
    pub cache_file: Option<PathBuf>,
    /// Also write `[sso-session <environment>]` into this AWS config file.
    pub sso_session_config: Option<PathBuf>,
}

/// Another process is running the device login for this session; this one waits for its token.
#[derive(Clone, Debug)]
pub struct WaitingLogin {
    pub since: Instant,
    pub start_url: String,
    pub cache_file: PathBuf,
    pub persist: Persistence,
}

#[derive(Default, Debug)]
pub struct Session {
    pub token: Option<SsoToken>,
    pub pending: Option<PendingLogin>,
    pub waiting: Option<WaitingLogin>,
    /// Held while this process runs the session's device login, so other processes wait.
    pub login_lock: Option<FileLock>,
    /// An access token the service refused; never offered again.
    pub rejected: Option<Secret>,
    pub last_refresh_attempt: Option<Instant>,
    /// Counts the logins forgotten by `login_cancel` or `logout`: a `login_start` or `login_poll`
    /// that began before one of them stores nothing afterwards.
    pub generation: u64,
}

impl Session {
    /// Forgets the pending device login or the wait for another process's login, and releases the
    /// login lock. True when there was a login to forget.
    pub fn forget_login(&mut self) -> bool {
        let had = self.pending.is_some() || self.waiting.is_some() || self.login_lock.is_some();
        self.pending = None;
        self.waiting = None;
        self.login_lock = None;
        self.generation += 1;
        had
    }
}

/// All sessions, and client registrations per region and endpoint. Locks are held only to read or
/// replace a value, never across a network call.
#[derive(Default)]
pub struct Sessions {
    by_environment: Mutex<HashMap<String, Session>>,
    /// Keyed by region and OIDC endpoint.
    registrations: Mutex<HashMap<String, Registration>>,
    /// Bumped whenever a login is forgotten, so a `login_poll` waiting on another thread notices
    /// at once instead of at its deadline.
    logins_forgotten: watch::Sender<u64>,
}

impl Sessions {
    pub fn with<T>(&self, environment: &str, f: impl FnOnce(&mut Session) -> T) -> T {
        let mut all = lock(&self.by_environment);
        f(all.entry(environment.to_string()).or_default())
    }

    /// Wakes every wait that subscribed with [`Sessions::forgotten_logins`]: call it after a
    /// login was forgotten.
    pub fn notify_login_forgotten(&self) {
        self.logins_forgotten.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Ready (`changed()`) once a login is forgotten after this call.
    pub fn forgotten_logins(&self) -> watch::Receiver<u64> {
        self.logins_forgotten.subscribe()
    }

    pub fn registration(&self, key: &str, valid_for: Duration) -> Option<Registration> {
        lock(&self.registrations).get(key).filter(|r| r.valid_for(valid_for)).cloned()
    }

    pub fn store_registration(&self, key: &str, registration: Registration) {
        lock(&self.registrations).insert(key.to_string(), registration);
    }

    pub fn forget_registration(&self, key: &str) {
        lock(&self.registrations).remove(key);
    }
}

/// A poisoned lock only means another thread panicked while holding it; the map is still sound.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_of_tokens_and_registrations_shows_no_secret() {
        let token = SsoToken {
            access_token: Secret::new("aoa-ACCESS"),
            expires_at: SystemTime::now(),
            start_url: "https://x".into(),
            region: "us-east-1".into(),
            refresh_token: Some(Secret::new("aor-REFRESH")),
            registration: Some(Registration {
                region: "us-east-1".into(),
                client_id: "client".into(),
                client_secret: Secret::new("CLIENT-SECRET"),
                expires_at: SystemTime::now(),
            }),
        };
        let printed = format!("{token:?}");
        for secret in ["aoa-ACCESS", "aor-REFRESH", "CLIENT-SECRET"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }
}
