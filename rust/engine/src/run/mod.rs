//! A run: one operation (refresh, discover, login) that a front end drives. The library decides
//! everything (what to fetch, whether and how to log in, the retry after a rejected token, the
//! per-session logins of `fromConfig`, every text to show); the front end starts it, takes its
//! events until `finished`, opens the browser when told, and answers a `confirm` or cancels.
//!
//! [`types`]: the request, events and answers; [`messages`]: every text; [`refresh`],
//! [`from_config`] and [`steps`]: the orchestration, a task over the engine's own operations.

mod credentials;
mod from_config;
mod interactivity;
mod messages;
mod refresh;
mod steps;
mod task;
mod types;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;

pub use types::*;

use crate::api::EnvironmentRequest;
use crate::concurrency::lock;
use crate::context::Context;
use crate::error::{Error, Result};

/// The code of a run ended by `cancel`.
pub const CANCELLED: &str = "Cancelled";

/// A run in progress: its events, its answer, its cancel.
pub struct RunHandle {
    shared: Arc<Shared>,
    context: Arc<Context>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// What the run's task and its handle share.
#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<State>,
    arrived: Notify,
    cancelled: AtomicBool,
}

#[derive(Default)]
struct State {
    events: VecDeque<RunEvent>,
    /// `finished` was queued: nothing follows it.
    finished: bool,
    /// `finished` was handed out.
    delivered: bool,
    /// The session being logged in to, so that a cancel can forget its login.
    logging_in: Option<String>,
    /// Where the answer to a `confirm` goes.
    answer: Option<oneshot::Sender<Vec<String>>>,
}

impl Shared {
    /// Queues the run's `event`; a `progress` replaces a `progress` not yet taken. Once the run
    /// is cancelled, only the cancel's own `finished` is queued.
    pub(crate) fn emit(&self, event: RunEvent) {
        self.push(event, false);
    }

    fn push(&self, event: RunEvent, from_cancel: bool) {
        {
            let mut state = lock(&self.state);
            if state.finished || (self.is_cancelled() && !from_cancel) {
                return;
            }
            if matches!(event, RunEvent::Progress { .. })
                && matches!(state.events.back(), Some(RunEvent::Progress { .. }))
            {
                state.events.pop_back();
            }
            state.finished = matches!(event, RunEvent::Finished { .. });
            state.events.push_back(event);
        }
        self.arrived.notify_waiters();
        self.arrived.notify_one();
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Notes the session being logged in to; `Err` when the run was cancelled meanwhile.
    pub(crate) fn begin_login(&self, environment: &str) -> Result<()> {
        let mut state = lock(&self.state);
        if self.is_cancelled() {
            return Err(cancelled_error());
        }
        state.logging_in = Some(environment.to_string());
        Ok(())
    }

    pub(crate) fn end_login(&self) {
        lock(&self.state).logging_in = None;
    }

    /// Waits for the answer to the `confirm` event queued with it.
    pub(crate) async fn ask(&self, event: RunEvent) -> Vec<String> {
        let (sender, receiver) = oneshot::channel();
        lock(&self.state).answer = Some(sender);
        self.emit(event);
        // A dropped sender only happens with the run itself: nothing is confirmed then.
        receiver.await.unwrap_or_default()
    }
}

/// The error a cancelled step returns; the run reports [`CANCELLED`].
fn cancelled_error() -> Error {
    Error::invalid_input("the run was cancelled")
}

/// Starts a run on the current Tokio runtime. Bad input is reported by a `finished` event too.
pub(crate) fn start(context: Arc<Context>, request: RunRequest) -> RunHandle {
    let shared = Arc::new(Shared::default());
    let task = tokio::spawn(task::drive(context.clone(), shared.clone(), request));
    RunHandle { shared, context, task: Mutex::new(Some(task)) }
}

impl RunHandle {
    /// The next event, waiting at most `wait` for one; `None` when none came (or the run's
    /// `finished` was already taken).
    pub async fn next_event(&self, wait: Duration) -> Option<RunEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let arrived = self.shared.arrived.notified();
            {
                let mut state = lock(&self.shared.state);
                if let Some(event) = state.events.pop_front() {
                    state.delivered |= matches!(event, RunEvent::Finished { .. });
                    return Some(event);
                }
                if state.delivered {
                    return None;
                }
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return None;
            }
        }
    }

    /// Answers the `confirm` event: the profiles (and login targets) to go ahead with.
    pub fn answer(&self, confirmed: Vec<String>) -> Result<()> {
        let sender = lock(&self.shared.state).answer.take();
        match sender {
            Some(sender) => {
                let _ = sender.send(confirmed);
                Ok(())
            }
            None => Err(Error::invalid_input("the run is not waiting for an answer (no confirm event is open)")),
        }
    }

    /// Ends the run: a login in progress is forgotten (its listener closed, the login lock
    /// released), a refresh stops before writing; the next event is `finished` with `Cancelled`.
    /// False when the run had already finished.
    pub async fn cancel(&self) -> bool {
        let Some(logging_in) = self.stop() else { return false };
        // Only once the task is gone can nothing take the login lock again.
        let task = lock(&self.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        self.forget_login(logging_in);
        let error = RunError::new(CANCELLED, "the run was cancelled", "run");
        self.shared.push(RunEvent::Finished { report: None, errors: Vec::new(), error: Some(error) }, true);
        true
    }

    /// Marks the run cancelled and aborts its task; `None` when it had finished, else the session
    /// it was logging in to, if any.
    fn stop(&self) -> Option<Option<String>> {
        let logging_in = {
            let state = lock(&self.shared.state);
            if state.finished {
                return None;
            }
            self.shared.cancelled.store(true, Ordering::SeqCst);
            state.logging_in.clone()
        };
        if let Some(task) = lock(&self.task).as_ref() {
            task.abort();
        }
        Some(logging_in)
    }

    fn forget_login(&self, logging_in: Option<String>) {
        if let Some(environment) = logging_in {
            let request = EnvironmentRequest { environment, no_token_file: false };
            if let Err(error) = crate::login::cancel(&self.context, request) {
                tracing::warn!(%error, "could not forget the login of a cancelled run");
            }
        }
    }

    /// True once `finished` was taken.
    pub fn is_over(&self) -> bool {
        lock(&self.shared.state).delivered
    }
}

impl Drop for RunHandle {
    /// A run nobody drives any more is ended, and its login forgotten.
    fn drop(&mut self) {
        if let Some(logging_in) = self.stop() {
            self.forget_login(logging_in);
        }
    }
}
