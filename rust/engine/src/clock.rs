//! The engine's wall clock, injected: whether a token, a listing or stored credentials are still
//! good is decided against [`Clock::now`], so each such decision can be tested at any moment.
//! Every wall-clock read of the engine goes through it: a token's expiry (built from the service's
//! answer), a prompt's `expiresAt`, Retry-After dates and the learnt rate's `learnedAt`.
//! Waits, deadlines and cooldowns stay on the monotonic `Instant` (the pacer's turns, poll and
//! callback deadlines, the device code's and the browser's timeouts, the lock's patience, the
//! renewal cooldown): a change of the system clock must not make them jump, and nothing is
//! compared with a time from outside the process.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

#[derive(Clone)]
pub(crate) struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// The system's clock.
    pub(crate) fn system() -> Self {
        Clock(Arc::new(SystemTime::now))
    }

    /// A clock that always says `at`.
    #[cfg(test)]
    pub(crate) fn fixed(at: SystemTime) -> Self {
        Clock(Arc::new(move || at))
    }

    pub(crate) fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}
