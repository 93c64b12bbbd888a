//! The API-token family: issue, list, delete (revoke) and rotate.

use std::fmt;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::client::{Bearer, Client, Request};
use crate::error::{Error, Operation, Result};
use crate::input::{EnvPrefix, IdentityRef, Ttl};
use crate::secret::Secret;

/// The marker line printed before a plaintext, which is shown exactly once.
pub const ONE_TIME_BANNER: &str =
    "# WARNING: this is the only time this plaintext will be displayed";

/// What to issue: the identity the token binds to, its environment, and an optional lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueTokenRequest {
    /// The User or ServiceIdentity the token binds to.
    pub identity_ref: IdentityRef,
    /// The environment segment encoded into the plaintext.
    pub env_prefix: EnvPrefix,
    /// The lifetime; `None` lets the server apply its default.
    pub ttl: Option<Ttl>,
}

impl IssueTokenRequest {
    /// A request with the server's default lifetime.
    pub fn new(identity_ref: IdentityRef, env_prefix: EnvPrefix) -> Self {
        IssueTokenRequest {
            identity_ref,
            env_prefix,
            ttl: None,
        }
    }

    /// Sets the lifetime.
    pub fn ttl(mut self, ttl: Ttl) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Parses the three inputs as a caller (a CLI flag, a C string, a Python argument) gives them.
    ///
    /// # Errors
    /// A usage error (exit code 2) for a malformed identity ref, an unknown env prefix or a
    /// malformed duration.
    pub fn parse(identity_ref: &str, env_prefix: &str, ttl: Option<&str>) -> Result<Self> {
        Ok(IssueTokenRequest {
            identity_ref: identity_ref.parse()?,
            env_prefix: env_prefix.parse()?,
            ttl: ttl.map(str::parse).transpose()?,
        })
    }
}

#[derive(Serialize)]
struct IssueBody {
    identity_ref: String,
    env_prefix: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl_seconds: Option<u64>,
}

/// A freshly issued token. The plaintext is returned exactly once; nothing returns it again.
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct IssuedToken {
    /// The token id.
    pub id: Uuid,
    /// The psk plaintext.
    pub plaintext: Secret,
    /// The environment segment.
    pub env_prefix: String,
    /// When the token expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("id", &self.id)
            .field("plaintext", &self.plaintext)
            .field("env_prefix", &self.env_prefix)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl IssuedToken {
    /// The text block a CLI prints once: the banner, the plaintext, then the fields. It holds the
    /// plaintext, so it is returned as a [`Secret`].
    pub fn render_text(&self) -> Secret {
        render(
            &self.plaintext,
            &[
                ("id", self.id.to_string()),
                ("env_prefix", self.env_prefix.clone()),
                ("expires_at", rfc3339(self.expires_at)),
            ],
        )
    }
}

/// A token's plaintext-free summary, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct TokenSummary {
    /// The token id.
    pub id: Uuid,
    /// The environment segment.
    pub env_prefix: String,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When it last authenticated, if ever.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was last rotated, if ever.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub rotated_at: Option<OffsetDateTime>,
}

/// A rotated token: the new plaintext (shown exactly once) and the deadline until which the
/// rotated-from plaintext still authenticates.
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct RotatedToken {
    /// The token id (unchanged by rotation).
    pub id: Uuid,
    /// The new psk plaintext.
    pub plaintext: Secret,
    /// The environment segment.
    pub env_prefix: String,
    /// When the new plaintext expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Until when the rotated-from plaintext is still honoured.
    #[serde(with = "time::serde::rfc3339")]
    pub rotation_deadline: OffsetDateTime,
    /// The RFC 8594 `Sunset` header's timestamp, when the server sent one.
    #[serde(skip)]
    pub sunset: Option<OffsetDateTime>,
}

impl fmt::Debug for RotatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatedToken")
            .field("id", &self.id)
            .field("plaintext", &self.plaintext)
            .field("env_prefix", &self.env_prefix)
            .field("expires_at", &self.expires_at)
            .field("rotation_deadline", &self.rotation_deadline)
            .field("sunset", &self.sunset)
            .finish()
    }
}

impl RotatedToken {
    /// Whether the `Sunset` header was present and names the same second as `rotation_deadline`.
    ///
    /// A disagreeing or missing header is reported here rather than as an error, because the new
    /// plaintext has already been issued and must reach the caller.
    pub fn sunset_agrees(&self) -> bool {
        self.sunset
            .is_some_and(|s| s.unix_timestamp() == self.rotation_deadline.unix_timestamp())
    }

