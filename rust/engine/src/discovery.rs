//! Every account and role a login can reach (`ListAccounts`, then `ListAccountRoles` per account,
//! following pagination with the SDK's paginators), concurrently under the same bound and retries as
//! a refresh; and the profile names made for them from a template.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;
use crate::service_error::Failure;

/// Pages as large as the service allows.
const PAGE_SIZE: i32 = 100;
pub const DEFAULT_PROFILE_TEMPLATE: &str = "{AccountName}.{RoleName}";
const PLACEHOLDERS: [&str; 3] = ["{AccountName}", "{AccountId}", "{RoleName}"];

/// An account the login can reach, with the roles it may use there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredAccount {
    pub account_id: String,
    pub account_name: String,
    pub email_address: String,
    pub roles: Vec<String>,
    /// Set when this account's roles could not be listed; the other accounts are unaffected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// Which accounts and roles to keep: patterns with `*` and `?`, case-insensitive. An account matches
/// by id or by name.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub include_account: Vec<String>,
    pub exclude_account: Vec<String>,
    pub include_role: Vec<String>,
}

impl Filters {
    /// Filters from a request's patterns, refusing empty or unprintable ones.
    pub fn checked(
        include_account: Vec<String>,
        exclude_account: Vec<String>,
        include_role: Vec<String>,
    ) -> Result<Filters> {
        let filters = Filters { include_account, exclude_account, include_role };
        for (field, patterns) in [
            ("includeAccount", &filters.include_account),
            ("excludeAccount", &filters.exclude_account),
            ("includeRole", &filters.include_role),
        ] {
            if let Some(bad) = patterns.iter().find(|p| p.trim().is_empty() || p.chars().any(char::is_control)) {
                let shown = crate::validate::printable(bad);
                return Err(Error::invalid_input(format!("{field} has an empty or unprintable pattern '{shown}'")));
            }
        }
        Ok(filters)
    }

    fn keeps_account(&self, id: &str, name: &str) -> bool {
        let matches = |p: &String| glob_match(p, id) || glob_match(p, name);
        (self.include_account.is_empty() || self.include_account.iter().any(matches))
            && !self.exclude_account.iter().any(matches)
    }

    fn keeps_role(&self, role: &str) -> bool {
        self.include_role.is_empty() || self.include_role.iter().any(|p| glob_match(p, role))
    }
}

/// `*` matches any run of characters, `?` one character; case-insensitive.
fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let (mut p, mut t, mut star, mut resume) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            resume = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            resume += 1;
            t = resume;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Lists every account (filtered) and its roles (filtered). A failure to list the accounts fails the
/// whole discovery; a failure for one account's roles is reported on that account. The roles of a
/// page's accounts are listed as soon as the page arrives, while the next page is fetched; a page
/// request counts against `max_concurrency` like any other.
pub async fn discover(
    client: aws_sdk_sso::Client,
    token: Secret,
    max_concurrency: usize,
    filters: &Filters,
) -> Result<Vec<DiscoveredAccount>> {
    let permits = Arc::new(Semaphore::new(max_concurrency));
    let mut tasks = JoinSet::new();
    let mut pages = client.list_accounts().access_token(token.expose()).into_paginator().page_size(PAGE_SIZE).send();
    loop {
        let permit = permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        let page = pages.next().await;
        drop(permit);
        let Some(page) = page else { break };
        let page = page.map_err(|e| listing_error(&Failure::from_sdk(&e), "ListAccounts"))?;
        for account in page.account_list.unwrap_or_default() {
            let account_id = account.account_id.unwrap_or_default();
            let account_name = account.account_name.unwrap_or_else(|| account_id.clone());
            if !filters.keeps_account(&account_id, &account_name) {
                continue;
            }
            let (client, token, permits) = (client.clone(), token.clone(), permits.clone());
            let email_address = account.email_address.unwrap_or_default();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
                let roles = list_roles(&client, &token, &account_id).await;
                (account_id, account_name, email_address, roles)
            });
        }
    }
    let mut found = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok((account_id, account_name, email_address, roles)) = joined else { continue };
        let (roles, error) = match roles {
            Ok(roles) => (roles.into_iter().filter(|r| filters.keeps_role(r)).collect::<Vec<_>>(), None),
            Err(error) if error.code == ErrorCode::LoginRequired => return Err(error),
            Err(error) => (Vec::new(), Some(error.context(format!("account {account_id} ({account_name})")))),
        };
        if roles.is_empty() && error.is_none() {
            continue;
        }
        found.insert(account_id.clone(), DiscoveredAccount { account_id, account_name, email_address, roles, error });
    }
    Ok(found.into_values().collect())
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
        .map_err(|e| listing_error(&Failure::from_sdk(&e), "ListAccountRoles"))?;
    let mut names: Vec<String> = roles.into_iter().filter_map(|r| r.role_name).collect();
    names.sort();
    names.dedup();
    Ok(names)
}

