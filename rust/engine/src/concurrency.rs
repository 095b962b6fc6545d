//! How much runs at once, one copy each: the bound on requests in flight, a lock that survives a
//! panicking holder, the bounded fan-out of async work, and blocking work (a file lock that may be
//! held by another process) moved off the async worker threads.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::error::{Error, ErrorCode, Result};

/// Requests in flight at once unless the caller says otherwise (`maxConcurrency`).
pub(crate) const DEFAULT_MAX_CONCURRENCY: usize = 16;
/// The most a caller may ask for.
pub(crate) const MAX_CONCURRENCY_LIMIT: usize = 256;

/// The request's bound on requests in flight, or the default.
pub(crate) fn checked_max_concurrency(requested: Option<usize>) -> Result<usize> {
    let max_concurrency = requested.unwrap_or(DEFAULT_MAX_CONCURRENCY);
    if (1..=MAX_CONCURRENCY_LIMIT).contains(&max_concurrency) {
        Ok(max_concurrency)
    } else {
        Err(Error::invalid_input(format!(
            "maxConcurrency {max_concurrency} is not between 1 and {MAX_CONCURRENCY_LIMIT}"
        )))
    }
}

/// Locks `mutex`. A poisoned lock only means another thread panicked while holding it; every
/// critical section in these crates reads or replaces whole values, so the data is still sound.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads `lock`, poisoned or not (see [`lock`]).
pub fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes `lock`, poisoned or not (see [`lock`]).
pub fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `work` for every item as a task of its own, at most `limit` at a time, and returns the
/// results in the order they complete. A task that panicked is logged and left out (the caller
/// reports what is missing). Dropping the returned future aborts every task not yet finished, so a
/// cancelled operation sends nothing more.
pub(crate) async fn fan_out<I, T, F, Fut>(items: impl IntoIterator<Item = I>, limit: usize, work: F) -> Vec<T>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit.max(1)));
    let mut tasks = JoinSet::new();
    for item in items {
        let (permits, job) = (permits.clone(), work(item));
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
            job.await
        });
    }
    let mut results = Vec::with_capacity(tasks.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => results.push(result),
            Err(e) if e.is_panic() => tracing::error!("a concurrent task panicked"),
            Err(_) => {}
        }
    }
    results
}

/// Runs `work`, which may block (waiting for a file lock another process holds, flushing a file to
/// disk), on tokio's blocking threads, so the async workers keep serving other requests.
pub(crate) async fn blocking<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|_| Error::new(ErrorCode::Panic, format!("{what} panicked")))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fan_out_runs_everything_never_more_than_the_limit_at_once() {
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let results = fan_out(0..40, 3, |i| {
            let (running, most) = (running.clone(), most.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                i
            }
        })
        .await;
        let mut sorted = results.clone();
        sorted.sort();
        assert_eq!(sorted, (0..40).collect::<Vec<_>>());
        assert!(most.load(Ordering::SeqCst) <= 3);
    }

    #[test]
    fn a_poisoned_lock_is_still_usable() {
        let mutex = Arc::new(Mutex::new(1));
        let poisoner = mutex.clone();
        let _ = std::thread::spawn(move || {
            let _guard = poisoner.lock().unwrap();
            panic!("poison it");
        })
        .join();
        assert!(mutex.is_poisoned());
        *lock(&mutex) += 1;
        assert_eq!(*lock(&mutex), 2);
    }

    #[test]
    fn concurrency_bounds() {
        assert_eq!(checked_max_concurrency(None).unwrap(), DEFAULT_MAX_CONCURRENCY);
        assert_eq!(checked_max_concurrency(Some(MAX_CONCURRENCY_LIMIT)).unwrap(), MAX_CONCURRENCY_LIMIT);
        assert!(checked_max_concurrency(Some(0)).is_err());
        assert!(checked_max_concurrency(Some(MAX_CONCURRENCY_LIMIT + 1)).is_err());
    }
}
