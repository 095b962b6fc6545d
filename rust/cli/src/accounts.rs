//! Reading the list of profiles to refresh: a JSON array of `{profile?, accountId, roleName?,
//! accountName?}`, a CSV file with the columns `Profile`, `AccountId`, `RoleName`, `AccountName` (as
//! `Import-Csv` reads it; only `AccountId` is required), or flags. Without a profile name, the name
//! comes from the profile-name template.

use std::path::Path;

use ssocreds_engine::api::AccountRequest;

/// Accounts from a `.json` or `.csv` file, chosen by extension.
pub fn from_file(path: &Path) -> Result<Vec<AccountRequest>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = text.trim_start_matches('\u{feff}');
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        serde_json::from_str(text)
            .map_err(|e| format!("{}: not a JSON array of {{profile, accountId, roleName}}: {e}", path.display()))
    } else {
        from_csv(text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

fn from_csv(text: &str) -> Result<Vec<AccountRequest>, String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let Some(account) = column("AccountId") else {
        return Err("the CSV needs an AccountId column (Profile, RoleName and AccountName are optional)".into());
    };
    let (profile, role, name) = (column("Profile"), column("RoleName"), column("AccountName"));
    let mut accounts = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {}: {e}", line + 2))?;
        let field = |i: usize| record.get(i).unwrap_or_default().to_string();
        let optional = |column: Option<usize>| column.map(field).filter(|v| !v.is_empty());
        accounts.push(AccountRequest {
            profile: optional(profile),
            account_id: field(account),
            role_name: optional(role),
            account_name: optional(name),
        });
    }
    Ok(accounts)
}

/// `PROFILE=ACCOUNT_ID[:ROLE]`.
pub fn from_flag(value: &str) -> Result<AccountRequest, String> {
    let (profile, rest) =
        value.rsplit_once('=').ok_or_else(|| format!("--account '{value}' is not PROFILE=ACCOUNT_ID[:ROLE]"))?;
    let (account_id, role_name) = match rest.split_once(':') {
        Some((account, role)) => (account, Some(role.to_string())),
        None => (rest, None),
    };
    Ok(AccountRequest {
        profile: Some(profile.to_string()),
        account_id: account_id.to_string(),
        role_name,
        account_name: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_are_found_by_name_in_any_case_and_order() {
        let accounts =
            from_csv("RoleName,accountid,PROFILE\nAdmin,012345678901,dev\n,123456789012,\"prod, eu\"\n").unwrap();
        assert_eq!(accounts[0].profile.as_deref(), Some("dev"));
        assert_eq!(accounts[0].role_name.as_deref(), Some("Admin"));
        assert_eq!(accounts[1].profile.as_deref(), Some("prod, eu"));
        assert_eq!(accounts[1].account_id, "123456789012");
        assert_eq!(accounts[1].role_name, None);
        assert!(from_csv("Name,Id\nx,1\n").is_err());
        let unnamed = from_csv("AccountId,AccountName\n012345678901,Prod EU\n").unwrap();
        assert_eq!((unnamed[0].profile.as_deref(), unnamed[0].account_name.as_deref()), (None, Some("Prod EU")));
    }

    #[test]
    fn account_flags() {
        let a = from_flag("dev=012345678901:ReadOnly").unwrap();
        assert_eq!(
            (a.profile.as_deref(), a.account_id.as_str(), a.role_name.as_deref()),
            (Some("dev"), "012345678901", Some("ReadOnly"))
        );
        assert_eq!(from_flag("dev=012345678901").unwrap().role_name, None);
        assert!(from_flag("dev").is_err());
    }
}
