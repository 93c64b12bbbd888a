//! The API-token family: issue, list, delete (revoke) and rotate.

pub(crate) mod list;
pub(crate) mod model;

use reqwest::Method;
use serde::Serialize;

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::client::Client;

use crate::error::{Error, Operation, RecoveredToken, Result};
use crate::http::{Bearer, Exchange, Request};
use crate::input::{EnvPrefix, IdentityRef, Ttl};

pub use model::{IssuedToken, ONE_TIME_BANNER, RotatedToken, TokenSummary};

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
        let x = self.send(Request {
            operation: Operation::IssueToken,
            method: Method::POST,
            path: "/v1/auth/tokens".into(),
            bearer: Bearer::Client,
            body: Some(json_body(&body, 512)),
            secrets: vec![],
            server: None,
        })?;
        minted(&x)
    }

    /// Lists the caller's tokens (`GET /v1/auth/tokens`); summaries never carry a plaintext.
    ///
    /// # Errors
    /// As [`Client::issue_token`].
    pub fn list_tokens(&self) -> Result<Vec<TokenSummary>> {
        let x = self.send(Request {
            operation: Operation::ListTokens,
            method: Method::GET,
            path: "/v1/auth/tokens".into(),
            bearer: Bearer::Client,
            body: None,
            secrets: vec![],
            server: None,
        })?;
        if !x.resp.is_success() {
            return Err(x.api_error());
        }
        // A list may be long: decoded by the direct scanner, or serde_json when it is unusual.
        list::decode(x.operation, &x.resp.body)
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
        let x = self.send(Request {
            operation: Operation::RotateToken,
            method: Method::POST,
            path: format!("/v1/auth/tokens/{id}/rotate"),
            bearer,
            body: None,
            secrets: vec![],
            server,
        })?;
        let mut rotated: RotatedToken = minted(&x)?;
        rotated.sunset = x
            .resp
            .headers
            .get("sunset")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::http::http_date);
        Ok(rotated)
    }
}

/// Decodes an answer that carries a freshly minted plaintext (issue, rotate). The server has
/// already minted the token, so when the rest of a 2xx body is malformed the plaintext (and the id,
/// if readable) is recovered and carried by the [`Error::Decode`] instead of being lost.
pub(crate) fn minted<T: serde::de::DeserializeOwned>(x: &Exchange<'_>) -> Result<T> {
    /// Whatever can be read of a minted answer: the last non-empty `plaintext` and a readable `id`,
    /// tolerating every other field being absent, malformed or repeated, and keeping what was read
    /// before the body broke off (the visitor fills a struct the caller owns).
    #[derive(Default)]
    struct Recover {
        plaintext: Option<crate::secret::Secret>,
        id: Option<Uuid>,
    }
    struct Fill<'r>(&'r mut Recover);
    impl<'de> serde::de::DeserializeSeed<'de> for Fill<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> serde::de::Visitor<'de> for Fill<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                match key.as_str() {
                    // A string moves into the Secret as it is: no second copy.
                    "plaintext" => {
                        if let serde_json::Value::String(p) = map.next_value()?
                            && !p.is_empty()
                        {
                            self.0.plaintext = Some(crate::secret::Secret::new(p));
                        }
                    }
                    "id" => {
                        if let serde_json::Value::String(id) = map.next_value()? {
                            self.0.id = Uuid::try_parse(&id).ok().or(self.0.id);
                        }
                    }
                    _ => {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
    }
    match x.json::<T>() {
        Err(Error::Decode {
            operation, message, ..
        }) => {
            let mut read = Recover::default();
            let mut de = serde_json::Deserializer::from_slice(&x.resp.body);
            // An error only ends the reading; what was read before it is kept.
            let _ = serde::de::DeserializeSeed::deserialize(Fill(&mut read), &mut de);
            let recovered = read.plaintext.map(|plaintext| {
                Box::new(RecoveredToken {
                    id: read.id,
                    plaintext,
                })
            });
            Err(Error::Decode {
                operation,
                message,
                recovered,
            })
        }
        other => other,
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
    use crate::secret::Secret;
    use time::OffsetDateTime;

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
        let json = serde_json::to_string(&t).unwrap();
        assert!(!json.contains("psk_prod_x"), "{json}");
        assert!(!json.contains("plaintext"), "{json}");
        assert!(
            json.contains("\"expires_at\":\"1970-01-01T00:00:00+00:00\""),
            "{json}"
        );
    }
}
