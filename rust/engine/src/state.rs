//! What the engine remembers per environment inside one process: the SSO token (the original
//! script's `<Env>SSOToken` global), a login in progress (with an authorization-code login's
//! loopback listener), or one another process runs, the last listing of accounts and roles, and
//! client registrations.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use crate::concurrency::lock;
use crate::discovery::listing::Listing;
use crate::files::FileLock;
use crate::login::state::{PendingLogin, WaitingLogin};
use crate::secret::Secret;
use crate::token::state::{Registration, SsoToken};

/// What this process remembers about one environment (one SSO login).
#[derive(Default, Debug)]
pub(crate) struct EnvironmentState {
    pub token: Option<SsoToken>,
    pub pending: Option<PendingLogin>,
    pub waiting: Option<WaitingLogin>,
    /// Held while this process runs the environment's login, so other processes wait.
    pub login_lock: Option<FileLock>,
    /// An access token the service refused; never offered again.
    pub rejected: Option<Secret>,
    pub last_refresh_attempt: Option<Instant>,
    /// The accounts and roles last listed with this environment's token.
    pub listing: Option<Arc<Listing>>,
    /// Counts the logins forgotten by `login_cancel` or `logout`: a `login_start` or `login_poll`
    /// that began before one of them stores nothing afterwards.
    pub generation: u64,
}

impl EnvironmentState {
    /// True while a login of this process, or the wait for another process's, is under way.
    pub(crate) fn login_in_progress(&self) -> bool {
        self.pending.is_some() || self.waiting.is_some()
    }

    /// Forgets the pending login (closing its listener, if it has one) or the wait for another
    /// process's login, and releases the login lock. True when there was a login to forget.
    pub(crate) fn forget_login(&mut self) -> bool {
        let had = self.login_in_progress() || self.login_lock.is_some();
        self.pending = None;
        self.waiting = None;
        self.login_lock = None;
        self.generation += 1;
        had
    }
}

/// What this process remembers: each environment's state, and client registrations per region,
/// endpoint and flow. Locks are held only to read or replace a value, never across a network call.
#[derive(Default)]
pub(crate) struct ProcessState {
    by_environment: Mutex<HashMap<String, EnvironmentState>>,
    /// Keyed by region, OIDC endpoint and flow (see `login::registration`).
    registrations: Mutex<HashMap<String, Registration>>,
    /// Bumped whenever a login is forgotten, so a `login_poll` waiting on another thread notices
    /// at once instead of at its deadline.
    logins_forgotten: watch::Sender<u64>,
}

impl ProcessState {
    pub(crate) fn with<T>(&self, environment: &str, f: impl FnOnce(&mut EnvironmentState) -> T) -> T {
        let mut all = lock(&self.by_environment);
        f(all.entry(environment.to_string()).or_default())
    }

    /// Wakes every wait that subscribed with [`ProcessState::forgotten_logins`]: call it after a
    /// login was forgotten.
    pub(crate) fn notify_login_forgotten(&self) {
        self.logins_forgotten.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Ready (`changed()`) once a login is forgotten after this call.
    pub(crate) fn forgotten_logins(&self) -> watch::Receiver<u64> {
        self.logins_forgotten.subscribe()
    }

    pub(crate) fn registration(&self, key: &str, now: SystemTime, margin: Duration) -> Option<Registration> {
        lock(&self.registrations).get(key).filter(|r| r.valid_at(now, margin)).cloned()
    }

    pub(crate) fn store_registration(&self, key: &str, registration: Registration) {
        lock(&self.registrations).insert(key.to_string(), registration);
    }

    pub(crate) fn forget_registration(&self, key: &str) {
        lock(&self.registrations).remove(key);
    }
}
