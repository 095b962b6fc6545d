//! A run's task: the operation's steps ([`super::refresh`], [`super::from_config`], or
//! [`super::steps`]'s discover and login), then `finished`.

use std::sync::Arc;

use super::steps::{discover, log_in_only, Run};
use super::types::*;
use super::{credentials, from_config, interactivity, refresh, Shared};
use crate::context::Context;

/// A run's task: the operation, then `finished`.
pub(super) async fn drive(context: Arc<Context>, shared: Arc<Shared>, mut request: RunRequest) {
    if let Some(host) = &request.host {
        let reason = interactivity::non_interactive_reason(host);
        request.interactive = reason.is_none();
        request.non_interactive_reason = reason.map(str::to_string);
    }
    let mut run = Run::new(&context, &shared, request);
    let outcome = match run.request.operation {
        RunOperation::Refresh if run.request.request.from_config => from_config::run(&mut run).await,
        RunOperation::Refresh => refresh::run(&mut run).await,
        RunOperation::Discover => discover(&mut run).await,
        RunOperation::Login => log_in_only(&mut run).await,
        RunOperation::Credentials => credentials::run(&mut run).await,
    };
    let (report, error) = match outcome {
        Ok(report) => (report, None),
        Err(failure) => (failure.report.map(|r| *r), Some(failure.error)),
    };
    shared.emit(RunEvent::Finished { report, errors: std::mem::take(&mut run.errors), error });
}
