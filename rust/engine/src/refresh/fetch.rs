//! Fetching role credentials (`GetRoleCredentials`) for many profiles at once: at most
//! `maxConcurrency` in flight, the SDK's retries for throttling and 5xx, and one failing account
//! never stopping the others. Once the service rejects the token, profiles not yet sent fail with
//! `LoginRequired` without a call.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::{Job, Progress};
use crate::concurrency::fan_out;
use crate::engine::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::files::credentials::ProfileCredentials;
use crate::secret::Secret;
use crate::service_error::ServiceFailure;
use crate::time::from_epoch_millis;
use crate::token::SsoToken;

/// One result per job that did not panic, in the order they complete.
pub(super) async fn fetch_all(
    context: &Context,
    environment: &str,
    token: &SsoToken,
    token_cache_file: Option<&Path>,
    jobs: Vec<Job>,
    max_concurrency: usize,
    progress: Arc<Progress>,
) -> Result<Vec<(Job, Result<ProfileCredentials>)>> {
    let client = context.clients.portal(&token.region, &context.env, token_cache_file)?;
    let token_rejected = Arc::new(AtomicBool::new(false));
    let environment = environment.to_string();
    Ok(fan_out(jobs, max_concurrency, |job| {
        let (client, token, token_rejected, progress, environment) =
            (client.clone(), token.access_token.clone(), token_rejected.clone(), progress.clone(), environment.clone());
        async move {
            let result = if token_rejected.load(Ordering::Acquire) {
                Err(rejected_token(&environment))
            } else {
                fetch_one(&client, &token, &job).await.map_err(|e| {
                    if e.code == ErrorCode::LoginRequired {
                        token_rejected.store(true, Ordering::Release);
                        rejected_token(&environment)
                    } else {
                        e
                    }
                })
            };
            progress.completed.fetch_add(1, Ordering::Relaxed);
            (job, result)
        }
    })
    .await)
}

fn rejected_token(environment: &str) -> Error {
    Error::login_required(environment, "the service no longer accepts the SSO token (expired or signed out)")
}

async fn fetch_one(client: &aws_sdk_sso::Client, token: &Secret, job: &Job) -> Result<ProfileCredentials> {
    let where_ = || format!("profile '{}' (account {}, role {})", job.profile, job.account_id, job.role_name);
    let output = client
        .get_role_credentials()
        .access_token(token.expose())
        .account_id(&job.account_id)
        .role_name(&job.role_name)
        .send()
        .await
        .map_err(|e| ServiceFailure::from_sdk(&e).portal_error("GetRoleCredentials").context(where_()))?;
    let incomplete =
        || Error::new(ErrorCode::ServiceError, "GetRoleCredentials returned incomplete credentials").context(where_());
    let credentials = output.role_credentials.ok_or_else(incomplete)?;
    let (Some(access_key_id), Some(secret), Some(session_token)) =
        (credentials.access_key_id, credentials.secret_access_key, credentials.session_token)
    else {
        return Err(incomplete());
    };
    tracing::debug!(profile = %job.profile, account = %job.account_id, "fetched role credentials");
    Ok(ProfileCredentials {
        profile: job.profile.clone(),
        account_id: job.account_id.clone(),
        role_name: job.role_name.clone(),
        access_key_id,
        secret_access_key: Secret::new(secret),
        session_token: Secret::new(session_token),
        expiration: from_epoch_millis(credentials.expiration),
    })
}
