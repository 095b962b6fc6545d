//! Speed and memory of a refresh against the bundled fake IAM Identity Center.
//!
//! `cargo bench -p ssocreds-engine --bench refresh` runs, in one go (about ten minutes; name groups
//! after `--` to run only those: `inflight rates noop memory discovery long config`):
//! 1. 500 profiles, 40 ms latency, 16 requests in flight at most (429 above): the first refresh
//!    against that endpoint (first contact: nothing learnt), then a refresh in a new process
//!    (engine) that starts from the rate learnt, one at concurrency 1 (the original script's
//!    sequential loop), and, over a fresh home, a one-profile run first and the 500 in a new
//!    process after it (what a one-profile run learns must not hold back a larger one);
//! 2. 200 profiles under each rate limit shape, 20/s and 10/s: a token bucket of burst 1 (evenly
//!    spaced requests only), a bucket of burst = rate, a fixed one-second window; first contact;
//! 3. a run with nothing to do over 500 current profiles;
//! 4. the peak memory of a process doing (1), measured in a child process without the fake;
//! 5. discovery of 1,000 accounts with 2 roles each, 40 ms latency, 16 in flight at most: first
//!    contact, then with the rate learnt by it, and sequentially;
//! 6. 2,000 profiles under 5 requests/s (bucket of burst 1): no profile may fail `Throttled`;
//! 7. `fromConfig`: the 500 profiles of (1) as SSO profiles of ~/.aws/config in 5 sso-sessions,
//!    each logged in, under the same cap with the rate learnt before; and its run with nothing to do.
//!
//! Each figure is printed with its target; the exit code is 1 if a target is missed. The whole
//! `ssocreds-cli` process (start-up included) is timed by `tests/bench/measure-cli.sh`.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_identity_center::{Approval, FakeConfig, FakeServer, RateLimit, RateWindow};
use ssocreds_engine::api::{
    AccountRequest, DiscoverRequest, LoginPoll, LoginPollRequest, LoginStartRequest, ProfileStatus, RefreshRequest,
};
use ssocreds_engine::refresh::Progress;
use ssocreds_engine::{Engine, ErrorCode, HostEnv};

const ROLE: &str = "ReadOnly";
const LATENCY: Duration = Duration::from_millis(40);

struct Outcome {
    name: String,
    figure: String,
    target: String,
    met: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    if let Some(position) = args.iter().position(|a| a == "--memory-child") {
        runtime.block_on(memory_child(&args[position + 1]));
        return;
    }
    const GROUPS: [&str; 7] = ["inflight", "rates", "noop", "memory", "discovery", "long", "config"];
    let chosen: Vec<&str> = GROUPS.into_iter().filter(|g| args.iter().any(|a| a == g)).collect();
    let run = |group: &str| chosen.is_empty() || chosen.contains(&group);
    let outcomes = runtime.block_on(async {
        let mut outcomes = Vec::new();
        if run("inflight") {
            outcomes.extend(in_flight_cap().await);
        }
        if run("rates") {
            outcomes.extend(rate_limits().await);
        }
        if run("noop") {
            outcomes.push(no_op().await);
        }
        if run("memory") {
            outcomes.push(peak_memory().await);
        }
        if run("discovery") {
            outcomes.extend(discovery().await);
        }
        if run("long") {
            outcomes.push(long_throttled_run().await);
        }
        if run("config") {
            outcomes.extend(from_config().await);
        }
        outcomes
    });
    println!("\n| benchmark | figure | target | met |\n|---|---|---|---|");
    for o in &outcomes {
        println!("| {} | {} | {} | {} |", o.name, o.figure, o.target, if o.met { "yes" } else { "**no**" });
    }
    if outcomes.iter().any(|o| !o.met) {
        std::process::exit(1);
    }
}

struct Setup {
    fake: FakeServer,
    engine: Engine,
    accounts: Vec<AccountRequest>,
    home: tempfile::TempDir,
}

