//! Every account and role a login can reach: listed by the service ([`list`]), or taken from the
//! listing kept beside the session's token ([`listing`]); filtered ([`filters`]); and named for the
//! credentials file ([`naming`]).

mod filters;
pub(crate) mod kept_listing;
mod list;
pub(crate) mod listing;
mod naming;

use std::path::Path;
use std::sync::Arc;

pub(crate) use filters::Filters;
pub(crate) use listing::Listing;
pub(crate) use naming::{name_profiles, AccountRole, Template};

use crate::api::{DiscoverRequest, DiscoverResult};
use crate::concurrency::checked_max_concurrency;
use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::token::{self, SsoToken};
use crate::validate;

/// `discover`: always asks the service; what it lists is kept for later refreshes with `discover`.
pub(crate) async fn discover(context: &Context, request: DiscoverRequest) -> Result<DiscoverResult> {
    if request.from_config {
        return Err(Error::invalid_input("fromConfig is for refresh: discover lists the accounts of one environment"));
    }
    let environment = &request.environment;
    validate::profile_name(environment, "environment")?;
    if let Some(start_url) = &request.start_url {
        validate::start_url(start_url, "startUrl")?;
    }
    if let Some(region) = &request.region {
        validate::region(region, "region")?;
    }
    let max_concurrency = checked_max_concurrency(request.max_concurrency)?;
    let filters = Filters::checked(request.include_account, request.exclude_account, request.include_role)?;
    let start_url = request.start_url.as_deref();
    let cache_file = token::persistence(&context.env, environment, request.no_token_file, false)?.cache_file;
    let cache_file = cache_file.as_deref();
    token::require_available(context, environment, cache_file, start_url)?;
    let token = token::usable(context, environment, cache_file, start_url).await?;
    let listing = list_and_keep(context, environment, &token, cache_file, max_concurrency, &filters).await?;
    Ok(DiscoverResult { accounts: listing.select(&filters) })
}

/// Lists every account and the roles of those `filters` keeps, and keeps the listing for later
/// runs. When the service refuses the token, it is forgotten and this fails with `LoginRequired`.
pub(crate) async fn list_and_keep(
    context: &Context,
    environment: &str,
    token: &SsoToken,
    cache_file: Option<&Path>,
    max_concurrency: usize,
    filters: &Filters,
) -> Result<Arc<Listing>> {
    let client = context.clients.portal(&token.region, &context.env, &context.clock, cache_file)?;
    match list::list(client, &token.access_token, max_concurrency, filters, context.clock.now()).await {
        Ok(listing) => Ok(kept_listing::keep(context, environment, cache_file, listing).await),
        Err(error) if error.code == ErrorCode::LoginRequired => {
            token::reject(context, environment, &token.access_token);
            Err(Error::login_required(environment, &error.message))
        }
        Err(error) => Err(error),
    }
}
