//! The engine of Set-AwsCliSsoCredentials: one IAM Identity Center (SSO) login turned into fresh
//! role credentials for many accounts, written safely into the AWS shared credentials file.
//!
//! Safe, async Rust with no FFI types. The C ABI (`ssocreds-ffi`) and the command line
//! (`ssocreds-cli`) are thin layers over [`Engine`].
#![deny(unsafe_code)]

pub mod api;
pub mod credentials_file;
pub mod discovery;
mod endpoint;
pub mod engine;
pub mod env;
pub mod error;
mod ini;
mod login;
mod portal;
pub mod refresh;
pub mod secret;
mod service_error;
mod session;
pub mod time;
pub mod token_cache;
mod tokens;
pub mod validate;

pub use engine::Engine;
pub use env::Env;
pub use error::{Error, ErrorCode, Result};

/// The library's version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
