//! The session's last listing of accounts and roles, kept beside its token so that a refresh of
//! every account (`discover`) whose profiles are all current makes no call at all.
//!
//! This file holds the listing and its file format, with no function of the features, so that the
//! per-process state holds it from below them; [`super::kept_listing`] keeps it in this process's
//! memory and, unless `noTokenFile`, in `<cache file>.accounts.json` next to the session's token
//! cache file (0600, written atomically). It names the token it was
//! listed with by a hash, never by the token itself, and is reused while it is younger than
//! [`MAX_AGE`] and the session's token is the same one. A refresh with `force` lists again, and a
//! listed role the service refuses (Forbidden, NotFound) drops it.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use super::filters::Filters;
use crate::api::DiscoveredAccount;
use crate::error::{Error, ErrorCode, Result};
use crate::files::{create_private_dir, write_atomically};
use crate::secret::Secret;
use crate::time::{format_rfc3339, parse_rfc3339};
use crate::validate;

/// A listing is reused for at most this long.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// The listing file's format; a file of another version is ignored.
const FORMAT_VERSION: u32 = 1;
/// IAM Identity Center lists at most some thousands of accounts, a few hundred bytes each: a larger
/// file was not written by this tool, and is not read (nor held in memory) at all.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Hashed with the access token, so the hash identifies it here and nowhere else.
const TOKEN_HASH_CONTEXT: &[u8] = b"ssocreds listing of accounts and roles\0";

/// Every account the login can reach, and the roles of those that were listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Listing {
    version: u32,
    #[serde(with = "rfc3339")]
    listed_at: SystemTime,
    /// Which access token listed it: a hash, never the token.
    token_hash: String,
    /// Sorted by account id.
    accounts: Vec<ListedAccount>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListedAccount {
    pub account_id: String,
    pub account_name: String,
    #[serde(default)]
    pub email_address: Option<String>,
    /// `None` when the roles were not listed: the filters left the account out, or listing failed.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Why the roles could not be listed; reported by the run that listed, never stored.
    #[serde(skip)]
    pub error: Option<Error>,
}

impl Listing {
    pub(super) fn new(token: &Secret, listed_at: SystemTime, accounts: Vec<ListedAccount>) -> Listing {
        Listing { version: FORMAT_VERSION, listed_at, token_hash: token_hash(token), accounts }
    }

    /// True when this listing may stand for a new one at `now`: listed with `token`, less than
    /// [`MAX_AGE`] ago.
    pub(super) fn is_fresh_for(&self, token: &Secret, now: SystemTime) -> bool {
        let age = now.duration_since(self.listed_at).unwrap_or(Duration::MAX);
        self.version == FORMAT_VERSION && age < MAX_AGE && self.token_hash == token_hash(token)
    }

    /// True when the roles of every account `filters` keeps were listed.
    pub(super) fn covers(&self, filters: &Filters) -> bool {
        self.accounts
            .iter()
            .filter(|a| filters.keeps_account(&a.account_id, &a.account_name))
            .all(|a| a.roles.is_some())
    }

    /// The accounts and roles `filters` keeps, sorted by account id then role; accounts left with
    /// no role are left out, and accounts whose roles could not be listed carry the error.
    pub(crate) fn select(&self, filters: &Filters) -> Vec<DiscoveredAccount> {
        let kept = self.accounts.iter().filter(|a| filters.keeps_account(&a.account_id, &a.account_name));
        kept.filter_map(|account| {
            let roles: Vec<String> =
                account.roles.iter().flatten().filter(|r| filters.keeps_role(r)).cloned().collect();
            (!roles.is_empty() || account.error.is_some()).then(|| DiscoveredAccount {
                account_id: account.account_id.clone(),
                account_name: account.account_name.clone(),
                email_address: account.email_address.clone(),
                roles,
                error: account.error.clone(),
            })
        })
        .collect()
    }

    /// True when the listing says this login may use `role_name` in `account_id`.
    pub(super) fn lists(&self, account_id: &str, role_name: &str) -> bool {
        self.accounts
            .binary_search_by(|a| a.account_id.as_str().cmp(account_id))
            .ok()
            .and_then(|i| self.accounts[i].roles.as_ref())
            .is_some_and(|roles| roles.iter().any(|r| r == role_name))
    }
}

