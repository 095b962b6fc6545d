//! The process environment, injectable so tests are hermetic.

use std::collections::HashMap;
use std::sync::Arc;

/// Reads environment variables from the real process, or from a fixed map in tests.
#[derive(Clone, Debug, Default)]
pub struct Env {
    fixed: Option<Arc<HashMap<String, String>>>,
}

impl Env {
    /// The real process environment.
    pub fn real() -> Self {
        Env { fixed: None }
    }

    /// A fixed environment: only these variables exist.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let map = pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Env { fixed: Some(Arc::new(map)) }
    }

    /// The variable's value, or `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match &self.fixed {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        value.filter(|v| !v.trim().is_empty())
    }
}
