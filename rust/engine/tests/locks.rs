//! The blocking file lock is never waited for on an async worker thread: while another process
//! holds a lock the engine needs, a runtime with a single thread keeps running its other tasks.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fake_identity_center::{Approval, FakeConfig, FakeServer};
use ssocreds_engine::api::{LoginStart, LoginStartRequest, ProfileStatus};
use ssocreds_engine::Engine;

mod common;
use common::engine_for;

const ENVIRONMENT: &str = "Locks";
/// How long the other process holds the lock.
const HELD: Duration = Duration::from_millis(300);
const TICK: Duration = Duration::from_millis(5);
/// The coarsest timer a test runs on: Windows' default resolution (64 Hz), to which a sleep of
/// [`TICK`] is rounded up there.
const COARSEST_TIMER: Duration = Duration::from_micros(15_625);

fn login_request(write_sso_session: bool) -> LoginStartRequest {
    LoginStartRequest { write_sso_session, ..common::login_request(ENVIRONMENT) }
}

async fn log_in(engine: &Engine) {
    common::log_in(engine, login_request(false)).await;
}

/// `.<name>.lock` beside `target`, as the engine names its lock files.
fn lock_file_of(target: &Path) -> PathBuf {
    target.with_file_name(format!(".{}.lock", target.file_name().unwrap().to_string_lossy()))
}

/// Holds `lock_file` from another thread (as another process would) for [`HELD`], and counts the
/// ticks of a task on this runtime meanwhile. Returns the count at the moment the lock is let go.
fn hold_and_count(lock_file: PathBuf) -> tokio::sync::oneshot::Receiver<u64> {
    let ticks = Arc::new(AtomicU64::new(0));
    let counting = ticks.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            counting.fetch_add(1, Ordering::Relaxed);
        }
    });
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(lock_file).unwrap();
    file.lock().unwrap();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(HELD);
        let _ = sender.send(ticks.load(Ordering::Relaxed));
        file.unlock().unwrap();
    });
    receiver
}

/// A thread blocked on the lock ticks at most once; a free one ticks about [`HELD`] / tick, of which a
/// third is asked (a busy machine), each tick counted as long as the coarsest timer makes it: 19
/// possible, 6 asked, which a blocked thread never reaches on any system.
fn assert_runtime_stayed_free(ticks: u64) {
    let longest_tick = TICK.max(COARSEST_TIMER);
    let possible = (HELD.as_micros() / longest_tick.as_micros()) as u64;
    assert!(
        ticks >= possible / 3,
        "the runtime's only thread ticked {ticks} times of {possible} while the lock was held"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn writing_the_sso_session_section_waits_for_the_config_lock_off_the_runtime() {
    let fake = FakeServer::start_background(FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::default() })
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    log_in(&engine).await;
    let config = home.path().join(".aws").join("config");
    let counted = hold_and_count(lock_file_of(&config));
    let started = engine.login_start(login_request(true)).await.unwrap();
    assert!(matches!(started, LoginStart::LoggedIn { .. }), "{started:?}");
    assert_runtime_stayed_free(counted.await.unwrap());
    assert!(std::fs::read_to_string(config).unwrap().contains("[sso-session Locks]"));
}

#[tokio::test(flavor = "current_thread")]
async fn a_renewal_waits_for_the_session_lock_off_the_runtime() {
    // Tokens that always need renewing: they live less than the five minutes a token must have left.
    let fake = FakeServer::start_background(FakeConfig {
        approval: Approval::AfterPolls(1),
        access_token_ttl: Duration::from_secs(120),
        ..FakeConfig::with_generated_accounts(1, &["ReadOnly"])
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    log_in(&engine).await;
    let cache_folder = home.path().join(".aws").join("sso").join("cache");
    let cache_file = std::fs::read_dir(&cache_folder).unwrap().map(|e| e.unwrap().path()).next().unwrap();
    let counted = hold_and_count(lock_file_of(&cache_file));
    let request = common::one_profile_request(ENVIRONMENT, home.path());
    let report = engine.refresh(request).await.unwrap();
    assert_eq!(report.count(ProfileStatus::Refreshed), 1);
    assert_runtime_stayed_free(counted.await.unwrap());
    assert_eq!(fake.counters().create_token_refresh, 1, "the token was renewed once the lock was free");
}
