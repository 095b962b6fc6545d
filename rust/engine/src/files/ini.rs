//! INI text as botocore reads it, edited so that everything the engine does not own stays byte for byte:
//! other sections, comments, order, blank lines, key spelling and each line's own line ending.
//!
//! botocore reads the credentials and config files with Python's `configparser.RawConfigParser()`
//! (strict, default options) from a file opened in text mode. This module follows that reader rule for
//! rule, so that what it finds (a section, a key, where a value ends) is what botocore finds:
//! - lines end at `\n`, `\r\n` or a lone `\r` (Python's universal newlines);
//! - "white space" is Python's `str.isspace()`: Unicode White_Space plus U+001C..U+001F;
//! - a line whose stripped text starts with `#` or `;` is a comment; there are no inline comments;
//! - a line indented deeper than the line that opened the current value continues that value, even
//!   after blank lines (`empty_lines_in_values`), and is checked before anything else: an indented
//!   `[x]` there is part of a value, not a header;
//! - a header is the stripped line matched by `\[(?P<header>.+)\]` from its start: the name runs to the
//!   last `]`, so `[dev] # note` is the section `dev`;
//! - `key = value` or `key: value` splits at the first `=` or `:`; keys compare by `str.lower()`;
//! - `[DEFAULT]` is not a section: its keys are inherited by every section.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// configparser's `default_section`.
const DEFAULT_SECTION: &str = "DEFAULT";

/// One physical line: its text without the ending, and the ending ("\n", "\r\n", "\r", or "" at EOF).
#[derive(Clone, Debug)]
struct Line {
    text: String,
    ending: &'static str,
}

/// What configparser makes of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// Empty or white space only; inside a value it adds an empty line to it.
    Blank,
    Comment,
    Header(String),
    /// `key = value`, with the key as configparser compares it.
    Option(String),
    /// Continues the value of the option on the line at this index.
    Continuation(usize),
    /// What configparser refuses (no `=` or `:`, an empty key, text before the first header): botocore
    /// then reads nothing from the file.
    Invalid,
}

/// Python's `str.isspace()`.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn strip(text: &str) -> &str {
    text.trim_matches(is_space)
}

/// Leading white space, as configparser measures indentation (in characters).
fn indent_of(text: &str) -> &str {
    &text[..text.len() - text.trim_start_matches(is_space).len()]
}

fn split_lines(text: &str) -> Vec<Line> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let (mut start, mut at) = (0, 0);
    while at < bytes.len() {
        let ending = match bytes[at] {
            b'\n' => "\n",
            b'\r' if bytes.get(at + 1) == Some(&b'\n') => "\r\n",
            b'\r' => "\r",
            _ => {
                at += 1;
                continue;
            }
        };
        lines.push(Line { text: text[start..at].to_string(), ending });
        at += ending.len();
        start = at;
    }
    if start < bytes.len() {
        lines.push(Line { text: text[start..].to_string(), ending: "" });
    }
    lines
}

/// The section name of a stripped line, if it is a header.
fn header_name(stripped: &str) -> Option<&str> {
    let close = stripped.strip_prefix('[')?.rfind(']')? + 1;
    (close > 1).then(|| &stripped[1..close])
}

/// The section name of a header line for Python up to 3.9, whose configparser matched
/// `\[(?P<header>[^]]+)\]`: the name ends at the first `]`. botocore still supports 3.9.
fn header_name_before_python_3_10(stripped: &str) -> Option<&str> {
    let close = stripped.strip_prefix('[')?.find(']')? + 1;
    (close > 1).then(|| &stripped[1..close])
}

/// `key = value` or `key: value` of a stripped line, split at the first delimiter, both stripped.
fn split_option(stripped: &str) -> Option<(&str, &str)> {
    let at = stripped.find(['=', ':'])?;
    Some((stripped[..at].trim_end_matches(is_space), strip(&stripped[at + 1..])))
}

/// Each line's kind, following configparser's `_read` line by line.
fn classify(lines: &[Line]) -> Vec<Kind> {
    let mut kinds = Vec::with_capacity(lines.len());
    let mut in_section = false;
    let mut option: Option<usize> = None;
    let mut indent_level = 0;
    for (index, line) in lines.iter().enumerate() {
        let stripped = strip(&line.text);
        if stripped.starts_with(['#', ';']) {
            kinds.push(Kind::Comment);
            continue;
        }
        if stripped.is_empty() {
            kinds.push(Kind::Blank);
            continue;
        }
        let indent = indent_of(&line.text).chars().count();
        if let Some(owner) = option.filter(|_| in_section && indent > indent_level) {
            kinds.push(Kind::Continuation(owner));
            continue;
        }
        indent_level = indent;
        let kind = if let Some(name) = header_name(stripped) {
            in_section = true;
            option = None;
            Kind::Header(name.to_string())
        } else if !in_section {
            Kind::Invalid
        } else {
            match split_option(stripped) {
                Some((key, _)) if !key.is_empty() => {
                    option = Some(index);
                    Kind::Option(key.to_lowercase())
                }
                Some(_) => {
                    option = None;
                    Kind::Invalid
                }
                None => Kind::Invalid,
            }
        };
        kinds.push(kind);
    }
    kinds
}

