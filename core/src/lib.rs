//! plexctl-core: a blocking client for the plexsphere v1 auth API.
//!
//! Four operation families, each a set of methods on one [`Client`]:
//!
//! - **API tokens** ([`tokens`]): issue, list, delete (revoke), rotate.
//! - **Service-token grants** ([`grants`]): OAuth2 `client_credentials` and RFC 7523 JWT-bearer,
//!   plus [`ServiceTokenSource`], which keeps one access token fresh.
//! - **Logout** and stored sessions: revoke the stored session server-side, then clear its profile
//!   from the 0600 config file.
//! - **Node mesh-key rotation** ([`keys`]): trigger, and a dry-run preview.
//!
//! ```no_run
//! use plexctl_core::{Client, IssueTokenRequest, Secret, tokens::ONE_TIME_BANNER};
//! # fn main() -> Result<(), plexctl_core::Error> {
//! let client = Client::builder().server("https://plexsphere.example.com")
//!     .token(Secret::from("psk_prod_...")).build()?;
//! let req = IssueTokenRequest::parse("user:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2", "prod", Some("24h"))?;
//! let issued = client.issue_token(&req)?;
//! println!("{ONE_TIME_BANNER}\n{}", issued.plaintext.expose_secret());
//! # Ok(()) }
//! ```
//!
//! # Errors and exit codes
//!
//! Every fallible call returns [`Error`], whose [`Error::exit_code`] follows the plexctl taxonomy
//! (0 ok, 1 runtime/API, 2 usage, 3 credentials/config, 4 denied or node not found, 77 key-rotate
//! ReBAC denial), so a command-line program can `std::process::exit(e.exit_code())`. Inputs are
//! parsed into typed values ([`IdentityRef`], [`EnvPrefix`], [`Ttl`], `uuid::Uuid`) before
//! anything is sent: a usage error never reaches the wire.
//!
//! # Transport
//!
//! HTTPS through rustls (no OpenSSL) with the platform's verifier plus an optional extra CA bundle;
//! plain `http://` only to loopback unless [`ClientBuilder::allow_insecure_http`] is set; redirects
//! are never followed; connect and overall timeouts; a response-size cap; one connection pool per
//! client. Nothing is retried automatically.
//!
//! # Secrets
//!
//! Token plaintexts, client secrets, JWT assertions and access tokens are [`Secret`]s: wiped when
//! dropped, redacted in `Debug`/`Display`, reached only through [`Secret::expose_secret`]. Response
//! bodies are read into buffers that are wiped after parsing, and text taken from an error response
//! has the request's secrets redacted. Copies out of the library's reach are not wiped: the HTTP
//! stack's internal buffers (the request body and `Authorization` header once handed to it, the
//! TLS records), and anything the caller makes from an exposed value.
#![deny(missing_docs)]

pub mod client;
pub mod config;
pub mod error;
pub mod grants;
pub mod input;
pub mod keys;
pub mod psk;
mod secret;
pub mod session;
pub mod tokens;

pub use client::{Client, ClientBuilder, TokenSource};
pub use error::{ApiError, Error, Operation, Problem, Result};
pub use grants::{GrantType, ServiceToken, ServiceTokenRequest, ServiceTokenSource};
pub use input::{EnvPrefix, IdentityRef, Ttl};
pub use keys::{RotationImpactEdge, RotationPreview, RotationTrigger};
pub use secret::Secret;
pub use session::LogoutOutcome;
pub use tokens::{IssueTokenRequest, IssuedToken, RotatedToken, TokenSummary};