/// What the engine keeps about the fake's endpoint beside the token cache.
fn learnt(s: &Setup) -> String {
    let path = s.home.path().join(".aws").join("sso").join("cache").join("ssocreds-portal-rates.json");
    std::fs::read_to_string(path).unwrap_or_default().split_whitespace().collect()
}

impl Setup {
    /// Another engine over the same home, as a new process is: it knows only what is on disk (the
    /// token cache, and the rate learnt for the fake's endpoint).
    fn new_process(&self) -> Engine {
        engine_for(&self.fake.url(), &self.home.path().display().to_string())
    }
}

async fn setup(profiles: usize, tune: impl FnOnce(&mut FakeConfig)) -> Setup {
    let mut config =
        FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(profiles, &[ROLE]) };
    tune(&mut config);
    let accounts = accounts_of(&config);
    let fake = FakeServer::start(config).await.expect("fake starts");
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake.url(), &home.path().display().to_string());
    login(&engine).await;
    fake.reset_counters();
    Setup { fake, engine, accounts, home }
}

fn accounts_of(config: &FakeConfig) -> Vec<AccountRequest> {
    config
        .accounts
        .iter()
        .map(|a| AccountRequest {
            profile: Some(format!("{}.{ROLE}", a.account_name)),
            account_id: a.account_id.clone(),
            role_name: Some(ROLE.into()),
            account_name: None,
        })
        .collect()
}

fn engine_for(url: &str, home: &str) -> Engine {
    Engine::new(HostEnv::from_pairs([
        ("AWS_ENDPOINT_URL_SSO_OIDC", url),
        ("AWS_ENDPOINT_URL_SSO", url),
        ("HOME", home),
    ]))
}

async fn login(engine: &Engine) {
    log_in_to(engine, "Bench", "https://d-1234567890.awsapps.com/start").await;
}

/// A device login to `environment` (a session name) at `start_url`, approved by the fake.
async fn log_in_to(engine: &Engine, environment: &str, start_url: &str) {
    let start = LoginStartRequest {
        environment: environment.into(),
        start_url: start_url.into(),
        region: "us-east-1".into(),
        force_login: false,
        use_device_code: Some(true),
        ..Default::default()
    };
    engine.login_start(start).await.expect("login starts");
    loop {
        let poll = LoginPollRequest { environment: environment.into(), wait_ms: Some(1000) };
        if let LoginPoll::LoggedIn { .. } = engine.login_poll(poll).await.expect("login completes") {
            return;
        }
    }
}

fn request(accounts: &[AccountRequest], max_concurrency: Option<usize>, force: bool) -> RefreshRequest {
    RefreshRequest {
        environment: "Bench".into(),
        accounts: accounts.to_vec(),
        max_concurrency,
        force,
        ..RefreshRequest::default()
    }
}

/// Refreshes and returns (seconds, refreshed count).
async fn timed_refresh(engine: &Engine, request: RefreshRequest) -> (f64, usize) {
    let (seconds, refreshed, _) = timed_refresh_failures(engine, request).await;
    (seconds, refreshed)
}

/// Refreshes and returns (seconds, refreshed count, profiles that failed `Throttled`).
async fn timed_refresh_failures(engine: &Engine, request: RefreshRequest) -> (f64, usize, usize) {
    let started = Instant::now();
    let plan = engine.plan_refresh(request).expect("plan");
    let report = engine.run_refresh(plan, Arc::new(Progress::default())).await.expect("refresh");
    let throttled =
        report.profiles.iter().filter(|p| p.error.as_ref().is_some_and(|e| e.code == ErrorCode::Throttled)).count();
    (started.elapsed().as_secs_f64(), report.count(ProfileStatus::Refreshed), throttled)
}

