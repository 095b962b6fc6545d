//! Runs over the C ABI: a run is started, its events taken one call at a time (each waiting a
//! bounded time, so a caller can check Ctrl+C between calls), answered and cancelled by its id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ssocreds_engine::concurrency::lock;
use ssocreds_engine::run::{RunHandle, RunRequest};
use ssocreds_engine::{Error, Result};

use crate::{bounded_wait, ENGINE, RUNTIME};

static RUNS: LazyLock<Mutex<HashMap<u64, Arc<RunHandle>>>> = LazyLock::new(Default::default);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    run_id: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NextRequest {
    run_id: u64,
    #[serde(default)]
    wait_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnswerRequest {
    run_id: u64,
    confirmed: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelRequest {
    run_id: u64,
}

fn unknown(id: u64) -> Error {
    Error::invalid_input(format!(
        "runId {id} is not a run in progress (its finished event was taken, or it never started)"
    ))
}

fn run(id: u64) -> Result<Arc<RunHandle>> {
    lock(&RUNS).get(&id).cloned().ok_or_else(|| unknown(id))
}

/// Starts the run; even bad input is told by its `finished` event.
pub fn start(request: RunRequest) -> Result<Started> {
    let handle = {
        let _runtime = RUNTIME.enter();
        ENGINE.start_run(request)
    };
    let run_id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    lock(&RUNS).insert(run_id, Arc::new(handle));
    Ok(Started { run_id })
}

/// The next event, or `{"event":"none"}` when none came within `waitMs`. Once `finished` is
/// handed out, the run is forgotten.
pub fn next(request: NextRequest) -> Result<Value> {
    let id = request.run_id;
    let handle = run(id)?;
    let wait = bounded_wait(request.wait_ms);
    let event = RUNTIME.block_on(handle.next_event(wait));
    if handle.is_over() {
        lock(&RUNS).remove(&id);
    }
    match event {
        Some(event) => serde_json::to_value(&event).map_err(|e| Error::invalid_input(format!("run {id}: {e}"))),
        None => Ok(json!({"event": "none"})),
    }
}

/// Answers the run's `confirm` event.
pub fn answer(request: AnswerRequest) -> Result<Value> {
    let handle = run(request.run_id)?;
    handle.answer(request.confirmed).map_err(|e| e.context(format!("runId {}", request.run_id)))?;
    Ok(json!({"answered": true}))
}

/// Cancels the run: a login in progress is forgotten (its listener closed, the login lock
/// released), the refresh stops before writing; the next `run_next` gives `finished` with
/// `Cancelled`.
pub fn cancel(request: CancelRequest) -> Result<Value> {
    let handle = run(request.run_id)?;
    let cancelled = RUNTIME.block_on(handle.cancel());
    Ok(json!({"cancelled": cancelled}))
}
