//! The process environment (`HostEnv`: "environment" alone names an SSO login's key), injectable
//! so tests are hermetic, and overridable by a host whose own view of the environment is not the C
//! library's (.NET on Linux and macOS keeps a private copy, so `$env:HOME = ...` in PowerShell never
//! reaches `getenv`). Besides the variables, it answers the other questions the engine asks about
//! the machine it runs on: which operating system and whether a marker file such as `/.dockerenv`
//! exists (to choose a login flow), and which proxy requests go through.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Values set by the host: `Some(value)` replaces the process's, `None` hides it.
pub type Overrides = Arc<RwLock<HashMap<String, Option<String>>>>;

/// Reads environment variables from the real process (under any overrides), or from a fixed map.
#[derive(Clone, Debug, Default)]
pub struct HostEnv {
    fixed: Option<Arc<HashMap<String, String>>>,
    overrides: Option<Overrides>,
    /// The operating system to act as (`std::env::consts::OS` names); `None`: the real one.
    os: Option<String>,
    /// The only files [`HostEnv::file_exists`] reports; `None`: the real file system.
    files: Option<Arc<HashSet<PathBuf>>>,
}

impl HostEnv {
    /// The real process environment.
    pub fn real() -> Self {
        HostEnv::default()
    }

    /// The real process environment, except where `overrides` says otherwise.
    pub fn with_overrides(overrides: Overrides) -> Self {
        HostEnv { overrides: Some(overrides), ..HostEnv::default() }
    }

    /// A fixed environment: only these variables exist, and no marker file (see [`HostEnv::with_files`]).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let map = pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        HostEnv { fixed: Some(Arc::new(map)), files: Some(Arc::default()), ..HostEnv::default() }
    }

    /// The same environment, acting as the operating system `os` (`linux`, `macos`, `windows`...).
    pub fn with_os(self, os: &str) -> Self {
        HostEnv { os: Some(os.to_string()), ..self }
    }

    /// The same environment, where exactly these files exist for [`HostEnv::file_exists`].
    pub fn with_files<P: Into<PathBuf>>(self, paths: impl IntoIterator<Item = P>) -> Self {
        HostEnv { files: Some(Arc::new(paths.into_iter().map(Into::into).collect())), ..self }
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

/// The forward proxy requests to one endpoint go through, and what named it.
#[derive(Debug, PartialEq, Eq)]
pub struct Proxy {
    /// The proxy's URL, `http://` in front when the variable had no scheme (as curl reads it).
    pub url: String,
    /// The variable or host entry it came from, for messages (its value may hold a password).
    pub source: String,
    /// Hosts reached directly (`NO_PROXY`: names, `.suffixes`, addresses, CIDR ranges, `*`).
    pub no_proxy: Option<String>,
}

impl HostEnv {
    /// The proxy for an `https` (else plain http) endpoint, as the AWS CLI and the SDKs read it: the
    /// proxy variables first (`https_proxy` or `HTTPS_PROXY` for https, `http_proxy` or
    /// `HTTP_PROXY` for http, then `all_proxy`, `ALL_PROXY`; lower case first, as curl and Python
    /// read them), else `system_entry`, the proxy the host's platform would use for the endpoint
    /// (the PowerShell module passes .NET's, which on Windows and macOS is the system setting).
    /// `NO_PROXY` applies to both.
    pub fn proxy(&self, https: bool, system_entry: &str) -> Option<Proxy> {
        let scheme_variables = if https { ["https_proxy", "HTTPS_PROXY"] } else { ["http_proxy", "HTTP_PROXY"] };
        let (source, value) = scheme_variables
            .into_iter()
            .chain(["all_proxy", "ALL_PROXY", system_entry])
            .find_map(|name| self.get(name).map(|value| (name, value)))?;
        let value = value.trim();
        let url = if value.contains("://") { value.to_string() } else { format!("http://{value}") };
        let no_proxy = ["no_proxy", "NO_PROXY"].into_iter().find_map(|name| self.get(name));
        Some(Proxy { url, source: source.to_string(), no_proxy })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_or_hide_process_variables() {
        let overrides: Overrides = Arc::default();
        let env = HostEnv::with_overrides(overrides.clone());
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
    fn the_proxy_variables_win_over_the_system_proxy_and_no_proxy_applies_to_both() {
        const SYSTEM: &str = "SSOCREDS_SYSTEM_PROXY_SSO";
        let proxy =
            |pairs: &[(&str, &str)], https: bool| HostEnv::from_pairs(pairs.iter().copied()).proxy(https, SYSTEM);
        let source = |pairs: &[(&str, &str)], https: bool| proxy(pairs, https).map(|p| p.source);
        let all = [
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:1"),
            ("HTTP_PROXY", "http://plain:1"),
            ("ALL_PROXY", "http://all:1"),
            (SYSTEM, "http://system:1"),
        ];
        assert_eq!(source(&all, true).as_deref(), Some("https_proxy"));
        assert_eq!(source(&all[..1], true).as_deref(), Some("HTTPS_PROXY"));
        assert_eq!(source(&all, false).as_deref(), Some("HTTP_PROXY"));
        assert_eq!(source(&all[3..], true).as_deref(), Some("ALL_PROXY"));
        assert_eq!(source(&all[4..], true).as_deref(), Some(SYSTEM));
        assert_eq!(proxy(&[], true), None);
        let bare = proxy(&[("HTTPS_PROXY", " proxy.corp:3128 "), ("NO_PROXY", ".corp,10.0.0.0/8")], true).unwrap();
        assert_eq!((bare.url.as_str(), bare.no_proxy.as_deref()), ("http://proxy.corp:3128", Some(".corp,10.0.0.0/8")));
        let system = proxy(&[(SYSTEM, "http://system:8080"), ("no_proxy", "localhost")], true).unwrap();
        assert_eq!((system.url.as_str(), system.no_proxy.as_deref()), ("http://system:8080", Some("localhost")));
    }

    #[test]
    fn a_fixed_environment_has_no_marker_file_unless_given_and_any_os() {
        let env = HostEnv::from_pairs([("HOME", "/h")]);
        assert!(!env.file_exists(Path::new("/.dockerenv")));
        assert_eq!(env.os(), std::env::consts::OS);
        let env = env.with_files(["/.dockerenv"]).with_os("windows");
        assert!(env.file_exists(Path::new("/.dockerenv")));
        assert!(!env.file_exists(Path::new("/run/.containerenv")));
        assert_eq!((env.os(), env.get("HOME").as_deref()), ("windows", Some("/h")));
    }
}