async fn in_flight_cap() -> Vec<Outcome> {
    let s = setup(500, |c| {
        c.latency = LATENCY;
        c.max_in_flight = Some(16);
    })
    .await;
    let (first, first_refreshed) = timed_refresh(&s.engine, request(&s.accounts, None, true)).await;
    s.fake.reset_counters();
    println!("(1) learnt after the first refresh: {}", learnt(&s));
    let engine = s.new_process();
    let (concurrent, refreshed) = timed_refresh(&engine, request(&s.accounts, None, true)).await;
    let counters = s.fake.counters();
    s.fake.reset_counters();
    let (sequential, sequential_refreshed) = timed_refresh(&engine, request(&s.accounts, Some(1), true)).await;
    let ideal = (500f64 / 16.0).ceil() * LATENCY.as_secs_f64();
    println!("(1) 500 profiles: first contact {first:.2}s, learnt {concurrent:.2}s ({refreshed} refreshed, {} calls, {} throttled), sequential {sequential:.2}s", counters.get_role_credentials, counters.throttled);
    let (after_one, after_one_refreshed) = after_a_one_profile_run().await;
    vec![
        Outcome {
            name: "(1) 500 profiles, 40 ms latency, 16-in-flight cap, default settings, first contact (nothing learnt)"
                .into(),
            figure: format!("{first:.2} s = {:.2}x ({first_refreshed}/500)", first / ideal),
            target: format!("<= {:.2} s (1.15 x ceil(500/16) x 40 ms)", 1.15 * ideal),
            met: first <= 1.15 * ideal && first_refreshed == 500,
        },
        Outcome {
            name: "(1) same, rate learnt before".into(),
            figure: format!(
                "{concurrent:.2} s = {:.2}x ({refreshed}/500 refreshed, {} throttled answers)",
                concurrent / ideal,
                counters.throttled
            ),
            target: format!("<= {:.2} s (1.15 x ceil(500/16) x 40 ms)", 1.15 * ideal),
            met: concurrent <= 1.15 * ideal && refreshed == 500,
        },
        Outcome {
            name: "(1) same, after a 1-profile run (first contact) learnt what it could".into(),
            figure: format!("{after_one:.2} s = {:.2}x ({after_one_refreshed}/500)", after_one / ideal),
            target: format!("<= {:.2} s (1.15 x ceil(500/16) x 40 ms)", 1.15 * ideal),
            met: after_one <= 1.15 * ideal && after_one_refreshed == 500,
        },
        Outcome {
            name: "(1) same, concurrency 1 (the original's sequential loop)".into(),
            figure: format!(
                "{sequential:.2} s ({sequential_refreshed}/500); default is {:.1}x faster",
                sequential / concurrent
            ),
            target: ">= 12x slower than default".into(),
            met: sequential / concurrent >= 12.0 && sequential_refreshed == 500,
        },
    ]
}

/// A one-profile refresh at first contact, then the 500 of (1) in a new process, which starts from
/// what the small run learnt; returns (seconds, refreshed) of the 500.
async fn after_a_one_profile_run() -> (f64, usize) {
    let s = setup(500, |c| {
        c.latency = LATENCY;
        c.max_in_flight = Some(16);
    })
    .await;
    let (_, one) = timed_refresh(&s.engine, request(&s.accounts[..1], None, true)).await;
    assert_eq!(one, 1, "the one-profile run");
    // Written off the async workers: give it a moment, as a user between two commands does.
    tokio::time::sleep(Duration::from_millis(100)).await;
    println!("(1) learnt after a 1-profile run: {}", learnt(&s));
    let (seconds, refreshed) = timed_refresh(&s.new_process(), request(&s.accounts, None, true)).await;
    println!("(1) 500 profiles after a 1-profile run: {seconds:.2}s ({refreshed} refreshed)");
    (seconds, refreshed)
}

async fn rate_limits() -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for rate in [20u32, 10] {
        for (shape, limit) in [
            ("bucket, burst 1", RateLimit { burst: Some(1), ..RateLimit::per_second(rate) }),
            ("bucket, burst = rate", RateLimit::per_second(rate)),
            ("fixed 1 s window", RateLimit { window: RateWindow::Fixed, ..RateLimit::per_second(rate) }),
        ] {
            outcomes.push(rate_limit(rate, shape, limit).await);
        }
    }
    outcomes
}

