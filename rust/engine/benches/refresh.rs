//! Speed and memory of a refresh against the bundled fake IAM Identity Center.
//!
//! `cargo bench -p ssocreds-engine --bench refresh` runs, in one go:
//! 1. 500 profiles, 40 ms latency, 16 requests in flight at most (429 above): default settings and
//!    concurrency 1 (the original script's sequential loop);
//! 2. 200 profiles under a 20 requests/second limit (429 above);
//! 3. a run with nothing to do over 500 current profiles;
//! 4. the peak memory of a process doing (1), measured in a child process without the fake;
//! 5. discovery of 1,000 accounts with 2 roles each, 40 ms latency, 16 in flight at most, at the
//!    default settings and sequentially.
//!
//! Each figure is printed with its target; the exit code is 1 if a target is missed.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_identity_center::{Approval, FakeConfig, FakeServer, RateLimit};
use ssocreds_engine::api::{
    AccountRequest, DiscoverRequest, LoginPoll, LoginPollRequest, LoginStartRequest, ProfileStatus, RefreshRequest,
};
use ssocreds_engine::refresh::Progress;
use ssocreds_engine::{Engine, Env};

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
    let outcomes = runtime.block_on(async {
        let mut outcomes = Vec::new();
        outcomes.extend(in_flight_cap().await);
        outcomes.push(rate_limit().await);
        outcomes.push(no_op().await);
        outcomes.push(peak_memory().await);
        outcomes.extend(discovery().await);
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
    _home: tempfile::TempDir,
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
    Setup { fake, engine, accounts, _home: home }
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
    Engine::new(Env::from_pairs([("AWS_ENDPOINT_URL_SSO_OIDC", url), ("AWS_ENDPOINT_URL_SSO", url), ("HOME", home)]))
}

async fn login(engine: &Engine) {
    let start = LoginStartRequest {
        environment: "Bench".into(),
        start_url: "https://d-1234567890.awsapps.com/start".into(),
        region: "us-east-1".into(),
        force_login: false,
        ..Default::default()
    };
    engine.login_start(start).await.expect("login starts");
    loop {
        let poll = LoginPollRequest { environment: "Bench".into(), wait_ms: Some(1000) };
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
    let started = Instant::now();
    let plan = engine.plan_refresh(request).expect("plan");
    let report = engine.run_refresh(plan, Arc::new(Progress::default())).await.expect("refresh");
    (started.elapsed().as_secs_f64(), report.count(ProfileStatus::Refreshed))
}

async fn in_flight_cap() -> Vec<Outcome> {
    let s = setup(500, |c| {
        c.latency = LATENCY;
        c.max_in_flight = Some(16);
    })
    .await;
    let (concurrent, refreshed) = timed_refresh(&s.engine, request(&s.accounts, None, true)).await;
    let counters = s.fake.counters();
    s.fake.reset_counters();
    let (sequential, sequential_refreshed) = timed_refresh(&s.engine, request(&s.accounts, Some(1), true)).await;
    let ideal = (500f64 / 16.0).ceil() * LATENCY.as_secs_f64();
    println!("(1) 500 profiles: default {concurrent:.2}s ({refreshed} refreshed, {} calls, {} throttled), sequential {sequential:.2}s", counters.get_role_credentials, counters.throttled);
    vec![
        Outcome {
            name: "(1) 500 profiles, 40 ms latency, 16-in-flight cap, default settings".into(),
            figure: format!("{concurrent:.2} s ({refreshed}/500 refreshed, {} throttled answers)", counters.throttled),
            target: format!("<= {:.2} s (1.3 x ceil(500/16) x 40 ms)", 1.3 * ideal),
            met: concurrent <= 1.3 * ideal && refreshed == 500,
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

async fn rate_limit() -> Outcome {
    let s = setup(200, |c| c.rate_limit = Some(RateLimit::per_second(20))).await;
    // Let the fake's token bucket refill after the login's requests.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (seconds, refreshed) = timed_refresh(&s.engine, request(&s.accounts, None, true)).await;
    let counters = s.fake.counters();
    let share = counters.throttled as f64 / counters.get_role_credentials.max(1) as f64;
    println!(
        "(2) 200 profiles at 20 rps: {seconds:.2}s, {refreshed} refreshed, {} calls, {} throttled",
        counters.get_role_credentials, counters.throttled
    );
    Outcome {
        name: "(2) 200 profiles under a 20 requests/s limit".into(),
        figure: format!(
            "{seconds:.2} s, {refreshed}/200 refreshed, {:.1}% of {} calls throttled",
            share * 100.0,
            counters.get_role_credentials
        ),
        target: "all refreshed, <= 12.50 s, < 10% throttled".into(),
        met: refreshed == 200 && seconds <= 12.5 && share < 0.10,
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
    let started = Instant::now();
    let found = s.engine.discover(request(None)).await.expect("discovery");
    let concurrent = started.elapsed().as_secs_f64();
    let counters = s.fake.counters();
    let roles: usize = found.accounts.iter().map(|a| a.roles.len()).sum();
    let started = Instant::now();
    let sequential_found = s.engine.discover(request(Some(1))).await.expect("sequential discovery");
    let sequential = started.elapsed().as_secs_f64();
    // Pages of accounts come one after another; then the role listings, 16 at a time.
    let pages = (ACCOUNTS as f64 / 100.0).ceil();
    let limit = (pages + (ACCOUNTS as f64 / 16.0).ceil()) * LATENCY.as_secs_f64();
    println!("(5) discovery of {ACCOUNTS} accounts: {concurrent:.2}s ({roles} roles, {} calls, {} throttled), sequential {sequential:.2}s", counters.list_accounts + counters.list_account_roles, counters.throttled);
    vec![
        Outcome {
            name: "(5) discovery, 1,000 accounts x 2 roles, 40 ms latency, 16-in-flight cap".into(),
            figure: format!(
                "{concurrent:.2} s ({} accounts, {roles} roles, {} throttled answers)",
                found.accounts.len(),
                counters.throttled
            ),
            target: format!("<= {:.2} s (1.5 x (10 pages + ceil(1000/16)) x 40 ms)", 1.5 * limit),
            met: concurrent <= 1.5 * limit && roles == 2 * ACCOUNTS,
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
