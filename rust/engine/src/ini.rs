//! Reading and editing the AWS shared credentials file as text, so that everything the engine does not
//! own stays byte for byte: other profiles, comments, order, blank lines, key spelling and CRLF endings.
//!
//! The syntax is what botocore's `configparser` reads: `[section]` headers (the name is the text
//! between the brackets, verbatim), `key = value` or `key: value` lines whose keys compare
//! case-insensitively, indented continuation lines, and whole-line `#`/`;` comments.

use std::collections::HashMap;

/// One physical line: its text without the ending, and the ending itself ("\n", "\r\n" or "" at EOF).
#[derive(Clone, Debug)]
struct Line {
    text: String,
    ending: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Section(String),
    Key(String),
    Continuation,
    Other,
}

fn split_lines(text: &str) -> Vec<Line> {
    text.split_inclusive('\n')
        .map(|raw| {
            let (body, ending) = match raw.strip_suffix("\r\n") {
                Some(body) => (body, "\r\n"),
                None => match raw.strip_suffix('\n') {
                    Some(body) => (body, "\n"),
                    None => (raw, ""),
                },
            };
            Line { text: body.to_string(), ending: ending.to_string() }
        })
        .collect()
}

/// Classifies each line, tracking whether an indented line continues a value (configparser rules).
fn classify(lines: &[Line]) -> Vec<Kind> {
    let mut kinds = Vec::with_capacity(lines.len());
    let mut in_value = false;
    for line in lines {
        let trimmed = line.text.trim();
        let indented = line.text.starts_with([' ', '\t']);
        let kind = if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            in_value = in_value && !trimmed.is_empty();
            Kind::Other
        } else if indented && in_value {
            Kind::Continuation
        } else if let Some(name) = section_name(trimmed) {
            in_value = false;
            Kind::Section(name.to_string())
        } else if let Some((key, _)) = split_key_value(&line.text) {
            in_value = true;
            Kind::Key(key.to_ascii_lowercase())
        } else {
            in_value = false;
            Kind::Other
        };
        kinds.push(kind);
    }
    kinds
}

fn section_name(trimmed: &str) -> Option<&str> {
    trimmed.strip_prefix('[')?.strip_suffix(']')
}

/// `key = value` or `key: value`, split at the first delimiter; the key trimmed, the value trimmed.
fn split_key_value(text: &str) -> Option<(&str, &str)> {
    let at = text.find(['=', ':'])?;
    let key = text[..at].trim();
    (!key.is_empty()).then(|| (key, text[at + 1..].trim()))
}

/// Every profile's keys (lower-cased) and values; the first section of a name and the first
/// occurrence of a key win, as they would for a reader that tolerates duplicates.
pub fn parse(text: &str) -> HashMap<String, HashMap<String, String>> {
    let lines = split_lines(text);
    let kinds = classify(&lines);
    let mut profiles: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut seen_sections = std::collections::HashSet::new();
    let mut current: Option<String> = None;
    for (line, kind) in lines.iter().zip(&kinds) {
        match kind {
            Kind::Section(name) => {
                current = seen_sections.insert(name.clone()).then(|| name.clone());
                if let Some(name) = &current {
                    profiles.entry(name.clone()).or_default();
                }
            }
            Kind::Key(key) => {
                if let (Some(section), Some((_, value))) = (&current, split_key_value(&line.text)) {
                    let keys = profiles.entry(section.clone()).or_default();
                    keys.entry(key.clone()).or_insert_with(|| value.to_string());
                }
            }
            Kind::Continuation | Kind::Other => {}
        }
    }
    profiles
}

