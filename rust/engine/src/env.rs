//! The process environment, injectable so tests are hermetic, and overridable by a host whose own
//! view of the environment is not the C library's (.NET on Linux and macOS keeps a private copy, so
//! `$env:HOME = ...` in PowerShell never reaches `getenv`). Besides the variables, it answers the
//! two other questions the engine asks about the machine it runs on, to choose a login flow: which
//! operating system, and whether a marker file such as `/.dockerenv` exists.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Values set by the host: `Some(value)` replaces the process's, `None` hides it.
pub type Overrides = Arc<RwLock<HashMap<String, Option<String>>>>;

/// Reads environment variables from the real process (under any overrides), or from a fixed map.
#[derive(Clone, Debug, Default)]
pub struct Env {
    fixed: Option<Arc<HashMap<String, String>>>,
    overrides: Option<Overrides>,
    /// The operating system to act as (`std::env::consts::OS` names); `None`: the real one.
    os: Option<String>,
    /// The only files [`Env::file_exists`] reports; `None`: the real file system.
    files: Option<Arc<HashSet<PathBuf>>>,
}

impl Env {
    /// The real process environment.
    pub fn real() -> Self {
        Env::default()
    }

    /// The real process environment, except where `overrides` says otherwise.
    pub fn with_overrides(overrides: Overrides) -> Self {
        Env { overrides: Some(overrides), ..Env::default() }
    }

    /// A fixed environment: only these variables exist, and no marker file (see [`Env::with_files`]).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let map = pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Env { fixed: Some(Arc::new(map)), files: Some(Arc::default()), ..Env::default() }
    }

    /// The same environment, acting as the operating system `os` (`linux`, `macos`, `windows`...).
    pub fn with_os(self, os: &str) -> Self {
        Env { os: Some(os.to_string()), ..self }
    }

    /// The same environment, where exactly these files exist for [`Env::file_exists`].
    pub fn with_files<P: Into<PathBuf>>(self, paths: impl IntoIterator<Item = P>) -> Self {
        Env { files: Some(Arc::new(paths.into_iter().map(Into::into).collect())), ..self }
    }

    /// The operating system, as `std::env::consts::OS` names it.
    pub fn os(&self) -> &str {
        self.os.as_deref().unwrap_or(std::env::consts::OS)
    }

    /// Whether `path` exists. Only for the few marker files the engine looks at (a container's
    /// `/.dockerenv`), never for files it reads or writes.
    pub fn file_exists(&self, path: &Path) -> bool {
        match &self.files {
            Some(files) => files.contains(path),
            None => path.exists(),
        }
    }

    /// The variable's value, or `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match (&self.fixed, &self.overrides) {
            (Some(map), _) => map.get(name).cloned(),
            (None, Some(overrides)) => {
                let overridden = crate::concurrency::read(overrides).get(name).cloned();
                overridden.unwrap_or_else(|| std::env::var(name).ok())
            }
            (None, None) => std::env::var(name).ok(),
        };
        value.filter(|v| !v.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_or_hide_process_variables() {
        let overrides: Overrides = Arc::default();
        let env = Env::with_overrides(overrides.clone());
        let path = std::env::var("PATH").ok();
        assert_eq!(env.get("PATH"), path.filter(|p| !p.trim().is_empty()));
        overrides.write().unwrap().insert("PATH".into(), Some("/overridden".into()));
        overrides.write().unwrap().insert("SSOCREDS_TEST_UNSET".into(), Some("set".into()));
        assert_eq!(env.get("PATH").as_deref(), Some("/overridden"));
        assert_eq!(env.get("SSOCREDS_TEST_UNSET").as_deref(), Some("set"));
        overrides.write().unwrap().insert("PATH".into(), None);
        assert_eq!(env.get("PATH"), None);
    }

    #[test]
    fn a_fixed_environment_has_no_marker_file_unless_given_and_any_os() {
        let env = Env::from_pairs([("HOME", "/h")]);
        assert!(!env.file_exists(Path::new("/.dockerenv")));
        assert_eq!(env.os(), std::env::consts::OS);
        let env = env.with_files(["/.dockerenv"]).with_os("windows");
        assert!(env.file_exists(Path::new("/.dockerenv")));
        assert!(!env.file_exists(Path::new("/run/.containerenv")));
        assert_eq!((env.os(), env.get("HOME").as_deref()), ("windows", Some("/h")));
    }
}
