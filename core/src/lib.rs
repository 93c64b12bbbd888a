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
//! ```
//! use plexctl_core::{Client, IssueTokenRequest, Secret, tokens::ONE_TIME_BANNER};
//! # let emu = plexctl_emulator::Emulator::start(plexctl_emulator::Config::fast()).unwrap();
//! # let (server, token) = (emu.url(), emu.admin_token().to_owned());
//! # let identity = emu.admin_identity();
//! let client = Client::builder().server(server).token(Secret::from(token)).build()?;
//! let req = IssueTokenRequest::parse(&identity, "prod", Some("24h"))?;
//! let issued = client.issue_token(&req)?;
//! println!("{ONE_TIME_BANNER}\n{}", issued.plaintext.expose_secret()); // shown exactly once
//! let rotated = client.rotate_token(issued.id)?; // the old plaintext works until the deadline
//! assert!(rotated.sunset_agrees());
//! client.delete_token(issued.id)?;
//! # Ok::<(), plexctl_core::Error>(())
//! ```
//!
//! Service-token grants and node key rotation read the same way:
//!
//! ```
//! use plexctl_core::{Client, ServiceTokenRequest, ServiceTokenSource, Secret};
//! # let emu = plexctl_emulator::Emulator::start(plexctl_emulator::Config::fast()).unwrap();
//! # emu.add_service_identity(plexctl_emulator::ServiceIdentitySpec::ClientCredentials {
//! #     client_id: "svc-deployer".into(), client_secret: "s3cret".into() });
//! # let node_id = emu.add_node(2).node_id;
//! # let (server, admin) = (emu.url(), emu.admin_token().to_owned());
//! let anonymous = Client::builder().server(server.clone()).build()?; // a grant needs no token
//! let grant = ServiceTokenRequest::client_credentials("svc-deployer", Secret::from("s3cret"));
//! let source = ServiceTokenSource::new(anonymous, grant)?; // refreshes before expiry
//! let access = source.token()?;
//!
//! let client = Client::builder().server(server).token(Secret::from(admin)).build()?;
//! let preview = client.preview_node_key_rotation(node_id)?; // changes nothing
//! let trigger = client.rotate_node_keys(node_id)?;
//! assert_eq!(trigger.peer_id, Some(preview.peer_id));
//! assert!(client.rotate_node_keys(node_id)?.already_pending); // idempotent: still success
//! # let _ = access;
//! # Ok::<(), plexctl_core::Error>(())
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
pub mod credentials;
pub mod error;
pub mod grants;
mod http;
pub mod input;
pub mod keys;
pub mod psk;
mod secret;
pub mod session;
pub mod timefmt;
pub mod tokens;

pub use client::{Client, ClientBuilder};
pub use credentials::CredentialSource;
pub use error::{ApiError, Error, ErrorKind, ExitCode, Operation, Problem, RecoveredToken, Result};
pub use grants::{GrantType, ServiceToken, ServiceTokenRequest, ServiceTokenSource};
pub use input::{EnvPrefix, IdentityRef, Ttl};
pub use keys::{RotationImpactEdge, RotationPreview, RotationTrigger};
pub use secret::Secret;
pub use session::LogoutOutcome;
pub use tokens::{IssueTokenRequest, IssuedToken, RotatedToken, TokenSummary};