/// What to set in one profile: keys in the order they are written when new, and keys to remove.
#[derive(Clone, Debug)]
pub struct SectionUpdate {
    pub section: String,
    pub set: Vec<(&'static str, String)>,
    pub remove: Vec<&'static str>,
}

/// The text with every update applied. Lines that are not touched keep their bytes; new lines use the
/// file's own line ending.
pub fn apply(text: &str, updates: &[SectionUpdate]) -> String {
    let mut lines = split_lines(text);
    let newline = lines.first().map_or("\n", |l| if l.ending == "\r\n" { "\r\n" } else { "\n" }).to_string();
    for update in updates {
        let kinds = classify(&lines);
        match kinds.iter().position(|k| *k == Kind::Section(update.section.clone())) {
            Some(header) => update_section(&mut lines, &kinds, header, update, &newline),
            None => append_section(&mut lines, update, &newline),
        }
    }
    lines.iter().flat_map(|l| [l.text.as_str(), l.ending.as_str()]).collect()
}

fn update_section(lines: &mut Vec<Line>, kinds: &[Kind], header: usize, update: &SectionUpdate, newline: &str) {
    let end = kinds[header + 1..]
        .iter()
        .position(|k| matches!(k, Kind::Section(_)))
        .map_or(kinds.len(), |offset| header + 1 + offset);
    // Decide, line by line, what stays, what is rewritten and what goes.
    let mut keep = vec![true; lines.len()];
    let mut written: Vec<&str> = Vec::new();
    let mut last_content = header;
    let mut dropping_value = false;
    for i in header + 1..end {
        match &kinds[i] {
            Kind::Key(key) => {
                dropping_value = false;
                let owned = update.set.iter().find(|(k, _)| k == key);
                if update.remove.contains(&key.as_str()) || (owned.is_some() && written.contains(&key.as_str())) {
                    keep[i] = false;
                    dropping_value = true;
                    continue;
                }
                if let Some((name, value)) = owned {
                    lines[i].text = replace_value(&lines[i].text, value);
                    written.push(name);
                    dropping_value = true; // an old multi-line value's continuation goes too
                }
                last_content = i;
            }
            Kind::Continuation if dropping_value => keep[i] = false,
            Kind::Continuation => last_content = i,
            _ => dropping_value = false,
        }
    }
    let missing: Vec<Line> = update
        .set
        .iter()
        .filter(|(key, _)| !written.contains(key))
        .map(|(key, value)| Line { text: format!("{key} = {value}"), ending: newline.to_string() })
        .collect();
    if lines[last_content].ending.is_empty() {
        lines[last_content].ending = newline.to_string();
    }
    let mut index = 0;
    lines.retain(|_| {
        index += 1;
        keep[index - 1]
    });
    let removed_before = keep[..=last_content].iter().filter(|k| !**k).count();
    let insert_at = last_content + 1 - removed_before;
    lines.splice(insert_at..insert_at, missing);
}

/// `key = old` becomes `key = new`, keeping the key's spelling, the delimiter and the spacing around it.
fn replace_value(text: &str, value: &str) -> String {
    let at = text.find(['=', ':']).expect("classified as a key line");
    let after = &text[at + 1..];
    let spacing = &after[..after.len() - after.trim_start().len()];
    format!("{}{spacing}{value}", &text[..=at])
}

fn append_section(lines: &mut Vec<Line>, update: &SectionUpdate, newline: &str) {
    if let Some(last) = lines.last_mut() {
        if last.ending.is_empty() {
            last.ending = newline.to_string();
        }
        if !last.text.trim().is_empty() {
            lines.push(Line { text: String::new(), ending: newline.to_string() });
        }
    }
    lines.push(Line { text: format!("[{}]", update.section), ending: newline.to_string() });
    for (key, value) in &update.set {
        lines.push(Line { text: format!("{key} = {value}"), ending: newline.to_string() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(section: &str, pairs: &[(&'static str, &str)]) -> SectionUpdate {
        SectionUpdate {
            section: section.to_string(),
            set: pairs.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            remove: vec!["aws_security_token"],
        }
    }

    #[test]
    fn a_new_profile_is_appended_after_a_blank_line() {
        let out = apply("[default]\nregion = x\n", &[update("dev", &[("aws_access_key_id", "AK")])]);
        assert_eq!(out, "[default]\nregion = x\n\n[dev]\naws_access_key_id = AK\n");
    }

    #[test]
    fn an_empty_file_gets_just_the_profile() {
        let out = apply("", &[update("dev", &[("aws_access_key_id", "AK")])]);
        assert_eq!(out, "[dev]\naws_access_key_id = AK\n");
    }

    #[test]
    fn existing_values_are_replaced_in_place_keeping_spelling_and_spacing() {
        let text = "# top\n[dev]\nAWS_ACCESS_KEY_ID=OLD\nregion = eu-west-1 ; not a comment\naws_secret_access_key :  OLDS\n\n[other]\nx=1\n";
        let out = apply(text, &[update("dev", &[("aws_access_key_id", "NEW"), ("aws_secret_access_key", "S2")])]);
        assert_eq!(out, "# top\n[dev]\nAWS_ACCESS_KEY_ID=NEW\nregion = eu-west-1 ; not a comment\naws_secret_access_key :  S2\n\n[other]\nx=1\n");
    }

    #[test]
    fn missing_keys_go_after_the_last_key_of_the_section_not_after_trailing_comments() {
        let text = "[dev]\na = 1\n# about other\n\n[other]\nb = 2\n";
        let out = apply(text, &[update("dev", &[("aws_session_token", "T")])]);
        assert_eq!(out, "[dev]\na = 1\naws_session_token = T\n# about other\n\n[other]\nb = 2\n");
    }

    #[test]
    fn crlf_files_stay_crlf_and_a_missing_final_newline_is_handled() {
        let text = "[a]\r\nx = 1\r\n\r\n[dev]\r\naws_access_key_id = OLD";
        let out = apply(
            text,
            &[update("dev", &[("aws_access_key_id", "N"), ("aws_session_token", "T")]), update("new", &[("k", "v")])],
        );
        assert_eq!(
            out,
            "[a]\r\nx = 1\r\n\r\n[dev]\r\naws_access_key_id = N\r\naws_session_token = T\r\n\r\n[new]\r\nk = v\r\n"
        );
    }

    #[test]
    fn stale_security_tokens_duplicates_and_old_continuations_are_dropped() {
        let text = "[dev]\naws_security_token = STALE\naws_session_token = OLD\n  continued\naws_session_token = DUP\nkeep = me\n";
        let out = apply(text, &[update("dev", &[("aws_session_token", "NEW")])]);
        assert_eq!(out, "[dev]\naws_session_token = NEW\nkeep = me\n");
    }

    #[test]
    fn section_names_match_verbatim_like_botocore() {
        let out = apply("[ dev ]\nx = 1\n", &[update("dev", &[("k", "v")])]);
        assert_eq!(out, "[ dev ]\nx = 1\n\n[dev]\nk = v\n");
    }

    #[test]
    fn only_the_first_of_duplicate_sections_is_updated() {
        let out = apply("[dev]\nk = 1\n[dev]\nk = 2\n", &[update("dev", &[("k", "3")])]);
        assert_eq!(out, "[dev]\nk = 3\n[dev]\nk = 2\n");
    }

    #[test]
    fn untouched_text_round_trips_byte_for_byte() {
        let odd = "\n\n; lead\n[default]\r\nregion=us-east-1\n\tcontinued value\n[x]\n=novalue\nweird line\n[y]";
        assert_eq!(apply(odd, &[]), odd);
        let out = apply(odd, &[update("y", &[("k", "v")])]);
        assert!(out.starts_with(&odd[..odd.len() - 3]), "{out:?}");
        assert!(out.ends_with("[y]\nk = v\n"), "{out:?}");
    }

    #[test]
    fn parse_reads_keys_case_insensitively_and_first_wins() {
        let profiles = parse("[dev]\nAWS_Access_Key_Id = A\naws_access_key_id = B\n[dev]\nx = y\n[other]\nk: v\n");
        assert_eq!(profiles["dev"]["aws_access_key_id"], "A");
        assert!(!profiles["dev"].contains_key("x"));
        assert_eq!(profiles["other"]["k"], "v");
    }
}
