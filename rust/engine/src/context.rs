//! What every operation works with, below the features that use it and above what it holds: the
//! process environment, the clock, what this process remembers per environment, and the SDK
//! clients.

use crate::clock::Clock;
use crate::env::HostEnv;
use crate::portal::Clients;
use crate::state::ProcessState;

/// What every operation works with: the process environment, the clock, what this process
/// remembers per environment, and the SDK clients.
#[derive(Default)]
pub(crate) struct Context {
    pub env: HostEnv,
    pub clock: Clock,
    pub state: ProcessState,
    pub clients: Clients,
}
