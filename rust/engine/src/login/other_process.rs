//! One device login per session across processes: the process that runs it holds the lock file
//! `.<cache file name>.lock` beside the session's cache file; another process that wants to log in
//! meanwhile waits for the token to appear in the cache file instead of opening a second browser
//! tab. A lock that frees up with no token means that login failed.

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{login_cancelled, pause_until, WaitingLogin};
use crate::api::LoginPoll;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::files::{create_private_dir, lock_path, FileLock};
use crate::time::format_rfc3339;
use crate::token::{self, TOKEN_LEFT_TO_REUSE};

/// How long a process waits for another process's device login before giving up.
const WAIT_LIMIT: Duration = Duration::from_secs(15 * 60);
/// How often it looks for that login's token.
const CHECK_EVERY: Duration = Duration::from_millis(250);

/// Takes the session's login lock without waiting; false when another process holds it.
/// Fails with `LoginRequired` when the login was cancelled since `generation`.
pub(super) fn take_lock(context: &Context, environment: &str, cache_file: &Path, generation: u64) -> Result<bool> {
    if context.state.with(environment, |s| s.login_lock.is_some()) {
        return Ok(true);
    }
    if let Some(folder) = cache_file.parent() {
        create_private_dir(folder).map_err(|e| Error::io("cannot create", folder, &e))?;
    }
    let Some(lock) = FileLock::try_acquire(&lock_path(cache_file))? else { return Ok(false) };
    let current = context.state.with(environment, |s| {
        let current = s.generation == generation;
        if current {
            s.login_lock = Some(lock);
            s.waiting = None;
        }
        current
    });
    if current {
        Ok(true)
    } else {
        Err(login_cancelled(environment))
    }
}

/// Releases the login lock this process holds, unless a cancel already did (and a new login may
/// hold it now).
pub(super) fn release_lock(context: &Context, environment: &str, generation: u64) {
    context.state.with(environment, |s| {
        if s.generation == generation {
            s.login_lock = None;
        }
    });
}

/// Waits until `deadline` for the other process's token (then `loggedIn`), for its lock to free up
/// with no token (then `LoginRequired`), or for a cancel.
pub(super) async fn wait(
    context: &Context,
    environment: &str,
    waiting: WaitingLogin,
    deadline: Instant,
    generation: u64,
    forgotten: &mut watch::Receiver<u64>,
) -> Result<LoginPoll> {
    let stop_waiting = || {
        context.state.with(environment, |s| {
            if s.generation == generation {
                s.waiting = None;
            }
        })
    };
    loop {
        if context.state.with(environment, |s| s.generation != generation) {
            return Err(login_cancelled(environment));
        }
        if let Some(done) = finished(context, environment, &waiting).await? {
            stop_waiting();
            return Ok(done);
        }
        if FileLock::try_acquire(&lock_path(&waiting.cache_file))?.is_some() {
            stop_waiting();
            if let Some(done) = finished(context, environment, &waiting).await? {
                return Ok(done);
            }
            return Err(Error::login_required(environment, "the login in another process ended without a token"));
        }
        if waiting.since.elapsed() > WAIT_LIMIT {
            stop_waiting();
            let lock = lock_path(&waiting.cache_file);
            return Err(Error::login_required(
                environment,
                &format!(
                    "gave up after {} minutes waiting for another process's login (it holds {})",
                    WAIT_LIMIT.as_secs() / 60,
                    lock.display()
                ),
            ));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(LoginPoll::Pending);
        }
        pause_until(now + CHECK_EVERY.min(deadline - now), forgotten).await;
    }
}

/// The other process's token, once it is in the cache file.
async fn finished(context: &Context, environment: &str, waiting: &WaitingLogin) -> Result<Option<LoginPoll>> {
    let token = token::stored(context, environment, Some(&waiting.cache_file))?
        .filter(|t| t.start_url == waiting.start_url && t.valid_at(context.clock.now(), TOKEN_LEFT_TO_REUSE));
    let Some(token) = token else { return Ok(None) };
    if let Some(config) = &waiting.persist.sso_session_config {
        token::write_sso_session(environment, &token, config).await?;
    }
    Ok(Some(LoginPoll::LoggedIn { expires_at: format_rfc3339(token.expires_at) }))
}
