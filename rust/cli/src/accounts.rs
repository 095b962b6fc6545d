//! Reading the list of profiles to refresh: a JSON array of `{profile, accountId, roleName?}`, a CSV
//! file with the columns `Profile`, `AccountId`, `RoleName` (as `Import-Csv` reads it), or flags.

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
    let (Some(profile), Some(account)) = (column("Profile"), column("AccountId")) else {
        return Err("the CSV needs the columns Profile and AccountId (RoleName is optional)".into());
    };
    let role = column("RoleName");
    let mut accounts = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {}: {e}", line + 2))?;
        let field = |i: usize| record.get(i).unwrap_or_default().to_string();
        accounts.push(AccountRequest {
            profile: field(profile),
            account_id: field(account),
            role_name: role.map(field).filter(|r| !r.is_empty()),
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
    Ok(AccountRequest { profile: profile.to_string(), account_id: account_id.to_string(), role_name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_are_found_by_name_in_any_case_and_order() {
        let accounts =
            from_csv("RoleName,accountid,PROFILE\nAdmin,012345678901,dev\n,123456789012,\"prod, eu\"\n").unwrap();
        assert_eq!(accounts[0].profile, "dev");
        assert_eq!(accounts[0].role_name.as_deref(), Some("Admin"));
        assert_eq!(accounts[1].profile, "prod, eu");
        assert_eq!(accounts[1].account_id, "123456789012");
        assert_eq!(accounts[1].role_name, None);
        assert!(from_csv("Name,Id\nx,1\n").is_err());
    }

    #[test]
    fn account_flags() {
        let a = from_flag("dev=012345678901:ReadOnly").unwrap();
        assert_eq!(
            (a.profile.as_str(), a.account_id.as_str(), a.role_name.as_deref()),
            ("dev", "012345678901", Some("ReadOnly"))
        );
        assert_eq!(from_flag("dev=012345678901").unwrap().role_name, None);
        assert!(from_flag("dev").is_err());
    }
}