fn listing_error(failure: &Failure, operation: &str) -> Error {
    match failure.code.as_deref() {
        Some("UnauthorizedException") => {
            Error::new(ErrorCode::LoginRequired, "the service no longer accepts the SSO token (expired or signed out)")
        }
        Some("ForbiddenException") => Error::new(ErrorCode::Forbidden, format!("{operation}: {}", failure.message)),
        Some("ResourceNotFoundException") => {
            Error::new(ErrorCode::NotFound, format!("{operation}: {}", failure.message))
        }
        _ => failure.to_error(operation),
    }
}

/// A checked profile-name template.
#[derive(Clone, Debug)]
pub struct Template(String);

impl Template {
    pub fn parse(template: Option<&str>) -> Result<Template> {
        let text = template.unwrap_or(DEFAULT_PROFILE_TEMPLATE);
        let mut rest = text.to_string();
        for placeholder in PLACEHOLDERS {
            rest = rest.replace(placeholder, "");
        }
        if text.trim().is_empty() || rest.contains(['{', '}']) {
            return Err(Error::invalid_input(format!(
                "profileNameTemplate '{}' may use only {{AccountName}}, {{AccountId}} and {{RoleName}}",
                crate::validate::printable(text)
            )));
        }
        Ok(Template(text.to_string()))
    }

    /// The profile name for an account and role, made safe for the credentials file.
    pub fn render(&self, account_id: &str, account_name: &str, role_name: &str) -> String {
        // Each value is cleaned on its own first, so `Team [A]` gives `Team-A.Admin`, not `Team-A-.Admin`.
        let raw = self
            .0
            .replace("{AccountName}", &sanitize(account_name))
            .replace("{AccountId}", &sanitize(account_id))
            .replace("{RoleName}", &sanitize(role_name));
        let name = sanitize(&raw);
        if name.is_empty() {
            account_id.to_string()
        } else {
            name
        }
    }
}

/// Letters, digits and `-_.+@:` stay; every other run of characters becomes one `-`; no `-` or `.`
/// at either end; at most 128 characters.
pub fn sanitize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_alphanumeric() || "-_.+@:".contains(c) {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out.trim_matches(['-', '.']).chars().take(128).collect();
    trimmed.trim_end_matches(['-', '.']).to_string()
}

/// One profile whose name is derived from the template.
#[derive(Clone, Debug)]
pub struct Derived {
    pub account_id: String,
    pub account_name: String,
    pub role_name: String,
}

/// A derived name that had to change because another profile already had it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Renamed {
    pub wanted: String,
    pub profile: String,
    pub account_id: String,
    pub role_name: String,
}

