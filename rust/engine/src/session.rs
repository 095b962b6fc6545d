//! What the engine remembers per environment inside one process: the SSO token (the original
//! script's `<Env>SSOToken` global), a device login in progress, and the client registration.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use crate::secret::Secret;

/// An OIDC public-client registration, reusable until it expires.
#[derive(Clone, Debug)]
pub struct Registration {
    pub region: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub expires_at: SystemTime,
}

/// An SSO access token for one start URL.
#[derive(Clone, Debug)]
pub struct SsoToken {
    pub access_token: Secret,
    pub expires_at: SystemTime,
    pub start_url: String,
    pub region: String,
}

impl SsoToken {
    /// True when the token is still usable for at least `margin`.
    pub fn valid_for(&self, margin: Duration) -> bool {
        self.expires_at > SystemTime::now() + margin
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
}

#[derive(Default, Debug)]
pub struct Session {
    pub token: Option<SsoToken>,
    pub pending: Option<PendingLogin>,
}

/// All sessions, and client registrations per region. Locks are held only to read or replace a
/// value, never across a network call.
#[derive(Default)]
pub struct Sessions {
    by_environment: Mutex<HashMap<String, Session>>,
    /// Keyed by region and OIDC endpoint.
    registrations: Mutex<HashMap<String, Registration>>,
}

impl Sessions {
    pub fn with<T>(&self, environment: &str, f: impl FnOnce(&mut Session) -> T) -> T {
        let mut all = lock(&self.by_environment);
        f(all.entry(environment.to_string()).or_default())
    }

    pub fn registration(&self, key: &str, valid_for: Duration) -> Option<Registration> {
        lock(&self.registrations)
            .get(key)
            .filter(|r| r.expires_at > SystemTime::now() + valid_for)
            .cloned()
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
