//! Fetching role credentials (`GetRoleCredentials`) for many profiles at once: at most
//! `maxConcurrency` in flight, the SDK's retries for throttling and 5xx, and one failing account
//! never stopping the others. Once the service rejects a session's token, that session's profiles
//! not yet sent fail with `LoginRequired` without a call.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use super::{Job, Progress};
use crate::concurrency::fan_out;
use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::files::credentials::ProfileCredentials;
use crate::secret::Secret;
use crate::service_error::ServiceFailure;
use crate::time::from_epoch_millis;
use crate::token::SsoToken;

/// What the fetches of one session share: its token, its portal client, and whether the service
/// has refused the token.
pub(super) struct SessionAccess {
    pub environment: String,
    pub token: Secret,
    client: aws_sdk_sso::Client,
    token_rejected: AtomicBool,
}

impl SessionAccess {
    pub(super) fn new(
        context: &Context,
        environment: &str,
        token: &SsoToken,
        token_cache_file: Option<&Path>,
    ) -> Result<Arc<SessionAccess>> {
        Ok(Arc::new(SessionAccess {
            environment: environment.to_string(),
            token: token.access_token.clone(),
            client: context.clients.portal(&token.region, &context.env, &context.clock, token_cache_file)?,
            token_rejected: AtomicBool::new(false),
        }))
    }

    /// True once the service has refused the token.
    pub(super) fn token_rejected(&self) -> bool {
        self.token_rejected.load(Ordering::Acquire)
    }
}

/// One result per job that did not panic, in the order they complete; each job with its session's
/// token, all under the one bound.
pub(super) async fn fetch_all(
    jobs: Vec<(Job, Arc<SessionAccess>)>,
    max_concurrency: usize,
    progress: Arc<Progress>,
) -> Vec<(Job, Result<ProfileCredentials>)> {
    fan_out(jobs, max_concurrency, |(job, session)| {
        let progress = progress.clone();
        async move {
            let result = if session.token_rejected() {
                Err(rejected_token(&session.environment))
            } else {
                fetch_one(&session.client, &session.token, &job).await.map_err(|e| {
                    if e.code == ErrorCode::LoginRequired {
                        session.token_rejected.store(true, Ordering::Release);
                        rejected_token(&session.environment)
                    } else {
                        e
                    }
                })
            };
            progress.completed.fetch_add(1, Ordering::Relaxed);
            (job, result)
        }
    })
    .await
}

fn rejected_token(environment: &str) -> Error {
    Error::login_required(environment, "the service no longer accepts the SSO token (expired or signed out)")
}

async fn fetch_one(client: &aws_sdk_sso::Client, token: &Secret, job: &Job) -> Result<ProfileCredentials> {
    let subject = format!("profile '{}' (account {}, role {})", job.profile, job.account_id, job.role_name);
    let keys = role_credentials(client, token, &job.account_id, &job.role_name, &subject).await?;
    tracing::debug!(profile = %job.profile, account = %job.account_id, "fetched role credentials");
    Ok(ProfileCredentials {
        profile: job.profile.clone(),
        account_id: job.account_id.clone(),
        role_name: job.role_name.clone(),
        access_key_id: keys.access_key_id,
        secret_access_key: keys.secret_access_key,
        session_token: keys.session_token,
        expiration: keys.expiration,
    })
}

/// The keys one `GetRoleCredentials` call gives.
pub(crate) struct RoleKeys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expiration: SystemTime,
}

/// One `GetRoleCredentials` call; its errors name `subject` (what the keys are for).
pub(crate) async fn role_credentials(
    client: &aws_sdk_sso::Client,
    token: &Secret,
    account_id: &str,
    role_name: &str,
    subject: &str,
) -> Result<RoleKeys> {
    let output = client
        .get_role_credentials()
        .access_token(token.expose())
        .account_id(account_id)
        .role_name(role_name)
        .send()
        .await
        .map_err(|e| ServiceFailure::from_sdk(&e).portal_error("GetRoleCredentials").context(subject))?;
    let incomplete =
        || Error::new(ErrorCode::ServiceError, "GetRoleCredentials returned incomplete credentials").context(subject);
    let credentials = output.role_credentials.ok_or_else(incomplete)?;
    let (Some(access_key_id), Some(secret), Some(session_token)) =
        (credentials.access_key_id, credentials.secret_access_key, credentials.session_token)
    else {
        return Err(incomplete());
    };
    Ok(RoleKeys {
        access_key_id,
        secret_access_key: Secret::new(secret),
        session_token: Secret::new(session_token),
        expiration: from_epoch_millis(credentials.expiration),
    })
}
