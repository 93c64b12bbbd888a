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
//! Every fallible call returns [`Error`]. [`Error::kind`] says what it means in a stable
//! snake_case name ([`ErrorKind`]: `usage`, `missing_credentials`, `permission_denied`,
//! `rebac_denied`, `node_not_found`, `timeout`, `decode`, ...), and the kind alone decides
//! [`Error::exit_code`], the plexctl taxonomy ([`ExitCode`]: 0 ok, 1 runtime/API, 2 usage, 3
//! credentials/config, 4 denied or node not found, 77 key-rotate ReBAC denial), so a command-line
//! program can `std::process::exit(e.exit_code())`. The C, Go and Python doors map each kind
//! one-to-one onto their own error type. Inputs are parsed into typed values ([`IdentityRef`],
//! [`EnvPrefix`], [`Ttl`], `uuid::Uuid`) before anything is sent: a usage error never reaches the
//! wire.
//!
//! # Transport
//!
//! HTTPS through rustls (no OpenSSL) with the platform's verifier plus an optional extra CA bundle;
//! the crypto provider is aws-lc-rs (feature `aws-lc-rs`, on by default, what reqwest itself
//! defaults to) or ring (`default-features = false, features = ["ring"]`: no C build of aws-lc, a
//! cold release build about a quarter shorter). A provider the program installed as rustls's process default is used
//! instead; otherwise the first [`Client`] installs the feature's provider as the process default.
//! plain `http://` only to loopback unless [`ClientBuilder::allow_insecure_http`] is set; redirects
//! are never followed; a response-size cap; one connection pool per client.
//!
//! - **One deadline per call** ([`ClientBuilder::timeout`], 30 s by default) covers connecting,
//!   TLS, sending, the headers, the whole body and any retries: a server that drips its answer or
//!   never finishes the headers cannot hold a call past it; [`Client::with_timeout`] derives a
//!   handle on the same connection pool with a deadline of its own. (The client drives reqwest's async API
//!   on a private current-thread runtime for this, which the calling thread drives while it
//!   waits; it may be called from any number of threads at once, but not from inside an async
//!   runtime's worker thread.)
//! - **Retries** ([`ClientBuilder::retries`], 2 by default, 0 = off) only where they are safe: a
//!   connection that could not be made (the request never left), for any operation; and for the
//!   idempotent ones (list, preview, delete, logout, the key-rotate trigger) a broken connection
//!   or a 429/502/503/504, after `Retry-After` when the server sent one (a wait that would pass the
//!   deadline is not made) or else exponential backoff with full jitter. Issue, rotate and the
//!   service grant are never repeated once the request may have reached the server.
//!
//! # Server input
//!
//! Nothing a server sends can panic the library or hang it past the deadline: numbers and dates
//! (`expires_in`, timestamps, `Sunset`, `Retry-After`) go through checked arithmetic, and one out
//! of range is an [`Error::Decode`]. Text taken from an error answer (Problem fields, an HTML
//! page) has every secret the request carried redacted — the bearer it sent included, whatever
//! its shape, and anything psk-shaped — then terminal escapes, control characters and bidi
//! overrides removed, then is cut (1 KiB per field, 160 characters of a page). Decode errors never
//! quote the body. An issue or rotate answer that holds a plaintext but is otherwise malformed
//! still minted a live token: the [`Error::Decode`] carries the plaintext
//! ([`Error::recovered_plaintext`]), and [`Client::rotate_session`] stores it first.
//!
//! # Secrets
//!
//! Token plaintexts, client secrets, JWT assertions and access tokens are [`Secret`]s: wiped when
//! dropped, redacted in `Debug`/`Display`, reached only through [`Secret::expose_secret`], and
//! skipped by the result types' `Serialize`. Response bodies are read into buffers that are wiped
//! after parsing. Copies out of the library's reach are not wiped: the HTTP stack's internal
//! buffers (the request body and `Authorization` header once handed to it, the TLS records), and
//! anything the caller makes from an exposed value.
#![deny(missing_docs)]

pub mod alloc;
pub mod client;
pub mod config;
pub mod credentials;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod grants;
mod http;
pub mod input;
pub mod keys;
pub mod login;
pub mod psk;
mod secret;
pub mod session;
pub mod status;
pub mod timefmt;
pub mod tokens;

pub use client::{Client, ClientBuilder};
pub use credentials::CredentialSource;
pub use error::{ApiError, Error, ErrorKind, ExitCode, Operation, Problem, RecoveredToken, Result};
pub use grants::{GrantType, ServiceToken, ServiceTokenRequest, ServiceTokenSource};
pub use input::{EnvPrefix, IdentityRef, Ttl};
pub use keys::{RotationImpactEdge, RotationPreview, RotationTrigger};
pub use login::{DeviceAuthorization, DeviceLoginRequest, IdpBinding, LoginOutcome, LoginTarget};
pub use secret::Secret;
pub use session::LogoutOutcome;
pub use status::{AuthState, PrincipalType, Status, Whoami};
pub use tokens::{IssueTokenRequest, IssuedToken, RotatedToken, TokenSummary};