/// Every section's keys and values as botocore sees them: values with their continuation lines
/// joined by `\n`, `[DEFAULT]`'s keys inherited. Where strict configparser would refuse a duplicate
/// section or key, the first one wins.
pub(crate) fn parse(text: &str) -> HashMap<String, HashMap<String, String>> {
    parse_in_order(text).into_iter().collect()
}

/// [`parse`], with the sections in the order of the file (the order botocore's profile map keeps).
pub(crate) fn parse_in_order(text: &str) -> Vec<(String, HashMap<String, String>)> {
    let lines = split_lines(text);
    let mut sections = sections(&lines, &classify(&lines));
    if let Some(at) = sections.iter().position(|(name, _)| name == DEFAULT_SECTION) {
        let (_, defaults) = sections.remove(at);
        for (_, keys) in &mut sections {
            for (key, value) in &defaults {
                keys.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    sections
}

/// Why botocore would refuse to read the file at all, if it would, naming the line at fault:
/// strict configparser refuses a line that is no header, key or comment, and a section or a key
/// given twice; botocore refuses a value that is an indented block with a line that is not
/// `key = value`.
pub(crate) fn unreadable(text: &str) -> Option<String> {
    let kinds = classify(&split_lines(text));
    let mut seen_sections = std::collections::HashSet::new();
    let mut seen_keys = std::collections::HashSet::new();
    let mut section: Option<&str> = None;
    for (index, kind) in kinds.iter().enumerate() {
        let line = index + 1;
        match (kind, section) {
            (Kind::Invalid, None) => return Some(format!("line {line} comes before the first [section] header")),
            (Kind::Invalid, Some(_)) => {
                return Some(format!("line {line} is neither a [section] header, a key = value line nor a comment"))
            }
            (Kind::Header(name), _) if !seen_sections.insert(name.as_str()) => {
                return Some(format!("line {line} opens the section [{name}] a second time"))
            }
            (Kind::Header(name), _) => section = Some(name),
            (Kind::Option(key), Some(name)) if !seen_keys.insert((name, key.as_str())) => {
                return Some(format!("line {line} sets '{key}' a second time in [{name}]"))
            }
            _ => {}
        }
    }
    parse_in_order(text).iter().find_map(|(name, keys)| {
        let (key, _) = keys.iter().find(|(_, value)| unreadable_nested_block(value))?;
        Some(format!("the value of '{key}' in [{name}] is an indented block with a line that is not key = value"))
    })
}

/// Each section's own keys and values (`[DEFAULT]` among them, not inherited), in file order.
fn sections(lines: &[Line], kinds: &[Kind]) -> Vec<(String, HashMap<String, String>)> {
    let mut pieces: HashMap<usize, Vec<&str>> = HashMap::new();
    let mut current: Option<usize> = None;
    for (index, (line, kind)) in lines.iter().zip(kinds).enumerate() {
        match kind {
            Kind::Option(_) => {
                let value = split_option(strip(&line.text)).map_or("", |(_, value)| value);
                pieces.insert(index, vec![value]);
                current = Some(index);
            }
            Kind::Continuation(owner) => pieces.entry(*owner).or_default().push(strip(&line.text)),
            Kind::Blank => {
                if let Some(owner) = current {
                    pieces.entry(owner).or_default().push("");
                }
            }
            Kind::Header(_) => current = None,
            Kind::Comment | Kind::Invalid => {}
        }
    }
    let mut sections: Vec<(String, HashMap<String, String>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Options of a repeated section go nowhere: the first one wins.
    let mut in_first_of_its_name = false;
    for (index, kind) in kinds.iter().enumerate() {
        match kind {
            Kind::Header(name) => {
                in_first_of_its_name = seen.insert(name.as_str());
                if in_first_of_its_name {
                    sections.push((name.to_string(), HashMap::new()));
                }
            }
            Kind::Option(key) if in_first_of_its_name => {
                let value = pieces.get(&index).map(|p| p.join("\n")).unwrap_or_default();
                if let Some((_, keys)) = sections.last_mut() {
                    keys.entry(key.clone()).or_insert_with(|| value.trim_end_matches(is_space).to_string());
                }
            }
            _ => {}
        }
    }
    sections
}

/// True when botocore would refuse the whole file for this value: a value that starts on the line
/// after its key is read as a nested `key = value` block (`_parse_nested`), split with Python's
/// `str.splitlines()`, and a line of it without `=` is an error.
fn unreadable_nested_block(value: &str) -> bool {
    const PYTHON_LINE_BREAKS: &[char] =
        &['\n', '\r', '\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}', '\u{2029}'];
    value.starts_with('\n')
        && value.split(PYTHON_LINE_BREAKS).map(strip).any(|line| !line.is_empty() && !line.contains('='))
}

/// What to set in one section: keys in the order they are written when new, and keys to remove.
#[derive(Clone, Debug)]
pub(crate) struct SectionUpdate {
    pub section: String,
    pub set: Vec<(&'static str, String)>,
    pub remove: Vec<&'static str>,
    /// Remove the section, header and all, when nothing but blank lines is left in it (a profile
    /// whose keys moved elsewhere), so that no empty `[name]` is left behind.
    pub drop_when_emptied: bool,
}

/// The text with every update applied. Lines that are not touched keep their bytes and their line
/// endings; new lines use the file's most common ending. Refused (and nothing changed) when an update
/// cannot be written so that botocore reads it back as given.
///
/// The file is classified once and each existing section is edited on its own lines, then the new
/// sections are appended: linear in the size of the file, however many profiles change.
pub(crate) fn apply(text: &str, updates: &[SectionUpdate]) -> Result<String> {
    for update in updates {
        check(update)?;
    }
    let lines = split_lines(text);
    refuse_headers_read_differently(&lines, updates)?;
    let newline = dominant_ending(&lines);
    let merged_lines = if has_repeated_section(updates) {
        apply_one_by_one(lines, updates, newline)
    } else {
        apply_at_once(lines, updates, newline)
    };
    let merged_lines = drop_emptied(merged_lines, updates);
    let merged: String = merged_lines.iter().flat_map(|l| [l.text.as_str(), l.ending]).collect();
    check_inherited_blocks(text, &merged, updates)?;
    Ok(merged)
}

/// The sections of `drop_when_emptied` updates that hold nothing but blank lines, removed with
/// their header. A comment kept in one keeps it.
fn drop_emptied(lines: Vec<Line>, updates: &[SectionUpdate]) -> Vec<Line> {
    let droppable: std::collections::HashSet<&str> =
        updates.iter().filter(|u| u.drop_when_emptied).map(|u| u.section.as_str()).collect();
    if droppable.is_empty() {
        return lines;
    }
    let kinds = classify(&lines);
    let mut kept = vec![true; lines.len()];
    for (header, kind) in kinds.iter().enumerate() {
        let Kind::Header(name) = kind else { continue };
        let end = kinds[header + 1..]
            .iter()
            .position(|k| matches!(k, Kind::Header(_)))
            .map_or(lines.len(), |n| header + 1 + n);
        if droppable.contains(name.as_str()) && kinds[header + 1..end].iter().all(|k| matches!(k, Kind::Blank)) {
            kept[header..end].fill(false);
        }
    }
    lines.into_iter().zip(kept).filter_map(|(line, kept)| kept.then_some(line)).collect()
}

/// Refuses an update whose section a header names for some Python versions and not for others.
fn refuse_headers_read_differently(lines: &[Line], updates: &[SectionUpdate]) -> Result<()> {
    let mut ambiguous: HashMap<&str, &str> = HashMap::new();
    for line in lines {
        let stripped = strip(&line.text);
        let (old, new) = (header_name_before_python_3_10(stripped), header_name(stripped));
        if old != new {
            for name in [old, new].into_iter().flatten() {
                ambiguous.entry(name).or_insert(stripped);
            }
        }
    }
    match updates.iter().find_map(|u| ambiguous.get(u.section.as_str()).map(|line| (u, line))) {
        Some((update, line)) => Err(Error::invalid_input(format!(
            "cannot write [{}]: the header {:?} names it for some Python versions and not for others, \
             so botocore would read the file differently; fix that line by hand",
            update.section, line
        ))),
        None => Ok(()),
    }
}

/// `apply` with each update in turn over the whole file: the reference `apply_at_once` is checked
/// against.
#[cfg(test)]
pub(super) fn apply_one_at_a_time(text: &str, updates: &[SectionUpdate]) -> Result<String> {
    for update in updates {
        check(update)?;
    }
    let lines = split_lines(text);
    refuse_headers_read_differently(&lines, updates)?;
    let newline = dominant_ending(&lines);
    let merged: String =
        apply_one_by_one(lines, updates, newline).iter().flat_map(|l| [l.text.as_str(), l.ending]).collect();
    check_inherited_blocks(text, &merged, updates)?;
    Ok(merged)
}

/// The sections the file's headers name, as configparser reads them.
#[cfg(test)]
pub(super) fn section_names(text: &str) -> Vec<String> {
    classify(&split_lines(text))
        .into_iter()
        .filter_map(|kind| match kind {
            Kind::Header(name) => Some(name),
            _ => None,
        })
        .collect()
}

fn has_repeated_section(updates: &[SectionUpdate]) -> bool {
    let mut seen = std::collections::HashSet::new();
    !updates.iter().all(|u| seen.insert(u.section.as_str()))
}

/// Each update in turn over the whole file: for updates that name one section twice, where a later
/// one must see what an earlier one wrote.
fn apply_one_by_one(mut lines: Vec<Line>, updates: &[SectionUpdate], newline: &'static str) -> Vec<Line> {
    for update in updates {
        let kinds = classify(&lines);
        match kinds.iter().position(|k| matches!(k, Kind::Header(name) if *name == update.section)) {
            Some(header) => update_section(&mut lines, &kinds, header, update, newline),
            None => append_section(&mut lines, update, newline),
        }
    }
    lines
}

/// Every update at once: each existing section (its first header, as configparser merges repeated
/// ones into it) is edited on its own lines plus the next header, which decides the indentation of
/// new keys; the untouched lines are copied; new sections go at the end, in the updates' order.
fn apply_at_once(lines: Vec<Line>, updates: &[SectionUpdate], newline: &'static str) -> Vec<Line> {
    let kinds = classify(&lines);
    let mut first_header: HashMap<&str, usize> = HashMap::new();
    for (index, kind) in kinds.iter().enumerate() {
        if let Kind::Header(name) = kind {
            first_header.entry(name.as_str()).or_insert(index);
        }
    }
    let mut edits: HashMap<usize, &SectionUpdate> = HashMap::new();
    let mut new_sections = Vec::new();
    for update in updates {
        match first_header.get(update.section.as_str()) {
            Some(&header) => {
                edits.insert(header, update);
            }
            None => new_sections.push(update),
        }
    }
    let mut merged = Vec::with_capacity(lines.len() + new_sections.len() * 5);
    let mut index = 0;
    while index < lines.len() {
        let Some(update) = edits.get(&index) else {
            merged.push(lines[index].clone());
            index += 1;
            continue;
        };
        let end =
            kinds[index + 1..].iter().position(|k| matches!(k, Kind::Header(_))).map_or(lines.len(), |n| index + 1 + n);
        merged.extend(edited_section(&lines, &kinds, index, end, update, newline));
        index = end;
    }
    for update in new_sections {
        append_section(&mut merged, update, newline);
    }
    merged
}

/// The lines of the section at `header..end` with `update` applied, judged with the line after it.
fn edited_section(
    lines: &[Line],
    kinds: &[Kind],
    header: usize,
    end: usize,
    update: &SectionUpdate,
    newline: &'static str,
) -> Vec<Line> {
    let stop = (end + 1).min(lines.len());
    let mut window = lines[header..stop].to_vec();
    let window_kinds: Vec<Kind> = kinds[header..stop]
        .iter()
        .map(|kind| match kind {
            Kind::Continuation(owner) => Kind::Continuation(owner - header),
            other => other.clone(),
        })
        .collect();
    update_section(&mut window, &window_kinds, 0, update, newline);
    if stop > end {
        // The next header, there only to be looked at.
        window.pop();
    }
    window
}

/// A section that is new, or that loses a key, inherits [DEFAULT]'s value of it, and botocore parses
/// inherited values too: refused when that brings in a block botocore cannot read, which would make
/// it refuse the whole file.
fn check_inherited_blocks(before: &str, after: &str, updates: &[SectionUpdate]) -> Result<()> {
    let (before, after) = (parse(before), parse(after));
    for update in updates {
        let unreadable = |sections: &HashMap<String, HashMap<String, String>>, key: &str| {
            sections.get(&update.section).and_then(|keys| keys.get(key)).is_some_and(|v| unreadable_nested_block(v))
        };
        let keys = after.get(&update.section).into_iter().flat_map(|keys| keys.keys());
        if let Some(key) = keys.into_iter().find(|key| unreadable(&after, key) && !unreadable(&before, key)) {
            return Err(Error::invalid_input(format!(
                "cannot write [{}]: it would inherit '{key}' from [DEFAULT], a block of lines that botocore \
                 cannot read (a line without '='), and botocore would then refuse the whole file",
                update.section
            )));
        }
    }
    Ok(())
}

/// Names and values that botocore would read back differently are refused rather than written.
fn check(update: &SectionUpdate) -> Result<()> {
    let breaks = |s: &str| s.contains(['\r', '\n']);
    let section = &update.section;
    if section.is_empty() || breaks(section) {
        return Err(Error::invalid_input(format!(
            "cannot write the section [{section:?}]: a name on one line is needed"
        )));
    }
    if section == DEFAULT_SECTION {
        return Err(Error::invalid_input(
            "cannot write a profile named DEFAULT: botocore reads [DEFAULT] as defaults for every profile, not as a profile",
        ));
    }
    for key in update.set.iter().map(|(k, _)| *k).chain(update.remove.iter().copied()) {
        let plain = !key.is_empty() && strip(key) == key && !key.contains(['=', ':', '\r', '\n']);
        if !plain || key.starts_with(['[', '#', ';']) || key.to_lowercase() != key {
            return Err(Error::invalid_input(format!("cannot write the key {key:?} in [{section}]")));
        }
    }
    for (key, value) in &update.set {
        if breaks(value) || strip(value) != value {
            return Err(Error::invalid_input(format!(
                "cannot write {key} in [{section}]: the value has a line break or surrounding white space"
            )));
        }
    }
    Ok(())
}

/// The ending most lines have (the first one seen on a tie), else "\n".
fn dominant_ending(lines: &[Line]) -> &'static str {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for line in lines.iter().filter(|l| !l.ending.is_empty()) {
        match counts.iter_mut().find(|(ending, _)| *ending == line.ending) {
            Some((_, count)) => *count += 1,
            None => counts.push((line.ending, 1)),
        }
    }
    // max_by_key keeps the last of equal maxima: search from the end to keep the first.
    counts.iter().rev().max_by_key(|(_, count)| *count).map_or("\n", |(ending, _)| ending)
}

fn update_section(lines: &mut Vec<Line>, kinds: &[Kind], header: usize, update: &SectionUpdate, newline: &'static str) {
    let end = kinds[header + 1..]
        .iter()
        .position(|k| matches!(k, Kind::Header(_)))
        .map_or(kinds.len(), |offset| header + 1 + offset);
    let mut dropped = vec![false; lines.len()];
    let mut rewritten = vec![false; lines.len()];
    let mut written: Vec<&str> = Vec::new();
    for index in header + 1..end {
        match &kinds[index] {
            Kind::Option(key) => {
                let owned = update.set.iter().find(|(k, _)| k == key);
                let duplicate = owned.is_some() && written.contains(&key.as_str());
                if update.remove.contains(&key.as_str()) || duplicate {
                    dropped[index] = true;
                } else if let Some((name, value)) = owned {
                    match replace_value(&lines[index].text, value) {
                        Some(text) => {
                            lines[index].text = text;
                            rewritten[index] = true;
                            written.push(name);
                        }
                        None => dropped[index] = true,
                    }
                }
            }
            // An old multi-line value goes with its first line.
            Kind::Continuation(owner) => dropped[index] = dropped[*owner] || rewritten[*owner],
            _ => {}
        }
    }
    let content = |i: usize| matches!(kinds[i], Kind::Option(_) | Kind::Continuation(_) | Kind::Invalid);
    let last_content = (header + 1..end).rev().find(|&i| !dropped[i] && content(i)).unwrap_or(header);
    let missing: Vec<&(&str, String)> = update.set.iter().filter(|(key, _)| !written.contains(key)).collect();
    if !missing.is_empty() {
        let indent = new_line_indent(lines, kinds, &dropped, header, last_content, end);
        if lines[last_content].ending.is_empty() {
            lines[last_content].ending = newline;
        }
        let new_lines: Vec<Line> = missing
            .iter()
            .map(|(key, value)| Line { text: format!("{indent}{key} = {value}"), ending: newline })
            .collect();
        lines.splice(last_content + 1..last_content + 1, new_lines);
        dropped.splice(last_content + 1..last_content + 1, std::iter::repeat_n(false, missing.len()));
    }
    let mut index = 0;
    lines.retain(|_| {
        index += 1;
        !dropped[index - 1]
    });
}

/// The indentation for new key lines after `last_content`, such that configparser reads them as keys of
/// this section and reads every line after them as before. With a key before them, they take the
/// indentation of the line that set configparser's current indentation level (deeper would make them a
/// continuation). With none (only the header), they are at least as deep as the next header, which
/// would otherwise become a continuation of the last new value.
fn new_line_indent(
    lines: &[Line],
    kinds: &[Kind],
    dropped: &[bool],
    header: usize,
    last_content: usize,
    end: usize,
) -> String {
    let level_setter = (header..=last_content)
        .rev()
        .find(|&i| !dropped[i] && matches!(kinds[i], Kind::Header(_) | Kind::Option(_) | Kind::Invalid))
        .unwrap_or(header);
    let indent = indent_of(&lines[level_setter].text);
    let has_key = (header + 1..=last_content).any(|i| !dropped[i] && matches!(kinds[i], Kind::Option(_)));
    if has_key || end >= lines.len() {
        return indent.to_string();
    }
    let next = indent_of(&lines[end].text);
    if next.chars().count() > indent.chars().count() { next } else { indent }.to_string()
}

/// `key = old` becomes `key = new`, keeping the indentation, the key's spelling, the delimiter and the
/// spacing around it; `None` when the line would no longer read as that key.
fn replace_value(text: &str, value: &str) -> Option<String> {
    let at = text.find(['=', ':'])?;
    let after = &text[at + 1..];
    let spacing = &after[..after.len() - after.trim_start_matches(is_space).len()];
    let spacing = if spacing.is_empty() && !value.is_empty() && text[..at].ends_with(' ') { " " } else { spacing };
    let line = format!("{}{spacing}{value}", &text[..=at]);
    header_name(strip(&line)).is_none().then_some(line)
}

fn append_section(lines: &mut Vec<Line>, update: &SectionUpdate, newline: &'static str) {
    if let Some(last) = lines.last_mut() {
        if last.ending.is_empty() {
            last.ending = newline;
        }
        if !strip(&last.text).is_empty() {
            // "\r" then "\n" would read as one line ending, and the blank line would vanish.
            let ending = if last.ending == "\r" && newline == "\n" { "\r" } else { newline };
            lines.push(Line { text: String::new(), ending });
        }
    }
    lines.push(Line { text: format!("[{}]", update.section), ending: newline });
    for (key, value) in &update.set {
        lines.push(Line { text: format!("{key} = {value}"), ending: newline });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_left_empty_goes_whole_when_asked_and_one_with_a_comment_stays() {
        let text = "[dev]\r\naws_access_key_id = A\r\naws_secret_access_key = B\r\n\r\n[noted]\r\n# mine\r\n\
                    aws_access_key_id = C\r\n\r\n[other]\r\nregion = x\r\n";
        let emptied = |section: &str, drop_when_emptied| SectionUpdate {
            section: section.to_string(),
            set: Vec::new(),
            remove: vec!["aws_access_key_id", "aws_secret_access_key"],
            drop_when_emptied,
        };
        let merged = apply(text, &[emptied("dev", true), emptied("noted", true)]).unwrap();
        assert_eq!(merged, "[noted]\r\n# mine\r\n\r\n[other]\r\nregion = x\r\n");
        let kept = apply(text, &[emptied("dev", false)]).unwrap();
        assert!(kept.starts_with("[dev]\r\n\r\n[noted]"), "{kept:?}");
    }

    fn update(section: &str, pairs: &[(&'static str, &str)]) -> SectionUpdate {
        SectionUpdate {
            section: section.to_string(),
            set: pairs.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            remove: vec!["aws_security_token"],
            drop_when_emptied: false,
        }
    }

    fn applied(text: &str, updates: &[SectionUpdate]) -> String {
        apply(text, updates).unwrap()
    }

    #[test]
    fn a_new_profile_is_appended_after_a_blank_line() {
        let out = applied("[default]\nregion = x\n", &[update("dev", &[("aws_access_key_id", "AK")])]);
        assert_eq!(out, "[default]\nregion = x\n\n[dev]\naws_access_key_id = AK\n");
    }

    #[test]
    fn an_empty_file_gets_just_the_profile() {
        let out = applied("", &[update("dev", &[("aws_access_key_id", "AK")])]);
        assert_eq!(out, "[dev]\naws_access_key_id = AK\n");
    }

    #[test]
    fn existing_values_are_replaced_in_place_keeping_spelling_and_spacing() {
        let text = "# top\n[dev]\nAWS_ACCESS_KEY_ID=OLD\nregion = eu-west-1 ; not a comment\naws_secret_access_key :  OLDS\n\n[other]\nx=1\n";
        let out = applied(text, &[update("dev", &[("aws_access_key_id", "NEW"), ("aws_secret_access_key", "S2")])]);
        assert_eq!(out, "# top\n[dev]\nAWS_ACCESS_KEY_ID=NEW\nregion = eu-west-1 ; not a comment\naws_secret_access_key :  S2\n\n[other]\nx=1\n");
    }

    #[test]
    fn missing_keys_go_after_the_last_key_of_the_section_not_after_trailing_comments() {
        let text = "[dev]\na = 1\n# about other\n\n[other]\nb = 2\n";
        let out = applied(text, &[update("dev", &[("aws_session_token", "T")])]);
        assert_eq!(out, "[dev]\na = 1\naws_session_token = T\n# about other\n\n[other]\nb = 2\n");
    }

    #[test]
    fn crlf_files_stay_crlf_and_a_missing_final_newline_is_handled() {
        let text = "[a]\r\nx = 1\r\n\r\n[dev]\r\naws_access_key_id = OLD";
        let out = applied(
            text,
            &[update("dev", &[("aws_access_key_id", "N"), ("aws_session_token", "T")]), update("new", &[("k", "v")])],
        );
        assert_eq!(
            out,
            "[a]\r\nx = 1\r\n\r\n[dev]\r\naws_access_key_id = N\r\naws_session_token = T\r\n\r\n[new]\r\nk = v\r\n"
        );
    }

    #[test]
    fn a_lone_cr_ends_a_line_as_for_botocore_and_each_line_keeps_its_ending() {
        // A file saved by an old Mac editor, then edited on Linux and Windows.
        let text = "[a]\rx = 1\r[dev]\naws_access_key_id = OLD\r\n[b]\ry = 2\r";
        let out = applied(text, &[update("dev", &[("aws_access_key_id", "N"), ("aws_session_token", "T")])]);
        assert_eq!(out, "[a]\rx = 1\r[dev]\naws_access_key_id = N\r\naws_session_token = T\r[b]\ry = 2\r");
        assert_eq!(parse(&out)["dev"]["aws_access_key_id"], "N");
        assert_eq!(parse(text).len(), 3);
    }

    #[test]
    fn a_blank_line_after_a_lone_cr_is_not_swallowed_by_a_new_line_feed() {
        let out = applied("[a]\nx = 1\n[b]\ry = 2\r", &[update("dev", &[("k", "v")])]);
        assert_eq!(out, "[a]\nx = 1\n[b]\ry = 2\r\r[dev]\nk = v\n");
    }

    #[test]
    fn a_header_with_a_trailing_comment_is_the_section_botocore_reads() {
        for header in ["[dev] # note", "[dev] ; note", "  [dev]", "[dev]\u{3000}"] {
            let text = format!("{header}\naws_access_key_id = OLD\n");
            let out = applied(&text, &[update("dev", &[("aws_access_key_id", "N")])]);
            assert_eq!(out, format!("{header}\naws_access_key_id = N\n"));
        }
        // The name runs to the last `]`, as configparser's `\[(?P<header>.+)\]` matches it.
        assert_eq!(parse("[a]b] # x]\nk = v\n")["a]b] # x"]["k"], "v");
        assert!(parse("[]\n").is_empty());
        assert!(parse("[]]\n").contains_key("]"));
    }

    #[test]
    fn a_header_that_python_versions_read_differently_is_refused_not_guessed() {
        for header in ["[dev]x]", "[dev]] # note"] {
            let text = format!("{header}\nk = v\n");
            let err = apply(&text, &[update("dev", &[("k", "w")])]).unwrap_err();
            assert!(err.message.contains("fix that line by hand"), "{err}");
        }
        // Other sections with such headers are no concern.
        assert!(apply("[a]b]\nk = v\n", &[update("dev", &[("k", "w")])]).is_ok());
    }

    #[test]
    fn an_indented_line_continues_a_value_even_after_blank_lines() {
        // configparser keeps blank lines in values: "  more" belongs to aws_session_token.
        let text = "[dev]\naws_session_token = OLD\n\n  more\n  [x]\nregion = r\n";
        assert_eq!(parse(text)["dev"]["aws_session_token"], "OLD\n\nmore\n[x]");
        let out = applied(text, &[update("dev", &[("aws_session_token", "NEW")])]);
        assert_eq!(out, "[dev]\naws_session_token = NEW\n\nregion = r\n");
    }

    #[test]
    fn new_keys_are_not_a_continuation_and_do_not_swallow_an_indented_header() {
        // "  [b]" is a header after "[a]" alone; a new unindented key before it would make it a value line.
        let out = applied("[a]\n  [b]\nk = 1\n", &[update("a", &[("x", "1")])]);
        assert_eq!(out, "[a]\n  x = 1\n  [b]\nk = 1\n");
        let parsed = parse(&out);
        assert_eq!((parsed["a"]["x"].as_str(), parsed["b"]["k"].as_str()), ("1", "1"));
        // After an indented key, new keys take its indentation.
        let out = applied("[a]\n  k = 1\n    more\n  [b]\n", &[update("a", &[("x", "1")])]);
        assert_eq!(out, "[a]\n  k = 1\n    more\n  x = 1\n  [b]\n");
    }

    #[test]
    fn keys_compare_as_python_lowercases_them() {
        // U+212A KELVIN SIGN lowercases to "k": botocore reads this line as aws_access_key_id.
        let text = "[dev]\naws_access_\u{212A}ey_id = OLD\n";
        let out = applied(text, &[update("dev", &[("aws_access_key_id", "N")])]);
        assert_eq!(out, "[dev]\naws_access_\u{212A}ey_id = N\n");
    }

    #[test]
    fn python_white_space_is_white_space() {
        // U+001C..U+001F are white space to Python's str.strip(), not to Rust's.
        let parsed = parse("[dev]\n\u{1c}k = v\u{1f}\n");
        assert_eq!(parsed["dev"]["k"], "v");
    }

    #[test]
    fn default_keys_are_inherited_and_a_default_profile_is_refused() {
        let parsed = parse("[DEFAULT]\nregion = r\n[dev]\nk = v\n");
        assert_eq!(parsed["dev"]["region"], "r");
        assert!(!parsed.contains_key("DEFAULT"));
        let err = apply("", &[update("DEFAULT", &[("k", "v")])]).unwrap_err();
        assert!(err.message.contains("DEFAULT"), "{err}");
    }

    #[test]
    fn a_new_section_that_would_inherit_an_unreadable_default_block_is_refused() {
        // Readable while no section inherits "output"; a new section would make botocore parse it.
        let text = "[DEFAULT]\noutput =\n  [dev]\n";
        let err = apply(text, &[update("dev", &[("k", "v")])]).unwrap_err();
        assert!(err.message.contains("'output' from [DEFAULT]"), "{err}");
        assert!(unreadable_nested_block("\na = 1\u{2028}b"));
        assert!(!unreadable_nested_block("\na = 1\n\nb = 2"));
        assert!(!unreadable_nested_block("x\ny"));
        // A block it can read, or one the new section overrides, is fine.
        assert!(apply("[DEFAULT]\ns3 =\n  a = 1\n", &[update("dev", &[("k", "v")])]).is_ok());
        assert!(apply(text, &[update("dev", &[("output", "json")])]).is_ok());
        // Removing a key that hid such a block is refused too.
        let text = "[DEFAULT]\naws_security_token =\n  [x]\n[dev]\naws_security_token = own\n";
        assert!(apply(text, &[update("dev", &[("k", "v")])]).is_err());
    }

    #[test]
    fn values_that_would_read_back_differently_are_refused() {
        for value in ["a\nb", "a\rb", " padded", "padded\u{3000}"] {
            assert!(apply("", &[update("dev", &[("k", value)])]).is_err(), "{value:?}");
        }
        assert!(apply("", &[update("a\nb", &[("k", "v")])]).is_err());
    }

    #[test]
    fn stale_security_tokens_duplicates_and_old_continuations_are_dropped() {
        let text = "[dev]\naws_security_token = STALE\naws_session_token = OLD\n  continued\naws_session_token = DUP\nkeep = me\n";
        let out = applied(text, &[update("dev", &[("aws_session_token", "NEW")])]);
        assert_eq!(out, "[dev]\naws_session_token = NEW\nkeep = me\n");
    }

    #[test]
    fn section_names_match_verbatim_like_botocore() {
        let out = applied("[ dev ]\nx = 1\n", &[update("dev", &[("k", "v")])]);
        assert_eq!(out, "[ dev ]\nx = 1\n\n[dev]\nk = v\n");
    }

    #[test]
    fn only_the_first_of_duplicate_sections_is_updated() {
        let out = applied("[dev]\nk = 1\n[dev]\nk = 2\n", &[update("dev", &[("k", "3")])]);
        assert_eq!(out, "[dev]\nk = 3\n[dev]\nk = 2\n");
    }

    #[test]
    fn untouched_text_round_trips_byte_for_byte() {
        let odd = "\n\n; lead\n[default]\r\nregion=us-east-1\n\tcontinued value\r[x]\n=novalue\nweird line\n[y]";
        assert_eq!(applied(odd, &[]), odd);
        let out = applied(odd, &[update("y", &[("k", "v")])]);
        assert_eq!(out, format!("{odd}\nk = v\n"));
    }

    #[test]
    fn parse_reads_keys_case_insensitively_and_first_wins() {
        let profiles = parse("[dev]\nAWS_Access_Key_Id = A\naws_access_key_id = B\n[dev]\nx = y\n[other]\nk: v\n");
        assert_eq!(profiles["dev"]["aws_access_key_id"], "A");
        assert!(!profiles["dev"].contains_key("x"));
        assert_eq!(profiles["other"]["k"], "v");
    }

    #[test]
    fn the_most_common_line_ending_is_used_for_new_lines() {
        let out = applied("[a]\r\nx = 1\r\ny = 2\n", &[update("b", &[("k", "v")])]);
        assert_eq!(out, "[a]\r\nx = 1\r\ny = 2\n\r\n[b]\r\nk = v\r\n");
    }
}