impl Listing {
    /// True when it is what [`Listing::new`] makes from what the service lists: this format,
    /// a SHA-1 hash, valid account ids and role names, accounts sorted by id once each (which
    /// [`Listing::lists`] relies on).
    fn is_well_formed(&self) -> bool {
        let valid_account = |a: &ListedAccount| {
            validate::account_id(&a.account_id, "accountId").is_ok()
                && a.roles.iter().flatten().all(|role| validate::role_name(role, "roleName").is_ok())
        };
        self.version == FORMAT_VERSION
            && self.token_hash.len() == 40
            && self.token_hash.bytes().all(|b| b.is_ascii_hexdigit())
            && self.accounts.iter().all(valid_account)
            && self.accounts.windows(2).all(|pair| pair[0].account_id < pair[1].account_id)
    }
}

fn token_hash(token: &Secret) -> String {
    let mut hasher = Sha1::new();
    hasher.update(TOKEN_HASH_CONTEXT);
    hasher.update(token.expose().as_bytes());
    hex::encode(hasher.finalize())
}

/// The listing in `path`; `None` when there is none, or none that this tool could have written: the
/// file is anyone's to edit, so one that is too large, is not JSON of this shape, or names an
/// account or role the service could not have listed, is read as no listing (the next run lists
/// again and replaces it).
pub(super) fn read(path: &Path) -> Option<Listing> {
    let text = crate::files::read_at_most(path, MAX_FILE_BYTES)?;
    match serde_json::from_slice::<Listing>(&text) {
        Ok(listing) if listing.is_well_formed() => Some(listing),
        _ => {
            tracing::debug!(path = %path.display(), "ignoring a listing of accounts that cannot be read");
            None
        }
    }
}

pub(super) fn write(path: &Path, listing: &Listing) -> Result<()> {
    let json = serde_json::to_vec(listing).map_err(|e| Error::new(ErrorCode::Io, e.to_string()))?;
    let folder = path.parent().unwrap_or(Path::new("."));
    create_private_dir(folder).map_err(|e| Error::io("cannot create", folder, &e))?;
    write_atomically(path, &json, true).map_err(|e| Error::io("cannot write", path, &e))
}

/// `listedAt` as an RFC 3339 time, like every time in these files.
mod rfc3339 {
    use super::*;

