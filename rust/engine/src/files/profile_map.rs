//! The profiles and sso-sessions of the AWS config file, as botocore's `build_profile_map` reads
//! them from the sections configparser found:
//! - a section whose name starts with `profile` is split like a shell line (Python's `shlex.split`);
//!   when that gives exactly two words, the second is a profile name (`[profile "a b"]` is `a b`);
//!   anything else (`[profile a b]`, `[profilex]`, an unclosed quote) is no profile at all;
//! - `[default]` is the profile `default`;
//! - a section whose name starts with `sso-session` gives an sso-session the same way;
//! - every other section is not a profile.
//!
//! Two sections that give one name (`[default]` and `[profile default]`) are one profile whose keys
//! are those of the later section, at the place of the earlier one, as in botocore's dict.

use std::collections::HashMap;

/// A section's keys (lowercase) and values, `[DEFAULT]`'s inherited.
pub(crate) type Keys = HashMap<String, String>;

const PROFILE_PREFIX: &str = "profile";
const SSO_SESSION_PREFIX: &str = "sso-session";
const DEFAULT_PROFILE: &str = "default";

/// What botocore reads from the config file.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ProfileMap {
    /// In the order of the file.
    pub profiles: Vec<(String, Keys)>,
    pub sso_sessions: HashMap<String, Keys>,
    /// Sections that look like a profile to people but give none to botocore, e.g. `[profile a b]`.
    pub not_profiles: Vec<String>,
}

impl ProfileMap {
    /// The map of the sections `parse_in_order` found, in file order.
    pub(crate) fn build(sections: Vec<(String, Keys)>) -> ProfileMap {
        let mut map = ProfileMap::default();
        for (section, keys) in sections {
            if section.starts_with(PROFILE_PREFIX) {
                match named(&section) {
                    Some(name) => set(&mut map.profiles, name, keys),
                    None => map.not_profiles.push(section),
                }
            } else if section.starts_with(SSO_SESSION_PREFIX) {
                if let Some(name) = named(&section) {
                    map.sso_sessions.insert(name, keys);
                }
            } else if section == DEFAULT_PROFILE {
                set(&mut map.profiles, section, keys);
            }
        }
        map
    }
}

/// Replaces the keys of `name` where it already is, else adds it at the end (a Python dict's update).
fn set(profiles: &mut Vec<(String, Keys)>, name: String, keys: Keys) {
    match profiles.iter_mut().find(|(existing, _)| *existing == name) {
        Some((_, old)) => *old = keys,
        None => profiles.push((name, keys)),
    }
}

/// The second word of a `<prefix> <name>` section, when the section has exactly two words.
fn named(section: &str) -> Option<String> {
    let mut words = shell_words(section)?;
    (words.len() == 2).then(|| words.swap_remove(1))
}

/// The words of `text` as Python's `shlex.split` gives them (POSIX mode, no comments): white space
/// is space, tab, CR and LF; `'...'` is literal; in `"..."` a backslash escapes only `"` and `\`;
/// elsewhere it escapes any character. `None` where shlex raises (an unclosed quote, a final
/// backslash).
fn shell_words(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    // `Some` once a word has begun, even an empty one made of quotes (`""`).
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => words.extend(word.take()),
            '\\' => word.get_or_insert_default().push(chars.next()?),
            '\'' => {
                let word = word.get_or_insert_default();
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                let word = word.get_or_insert_default();
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => {
                            let escaped = chars.next()?;
                            if !matches!(escaped, '"' | '\\') {
                                word.push('\\');
                            }
                            word.push(escaped);
                        }
                        c => word.push(c),
                    }
                }
            }
            c => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::ini::parse_in_order;

    fn map(text: &str) -> ProfileMap {
        ProfileMap::build(parse_in_order(text))
    }

    fn names(map: &ProfileMap) -> Vec<&str> {
        map.profiles.iter().map(|(name, _)| name.as_str()).collect()
    }

    #[test]
    fn words_are_split_as_python_shlex_splits_them() {
        let split = |s: &str| shell_words(s).map(|w| w.join("|"));
        assert_eq!(split("profile dev").as_deref(), Some("profile|dev"));
        assert_eq!(split("profile   \"a b\"").as_deref(), Some("profile|a b"));
        assert_eq!(split("profile 'it''s'").as_deref(), Some("profile|its"));
        assert_eq!(split(r#"profile "a\"b\x""#).as_deref(), Some(r#"profile|a"b\x"#));
        assert_eq!(split(r"profile a\ b").as_deref(), Some("profile|a b"));
        assert_eq!(split("profile \"\"").as_deref(), Some("profile|"));
        assert_eq!(split("profile a#b").as_deref(), Some("profile|a#b"), "no comments");
        assert_eq!(split("profile \u{3000}x").as_deref(), Some("profile|\u{3000}x"), "only ASCII white space splits");
        assert_eq!(split("profile \"open"), None);
        assert_eq!(split("profile x\\"), None);
    }

    #[test]
    fn profiles_sso_sessions_and_other_sections_as_botocore_builds_them() {
        let text = "[default]\nregion = a\n[profile dev]\nk = 1\n[profile \"a b\"]\nk = 2\n[sso-session corp]\n\
                    sso_region = eu-west-1\n[services s]\nx = 1\n[preview]\ny = 2\n[profile a b]\n[profilex]\n\
                    [profiles q]\nk = 3\n[Profile upper]\n";
        let map = map(text);
        // "profiles q" starts with "profile" and has two words: botocore reads the profile "q".
        assert_eq!(names(&map), ["default", "dev", "a b", "q"]);
        assert_eq!(map.sso_sessions["corp"]["sso_region"], "eu-west-1");
        assert_eq!(map.not_profiles, ["profile a b", "profilex"]);
    }

    #[test]
    fn the_later_of_default_and_profile_default_wins_at_the_place_of_the_first() {
        let later_default = map("[profile default]\nregion = a\n[dev]\n[profile x]\n[default]\nregion = b\n");
        assert_eq!(names(&later_default), ["default", "x"]);
        assert_eq!(later_default.profiles[0].1["region"], "b");
        let later_profile = map("[default]\nregion = b\n[profile default]\nregion = a\n");
        assert_eq!(later_profile.profiles[0].1["region"], "a");
    }

    #[test]
    fn default_keys_are_inherited_by_profiles_and_sessions() {
        let map = map("[DEFAULT]\nsso_region = us-east-1\n[profile dev]\n[sso-session corp]\n");
        assert_eq!(map.profiles[0].1["sso_region"], "us-east-1");
        assert_eq!(map.sso_sessions["corp"]["sso_region"], "us-east-1");
    }
}
