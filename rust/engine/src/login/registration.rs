//! The OIDC client registration a device login needs: one per region and OIDC endpoint (it belongs
//! to the service that issued it), reused from memory or from the session's cache file while it
//! outlives a whole device login, else registered anew.

use std::path::Path;
use std::time::Duration;

use super::device;
use crate::endpoint::{override_for, Service};
use crate::engine::Context;
use crate::error::Result;
use crate::token::{cached_registration, Registration};

/// A registration is reused while it outlives a whole device login by this much.
const REUSE_MARGIN: Duration = Duration::from_secs(60 * 60);

pub(super) async fn registration(
    context: &Context,
    client: &aws_sdk_ssooidc::Client,
    region: &str,
    cache_file: Option<&Path>,
) -> Result<Registration> {
    let key = key(context, region)?;
    let now = context.clock.now();
    if let Some(registration) = context.sessions.registration(&key, now, REUSE_MARGIN) {
        return Ok(registration);
    }
    if let Some(registration) = cached_registration(cache_file, region, now, REUSE_MARGIN) {
        context.sessions.store_registration(&key, registration.clone());
        return Ok(registration);
    }
    let registration = device::register(client, region).await?;
    context.sessions.store_registration(&key, registration.clone());
    Ok(registration)
}

/// The service refused the registration: the next login registers again.
pub(super) fn forget(context: &Context, region: &str) -> Result<()> {
    context.sessions.forget_registration(&key(context, region)?);
    Ok(())
}

fn key(context: &Context, region: &str) -> Result<String> {
    let endpoint = override_for(Service::Oidc, &context.env)?;
    Ok(format!("{region} {}", endpoint.unwrap_or_default()))
}
