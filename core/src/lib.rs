//! plexctl-core: a client for the plexsphere v1 auth API.
#![deny(missing_docs)]

pub mod client;
pub mod error;
pub mod input;
pub mod psk;
mod secret;
mod session;
pub mod tokens;

pub use client::{Client, ClientBuilder, TokenSource};
pub use error::{ApiError, Error, Operation, Problem, Result};
pub use input::{EnvPrefix, IdentityRef, Ttl};
pub use secret::Secret;
pub use tokens::{IssueTokenRequest, IssuedToken, RotatedToken, TokenSummary};
