//! plexctl-core: a client for the plexsphere v1 auth API.
#![deny(missing_docs)]

pub mod client;
pub mod error;
pub mod grants;
pub mod input;
pub mod keys;
pub mod psk;
mod secret;
mod session;
pub mod tokens;

pub use client::{Client, ClientBuilder, TokenSource};
pub use error::{ApiError, Error, Operation, Problem, Result};
pub use grants::{GrantType, ServiceToken, ServiceTokenRequest, ServiceTokenSource};
pub use input::{EnvPrefix, IdentityRef, Ttl};
pub use keys::{RotationImpactEdge, RotationPreview, RotationTrigger};
pub use secret::Secret;
pub use tokens::{IssueTokenRequest, IssuedToken, RotatedToken, TokenSummary};
