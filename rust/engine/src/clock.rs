//! The engine's wall clock, injected: whether a token, a listing or stored credentials are still
//! good is decided against [`Clock::now`], so each such decision can be tested at any moment.
//! (Waits and timeouts use tokio's monotonic time.)

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
