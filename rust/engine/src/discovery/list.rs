//! Asking the service: every account (`ListAccounts`), then the roles in each account the filters
//! keep (`ListAccountRoles`), following pagination with the SDK's paginators, concurrently under
//! the same bound and retries as a refresh.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use super::listing::{ListedAccount, Listing};
use super::Filters;
use crate::error::{ErrorCode, Result};
use crate::secret::Secret;
use crate::service_error::ServiceFailure;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Pages as large as the service allows.
const PAGE_SIZE: i32 = 100;

/// Every account, with the roles of those `filters` keeps (all their roles: the role filter is
/// applied when the listing is read). A failure to list the accounts, or a refused token, fails the
/// whole listing; a failure for one account's roles is kept on that account.
pub(super) async fn list(
    client: aws_sdk_sso::Client,
    token: &Secret,
    max_concurrency: usize,
    filters: &Filters,
    now: SystemTime,
) -> Result<Listing> {
    // The roles of a page's accounts are listed as soon as the page arrives, while the next page is
    // fetched: a page request counts against `max_concurrency` like any other request. Dropping
    // `tasks` (an early return) aborts every listing still running.
    let permits = Arc::new(Semaphore::new(max_concurrency));
    let mut tasks = JoinSet::new();
    let mut found = BTreeMap::new();
    let mut pages = client.list_accounts().access_token(token.expose()).into_paginator().page_size(PAGE_SIZE).send();
    loop {
        let permit = permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        let page = pages.next().await;
        drop(permit);
        let Some(page) = page else { break };
        let page = page.map_err(|e| ServiceFailure::from_sdk(&e).portal_error("ListAccounts"))?;
        for account in page.account_list.unwrap_or_default() {
            let account_id = account.account_id.unwrap_or_default();
            let account_name = account.account_name.unwrap_or_else(|| account_id.clone());
            let email_address = account.email_address.filter(|e| !e.trim().is_empty());
            if filters.keeps_account(&account_id, &account_name) {
                let (client, token, permits, id) = (client.clone(), token.clone(), permits.clone(), account_id.clone());
                tasks.spawn(async move {
                    let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
                    let roles = list_roles(&client, &token, &id).await;
                    (id, roles)
                });
            }
            found.insert(
                account_id.clone(),
                ListedAccount { account_id, account_name, email_address, roles: None, error: None },
            );
        }
    }
    while let Some(joined) = tasks.join_next().await {
        let Ok((account_id, roles)) = joined else {
            // A task that panicked: its account keeps no roles and the others go on.
            tracing::error!("listing the roles of an account panicked");
            continue;
        };
        let account = found.get_mut(&account_id).expect("listed accounts come from the listing");
        match roles {
            Ok(roles) => account.roles = Some(roles),
            Err(error) if error.code == ErrorCode::LoginRequired => return Err(error),
            Err(error) => {
                account.error = Some(error.context(format!("account {account_id} ({})", account.account_name)))
            }
        }
    }
    Ok(Listing::new(token, now, found.into_values().collect()))
}

async fn list_roles(client: &aws_sdk_sso::Client, token: &Secret, account_id: &str) -> Result<Vec<String>> {
    let roles = client
        .list_account_roles()
        .access_token(token.expose())
        .account_id(account_id)
        .into_paginator()
        .page_size(PAGE_SIZE)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| ServiceFailure::from_sdk(&e).portal_error("ListAccountRoles"))?;
    let mut names: Vec<String> = roles.into_iter().filter_map(|r| r.role_name).collect();
    names.sort();
    names.dedup();
    Ok(names)
}