async fn rate_limit(rate: u32, shape: &str, limit: RateLimit) -> Outcome {
    const PROFILES: usize = 200;
    let s = setup(PROFILES, |c| c.rate_limit = Some(limit)).await;
    let (seconds, refreshed) = timed_refresh(&s.engine, request(&s.accounts, None, true)).await;
    let counters = s.fake.counters();
    let share = counters.throttled as f64 / counters.get_role_credentials.max(1) as f64;
    let limit_seconds = PROFILES as f64 / f64::from(rate);
    println!(
        "(2) {PROFILES} profiles at {rate}/s, {shape}: {seconds:.2}s, {refreshed} refreshed, {} calls, {} throttled",
        counters.get_role_credentials, counters.throttled
    );
    Outcome {
        name: format!("(2) {PROFILES} profiles under {rate} requests/s, {shape}, first contact"),
        figure: format!(
            "{seconds:.2} s = {:.2}x, {refreshed}/{PROFILES} refreshed, {:.1}% of {} calls throttled",
            seconds / limit_seconds,
            share * 100.0,
            counters.get_role_credentials
        ),
        target: format!("all refreshed, <= {:.2} s (1.25 x {PROFILES}/{rate}), < 10% throttled", 1.25 * limit_seconds),
        met: refreshed == PROFILES && seconds <= 1.25 * limit_seconds && share < 0.10,
    }
}

/// The SDK's retry quota must not turn a long throttled run into failures.
async fn long_throttled_run() -> Outcome {
    const PROFILES: usize = 2000;
    const RATE: u32 = 5;
    let limit = RateLimit { burst: Some(1), ..RateLimit::per_second(RATE) };
    let s = setup(PROFILES, |c| c.rate_limit = Some(limit)).await;
    let (seconds, refreshed, throttled_failures) =
        timed_refresh_failures(&s.engine, request(&s.accounts, None, true)).await;
    let counters = s.fake.counters();
    let limit_seconds = PROFILES as f64 / f64::from(RATE);
    println!(
        "(6) {PROFILES} profiles at {RATE}/s: {seconds:.1}s, {refreshed} refreshed, {throttled_failures} failed Throttled, {} calls, {} throttled",
        counters.get_role_credentials, counters.throttled
    );
    Outcome {
        name: format!("(6) {PROFILES} profiles under {RATE} requests/s (bucket, burst 1), first contact"),
        figure: format!(
            "{seconds:.1} s = {:.2}x, {refreshed}/{PROFILES} refreshed, {throttled_failures} failed Throttled, {} of {} calls throttled",
            seconds / limit_seconds,
            counters.throttled,
            counters.get_role_credentials
        ),
        target: "all refreshed, none fails Throttled".into(),
        met: refreshed == PROFILES && throttled_failures == 0,
    }
}

