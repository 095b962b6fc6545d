//! Profile names for accounts and roles given without one: made from a template, made safe for the
//! credentials file, and made unique without depending on the order of the listing.

use std::collections::{HashMap, HashSet};

use crate::api::Renamed;
use crate::error::{Error, Result};
use crate::validate::{printable, PROFILE_NAME_MAX_CHARS};

pub(crate) const DEFAULT_PROFILE_TEMPLATE: &str = "{AccountName}.{RoleName}";
const PLACEHOLDERS: [&str; 3] = ["{AccountName}", "{AccountId}", "{RoleName}"];
/// What a name may hold besides letters and digits; any other run of characters becomes one `-`.
const ALLOWED_PUNCTUATION: &str = "-_.+@:";

/// An account and role whose profile name is to be made from the template.
#[derive(Clone, Debug)]
pub(crate) struct AccountRole {
    pub account_id: String,
    pub account_name: String,
    pub role_name: String,
}

/// A checked profile-name template.
#[derive(Clone, Debug)]
pub(crate) struct Template(String);

impl Template {
    pub(crate) fn parse(template: Option<&str>) -> Result<Template> {
        let text = template.unwrap_or(DEFAULT_PROFILE_TEMPLATE);
        let mut rest = text.to_string();
        for placeholder in PLACEHOLDERS {
            rest = rest.replace(placeholder, "");
        }
        if text.trim().is_empty() || rest.contains(['{', '}']) {
            return Err(Error::invalid_input(format!(
                "profileNameTemplate '{}' may use only {{AccountName}}, {{AccountId}} and {{RoleName}}",
                printable(text)
            )));
        }
        Ok(Template(text.to_string()))
    }

    /// The profile name for an account and role, made safe for the credentials file.
    pub(crate) fn render(&self, account_id: &str, account_name: &str, role_name: &str) -> String {
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

/// Letters, digits and [`ALLOWED_PUNCTUATION`] stay; every other run of characters becomes one
/// `-`; no `-` or `.` at either end; at most [`PROFILE_NAME_MAX_CHARS`] characters.
pub(crate) fn sanitize(raw: &str) -> String {
    let allowed = |c: char| c.is_alphanumeric() || ALLOWED_PUNCTUATION.contains(c);
    let clean_ends = !raw.starts_with(['-', '.']) && !raw.ends_with(['-', '.']);
    if clean_ends && raw.len() <= PROFILE_NAME_MAX_CHARS && raw.chars().all(allowed) {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if allowed(c) {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out.trim_matches(['-', '.']).chars().take(PROFILE_NAME_MAX_CHARS).collect();
    trimmed.trim_end_matches(['-', '.']).to_string()
}

/// Names for `targets`: the template's name where it is unique and not `taken` (explicit names
/// win); otherwise `-<AccountId>` is appended (then `-<RoleName>`), for every entry of the clash,
/// so that the outcome does not depend on listing order.
pub(crate) fn name_profiles(
    template: &Template,
    targets: &[AccountRole],
    taken: &HashSet<String>,
) -> (Vec<String>, Vec<Renamed>) {
    let wanted: Vec<String> =
        targets.iter().map(|t| template.render(&t.account_id, &t.account_name, &t.role_name)).collect();
    let mut count: HashMap<&str, usize> = HashMap::with_capacity(wanted.len());
    for name in &wanted {
        *count.entry(name).or_default() += 1;
    }
    let mut used: HashSet<String> = HashSet::with_capacity(taken.len() + targets.len());
    used.extend(taken.iter().cloned());
    let mut names = Vec::with_capacity(targets.len());
    let mut renamed = Vec::new();
    for (target, want) in targets.iter().zip(&wanted) {
        let clashes = count[want.as_str()] > 1 || taken.contains(want);
        let mut name = if clashes { sanitize(&format!("{want}-{}", target.account_id)) } else { want.clone() };
        if used.contains(&name) {
            name = sanitize(&format!("{want}-{}-{}", target.account_id, target.role_name));
        }
        used.insert(name.clone());
        if &name != want {
            renamed.push(Renamed {
                wanted: want.clone(),
                profile: name.clone(),
                account_id: target.account_id.clone(),
                role_name: target.role_name.clone(),
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
    fn templates_render_and_sanitize() {
        let t = Template::parse(None).unwrap();
        assert_eq!(t.render("123456789012", "My Prod [EU]; #1", "Admin"), "My-Prod-EU-1.Admin");
        assert_eq!(t.render("123456789012", "Team [A]", "Admin"), "Team-A.Admin");
        assert_eq!(Template::parse(Some("{AccountId}-{RoleName}")).unwrap().render("1", "x", "R"), "1-R");
        assert_eq!(t.render("123456789012", "東京", "ReadOnly"), "東京.ReadOnly");
        assert_eq!(Template::parse(Some("[{AccountName}]")).unwrap().render("123456789012", "", "R"), "123456789012");
        assert!(Template::parse(Some("{Account}")).is_err());
        assert!(Template::parse(Some(" ")).is_err());
        assert_eq!(sanitize("a--b_c.d+e@f:g"), "a--b_c.d+e@f:g", "a clean name stays as it is");
        assert_eq!((sanitize(".x-"), sanitize("-")), ("x".to_string(), String::new()));
        assert_eq!(sanitize(&"a".repeat(200)), "a".repeat(PROFILE_NAME_MAX_CHARS));
        for raw in ["a=b", "x]\n[y", "  pad  ", "..x..", "#;"] {
            let name = sanitize(raw);
            assert!(crate::validate::profile_name(&name, "p").is_ok() || name.is_empty(), "{raw:?} -> {name:?}");
        }
    }

    #[test]
    fn a_name_made_from_a_long_account_name_is_still_a_valid_profile_name() {
        let name = Template::parse(None).unwrap().render("123456789012", &"n".repeat(500), "Admin");
        assert_eq!(name.chars().count(), PROFILE_NAME_MAX_CHARS);
        assert!(crate::validate::profile_name(&name, "p").is_ok());
    }

    #[test]
    fn collisions_are_renamed_deterministically_and_explicit_names_win() {
        let t = Template::parse(None).unwrap();
        let d = |id: &str, name: &str, role: &str| AccountRole {
            account_id: id.into(),
            account_name: name.into(),
            role_name: role.into(),
        };
        let targets = [
            d("111111111111", "dup", "Admin"),
            d("222222222222", "dup", "Admin"),
            d("333333333333", "solo", "Admin"),
            d("444444444444", "mine", "Admin"),
        ];
        let taken: HashSet<String> = ["mine.Admin".to_string()].into();
        let (names, renamed) = name_profiles(&t, &targets, &taken);
        assert_eq!(
            names,
            ["dup.Admin-111111111111", "dup.Admin-222222222222", "solo.Admin", "mine.Admin-444444444444"]
        );
        assert_eq!(renamed.len(), 3);
        assert_eq!(renamed[0].wanted, "dup.Admin");
        let reversed: Vec<AccountRole> = targets.iter().rev().cloned().collect();
        let (again, _) = name_profiles(&t, &reversed, &taken);
        assert_eq!(again.iter().rev().collect::<Vec<_>>(), names.iter().collect::<Vec<_>>(), "order does not matter");
    }
}
