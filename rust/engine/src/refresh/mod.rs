//! A refresh of many profiles: [`plan`] checks the request and sorts the profiles into current ones
//! and ones to fetch (adding every account and role with `discover`), [`fetch`] gets their
//! credentials, at most `maxConcurrency` at a time, and [`report`] turns the outcomes into the
//! answer; [`run`] does the last two and writes the credentials file once.

mod fetch;
mod plan;
mod report;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub(crate) use plan::plan;
pub use plan::RefreshPlan;

use crate::api::RefreshReport;
use crate::concurrency::blocking;
use crate::discovery::{self, listing};
use crate::engine::Context;
use crate::error::Result;
use crate::files::credentials;
use crate::time::format_rfc3339;
use crate::token;

/// How far a refresh has come; shared with callers that show progress.
#[derive(Debug, Default)]
pub struct Progress {
    /// Profiles to fetch (known once the accounts are listed, with `discover`).
    pub total: AtomicUsize,
    pub completed: AtomicUsize,
}

/// A profile to fetch, and its position in the report.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub index: usize,
    pub profile: String,
    pub account_id: String,
    pub role_name: String,
}

/// Lists the accounts when the plan still needs them, fetches what it must, and merges what was
/// fetched into the credentials file in one locked, atomic write.
pub(crate) async fn run(context: &Context, mut plan: RefreshPlan, progress: Arc<Progress>) -> Result<RefreshReport> {
    let environment = plan.environment.clone();
    let cache_file = plan.cache_file.clone();
    let token = if plan.needs_token() {
        Some(token::usable(context, &environment, cache_file.as_deref(), plan.start_url.as_deref()).await?)
    } else {
        None
    };
    let mut discovery_errors = Vec::new();
    if let (Some(token), Some(pending)) = (&token, plan.discovery.take()) {
        let (limit, filters) = (plan.max_concurrency, &pending.filters);
        let listing =
            discovery::list_and_keep(context, &environment, token, cache_file.as_deref(), limit, filters).await?;
        discovery_errors = plan.add_listed(&pending, &listing.select(filters));
    }
    progress.total.store(plan.jobs.len(), Ordering::Relaxed);
    let RefreshPlan { path, mut reports, jobs, renamed, max_concurrency, .. } = plan;
    let token_expires_at = token.as_ref().map(|t| format_rfc3339(t.expires_at));
    if let (Some(token), false) = (&token, jobs.is_empty()) {
        let outcomes = fetch::fetch_all(
            context,
            &environment,
            token,
            cache_file.as_deref(),
            jobs.clone(),
            max_concurrency,
            progress,
        )
        .await?;
        let credentials = report::record(&mut reports, &jobs, outcomes);
        if report::token_rejected(&reports) {
            token::reject(context, &environment, &token.access_token);
        }
        listing::forget_if_refused(context, &environment, cache_file.as_deref(), &report::refused_roles(&reports));
        let target = path.clone();
        blocking("writing the credentials file", move || credentials::merge(&target, &credentials)).await?;
    }
    Ok(report::finish(reports, &path, renamed, token_expires_at, discovery_errors))
}