async fn no_op() -> Outcome {
    let s = setup(500, |_| {}).await;
    timed_refresh(&s.engine, request(&s.accounts, None, false)).await;
    s.fake.reset_counters();
    let mut times: Vec<f64> = Vec::new();
    for _ in 0..20 {
        let (seconds, refreshed) = timed_refresh(&s.engine, request(&s.accounts, None, false)).await;
        assert_eq!(refreshed, 0);
        times.push(seconds * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let (median, worst) = (times[times.len() / 2], times[times.len() - 1]);
    let calls = s.fake.counters();
    let network = calls.get_role_credentials + calls.create_token + calls.register_client;
    println!("(3) no-op over 500 current profiles: median {median:.2} ms, worst {worst:.2} ms, {network} calls");
    Outcome {
        name: "(3) run with nothing to do, 500 current profiles".into(),
        figure: format!("median {median:.2} ms, worst of 20 {worst:.2} ms, {network} network calls"),
        target: "< 10 ms, no network call".into(),
        met: worst < 10.0 && network == 0,
    }
}

async fn peak_memory() -> Outcome {
    let config = FakeConfig {
        approval: Approval::AfterPolls(1),
        latency: LATENCY,
        max_in_flight: Some(16),
        ..FakeConfig::with_generated_accounts(500, &[ROLE])
    };
    let fake = FakeServer::start(config).await.expect("fake starts");
    let child = tokio::task::spawn_blocking({
        let url = fake.url();
        move || Command::new(std::env::current_exe().unwrap()).args(["--memory-child", &url]).output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    let peak_kb: Option<u64> =
        stdout.lines().find_map(|l| l.strip_prefix("peak_rss_kb=")).and_then(|v| v.trim().parse().ok());
    let refreshed = stdout.lines().find_map(|l| l.strip_prefix("refreshed=")).unwrap_or("?").trim().to_string();
    let megabytes = peak_kb.map(|kb| kb as f64 / 1024.0);
    println!("(4) peak RSS of a process refreshing 500 profiles: {megabytes:?} MB (refreshed {refreshed})");
    Outcome {
        name: "(4) peak RSS, process refreshing 500 profiles (fake in another process)".into(),
        figure: megabytes.map_or("not measurable here (no /proc)".into(), |mb| format!("{mb:.1} MB")),
        target: "< 40 MB".into(),
        met: megabytes.is_some_and(|mb| mb < 40.0) && refreshed == "500",
    }
}

/// The child of `peak_memory`: login and a refresh of 500 profiles, then its own peak RSS.
async fn memory_child(url: &str) {
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(url, &home.path().display().to_string());
    login(&engine).await;
    let config = FakeConfig::with_generated_accounts(500, &[ROLE]);
    let (_, refreshed) = timed_refresh(&engine, request(&accounts_of(&config), None, true)).await;
    println!("refreshed={refreshed}");
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
        println!("peak_rss_kb={}", line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim());
    }
}

async fn discovery() -> Vec<Outcome> {
    const ACCOUNTS: usize = 1000;
    let s = setup(ACCOUNTS, |c| {
        *c = FakeConfig {
            approval: Approval::AfterPolls(1),
            latency: LATENCY,
            max_in_flight: Some(16),
            page_size: 100,
            ..FakeConfig::with_generated_accounts(ACCOUNTS, &[ROLE, "Admin"])
        }
    })
    .await;
    let request = |max_concurrency| DiscoverRequest {
        environment: "Bench".into(),
        max_concurrency,
        ..DiscoverRequest::default()
    };
    // The first discovery against the endpoint (first contact) learns its rate; the next is a new
    // process that starts from it.
    let started = Instant::now();
    let first_found = s.engine.discover(request(None)).await.expect("first discovery");
    let first = started.elapsed().as_secs_f64();
    let first_roles: usize = first_found.accounts.iter().map(|a| a.roles.len()).sum();
    s.fake.reset_counters();
    let engine = s.new_process();
    let started = Instant::now();
    let found = engine.discover(request(None)).await.expect("discovery");
    let concurrent = started.elapsed().as_secs_f64();
    let counters = s.fake.counters();
    let roles: usize = found.accounts.iter().map(|a| a.roles.len()).sum();
    let started = Instant::now();
    let sequential_found = engine.discover(request(Some(1))).await.expect("sequential discovery");
    let sequential = started.elapsed().as_secs_f64();
    // 1,000 role listings 16 at a time, plus the first page of accounts (later pages are fetched
    // while the roles of the earlier ones are listed).
    let limit = ((ACCOUNTS as f64 / 16.0).ceil() + 1.0) * LATENCY.as_secs_f64();
    println!("(5) discovery of {ACCOUNTS} accounts: {concurrent:.2}s ({roles} roles, {} calls, {} throttled), sequential {sequential:.2}s", counters.list_accounts + counters.list_account_roles, counters.throttled);
    vec![
        Outcome {
            name: "(5) discovery, 1,000 accounts x 2 roles, 40 ms latency, 16-in-flight cap, rate learnt before".into(),
            figure: format!(
                "{concurrent:.2} s = {:.2}x ({} accounts, {roles} roles, {} throttled answers)",
                concurrent / limit,
                found.accounts.len(),
                counters.throttled
            ),
            target: format!("<= {:.2} s (1.15 x (ceil(1000/16) + 1 page) x 40 ms)", 1.15 * limit),
            met: concurrent <= 1.15 * limit && roles == 2 * ACCOUNTS,
        },
        Outcome {
            name: "(5) same, first contact (nothing learnt)".into(),
            figure: format!("{first:.2} s = {:.2}x ({first_roles} roles)", first / limit),
            target: format!("<= {:.2} s (1.15 x (ceil(1000/16) + 1 page) x 40 ms)", 1.15 * limit),
            met: first <= 1.15 * limit && first_roles == 2 * ACCOUNTS,
        },
        Outcome {
            name: "(5) same, sequential listing (concurrency 1)".into(),
            figure: format!(
                "{sequential:.2} s ({} accounts); default is {:.1}x faster",
                sequential_found.accounts.len(),
                sequential / concurrent
            ),
            target: "for comparison".into(),
            met: sequential_found.accounts.len() == ACCOUNTS,
        },
    ]
}

/// (7) The 500 profiles of (1) as `aws configure sso` profiles in 5 sso-sessions, each with its own
/// token, refreshed with `fromConfig` in a new process that knows the rate learnt by a run of (1).
async fn from_config() -> Vec<Outcome> {
    const SESSIONS: usize = 5;
    let s = setup(500, |c| {
        c.latency = LATENCY;
        c.max_in_flight = Some(16);
    })
    .await;
    timed_refresh(&s.engine, request(&s.accounts, None, true)).await;
    let start_url = |i: usize| format!("https://d-{i:010}.awsapps.com/start");
    let mut config = String::new();
    for i in 0..SESSIONS {
        config += &format!("[sso-session s{i}]\nsso_start_url = {}\nsso_region = us-east-1\n\n", start_url(i));
    }
    for (k, account) in s.accounts.iter().enumerate() {
        config += &format!(
            "[profile p{k}]\nsso_session = s{}\nsso_account_id = {}\nsso_role_name = {ROLE}\n\n",
            k % SESSIONS,
            account.account_id
        );
    }
    std::fs::write(s.home.path().join(".aws").join("config"), config).unwrap();
    for i in 0..SESSIONS {
        log_in_to(&s.engine, &format!("s{i}"), &start_url(i)).await;
    }
    let engine = s.new_process();
    s.fake.reset_counters();
    let every_profile = |force| RefreshRequest { from_config: true, force, ..RefreshRequest::default() };
    let (seconds, refreshed) = timed_refresh(&engine, every_profile(true)).await;
    let counters = s.fake.counters();
    s.fake.reset_counters();
    let mut times: Vec<f64> = Vec::new();
    for _ in 0..20 {
        let (no_op, fetched) = timed_refresh(&engine, every_profile(false)).await;
        assert_eq!(fetched, 0);
        times.push(no_op * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let (median, worst) = (times[times.len() / 2], times[times.len() - 1]);
    let calls = s.fake.counters();
    let network = calls.requests();
    let ideal = (500f64 / 16.0).ceil() * LATENCY.as_secs_f64();
    println!("(7) fromConfig, 5 sessions: {seconds:.2}s ({refreshed} refreshed, {} throttled); no-op median {median:.2} ms, worst {worst:.2} ms, {network} calls", counters.throttled);
    vec![
        Outcome {
            name: "(7) fromConfig: 500 SSO profiles of ~/.aws/config in 5 sso-sessions, 40 ms latency, 16-in-flight cap, rate learnt before".into(),
            figure: format!(
                "{seconds:.2} s = {:.2}x ({refreshed}/500 refreshed, {} throttled answers)",
                seconds / ideal,
                counters.throttled
            ),
            target: format!("<= {:.2} s (1.15 x ceil(500/16) x 40 ms), as (1)", 1.15 * ideal),
            met: seconds <= 1.15 * ideal && refreshed == 500,
        },
        Outcome {
            name: "(7) fromConfig run with nothing to do over those 500 profiles (config file read and parsed each run)".into(),
            figure: format!("median {median:.2} ms, worst of 20 {worst:.2} ms, {network} network calls"),
            target: "< 10 ms, no network call".into(),
            met: worst < 10.0 && network == 0,
        },
    ]
}
