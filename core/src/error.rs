//! The one error type of the crate, the RFC 9457 [`Problem`] body, and the exit-code taxonomy.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use crate::psk::PskError;

/// Shorthand for `Result<T, plexctl_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The exit-code taxonomy: what a command-line program (or a C or Go caller) exits with. This is
/// the one table; the C `plexctl_status` enum is generated from it.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitCode {
    /// Success.
    Ok = 0,
    /// Runtime or API error: transport failure, timeout, an unlisted non-2xx, an unparsable body,
    /// 501 not provisioned, a service-grant flag mismatch, or a panic caught in a door.
    Runtime = 1,
    /// Usage error: a missing or malformed input. Nothing was sent.
    Usage = 2,
    /// Missing or insecure credentials or configuration.
    Credentials = 3,
    /// Permission denied (403), or key rotate's 404 `node_not_found`.
    Denied = 4,
    /// Key rotate denied by the ReBAC authorizer (403).
    RebacDenied = 77,
}

impl ExitCode {
    /// Every exit code, in ascending order.
    pub const ALL: &[ExitCode] = &[
        ExitCode::Ok,
        ExitCode::Runtime,
        ExitCode::Usage,
        ExitCode::Credentials,
        ExitCode::Denied,
        ExitCode::RebacDenied,
    ];

    /// The numeric code a process exits with.
    pub const fn code(self) -> i32 {
        self as i32
    }
}

/// Exit code: success.
pub const EXIT_OK: i32 = ExitCode::Ok.code();
/// Exit code: runtime or API error (transport, timeout, unlisted non-2xx, unparsable body, 501,
/// service-grant flag mismatch).
pub const EXIT_RUNTIME: i32 = ExitCode::Runtime.code();
/// Exit code: usage error (missing or malformed input); no request was sent.
pub const EXIT_USAGE: i32 = ExitCode::Usage.code();
/// Exit code: missing or insecure credentials or configuration.
pub const EXIT_CREDENTIALS: i32 = ExitCode::Credentials.code();
/// Exit code: permission denied (403 on tokens and logout) or node not found (key rotate).
pub const EXIT_DENIED: i32 = ExitCode::Denied.code();
/// Exit code: key rotate denied by the ReBAC authorizer (403).
pub const EXIT_REBAC_DENIED: i32 = ExitCode::RebacDenied.code();

/// What an error means, in stable snake_case names a program can branch on. Each door maps a kind
/// one-to-one onto its own error type (a Python exception class, a C `plexctl_error_kind`, a Go
/// `ErrorKind`); the exit code follows from the kind alone ([`ErrorKind::exit_code`]).
// u32, not C: the C header then declares the constants plus a uint32_t typedef, so a C caller can
// hold 0 ("no error") in the same type without creating an invalid Rust value.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A required input is missing or malformed (including a stored token that is not a psk);
    /// nothing was sent. Exit code 2.
    Usage = 1,
    /// No token or server could be resolved, or the token is empty. Exit code 3.
    MissingCredentials = 2,
    /// Plain `http://` to a host that is not loopback. Exit code 3.
    InsecureTransport = 3,
    /// The config file is not private to its owner. Exit code 3.
    InsecureConfig = 4,
    /// 403 on tokens, grants, logout. Exit code 4.
    PermissionDenied = 5,
    /// 403 from the ReBAC authorizer on key rotate. Exit code 77.
    RebacDenied = 6,
    /// Key rotate: 404 `node_not_found`. Exit code 4.
    NodeNotFound = 7,
    /// 501: the server has not provisioned this operation. Exit code 1.
    NotProvisioned = 8,
    /// Any other non-2xx answer. Exit code 1.
    Api = 9,
    /// A 2xx body that does not have the documented shape, or exceeds the size cap. Exit code 1.
    Decode = 10,
    /// The connection failed, broke, or TLS failed. Exit code 1.
    Transport = 11,
    /// The call's deadline passed. Exit code 1.
    Timeout = 12,
    /// The inputs' combination is refused before the wire (the service-grant flag rules). Exit
    /// code 1.
    Refused = 13,
    /// A stored session was rotated but the config file could not be written; the error carries
    /// the new plaintext. Exit code 1.
    SessionNotSaved = 14,
    /// The config file could not be read, parsed, locked or written. Exit code 1.
    Config = 15,
    /// The client could not be configured (CA bundle, TLS set-up). Exit code 1.
    Setup = 16,
    /// A bug: a panic caught at a door's boundary instead of unwinding into the caller. Exit
    /// code 1. Core itself never returns it.
    Internal = 17,
    /// Device login: the user denied the request (`access_denied`). Exit code 4.
    AccessDenied = 18,
    /// Device login: the device code expired (`expired_token`, or its lifetime ran out while
    /// polling). Exit code 1.
    LoginExpired = 19,
    /// The caller stopped a long-running call (a device login's polling). Exit code 1.
    Cancelled = 20,
}

