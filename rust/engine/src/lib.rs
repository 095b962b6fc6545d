//! The engine of Set-AwsCliSsoCredentials: one IAM Identity Center (SSO) login turned into fresh
//! role credentials for many accounts, written safely into the AWS shared credentials file.
//!
//! Safe, async Rust with no FFI types. The C ABI (`ssocreds-ffi`) and the command line
//! (`ssocreds-cli`) are thin layers over [`Engine`], whose methods are the operations; each is done
//! by one module:
//! - `login/`: the authorization code with PKCE (a loopback redirect) or the device code, chosen
//!   by what this machine's browser can reach; one login per environment across processes;
//! - `token/`: the stored token (memory and the AWS CLI cache), its renewal, status and logout;
//! - `refresh/`: `plan` (what is current, what to fetch), `fetch`, `report`;
//! - `discovery/`: accounts and roles, filters, profile names, the listing kept beside the token;
//! - `config_profiles/`: the SSO profiles of the AWS config file and the logins they use
//!   (`fromConfig`);
//! - `run/`: a whole run (refresh, discover, login) that a front end drives by its events: every
//!   decision and every message of a run, once for all front ends.
//!
//! ## Layers
//! Imports point down only (`tests/layers.rs` checks it, with this order; a new module is placed
//! there). Bottom up:
//! 1. leaves: `error`, `secret`, `time`, `clock`, `validate`, `concurrency`, `service_error`, and
//!    `api` (the public requests and answers, used by every floor above);
//! 2. the host and shared rules: `env` (the process environment, [`HostEnv`]), `endpoint`,
//!    `files`, `patterns` (globs), `oidc` (scope and grant names), `browser` (the commands that
//!    open a login's URL);
//! 3. each feature's state, importing none of the features' functions: `token/state`,
//!    `login/state`, `discovery/listing`, `discovery/filters`; and `portal` (the SDK clients);
//! 4. `state` (what this process remembers per environment), then `context` (what every operation
//!    works with);
//! 5. the features: `token`, `discovery`, `config_profiles`; then `login`, `refresh`;
//! 6. `run`, over the features;
//! 7. `engine`, the public face.
//!
//! Words: an *environment* is the key of one SSO login (the original script's `-EnvironmentName`);
//! the process's environment variables are the [`HostEnv`].
#![deny(unsafe_code)]

pub mod api;

mod browser;
mod clock;
pub mod concurrency;
mod config_profiles;
mod context;
mod discovery;
mod endpoint;
mod engine;
pub mod env;
mod error;
pub mod files;
mod login;
mod oidc;
mod patterns;
mod portal;
pub mod refresh;
pub mod run;
mod secret;
mod service_error;
mod state;
pub mod time;
mod token;
pub mod validate;

pub use engine::Engine;
pub use env::HostEnv;
pub use error::{Error, ErrorCode, Result};

/// The library's version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
