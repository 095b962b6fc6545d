//! Refreshes running in the background, so a caller can show progress and cancel between polls.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ssocreds_engine::api::{RefreshReport, RefreshRequest};
use ssocreds_engine::concurrency::lock;
use ssocreds_engine::refresh::Progress;
use ssocreds_engine::{Error, ErrorCode, Result};
use tokio::task::JoinHandle;

use crate::{bounded_wait, ENGINE, RUNTIME};

struct Operation {
    task: JoinHandle<Result<RefreshReport>>,
    progress: Arc<Progress>,
}

static OPERATIONS: LazyLock<Mutex<HashMap<u64, Operation>>> = LazyLock::new(Default::default);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
const POLL_STEP: Duration = Duration::from_millis(10);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    operation_id: u64,
    total: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PollRequest {
    operation_id: u64,
    #[serde(default)]
    wait_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelRequest {
    operation_id: u64,
}

#[derive(Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum PollResult {
    Running { completed: usize, total: usize },
    Done { completed: usize, total: usize, result: RefreshReport },
}

#[derive(Serialize)]
pub struct Cancelled {
    cancelled: bool,
}

fn operations() -> MutexGuard<'static, HashMap<u64, Operation>> {
    lock(&OPERATIONS)
}

fn unknown(id: u64) -> Error {
    Error::invalid_input(format!("operationId {id} is not a running refresh (finished, cancelled or never started)"))
}

/// Checks the request and starts the refresh; bad input and a missing login fail here, at once.
pub fn start(request: RefreshRequest) -> Result<Started> {
    let plan = ENGINE.plan_refresh(request)?;
    let progress = Arc::new(Progress::default());
    let total = plan.to_fetch();
    progress.total.store(total, Ordering::Relaxed);
    let task = RUNTIME.spawn(ENGINE.run_refresh(plan, progress.clone()));
    let operation_id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    operations().insert(operation_id, Operation { task, progress });
    Ok(Started { operation_id, total })
}

/// Waits at most `waitMs` for the refresh to finish; once reported done, it is forgotten.
pub fn poll(request: PollRequest) -> Result<PollResult> {
    let id = request.operation_id;
    let deadline = Instant::now() + bounded_wait(request.wait_ms);
    loop {
        let (finished, completed, total) = {
            let all = operations();
            let operation = all.get(&id).ok_or_else(|| unknown(id))?;
            let progress = &operation.progress;
            (
                operation.task.is_finished(),
                progress.completed.load(Ordering::Relaxed),
                progress.total.load(Ordering::Relaxed),
            )
        };
        if finished {
            let operation = operations().remove(&id).ok_or_else(|| unknown(id))?;
            let result = RUNTIME
                .block_on(operation.task)
                .map_err(|_| Error::new(ErrorCode::Panic, "the refresh panicked"))??;
            return Ok(PollResult::Done { completed, total, result });
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(PollResult::Running { completed, total });
        }
        std::thread::sleep(POLL_STEP.min(deadline - now));
    }
}

/// Stops a running refresh. Profiles it had not yet written are not written.
pub fn cancel(request: CancelRequest) -> Result<Cancelled> {
    let operation = operations().remove(&request.operation_id).ok_or_else(|| unknown(request.operation_id))?;
    operation.task.abort();
    Ok(Cancelled { cancelled: true })
}
