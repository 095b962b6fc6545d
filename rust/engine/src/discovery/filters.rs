//! Which discovered accounts and roles to keep: patterns with `*` and `?`, case-insensitive. An
//! account matches by id or by name, a role by name.

use crate::error::{Error, Result};
use crate::validate::printable;

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

/// Refuses an empty or unprintable pattern of the request's `field`.
pub(crate) fn check_patterns(field: &str, patterns: &[String]) -> Result<()> {
    match patterns.iter().find(|p| p.trim().is_empty() || p.chars().any(char::is_control)) {
        Some(bad) => {
            Err(Error::invalid_input(format!("{field} has an empty or unprintable pattern '{}'", printable(bad))))
        }
        None => Ok(()),
    }
}

/// `*` matches any run of characters, `?` one character; case-insensitive.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
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
}
