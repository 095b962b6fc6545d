//! `ssocreds_set_environment`: the host tells the library what its process environment is (the
//! engine's `HostEnv`; the exported name stays).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ssocreds_engine::concurrency::write;
use ssocreds_engine::validate::printable;
use ssocreds_engine::{Error, Result};

use crate::HOST_ENV_OVERRIDES;

const MAX_VALUE_BYTES: usize = 32 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRequest {
    variables: BTreeMap<String, Option<String>>,
}

#[derive(Serialize)]
pub struct SetResult {
    variables: usize,
}

/// Replaces the whole set of overrides (names not given fall back to the process's environment; an
/// empty map restores it entirely). Checks everything first, so a bad request changes nothing.
pub fn set(request: SetRequest) -> Result<SetResult> {
    for (name, value) in &request.variables {
        let valid_name =
            !name.is_empty() && name.len() <= 256 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid_name {
            return Err(Error::invalid_input(format!(
                "variables: '{}' is not an environment variable name",
                printable(name)
            )));
        }
        if value.as_ref().is_some_and(|v| v.len() > MAX_VALUE_BYTES || v.contains('\0')) {
            return Err(Error::invalid_input(format!("variables.{name}: the value is too long or contains NUL")));
        }
    }
    let count = request.variables.len();
    *write(&HOST_ENV_OVERRIDES) = request.variables.into_iter().collect();
    Ok(SetResult { variables: count })
}