impl ErrorKind {
    /// Every kind.
    pub const ALL: &[ErrorKind] = &[
        ErrorKind::Usage,
        ErrorKind::MissingCredentials,
        ErrorKind::InsecureTransport,
        ErrorKind::InsecureConfig,
        ErrorKind::PermissionDenied,
        ErrorKind::RebacDenied,
        ErrorKind::NodeNotFound,
        ErrorKind::NotProvisioned,
        ErrorKind::Api,
        ErrorKind::Decode,
        ErrorKind::Transport,
        ErrorKind::Timeout,
        ErrorKind::Refused,
        ErrorKind::SessionNotSaved,
        ErrorKind::Config,
        ErrorKind::Setup,
        ErrorKind::Internal,
        ErrorKind::AccessDenied,
        ErrorKind::LoginExpired,
        ErrorKind::Cancelled,
    ];

    /// The stable snake_case name (`usage`, `rebac_denied`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::MissingCredentials => "missing_credentials",
            ErrorKind::InsecureTransport => "insecure_transport",
            ErrorKind::InsecureConfig => "insecure_config",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::RebacDenied => "rebac_denied",
            ErrorKind::NodeNotFound => "node_not_found",
            ErrorKind::NotProvisioned => "not_provisioned",
            ErrorKind::Api => "api",
            ErrorKind::Decode => "decode",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Refused => "refused",
            ErrorKind::SessionNotSaved => "session_not_saved",
            ErrorKind::Config => "config",
            ErrorKind::Setup => "setup",
            ErrorKind::Internal => "internal",
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::LoginExpired => "login_expired",
            ErrorKind::Cancelled => "cancelled",
        }
    }

    /// The kind of a snake_case name, the inverse of [`ErrorKind::as_str`].
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }

    /// The exit code of this kind: the taxonomy, decided here once.
    pub const fn exit_code(self) -> ExitCode {
        match self {
            ErrorKind::Usage => ExitCode::Usage,
            ErrorKind::MissingCredentials
            | ErrorKind::InsecureTransport
            | ErrorKind::InsecureConfig => ExitCode::Credentials,
            ErrorKind::PermissionDenied | ErrorKind::NodeNotFound | ErrorKind::AccessDenied => {
                ExitCode::Denied
            }
            ErrorKind::RebacDenied => ExitCode::RebacDenied,
            ErrorKind::NotProvisioned
            | ErrorKind::Api
            | ErrorKind::Decode
            | ErrorKind::Transport
            | ErrorKind::Timeout
            | ErrorKind::Refused
            | ErrorKind::SessionNotSaved
            | ErrorKind::Config
            | ErrorKind::Setup
            | ErrorKind::Internal
            | ErrorKind::LoginExpired
            | ErrorKind::Cancelled => ExitCode::Runtime,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The API operation an error came from; it decides how an HTTP status maps to an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /v1/auth/tokens`.
    IssueToken,
    /// `GET /v1/auth/tokens`.
    ListTokens,
    /// `DELETE /v1/auth/tokens/{id}`.
    DeleteToken,
    /// `POST /v1/auth/tokens/{id}/rotate`.
    RotateToken,
    /// `POST /v1/auth/service/token`.
    ServiceToken,
    /// `POST /v1/nodes/{id}/keys/rotate`.
    KeyRotate,
    /// `GET /v1/nodes/{id}/keys/rotate/preview`.
    KeyRotatePreview,
    /// Logout's `DELETE /v1/auth/tokens/{id}` of the stored session.
    Logout,
    /// `POST /v1/auth/device-code`: start a device login.
    DeviceCode,
    /// `POST /v1/auth/device-token`: poll a device login.
    DeviceToken,
    /// `GET /v1/auth/whoami`.
    Whoami,
}

impl Operation {
    /// A short name for messages (`issue token`, `key rotate`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Operation::IssueToken => "issue token",
            Operation::ListTokens => "list tokens",
            Operation::DeleteToken => "delete token",
            Operation::RotateToken => "rotate token",
            Operation::ServiceToken => "service token",
            Operation::KeyRotate => "key rotate",
            Operation::KeyRotatePreview => "key rotate preview",
            Operation::Logout => "logout",
            Operation::DeviceCode => "device login",
            Operation::DeviceToken => "device login poll",
            Operation::Whoami => "whoami",
        }
    }

    /// Whether repeating the request cannot change the outcome (list, preview, delete, logout's
    /// delete, and the key-rotate trigger, which the server treats as idempotent): only these are
    /// retried once a request may have reached the server.
    pub fn is_idempotent(self) -> bool {
        matches!(
            self,
            Operation::ListTokens
                | Operation::DeleteToken
                | Operation::KeyRotate
                | Operation::KeyRotatePreview
                | Operation::Logout
                | Operation::Whoami
        )
    }

    fn is_key_rotate(self) -> bool {
        matches!(self, Operation::KeyRotate | Operation::KeyRotatePreview)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An RFC 9457 problem-details body with the plexsphere `code` extension and the `PermissionDenied`
/// fields (`reason`, `relation_path`, `correlation_id`) when the server sent them.
///
/// Every field is optional so that a partial body from a proxy still decodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Problem {
    /// URI reference identifying the problem type.
    #[serde(rename = "type")]
    pub type_uri: Option<String>,
    /// Short human-readable summary.
    pub title: Option<String>,
    /// HTTP status the server generated.
    pub status: Option<u16>,
    /// Explanation of this occurrence.
    pub detail: Option<String>,
    /// URI reference of this occurrence.
    pub instance: Option<String>,
    /// Machine-readable plexsphere error code (`node_not_found`, `invalid_client`, ...).
    pub code: Option<String>,
    /// `PermissionDenied.reason`: `out_of_scope`, `insufficient_relation` or `caveat_violation`.
    pub reason: Option<String>,
    /// `PermissionDenied.relation_path`: the relations the authorizer traversed.
    #[serde(default)]
    pub relation_path: Vec<String>,
    /// `PermissionDenied.correlation_id`: pairs the denial with its audit entry.
    pub correlation_id: Option<String>,
}

impl Problem {
    /// Whether the body is a `PermissionDenied` (it carries a `reason`).
    pub fn is_permission_denied(&self) -> bool {
        self.reason.is_some()
    }
}

/// A non-2xx answer from the server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation that was answered.
    pub operation: Operation,
    /// The HTTP status.
    pub status: u16,
    /// The decoded problem body, when the body was one.
    pub problem: Option<Problem>,
    /// When the body was not a problem: its media type and a short, tag-stripped, redacted excerpt.
    pub body_excerpt: Option<String>,
}

impl ApiError {
    /// The Problem `code`, when there is one.
    pub fn code(&self) -> Option<&str> {
        self.problem.as_ref().and_then(|p| p.code.as_deref())
    }

    /// The `PermissionDenied` correlation id, when there is one.
    pub fn correlation_id(&self) -> Option<&str> {
        self.problem
            .as_ref()
            .and_then(|p| p.correlation_id.as_deref())
    }

    /// What the answer means: the status read in the light of the operation.
    pub fn kind(&self) -> ErrorKind {
        if self.operation == Operation::DeviceToken {
            match self.code() {
                Some("access_denied") => return ErrorKind::AccessDenied,
                Some("expired_token") => return ErrorKind::LoginExpired,
                _ => {}
            }
        }
        match (self.status, self.operation.is_key_rotate()) {
            (403, true) => ErrorKind::RebacDenied,
            (403, false) => ErrorKind::PermissionDenied,
            (404, true) if self.code() == Some("node_not_found") => ErrorKind::NodeNotFound,
            (501, _) => ErrorKind::NotProvisioned,
            _ => ErrorKind::Api,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.operation, self.status)?;
        if let Some(p) = &self.problem {
            if let Some(t) = &p.title {
                write!(f, " {t}")?;
            }
            if let Some(d) = &p.detail {
                write!(f, ": {d}")?;
            }
            if let Some(c) = &p.code {
                write!(f, " (code {c})")?;
            }
            if let Some(r) = &p.reason {
                write!(f, " (reason {r})")?;
            }
            if let Some(c) = &p.correlation_id {
                write!(f, " (correlation id {c})")?;
            }
        } else if let Some(e) = &self.body_excerpt {
            write!(f, ": {e}")?;
        }
        if self.status == 501 {
            f.write_str(" — the server has not provisioned this operation")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong. Each variant knows its [`exit code`](Error::exit_code).
///
/// No message ever contains a secret: inputs are described, never echoed, and text taken from a
/// response has every secret of the request redacted from it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A required input is missing or malformed; nothing was sent. Exit code 2.
    #[error("invalid {field}: {reason}")]
    Usage {
        /// The input's name in the API's words (`identity_ref`, `env_prefix`, `ttl`, `id`, ...).
        field: &'static str,
        /// What was expected.
        reason: String,
    },
    /// A token that should be a psk plaintext is not one (logout's stored token). Exit code 2.
    #[error("{context}: {source}")]
    InvalidPsk {
        /// Where the token came from.
        context: String,
        /// Which part of the format failed.
        #[source]
        source: PskError,
    },
    /// A request the server would refuse for its combination of inputs (the service-grant flag
    /// rules). Exit code 1, as a plain runtime refusal; nothing was sent.
    #[error("{0}")]
    Refused(String),
    /// No credential (token or server) could be resolved. Exit code 3.
    #[error("no {what} resolved: {looked_for}")]
    MissingCredentials {
        /// `token` or `server`.
        what: &'static str,
        /// The sources that were tried, in order.
        looked_for: String,
    },
    /// A plain `http://` URL to a host that is not loopback. Exit code 3.
    #[error(
        "refusing plain http:// to {host}: bearer tokens travel only over https, or over http to loopback"
    )]
    InsecureTransport {
        /// The host that was refused.
        host: String,
    },
    /// The config file is readable or writable by others than its owner. Exit code 3.
    #[error("refusing config file {}: mode {mode:o} is wider than 0600 (run chmod 600)", path.display())]
    InsecureConfig {
        /// The config file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The config file is not one this library may trust: not a regular file, not owned by the
    /// effective user, or in a directory group or others can write. Exit code 3, kind
    /// `insecure_config`; nothing was read.
    #[error("refusing config file {}: {reason}", path.display())]
    UnsafeConfig {
        /// The config file.
        path: PathBuf,
        /// What is wrong, and how to fix it.
        reason: String,
    },
    /// The config file could not be read, parsed, locked or written. Exit code 1.
    #[error("config file {}: {message}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What failed.
        message: String,
        /// The underlying I/O error, when there is one.
        #[source]
        source: Option<std::io::Error>,
    },
    /// The client could not be configured (bad CA bundle, TLS set-up). Exit code 1.
    #[error("client set-up: {0}")]
    Setup(String),
    /// The request did not complete: connection refused or dropped, TLS failure, timeout. Exit code 1.
    #[error("{operation}: {message}")]
    Transport {
        /// The operation.
        operation: Operation,
        /// What failed, without URL credentials or bodies.
        message: String,
        /// Whether a timeout expired.
        timeout: bool,
        /// The HTTP stack's error.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The server answered with a non-2xx status. Exit code by operation and status (see
    /// [`Error::exit_code`]).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// A stored session was rotated on the server, but the new plaintext could not be written to
    /// the config file. Exit code 1. The new plaintext is in [`Error::rotated_token`]; the old one
    /// keeps working until the rotation deadline.
    #[error(
        "the session was rotated but {} could not be updated ({message}); the new plaintext is held by this error and the old one works until {}",
        path.display(),
        rotated.rotation_deadline
    )]
    SessionNotSaved {
        /// The config file.
        path: PathBuf,
        /// Why the write failed.
        message: String,
        /// The rotation, with the new plaintext.
        rotated: Box<crate::tokens::model::RotatedToken>,
    },
    /// A device login ended on the client's side: the code's lifetime ran out (kind
    /// `login_expired`) or the caller stopped it (kind `cancelled`). Exit code 1.
    #[error("device login: {}", match end {
        LoginEnd::Expired => "the code expired before it was approved; start again",
        LoginEnd::Cancelled => "cancelled",
    })]
    Login {
        /// How it ended.
        end: LoginEnd,
    },
    /// A device login succeeded but its session could not be written to the config file. Exit
    /// code 1, kind `session_not_saved`. The access token is in [`Error::recovered_plaintext`].
    #[error(
        "the login succeeded but {} could not be updated ({message}); the access token is held by this error",
        path.display()
    )]
    LoginNotSaved {
        /// The config file.
        path: PathBuf,
        /// Why the write failed.
        message: String,
        /// The access token the login obtained.
        token: crate::secret::Secret,
    },
    /// A 2xx body that does not parse as the documented shape, or is larger than the cap. Exit code 1.
    ///
    /// When the body still held a plaintext (an issue or rotate answer with some other field
    /// malformed), the token exists on the server: `recovered` carries the plaintext so it is not
    /// lost ([`Error::recovered_plaintext`]).
    #[error(
        "{operation}: unexpected response body: {message}{}",
        if recovered.is_some() {
            "; the server did mint the token, and its plaintext is held by this error"
        } else {
            ""
        }
    )]
    Decode {
        /// The operation.
        operation: Operation,
        /// What was wrong, without any part of the body.
        message: String,
        /// The plaintext (and id) recovered from a malformed issue or rotate answer.
        recovered: Option<Box<RecoveredToken>>,
    },
}

