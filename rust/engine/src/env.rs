//! The process environment, injectable so tests are hermetic, and overridable by a host whose own
//! view of the environment is not the C library's (.NET on Linux and macOS keeps a private copy, so
//! `$env:HOME = ...` in PowerShell never reaches `getenv`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Values set by the host: `Some(value)` replaces the process's, `None` hides it.
pub type Overrides = Arc<RwLock<HashMap<String, Option<String>>>>;

/// Reads environment variables from the real process (under any overrides), or from a fixed map.
#[derive(Clone, Debug, Default)]
pub struct Env {
    fixed: Option<Arc<HashMap<String, String>>>,
    overrides: Option<Overrides>,
}

impl Env {
    /// The real process environment.
    pub fn real() -> Self {
        Env::default()
    }

    /// The real process environment, except where `overrides` says otherwise.
    pub fn with_overrides(overrides: Overrides) -> Self {
        Env { fixed: None, overrides: Some(overrides) }
    }

    /// A fixed environment: only these variables exist.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let map = pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Env { fixed: Some(Arc::new(map)), overrides: None }
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
}
