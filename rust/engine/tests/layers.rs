//! The engine's layers point one way: no cycle among its source files, and (almost) no import
//! from a lower module up to a higher one, against the order declared in [`LAYERS`].
//!
//! A simple reader, not a Rust parser: per file (its `#[cfg(test)] mod tests` left out), every
//! `crate::a::b` and `super::a` path, in a `use` or inline, resolved to the file that defines the
//! longest module prefix of it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The engine's modules, bottom up; a module may import only from its own floor or the ones below.
/// An entry is a top-level module (`login`, every file under it) or one file (`login/state`),
/// the longer entry winning. Every file of the engine must fall under one entry: a new module
/// must be placed here.
const LAYERS: &[&[&str]] = &[
    // Leaves: no engine import beyond these, and the public request and answer types.
    &["error", "secret", "time", "clock", "validate", "concurrency", "service_error", "api"],
    // The host and its files, and the rules shared by several features.
    &["env", "endpoint", "files", "patterns", "oidc", "browser"],
    // Each feature's state, beside its functions but importing none of them; the SDK clients.
    &["token/state", "login/state", "discovery/listing", "discovery/filters", "portal"],
    // What every operation works with: the per-process state and the context.
    &["state"],
    &["context"],
    // The features.
    &["token", "discovery", "config_profiles"],
    &["login", "refresh"],
    // A whole run, over the features.
    &["run"],
    // The public face.
    &["engine", "lib"],
];

/// At most this many imports may point from a lower floor up.
const MAX_UPWARD_IMPORTS: usize = 6;

#[test]
fn no_import_cycle_among_the_engine_files() {
    let graph = import_graph();
    let cycles: Vec<Vec<String>> = strongly_connected(&graph).into_iter().filter(|c| c.len() > 1).collect();
    assert!(
        cycles.is_empty(),
        "{} import cycle(s): {}",
        cycles.len(),
        cycles.iter().map(|c| format!("{} files: {}", c.len(), c.join(", "))).collect::<Vec<_>>().join("; ")
    );
}

#[test]
fn few_imports_point_up() {
    let graph = import_graph();
    let mut upward = Vec::new();
    for (from, targets) in &graph {
        for to in targets {
            if floor_of(to) > floor_of(from) {
                upward.push(format!("{from} -> {to}"));
            }
        }
    }
    eprintln!("{} imports point up: {upward:?}", upward.len());
    assert!(
        upward.len() <= MAX_UPWARD_IMPORTS,
        "{} imports point up (at most {MAX_UPWARD_IMPORTS}):\n{}",
        upward.len(),
        upward.join("\n")
    );
}

#[test]
fn every_engine_file_is_placed_in_the_layers() {
    let unplaced: Vec<String> = source_files().into_keys().filter(|m| placed(m).is_none()).collect();
    assert!(unplaced.is_empty(), "not in LAYERS: {unplaced:?}");
}

/// The file's floor in [`LAYERS`]; panics for a file not placed there.
fn floor_of(module: &str) -> usize {
    placed(module).unwrap_or_else(|| panic!("{module} is not in LAYERS: place it"))
}

fn placed(module: &str) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (floor, entries) in LAYERS.iter().enumerate() {
        for entry in *entries {
            let matches = module == *entry || module.starts_with(&format!("{entry}/"));
            if matches && best.is_none_or(|(len, _)| entry.len() > len) {
                best = Some((entry.len(), floor));
            }
        }
    }
    best.map(|(_, floor)| floor)
}

/// Module path (`login/poll`, `login` for `login/mod.rs`) -> the source of the file.
fn source_files() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                files.insert(module_of(&root, &path), text);
            }
        }
    }
    files
}

fn module_of(root: &Path, file: &Path) -> String {
    let relative: PathBuf = file.strip_prefix(root).expect("under src").with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("/")
}

/// File -> the files it imports (itself left out).
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = source_files();
    let mut graph = BTreeMap::new();
    for (module, text) in &files {
        let mut targets = BTreeSet::new();
        for path in paths_in(without_tests(text)) {
            let absolute = absolute(module, &path);
            if let Some(target) = longest_file(&files, &absolute) {
                if target != *module {
                    targets.insert(target);
                }
            }
        }
        graph.insert(module.clone(), targets);
    }
    graph
}

/// The text before the file's unit tests.
fn without_tests(text: &str) -> &str {
    let end = text.find("#[cfg(test)]\nmod tests").or_else(|| text.find("#[cfg(test)]\nmod ")).unwrap_or(text.len());
    &text[..end]
}

/// Every `crate::…` and `super::…` path, with `{a, b::c}` groups of a `use` expanded.
fn paths_in(text: &str) -> Vec<Vec<String>> {
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let mut paths = Vec::new();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start) {
            let begin = from + at;
            from = begin + start.len();
            let before = code[..begin].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[begin..];
            let end = path_end(rest);
            // `use super::*` is an inline module's (`mod rfc3339 { use super::*; }`): its own file.
            if &rest[..end] != "super::" {
                expand(&rest[..end], &mut paths);
            }
        }
    }
    paths
}

/// Where the path starting the text ends: after its balanced `{…}` group, if any.
fn path_end(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => return i,
            _ => {}
        }
    }
    text.len()
}

fn expand(path: &str, out: &mut Vec<Vec<String>>) {
    let Some(open) = path.find('{') else {
        out.push(path.split("::").filter(|s| !s.is_empty()).map(str::to_string).collect());
        return;
    };
    let prefix = &path[..open];
    let inner = &path[open + 1..path.len() - 1];
    let mut depth = 0;
    let mut piece = String::new();
    let mut pieces = Vec::new();
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                pieces.push(std::mem::take(&mut piece));
                continue;
            }
            _ => {}
        }
        piece.push(c);
    }
    pieces.push(piece);
    for piece in pieces {
        let piece = piece.split(" as ").next().unwrap_or("").trim();
        if piece.is_empty() {
            continue;
        }
        let piece = if piece == "self" { String::new() } else { piece.to_string() };
        expand(&format!("{prefix}{piece}"), out);
    }
}

/// The path from the crate root: `super` of `login/poll` (and of `login/poll/mod.rs`) is `login`.
fn absolute(module: &str, path: &[String]) -> Vec<String> {
    let mut base: Vec<String> =
        module.split('/').filter(|s| !s.is_empty() && *s != "lib").map(str::to_string).collect();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("super") => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        _ => {}
    }
    base.extend(rest.iter().filter(|s| *s != "self" && *s != "*").cloned());
    base
}

/// The file defining the longest module prefix of the path (`lib` for the root).
fn longest_file(files: &BTreeMap<String, String>, path: &[String]) -> Option<String> {
    (1..=path.len()).rev().map(|n| path[..n].join("/")).find(|m| files.contains_key(m)).or(Some("lib".to_string()))
}

/// Tarjan's strongly connected components, each sorted.
fn strongly_connected(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        components: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next.as_str()]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next.as_str()) {
                    let low = self.low[node].min(self.index[next.as_str()]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_string());
                    if top == node {
                        break;
                    }
                }
                component.sort();
                self.components.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.components
}
