//! The two services as the engine reaches them: the SDK clients (built lazily, one per region and
//! endpoint), and the pacing of the SSO portal, whose rate limit IAM Identity Center does not
//! publish and which comes in every shape (a bucket that takes a burst, or one that wants evenly
//! spaced requests, or a fixed window per second). Every policy number is here:
//! - `pacer`: the pacing algorithm, pure (time and answers in, when to send out);
//! - `client`: the SDK clients, their retries and timeouts, and the HTTPS connector that applies the
//!   pacer to every portal request, first attempts and the SDK's retries alike;
//! - `rate_file`: the rate learnt per endpoint, kept beside the SSO token cache for the next process.

mod client;
mod pacer;
mod rate_file;

use std::time::Duration;

pub(crate) use client::Clients;

// ---- Pacing (see `pacer`) ----

/// Requests per second to an endpoint with no learnt rate, and the least a rate never throttled
/// starts from. High enough that a run of tens of profiles is done in a few round trips (peers
/// hard-code 5 or 20, which costs a second per 20 profiles); a limiter below it answers 429 within
/// the first few requests, and the rate is cut from there.
const INITIAL_RATE: f64 = 100.0;
/// Until the first 429, the rate is multiplied by this for every round trip of accepted requests
/// that the pacer held back ("grow fast", as TCP's slow start).
const GROWTH_PER_ROUND_TRIP: f64 = 2.0;
/// The round trip growth counts in is never taken as shorter than this (a service on loopback
/// answers in microseconds), nor longer than [`RECENT`].
const MIN_ROUND_TRIP: Duration = Duration::from_millis(25);
/// After it, by this ("probe slowly"): a 3% overshoot of a limit that wants evenly spaced
/// requests costs one 429 in about thirty requests, and only until the next cut.
const PROBE_PER_SECOND: f64 = 1.03;
/// What "recent" means: the window of the share accepted, of a throttled spell's 429s, and of the
/// rate a spent fixed window accepted. Real limiters count per second.
const RECENT: Duration = Duration::from_secs(1);
/// The accepted share counts this many more acceptances than were seen, so that the first answers
/// of a run (one refusal in two) cannot halve the rate on their own.
const SHARE_PRIOR: f64 = 2.0;
/// One cut at most halves the rate.
const MAX_CUT: f64 = 0.5;
/// A cut to no less than this share of the rate is small (a limit found again, not overshot): the
/// rate it came from is what the next pacer starts from.
const SMALL_CUT: f64 = 0.9;
/// A throttled spell's own estimate (what it accepted since it began, a bucket's burst excluded)
/// is trusted once it covers this long and this many acceptances.
const SPELL_MIN_SPAN: Duration = Duration::from_millis(250);
const SPELL_MIN_ACCEPTED: usize = 3;
/// A spell of throttling ends after a second with no 429 in which at least this many requests were
/// accepted.
const SPELL_QUIET: usize = 10;
/// Throttling that does not depend on the rate (a service shedding load at random) would cut the
/// rate to nothing: once a spell has cut below `NOISE_DEPTH` of the rate it began at, a 429 cuts
/// further only if the share accepted since the last cut (over `NOISE_MIN_ANSWERS` answers at
/// least) differs by more than `NOISE_SHARE` from the share that caused it.
const NOISE_DEPTH: f64 = 0.75;
const NOISE_MIN_ANSWERS: usize = 4;
const NOISE_SHARE: f64 = 0.1;
/// Answers kept for the estimates: a little more than the longest look-back, and never more than
/// this many (at [`MAX_RATE`], a few seconds' worth).
const HISTORY: Duration = Duration::from_secs(5);
const HISTORY_LEN: usize = 8192;
/// Never slower than this, never faster than this.
const MIN_RATE: f64 = 1.0;
const MAX_RATE: f64 = 1000.0;
/// Tokio's timers tick every millisecond: a request that leaves up to this late has the delay made
/// up on the next one, so that at hundreds of requests a second the rate is what it says.
const TIMER_SLACK: Duration = Duration::from_millis(1);
/// A queued request whose slot is further off asks again after this long, so that growth reaches
/// requests already waiting.
const REPOLL: Duration = Duration::from_millis(100);
/// A `Retry-After` longer than this is taken as this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

// ---- The learnt rate (see `rate_file`) ----

/// The file, in the SSO token cache folder (`~/.aws/sso/cache`); the AWS CLI ignores it.
const RATES_FILE: &str = "ssocreds-portal-rates.json";
/// A rate learnt from 429s longer ago than this is grown from, not probed under.
const RATE_FILE_TRUSTED_FOR: Duration = Duration::from_secs(7 * 24 * 3600);
/// The file is written when the learnt rate has moved this much since the last write, at most once
/// per `MEMORY_WRITE_EVERY`.
const MEMORY_CHANGE: f64 = 0.02;
const MEMORY_WRITE_EVERY: Duration = Duration::from_secs(1);

// ---- The SDK clients (see `client`) ----

/// Attempts per portal call (the first plus retries) for throttling and 5xx answers. Generous:
/// retries go through the pacer, so they add no load beyond the learnt rate; 429s are seldom
/// repeated for one request, and retries of 5xx answers stay bounded by the SDK's retry quota.
const PORTAL_MAX_ATTEMPTS: u32 = 8;
const OIDC_MAX_ATTEMPTS: u32 = 3;
const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one portal request may take once it has left the pacer's queue. The SDK's own
/// attempt timeout ([`OPERATION_ATTEMPT_TIMEOUT`]) also counts the wait in the queue, so it is only
/// a backstop: a request queued behind hundreds of others at a low rate has not timed out.
const PORTAL_REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
const OPERATION_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
const PORTAL_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(600);
