//! Which discovered accounts and roles to keep: patterns with `*` and `?`, case-insensitive
//! ([`crate::patterns`]). An
//! account matches by id or by name, a role by name.

use crate::error::Result;
use crate::patterns::{check_patterns, glob_match};

#[derive(Clone, Debug, Default)]
pub(crate) struct Filters {
    pub include_account: Vec<String>,
    pub exclude_account: Vec<String>,
    pub include_role: Vec<String>,
}

impl Filters {
    /// Filters from a request's patterns, refusing empty or unprintable ones.
    pub(crate) fn checked(
        include_account: Vec<String>,
        exclude_account: Vec<String>,
        include_role: Vec<String>,
    ) -> Result<Filters> {
        let filters = Filters { include_account, exclude_account, include_role };
        check_patterns("includeAccount", &filters.include_account)?;
        check_patterns("excludeAccount", &filters.exclude_account)?;
        check_patterns("includeRole", &filters.include_role)?;
        Ok(filters)
    }

    pub(crate) fn keeps_account(&self, id: &str, name: &str) -> bool {
        let matches = |p: &String| glob_match(p, id) || glob_match(p, name);
        (self.include_account.is_empty() || self.include_account.iter().any(matches))
            && !self.exclude_account.iter().any(matches)
    }

    pub(crate) fn keeps_role(&self, role: &str) -> bool {
        self.include_role.is_empty() || self.include_role.iter().any(|p| glob_match(p, role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