    /// The text block a CLI prints once: the banner, the new plaintext, then the fields.
    pub fn render_text(&self) -> Secret {
        render(
            &self.plaintext,
            &[
                ("id", self.id.to_string()),
                ("env_prefix", self.env_prefix.clone()),
                ("expires_at", rfc3339(self.expires_at)),
                ("rotation_deadline", rfc3339(self.rotation_deadline)),
            ],
        )
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

fn render(plaintext: &Secret, fields: &[(&str, String)]) -> Secret {
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 3;
    let tail: String = fields
        .iter()
        .map(|(k, v)| format!("{:<width$}{v}\n", format!("{k}:")))
        .collect();
    let mut out = String::with_capacity(ONE_TIME_BANNER.len() + plaintext.len() + tail.len() + 3);
    out.push_str(ONE_TIME_BANNER);
    out.push('\n');
    out.push_str(plaintext.expose_secret());
    out.push_str("\n\n");
    out.push_str(&tail);
    Secret::new(out)
}

impl Client {
    /// Issues a new API token (`POST /v1/auth/tokens`). The plaintext is returned exactly once.
    ///
    /// # Errors
    /// [`Error::MissingCredentials`] (3) before the wire when no token was resolved; [`Error::Api`]
    /// for a non-2xx answer (403 → exit code 4); [`Error::Transport`] / [`Error::Decode`] (1).
    pub fn issue_token(&self, req: &IssueTokenRequest) -> Result<IssuedToken> {
        let body = IssueBody {
            identity_ref: req.identity_ref.to_string(),
            env_prefix: req.env_prefix.as_str(),
            ttl_seconds: req.ttl.map(Ttl::as_secs),
        };
        let (issued, _) = self.call::<IssuedToken>(Request {
            operation: Operation::IssueToken,
            method: Method::POST,
            path: "/v1/auth/tokens".into(),
            bearer: Bearer::Client,
            body: Some(json_body(&body, 512)),
            secrets: vec![],
            server: None,
        })?;
        Ok(issued)
    }

    /// Lists the caller's tokens (`GET /v1/auth/tokens`); summaries never carry a plaintext.
    ///
    /// # Errors
    /// As [`Client::issue_token`].
    pub fn list_tokens(&self) -> Result<Vec<TokenSummary>> {
        let (list, _) = self.call::<Vec<TokenSummary>>(Request {
            operation: Operation::ListTokens,
            method: Method::GET,
            path: "/v1/auth/tokens".into(),
            bearer: Bearer::Client,
            body: None,
            secrets: vec![],
            server: None,
        })?;
        Ok(list)
    }

    /// Revokes a token at once (`DELETE /v1/auth/tokens/{id}`, 204).
    ///
    /// # Errors
    /// As [`Client::issue_token`]; a 404 (unknown token) is exit code 1.
    pub fn delete_token(&self, id: Uuid) -> Result<()> {
        self.call_empty(Request {
            operation: Operation::DeleteToken,
            method: Method::DELETE,
            path: format!("/v1/auth/tokens/{id}"),
            bearer: Bearer::Client,
            body: None,
            secrets: vec![],
            server: None,
        })?;
        Ok(())
    }

    /// Rotates a token (`POST /v1/auth/tokens/{id}/rotate`): returns the new plaintext exactly once;
    /// the old one keeps working until [`RotatedToken::rotation_deadline`].
    ///
    /// # Errors
    /// As [`Client::issue_token`].
    pub fn rotate_token(&self, id: Uuid) -> Result<RotatedToken> {
        self.rotate_token_as(Bearer::Client, None, id)
    }

    /// Rotation with a chosen bearer and server (rotating a stored session uses the session's own).
    pub(crate) fn rotate_token_as(
        &self,
        bearer: Bearer<'_>,
        server: Option<&reqwest::Url>,
        id: Uuid,
    ) -> Result<RotatedToken> {
        let (mut rotated, resp) = self.call::<RotatedToken>(Request {
            operation: Operation::RotateToken,
            method: Method::POST,
            path: format!("/v1/auth/tokens/{id}/rotate"),
            bearer,
            body: None,
            secrets: vec![],
            server,
        })?;
        rotated.sunset = resp
            .headers
            .get("sunset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .map(OffsetDateTime::from);
        Ok(rotated)
    }
}

/// Serializes a request body into a buffer that is wiped once sent.
///
/// `capacity` must cover the whole body (JSON escaping included) so the buffer never reallocates:
/// a reallocation would free an unwiped copy of any secret already written.
pub(crate) fn json_body<T: Serialize>(body: &T, capacity: usize) -> Zeroizing<Vec<u8>> {
    let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
    // Serializing plain structs of strings into a Vec cannot fail.
    serde_json::to_writer(&mut *buf, body).expect("request bodies serialize");
    debug_assert!(
        buf.len() <= capacity,
        "request body outgrew its reserved capacity"
    );
    buf
}

/// Parses a token id argument.
///
/// # Errors
/// A usage error (exit code 2) when `id` is not a UUID.
pub fn parse_token_id(id: &str) -> Result<Uuid> {
    crate::input::parse_uuid("id", id)
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Client>();
    is::<Error>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_shows_the_banner_first() {
        let t = IssuedToken {
            id: Uuid::nil(),
            plaintext: Secret::from("psk_prod_x"),
            env_prefix: "prod".into(),
            expires_at: OffsetDateTime::UNIX_EPOCH,
        };
        let text = t.render_text();
        let mut lines = text.expose_secret().lines();
        assert_eq!(lines.next(), Some(ONE_TIME_BANNER));
        assert_eq!(lines.next(), Some("psk_prod_x"));
        assert!(text.expose_secret().contains("env_prefix:  prod"));
        assert!(!format!("{t:?}").contains("psk_prod_x"));
    }
}
