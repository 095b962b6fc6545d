//! What every operation works with, below the features that use it and above what it holds: the
//! process environment, the clock, what this process remembers per environment, and the SDK
//! clients.

use crate::clock::Clock;
use crate::env::Env;
use crate::portal::Clients;
use crate::session::Sessions;

/// What every operation works with: the environment, the clock, what this process remembers per
/// session, and the SDK clients.
#[derive(Default)]
pub(crate) struct Context {
    pub env: Env,
    pub clock: Clock,
    pub sessions: Sessions,
    pub clients: Clients,
}
