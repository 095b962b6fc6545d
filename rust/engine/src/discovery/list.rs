//! Asking the service: every account (`ListAccounts`), then the roles in each account the filters
//! keep (`ListAccountRoles`), following pagination with the SDK's paginators, concurrently under
//! the same bound and retries as a refresh.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::listing::{ListedAccount, Listing};
use super::Filters;
use crate::concurrency::fan_out;
use crate::error::{ErrorCode, Result};
use crate::secret::Secret;
use crate::service_error::ServiceFailure;

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
    let accounts = client
        .list_accounts()
        .access_token(token.expose())
        .into_paginator()
        .page_size(PAGE_SIZE)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| ServiceFailure::from_sdk(&e).portal_error("ListAccounts"))?;
    let mut found = BTreeMap::new();
    let mut to_list = Vec::new();
    for account in accounts {
        let account_id = account.account_id.unwrap_or_default();
        let account_name = account.account_name.unwrap_or_else(|| account_id.clone());
        let email_address = account.email_address.filter(|e| !e.trim().is_empty());
        if filters.keeps_account(&account_id, &account_name) {
            to_list.push(account_id.clone());
        }
        found.insert(
            account_id.clone(),
            ListedAccount { account_id, account_name, email_address, roles: None, error: None },
        );
    }
    let listed = fan_out(to_list, max_concurrency, |account_id| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            let roles = list_roles(&client, &token, &account_id).await;
            (account_id, roles)
        }
    })
    .await;
    for (account_id, roles) in listed {
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
