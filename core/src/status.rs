//! Who am I (`GET /v1/auth/whoami`), and the status a user can print: the server, where the token
//! came from, the principal, and — for a psk — the token's own summary, so a program can say
//! "expires in 23 h". No credential is a status, not an error; a rejected token (expired,
//! revoked) shows as rejected.

use std::fmt;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::client::Client;
use crate::credentials::CredentialSource;
use crate::error::{Error, Operation, Result};
use crate::http::{Bearer, Request};
use crate::secret::sanitize;
use crate::tokens::TokenSummary;

/// Whether a principal is a human user or a ServiceIdentity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PrincipalType {
    /// A User.
    User,
    /// A ServiceIdentity.
    Service,
}

impl PrincipalType {
    /// `user` or `service`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "user",
            PrincipalType::Service => "service",
        }
    }
}

/// The principal the current token authenticates as.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Whoami {
    /// User or service.
    pub principal_type: PrincipalType,
    /// The principal's identifier.
    pub subject: String,
    /// The Domain the principal belongs to.
    #[serde(default)]
    pub domain_id: Option<Uuid>,
    /// The principal's primary email, when the IdP supplied one.
    #[serde(default)]
    pub email: Option<String>,
    /// The Authentication Context Class Reference, when available.
    #[serde(default)]
    pub acr: Option<String>,
    /// The Authentication Methods References (`pwd`, `mfa`, ...).
    #[serde(default)]
    pub amr: Vec<String>,
}

impl Whoami {
    /// The server's strings are shown to users: escapes and controls removed, each capped.
    fn sanitized(mut self) -> Self {
        const MAX: usize = 256;
        self.subject = sanitize(&self.subject, MAX);
        for s in [&mut self.email, &mut self.acr].into_iter().flatten() {
            *s = sanitize(s, MAX);
        }
        self.amr.truncate(16);
        for s in &mut self.amr {
            *s = sanitize(s, MAX);
        }
        self
    }

    /// `user 0190… (alice@example.com)`.
    pub fn text(&self) -> String {
        let mut out = format!("{} {}", self.principal_type.as_str(), self.subject);
        if let Some(email) = &self.email {
            out.push_str(&format!(" ({email})"));
        }
        out
    }
}

/// Whether the current credential authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthState {
    /// The server accepted the token.
    Authenticated,
    /// No token or no server was resolved.
    NoCredentials,
    /// The server refused the token (401): expired, revoked or unknown.
    Rejected,
}

impl AuthState {
    /// `authenticated`, `no_credentials` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthState::Authenticated => "authenticated",
            AuthState::NoCredentials => "no_credentials",
            AuthState::Rejected => "rejected",
        }
    }
}

/// What [`Client::status`] found: one value to print or serialize.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Status {
    /// The resolved server, if any.
    pub server: Option<String>,
    /// Where the token came from: `explicit`, `token_file`, `environment`, `profile` or `none`.
    pub credential_source: String,
    /// The profile the token came from, when it came from one.
    pub profile: Option<String>,
    /// Whether the token authenticates.
    pub state: AuthState,
    /// Who the token authenticates as, when it does.
    pub principal: Option<Whoami>,
    /// The token's own summary (expiry, last use, rotation), when it is a psk the server lists.
    pub token: Option<TokenSummary>,
    /// Why the server refused the token, when it did (the Problem's code or title).
    pub rejection: Option<String>,
}

impl Status {
    /// How long until the token expires (negative once past), when its summary is known.
    pub fn expires_in(&self) -> Option<time::Duration> {
        self.token
            .as_ref()
            .map(|t| t.expires_at - OffsetDateTime::now_utc())
    }

    /// The lines a command-line program prints.
    pub fn text(&self) -> String {
        let mut lines = vec![format!(
            "server:       {}",
            self.server.as_deref().unwrap_or("(none)")
        )];
        let source = match &self.profile {
            Some(p) => format!("profile {p:?}"),
            None => self.credential_source.clone(),
        };
        lines.push(format!("credentials:  {source}"));
        let state = match (&self.state, &self.principal, &self.rejection) {
            (AuthState::Authenticated, Some(who), _) => format!("logged in as {}", who.text()),
            (AuthState::Rejected, _, Some(why)) => format!("the token was rejected ({why})"),
            (AuthState::Rejected, _, None) => "the token was rejected".to_owned(),
            (AuthState::NoCredentials, _, _) => "not logged in".to_owned(),
            _ => self.state.as_str().to_owned(),
        };
        lines.push(format!("status:       {state}"));
        if let (Some(token), Some(left)) = (&self.token, self.expires_in()) {
            let when = crate::timefmt::text(token.expires_at);
            let left = if left.is_negative() {
                "expired".to_owned()
            } else {
                format!(
                    "in {}",
                    humantime::format_duration(std::time::Duration::from_secs(
                        left.whole_minutes().unsigned_abs() * 60
                    ))
                )
            };
            lines.push(format!(
                "token:        {} expires {when} ({left})",
                token.id
            ));
        }
        lines.join("\n")
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl Client {
    /// Who the client's token authenticates as (`GET /v1/auth/whoami`).
    ///
    /// # Errors
    /// [`Error::MissingCredentials`] (3) before the wire; [`Error::Api`] (1) for 401 and other
    /// non-2xx answers; transport and decode errors (1).
    pub fn whoami(&self) -> Result<Whoami> {
        let (who, _) = self.call::<Whoami>(Request {
            operation: Operation::Whoami,
            method: Method::GET,
            path: "/v1/auth/whoami".into(),
            bearer: Bearer::Client,
            body: None,
            secrets: vec![],
            server: None,
        })?;
        Ok(who.sanitized())
    }

    /// The status a user can print: the resolved server, where the token came from, who it
    /// authenticates as, and for a psk its own summary (found by the id in the plaintext). No
    /// credential is [`AuthState::NoCredentials`] and a refused token (401) is
    /// [`AuthState::Rejected`], not errors.
    ///
    /// # Errors
    /// Only what keeps the status from being known: transport failures, a non-2xx other than
    /// 401, a malformed answer (all exit code 1).
    pub fn status(&self) -> Result<Status> {
        let source = self.credential_source();
        let mut status = Status {
            server: self.server().map(|s| s.trim_end_matches('/').to_owned()),
            credential_source: source.as_str().to_owned(),
            profile: match source {
                CredentialSource::Profile(name) => Some(name.clone()),
                _ => None,
            },
            state: AuthState::NoCredentials,
            principal: None,
            token: None,
            rejection: None,
        };
        if status.server.is_none() || self.token().is_none_or(|t| t.is_empty()) {
            return Ok(status);
        }
        match self.whoami() {
            Ok(who) => {
                status.state = AuthState::Authenticated;
                status.principal = Some(who);
            }
            Err(Error::Api(api)) if api.status == 401 => {
                status.state = AuthState::Rejected;
                status.rejection = api
                    .problem
                    .as_ref()
                    .and_then(|p| p.code.clone().or_else(|| p.title.clone()))
                    .or_else(|| Some("HTTP 401".to_owned()));
                return Ok(status);
            }
            Err(e) => return Err(e),
        }
        let id = self
            .token()
            .and_then(|t| crate::psk::token_id(t.expose_secret()).ok());
        if let Some(id) = id {
            // The summary is a bonus: a principal allowed to authenticate but not to list (or a
            // list that fails now) still has a status.
            status.token = self
                .list_tokens()
                .ok()
                .and_then(|list| list.into_iter().find(|t| t.id == id));
        }
        Ok(status)
    }
}