/// Names for `derived` entries: the template's name where it is unique and not `taken` (explicit
/// names win); otherwise `-<AccountId>` is appended (then `-<RoleName>`), for every entry of the
/// clash, so that the outcome does not depend on listing order.
pub fn name_profiles(template: &Template, derived: &[Derived], taken: &HashSet<String>) -> (Vec<String>, Vec<Renamed>) {
    let wanted: Vec<String> =
        derived.iter().map(|d| template.render(&d.account_id, &d.account_name, &d.role_name)).collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for name in &wanted {
        *count.entry(name).or_default() += 1;
    }
    let mut used: HashSet<String> = taken.clone();
    let mut names = Vec::with_capacity(derived.len());
    let mut renamed = Vec::new();
    for (entry, want) in derived.iter().zip(&wanted) {
        let clashes = count[want.as_str()] > 1 || taken.contains(want);
        let mut name = if clashes { sanitize(&format!("{want}-{}", entry.account_id)) } else { want.clone() };
        if used.contains(&name) {
            name = sanitize(&format!("{want}-{}-{}", entry.account_id, entry.role_name));
        }
        used.insert(name.clone());
        if &name != want {
            renamed.push(Renamed {
                wanted: want.clone(),
                profile: name.clone(),
                account_id: entry.account_id.clone(),
                role_name: entry.role_name.clone(),
            });
        }
        names.push(name);
    }
    (names, renamed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("prod-*", "PROD-eu"));
        assert!(glob_match("*", ""));
        assert!(glob_match("1234????????", "123456789012"));
        assert!(!glob_match("1234????????", "1234567890123"));
        assert!(glob_match("*-sandbox-*", "team-sandbox-7"));
        assert!(!glob_match("dev", "dev2"));
    }

    #[test]
    fn filters_match_accounts_by_id_or_name_and_roles_by_name() {
        let filters = Filters {
            include_account: vec!["prod*".into(), "111111111111".into()],
            exclude_account: vec!["*legacy*".into()],
            include_role: vec!["read*".into()],
        };
        assert!(filters.keeps_account("999999999999", "Prod-EU"));
        assert!(filters.keeps_account("111111111111", "anything"));
        assert!(!filters.keeps_account("999999999999", "prod-legacy"));
        assert!(!filters.keeps_account("999999999999", "dev"));
        assert!(filters.keeps_role("ReadOnly") && !filters.keeps_role("Admin"));
    }

    #[test]
    fn templates_render_and_sanitize() {
        let t = Template::parse(None).unwrap();
        assert_eq!(t.render("123456789012", "My Prod [EU]; #1", "Admin"), "My-Prod-EU-1.Admin");
        assert_eq!(t.render("123456789012", "Team [A]", "Admin"), "Team-A.Admin");
        assert_eq!(Template::parse(Some("{AccountId}-{RoleName}")).unwrap().render("1", "x", "R"), "1-R");
        assert_eq!(t.render("123456789012", "東京", "ReadOnly"), "東京.ReadOnly");
        assert_eq!(Template::parse(Some("[{AccountName}]")).unwrap().render("123456789012", "", "R"), "123456789012");
        assert!(Template::parse(Some("{Account}")).is_err());
        assert!(Template::parse(Some(" ")).is_err());
        for raw in ["a=b", "x]\n[y", "  pad  ", "..x..", "#;"] {
            let name = sanitize(raw);
            assert!(crate::validate::profile_name(&name, "p").is_ok() || name.is_empty(), "{raw:?} -> {name:?}");
        }
    }

    #[test]
    fn collisions_are_renamed_deterministically_and_explicit_names_win() {
        let t = Template::parse(None).unwrap();
        let d = |id: &str, name: &str, role: &str| Derived {
            account_id: id.into(),
            account_name: name.into(),
            role_name: role.into(),
        };
        let derived = [
            d("111111111111", "dup", "Admin"),
            d("222222222222", "dup", "Admin"),
            d("333333333333", "solo", "Admin"),
            d("444444444444", "mine", "Admin"),
        ];
        let taken: HashSet<String> = ["mine.Admin".to_string()].into();
        let (names, renamed) = name_profiles(&t, &derived, &taken);
        assert_eq!(
            names,
            ["dup.Admin-111111111111", "dup.Admin-222222222222", "solo.Admin", "mine.Admin-444444444444"]
        );
        assert_eq!(renamed.len(), 3);
        assert_eq!(renamed[0].wanted, "dup.Admin");
        let reversed: Vec<Derived> = derived.iter().rev().cloned().collect();
        let (again, _) = name_profiles(&t, &reversed, &taken);
        assert_eq!(again.iter().rev().collect::<Vec<_>>(), names.iter().collect::<Vec<_>>(), "order does not matter");
    }
}
