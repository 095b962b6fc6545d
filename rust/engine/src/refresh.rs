//! Fetching role credentials for many profiles at once: bounded concurrency, the SDK's adaptive
//! retries for throttling and 5xx, and one failing account never stopping the others.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::error::{Error, ErrorCode, Result};
use crate::files::credentials::ProfileCredentials;
use crate::secret::Secret;
use crate::service_error::Failure;
use crate::time::from_epoch_millis;

/// A profile to fetch: its position in the request, so results can be reported in order.
#[derive(Clone, Debug)]
pub struct Job {
    pub index: usize,
    pub profile: String,
    pub account_id: String,
    pub role_name: String,
}

/// How far a refresh has come; shared with callers that show progress.
#[derive(Debug, Default)]
pub struct Progress {
    pub total: AtomicUsize,
    pub completed: AtomicUsize,
}

/// Fetches every job, at most `max_concurrency` at a time. Returns one result per job (any order).
/// Once the service rejects the token, jobs not yet sent fail with `LoginRequired` without a call.
pub async fn fetch_all(
    client: aws_sdk_sso::Client,
    token: Secret,
    jobs: Vec<Job>,
    max_concurrency: usize,
    progress: Arc<Progress>,
    environment: String,
) -> Vec<(Job, Result<ProfileCredentials>)> {
    let permits = Arc::new(Semaphore::new(max_concurrency));
    let token_rejected = Arc::new(AtomicBool::new(false));
    let mut tasks = JoinSet::new();
    for job in jobs {
        let (client, token, permits, token_rejected, progress, environment) = (
            client.clone(),
            token.clone(),
            permits.clone(),
            token_rejected.clone(),
            progress.clone(),
            environment.clone(),
        );
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
            let result = if token_rejected.load(Ordering::Acquire) {
                Err(rejected_token(&environment))
            } else {
                let result = fetch_one(&client, &token, &job).await;
                if matches!(&result, Err(e) if e.code == ErrorCode::LoginRequired) {
                    token_rejected.store(true, Ordering::Release);
                }
                result.map_err(|e| if e.code == ErrorCode::LoginRequired { rejected_token(&environment) } else { e })
            };
            progress.completed.fetch_add(1, Ordering::Relaxed);
            (job, result)
        });
    }
    let mut results = Vec::with_capacity(tasks.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => results.push(result),
            // A task only ends without a result if it panicked; that job is then missing and is
            // reported as failed by the caller.
            Err(e) if e.is_panic() => tracing::error!("a credentials fetch panicked"),
            Err(_) => {}
        }
    }
    results
}

fn rejected_token(environment: &str) -> Error {
    Error::login_required(environment, "the service no longer accepts the SSO token (expired or signed out)")
}

async fn fetch_one(client: &aws_sdk_sso::Client, token: &Secret, job: &Job) -> Result<ProfileCredentials> {
    let where_ = || format!("profile '{}' (account {}, role {})", job.profile, job.account_id, job.role_name);
    let answer = client
        .get_role_credentials()
        .access_token(token.expose())
        .account_id(&job.account_id)
        .role_name(&job.role_name)
        .send()
        .await;
    let output = match answer {
        Ok(output) => output,
        Err(e) => {
            let failure = Failure::from_sdk(&e);
            let error = match failure.code.as_deref() {
                Some("UnauthorizedException") => Error::new(ErrorCode::LoginRequired, failure.message),
                Some("ForbiddenException") => Error::new(
                    ErrorCode::Forbidden,
                    format!(
                        "this login has no access to that account and role (ForbiddenException: {})",
                        failure.message
                    ),
                ),
                Some("ResourceNotFoundException") => Error::new(
                    ErrorCode::NotFound,
                    format!("the account or role does not exist (ResourceNotFoundException: {})", failure.message),
                ),
                Some("InvalidRequestException") => Error::new(
                    ErrorCode::ServiceError,
                    format!("the service refused the request ({})", failure.message),
                ),
                _ => failure.to_error("GetRoleCredentials"),
            };
            return Err(error.context(where_()));
        }
    };
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
