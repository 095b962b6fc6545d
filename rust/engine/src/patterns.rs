//! Patterns with `*` and `?`, case-insensitive, as the request's filters of accounts and roles
//! (`discovery`) and of config profiles (`config_profiles`) both use them.

use crate::error::{Error, Result};
use crate::validate::printable;

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
    fn empty_or_unprintable_patterns_are_refused_with_the_field_named() {
        assert!(check_patterns("includeRole", &["Read*".into()]).is_ok());
        let error = check_patterns("includeRole", &["Read*".into(), " ".into()]).unwrap_err();
        assert!(error.message.contains("includeRole"), "{}", error.message);
        assert!(check_patterns("configProfile", &["a\u{7}".into()]).is_err());
    }
}
