//! The engine of Set-AwsCliSsoCredentials: one IAM Identity Center (SSO) login turned into fresh
//! role credentials for many accounts, written safely into the AWS shared credentials file.
//!
//! Safe, async Rust with no FFI types. The C ABI (`ssocreds-ffi`) and the command line
//! (`ssocreds-cli`) are thin layers over [`Engine`], whose methods are the operations; each is done
//! by one module:
//! - `login/`: the authorization code with PKCE (a loopback redirect) or the device code, chosen
//!   by what this machine's browser can reach; one login per session across processes;
//! - `token/`: the stored token (memory and the AWS CLI cache), its renewal, status and logout;
//! - `refresh/`: `plan` (what is current, what to fetch), `fetch`, `report`;
//! - `discovery/`: accounts and roles, filters, profile names, the listing kept beside the token;
//! - `config_profiles/`: the SSO profiles of the AWS config file and their sessions (`fromConfig`);
//! - `run/`: a whole run (refresh, discover, login) that a front end drives by its events: every
//!   decision and every message of a run, once for all front ends.
#![deny(unsafe_code)]

pub mod api;

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
/// The former name of [`HostEnv`], kept while `ssocreds-cli` still uses it.
pub use env::HostEnv as Env;
pub use error::{Error, ErrorCode, Result};

/// The library's version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