    pub fn serialize<S: serde::Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_rfc3339(*time))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<SystemTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_rfc3339(&text).ok_or_else(|| serde::de::Error::custom("not an RFC 3339 time"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::hostile_json::{damaged, padded, Rng};
    use crate::files::token_cache::{listing_file, remove_listing_file};
    use serde_json::json;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::time::UNIX_EPOCH;

    fn account(id: &str, name: &str, roles: Option<&[&str]>) -> ListedAccount {
        ListedAccount {
            account_id: id.into(),
            account_name: name.into(),
            email_address: None,
            roles: roles.map(|r| r.iter().map(|s| s.to_string()).collect()),
            error: None,
        }
    }

    fn listing(at: SystemTime) -> Listing {
        Listing::new(
            &Secret::new("aoa-TOKEN"),
            at,
            vec![account("111111111111", "prod", Some(&["Admin", "ReadOnly"])), account("222222222222", "dev", None)],
        )
    }

    #[test]
    fn reused_only_with_the_same_token_while_younger_than_an_hour() {
        let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let (token, other) = (Secret::new("aoa-TOKEN"), Secret::new("aoa-OTHER"));
        let l = listing(at);
        assert!(l.is_fresh_for(&token, at + MAX_AGE - Duration::from_secs(1)));
        assert!(!l.is_fresh_for(&token, at + MAX_AGE));
        assert!(!l.is_fresh_for(&other, at));
        assert!(!l.is_fresh_for(&token, at - Duration::from_secs(1)), "a listing from the future is not trusted");
    }

    #[test]
    fn covers_only_the_accounts_whose_roles_were_listed() {
        let l = listing(UNIX_EPOCH);
        let only_prod = Filters { include_account: vec!["prod".into()], ..Filters::default() };
        assert!(l.covers(&only_prod));
        assert!(!l.covers(&Filters::default()), "dev's roles were not listed");
        let selected = l.select(&Filters { include_role: vec!["read*".into()], ..only_prod });
        assert_eq!(selected.len(), 1);
        assert_eq!(selected[0].roles, ["ReadOnly"]);
        assert!(l.lists("111111111111", "Admin") && !l.lists("111111111111", "Other") && !l.lists("2", "Admin"));
    }

    #[test]
    fn the_file_is_private_holds_no_token_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let cache_file = dir.path().join("sso").join("cache").join("0ad374308c5a4e22f723adf10145eafad7c4031c.json");
        let path = listing_file(&cache_file);
        assert_eq!(path.file_name().unwrap(), "0ad374308c5a4e22f723adf10145eafad7c4031c.accounts.json");
        let l = listing(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
        write(&path, &l).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("aoa-TOKEN"), "{text}");
        assert!(text.contains("\"listedAt\":\"2027-01-15T08:00:00Z\""), "{text}");
        assert_eq!(read(&path), Some(l));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "{broken").unwrap();
        assert_eq!(read(&path), None);
        remove_listing_file(&cache_file).unwrap();
        remove_listing_file(&cache_file).unwrap();
        assert!(!path.exists());
    }

    /// A listing as [`write`] writes it, of up to five accounts, with roles or without.
    fn valid_file(rng: &mut Rng) -> serde_json::Value {
        let accounts: Vec<serde_json::Value> = (0..rng.below(6))
            .map(|n| {
                let roles = rng.percent(80).then(|| vec!["Admin", "ReadOnly"][..rng.below(3)].to_vec());
                json!({"accountId": format!("{:012}", 100_000_000_000u64 + n as u64), "accountName": format!("a{n}"),
                       "emailAddress": rng.percent(50).then_some("a@example.com"), "roles": roles})
            })
            .collect();
        let listed_at = *rng.pick(&["2027-01-15T08:00:00Z", "2027-01-15T08:30:00+01:00", "2027-01-15T07:59:59Z"]);
        json!({"version": FORMAT_VERSION, "listedAt": listed_at, "tokenHash": token_hash(&Secret::new("aoa-TOKEN")),
               "accounts": accounts})
    }

    /// The file as hostile input: whatever it holds, reading it and using what was read never
    /// panics, and what is read is a listing the service could have given.
    #[test]
    fn no_file_makes_reading_or_using_the_listing_panic() {
        const FILES: usize = 2_000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.accounts.json");
        let mut rng = Rng::seeded(0x0115_7ed5);
        let (token, now) = (Secret::new("aoa-TOKEN"), UNIX_EPOCH + Duration::from_secs(1_800_000_000));
        let filters = [Filters::default(), Filters { include_role: vec!["read*".into()], ..Filters::default() }];
        let (mut reused, mut panics) = (0, Vec::new());
        for case in 0..FILES {
            let valid = valid_file(&mut rng);
            let bytes = if case % 1000 == 999 {
                padded(&valid, MAX_FILE_BYTES as usize + 1)
            } else {
                damaged(&mut rng, &valid)
            };
            std::fs::write(&path, &bytes).unwrap();
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let listing = read(&path)?;
                let fresh = listing.is_fresh_for(&token, now);
                let selected: Vec<_> =
                    filters.iter().filter(|f| listing.covers(f)).map(|f| listing.select(f)).collect();
                let _ = listing.lists("100000000000", "Admin");
                Some((listing, fresh, selected))
            }));
            match outcome {
                Err(_) => panics.push(format!("case {case}: {:.300}", String::from_utf8_lossy(&bytes))),
                Ok(Some((listing, fresh, _))) => {
                    assert!(listing.is_well_formed(), "case {case}: {listing:?}");
                    reused += usize::from(fresh);
                }
                Ok(None) => {}
            }
        }
        assert!(panics.is_empty(), "{} of {FILES} files made the listing panic:\n{}", panics.len(), panics.join("\n"));
        assert!(reused * 10 > FILES, "only {reused} of {FILES} listings were fresh: the damage hides the reader");
    }

    #[test]
    fn a_listing_the_service_could_not_have_given_is_no_listing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.accounts.json");
        let good = listing(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
        let mut as_json = serde_json::to_value(&good).unwrap();
        std::fs::write(&path, serde_json::to_vec(&as_json).unwrap()).unwrap();
        assert_eq!(read(&path), Some(good.clone()));
        for (pointer, bad) in [
            ("/accounts/0/accountId", json!("]\n[default")),
            ("/accounts/0/accountId", json!("222222222222")),
            ("/accounts/0/roles/0", json!("Admin\n[x]")),
            ("/tokenHash", json!("aoa-TOKEN")),
            ("/version", json!(2)),
            ("/version", json!(-1)),
            ("/listedAt", json!("+275760-09-13T00:00:00Z")),
        ] {
            let kept = std::mem::replace(as_json.pointer_mut(pointer).unwrap(), bad.clone());
            std::fs::write(&path, serde_json::to_vec(&as_json).unwrap()).unwrap();
            assert_eq!(read(&path), None, "{pointer} = {bad}");
            *as_json.pointer_mut(pointer).unwrap() = kept;
        }
        std::fs::write(&path, padded(&as_json, MAX_FILE_BYTES as usize + 1)).unwrap();
        assert_eq!(read(&path), None, "a file over the limit");
    }
}
