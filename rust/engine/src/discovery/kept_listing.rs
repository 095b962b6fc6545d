//! The session's listing kept in this process's memory and beside its token cache file: reused
//! while it can stand for a new one, replaced by a new one, dropped when the service refuses a
//! role it lists.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::filters::Filters;
use super::listing::{self, Listing};
use crate::concurrency::blocking;
use crate::context::Context;
use crate::files::token_cache::{listing_file, remove_listing_file};
use crate::token;

/// The session's listing, if it can stand for a new one now: kept in memory or in the file beside
/// the cache file, listed with the session's current token (valid, for `start_url` when given),
/// less than [`listing::MAX_AGE`] ago, and covering every account `filters` keeps. No network call.
pub(crate) fn reusable(
    context: &Context,
    environment: &str,
    cache_file: Option<&Path>,
    start_url: Option<&str>,
    filters: &Filters,
) -> Option<Arc<Listing>> {
    let now = context.clock.now();
    let token = token::stored(context, environment, cache_file)
        .ok()
        .flatten()
        .filter(|t| t.is_for(start_url) && t.valid_at(now, Duration::ZERO))?;
    let usable = |listing: &Listing| listing.is_fresh_for(&token.access_token, now) && listing.covers(filters);
    if let Some(listing) = context.state.with(environment, |s| s.listing.clone()).filter(|l| usable(l)) {
        return Some(listing);
    }
    let listing = Arc::new(listing::read(&listing_file(cache_file?))?);
    if !usable(&listing) {
        return None;
    }
    context.state.with(environment, |s| s.listing = Some(listing.clone()));
    Some(listing)
}

/// Keeps a new listing in memory and, with a cache file, beside it. Failing to write the file only
/// means the next run lists again, so it is logged, not reported.
pub(crate) async fn keep(
    context: &Context,
    environment: &str,
    cache_file: Option<&Path>,
    listing: Listing,
) -> Arc<Listing> {
    let listing = Arc::new(listing);
    context.state.with(environment, |s| s.listing = Some(listing.clone()));
    if let Some(cache_file) = cache_file {
        let (path, kept) = (listing_file(cache_file), listing.clone());
        if let Err(error) = blocking("writing the listing of accounts", move || listing::write(&path, &kept)).await {
            tracing::warn!(environment, %error, "the listing of accounts was not kept; the next run lists again");
        }
    }
    listing
}

/// Drops the session's listing when it lists one of `refused` (account, role) pairs: the service
/// refused a role it listed, so the listing is out of date.
pub(crate) fn forget_if_refused(
    context: &Context,
    environment: &str,
    cache_file: Option<&Path>,
    refused: &[(String, String)],
) {
    if refused.is_empty() {
        return;
    }
    let lists_one = |listing: &Listing| refused.iter().any(|(account, role)| listing.lists(account, role));
    let in_memory = context.state.with(environment, |s| s.listing.clone());
    let on_disk = cache_file.and_then(|path| listing::read(&listing_file(path)));
    if in_memory.as_deref().is_some_and(lists_one) || on_disk.as_ref().is_some_and(lists_one) {
        tracing::info!(environment, "the service refused a listed role; the listing of accounts is dropped");
        context.state.with(environment, |s| s.listing = None);
        if let Some(path) = cache_file {
            if let Err(error) = remove_listing_file(path) {
                tracing::warn!(environment, %error, "could not remove the listing of accounts");
            }
        }
    }
}