/// Why a device login ended without a token on the client's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginEnd {
    /// The device code's lifetime ran out before the user approved.
    Expired,
    /// The caller stopped the polling.
    Cancelled,
}

/// A token the server minted in an answer that could not be decoded in full: its plaintext (and
/// its id, when that field was readable). The token is live on the server, so the plaintext must
/// reach the caller even though the call failed.
#[derive(Clone)]
#[non_exhaustive]
pub struct RecoveredToken {
    /// The token id, when the answer's `id` was a UUID.
    pub id: Option<uuid::Uuid>,
    /// The plaintext the server minted.
    pub plaintext: crate::secret::Secret,
}

impl fmt::Debug for RecoveredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveredToken")
            .field("id", &self.id)
            .field("plaintext", &self.plaintext)
            .finish()
    }
}

impl Error {
    /// The exit code of the taxonomy: 1 runtime, 2 usage, 3 credentials, 4 denied / not found,
    /// 77 key-rotate ReBAC denial. A C, Go or shell caller can `exit()` with it directly.
    pub fn exit_code(&self) -> i32 {
        self.kind().exit_code().code()
    }

    /// What the error means; every door maps it one-to-one onto its own error type.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Usage { .. } | Error::InvalidPsk { .. } => ErrorKind::Usage,
            Error::MissingCredentials { .. } => ErrorKind::MissingCredentials,
            Error::InsecureTransport { .. } => ErrorKind::InsecureTransport,
            Error::InsecureConfig { .. } | Error::UnsafeConfig { .. } => ErrorKind::InsecureConfig,
            Error::Api(api) => api.kind(),
            Error::Refused(_) => ErrorKind::Refused,
            Error::Config { .. } => ErrorKind::Config,
            Error::Setup(_) => ErrorKind::Setup,
            Error::Transport { timeout: true, .. } => ErrorKind::Timeout,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::SessionNotSaved { .. } | Error::LoginNotSaved { .. } => {
                ErrorKind::SessionNotSaved
            }
            Error::Login {
                end: LoginEnd::Expired,
            } => ErrorKind::LoginExpired,
            Error::Login {
                end: LoginEnd::Cancelled,
            } => ErrorKind::Cancelled,
            Error::Decode { .. } => ErrorKind::Decode,
        }
    }

    /// The HTTP status, for an [`Error::Api`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.status),
            _ => None,
        }
    }

    /// The Problem body, for an [`Error::Api`] that carried one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Api(api) => api.problem.as_ref(),
            _ => None,
        }
    }

    /// The rotation an [`Error::SessionNotSaved`] holds, so its new plaintext is not lost.
    pub fn rotated_token(&self) -> Option<&crate::tokens::model::RotatedToken> {
        match self {
            Error::SessionNotSaved { rotated, .. } => Some(rotated),
            _ => None,
        }
    }

    /// The token an [`Error::Decode`] recovered from a malformed issue or rotate answer.
    pub fn recovered_token(&self) -> Option<&RecoveredToken> {
        match self {
            Error::Decode { recovered, .. } => recovered.as_deref(),
            _ => None,
        }
    }

    /// A plaintext the server minted that this error must not lose: the new plaintext of an
    /// [`Error::SessionNotSaved`], the access token of an [`Error::LoginNotSaved`], or the one an
    /// [`Error::Decode`] recovered. Store or show it.
    pub fn recovered_plaintext(&self) -> Option<&crate::secret::Secret> {
        match self {
            Error::LoginNotSaved { token, .. } => Some(token),
            _ => self
                .rotated_token()
                .map(|r| &r.plaintext)
                .or_else(|| self.recovered_token().map(|r| &r.plaintext)),
        }
    }

    /// A usage error (exit code 2) for the input `field` (in the API's words), with what was
    /// expected: the one constructor every door uses for an argument it rejects itself (a NULL
    /// pointer, a wrong Python type), so no door retypes the message format.
    pub fn usage(field: &'static str, reason: impl Into<String>) -> Error {
        Error::Usage {
            field,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(operation: Operation, status: u16, code: Option<&str>) -> Error {
        Error::Api(Box::new(ApiError {
            operation,
            status,
            problem: code.map(|c| Problem {
                code: Some(c.to_owned()),
                ..Problem::default()
            }),
            body_excerpt: None,
        }))
    }

    #[test]
    fn exit_codes_follow_the_taxonomy() {
        assert_eq!(api(Operation::IssueToken, 403, None).exit_code(), 4);
        assert_eq!(api(Operation::Logout, 403, None).exit_code(), 4);
        assert_eq!(
            api(Operation::KeyRotate, 403, Some("rebac_denied")).exit_code(),
            77
        );
        assert_eq!(api(Operation::KeyRotatePreview, 403, None).exit_code(), 77);
        assert_eq!(
            api(Operation::KeyRotate, 404, Some("node_not_found")).exit_code(),
            4
        );
        assert_eq!(api(Operation::DeleteToken, 404, None).exit_code(), 1);
        assert_eq!(api(Operation::KeyRotate, 501, None).exit_code(), 1);
        assert_eq!(api(Operation::ListTokens, 500, None).exit_code(), 1);
        assert_eq!(Error::usage("id", "x").exit_code(), 2);
        assert_eq!(Error::Refused("x".into()).exit_code(), 1);
        assert_eq!(Error::InsecureTransport { host: "h".into() }.exit_code(), 3);
    }

    #[test]
    fn every_kind_has_a_stable_name_and_one_exit_code() {
        for &kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
            assert!(ExitCode::ALL.contains(&kind.exit_code()));
        }
        assert_eq!(ErrorKind::RebacDenied.exit_code().code(), 77);
        assert_eq!(ErrorKind::from_name("nope"), None);
        assert_eq!(
            api(Operation::KeyRotate, 501, None).kind(),
            ErrorKind::NotProvisioned
        );
        assert_eq!(
            api(Operation::KeyRotate, 403, None).kind(),
            ErrorKind::RebacDenied
        );
        assert_eq!(
            api(Operation::IssueToken, 403, None).kind(),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            api(Operation::KeyRotate, 404, Some("node_not_found")).kind(),
            ErrorKind::NodeNotFound
        );
        assert_eq!(api(Operation::ListTokens, 500, None).kind(), ErrorKind::Api);
        let timeout = Error::Transport {
            operation: Operation::ListTokens,
            message: "timed out".into(),
            timeout: true,
            source: None,
        };
        assert_eq!(timeout.kind(), ErrorKind::Timeout);
        assert_eq!(timeout.exit_code(), 1);
    }

    #[test]
    fn not_provisioned_says_so() {
        let e = api(
            Operation::KeyRotate,
            501,
            Some("node_keys_rotate_not_provisioned"),
        );
        assert!(e.to_string().contains("not provisioned"), "{e}");
    }
}
