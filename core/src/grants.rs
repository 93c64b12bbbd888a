//! Service-token grants (`POST /v1/auth/service/token`): OAuth2 `client_credentials` (RFC 6749
//! §4.4) and `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523), and
//! [`ServiceTokenSource`], which keeps one access token fresh for a long-running program.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::client::Client;
use crate::error::{Error, Operation, Result};
use crate::http::{Bearer, Request};
use crate::secret::Secret;
use crate::tokens::json_body;

/// The wire name of the RFC 7523 JWT-bearer grant.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The wire name of the client-credentials grant.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";

/// The OAuth2 grant a service uses to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantType {
    /// `client_credentials`: client id + client secret.
    ClientCredentials,
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer`: client id + signed JWT assertion.
    JwtBearer,
}

impl GrantType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => CLIENT_CREDENTIALS,
            GrantType::JwtBearer => JWT_BEARER,
        }
    }
}

impl FromStr for GrantType {
    type Err = Error;

    /// Parses a wire name.
    ///
    /// # Errors
    /// A usage error (exit code 2) for an unknown grant type.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            CLIENT_CREDENTIALS => Ok(GrantType::ClientCredentials),
            JWT_BEARER => Ok(GrantType::JwtBearer),
            _ => Err(Error::usage(
                "grant_type",
                format!("expected {CLIENT_CREDENTIALS} or {JWT_BEARER}"),
            )),
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A service-token grant request. [`ServiceTokenRequest::validate`] applies the flag rules before
/// anything is sent.
#[derive(Clone)]
pub struct ServiceTokenRequest {
    /// The ServiceIdentity's client identifier.
    pub client_id: String,
    /// The grant.
    pub grant_type: GrantType,
    /// The client secret; required for `client_credentials`, forbidden for JWT-bearer.
    pub client_secret: Option<Secret>,
    /// The signed JWT assertion; required for JWT-bearer, forbidden for `client_credentials`.
    pub client_assertion: Option<Secret>,
    /// An optional space-delimited scope list.
    pub scope: Option<String>,
}

impl fmt::Debug for ServiceTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceTokenRequest")
            .field("client_id", &self.client_id)
            .field("grant_type", &self.grant_type)
            .field("client_secret", &self.client_secret)
            .field("client_assertion", &self.client_assertion)
            .field("scope", &self.scope)
            .finish()
    }
}

impl ServiceTokenRequest {
    /// A `client_credentials` grant.
    pub fn client_credentials(client_id: impl Into<String>, client_secret: Secret) -> Self {
        ServiceTokenRequest {
            client_id: client_id.into(),
            grant_type: GrantType::ClientCredentials,
            client_secret: Some(client_secret),
            client_assertion: None,
            scope: None,
        }
    }

    /// A JWT-bearer grant.
    pub fn jwt_bearer(client_id: impl Into<String>, client_assertion: Secret) -> Self {
        ServiceTokenRequest {
            client_id: client_id.into(),
            grant_type: GrantType::JwtBearer,
            client_secret: None,
            client_assertion: Some(client_assertion),
            scope: None,
        }
    }

    /// Sets the space-delimited scope list.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Builds a request from the inputs as a caller gives them (flags, C strings, Python
    /// arguments), then [validates](Self::validate) it.
    ///
    /// # Errors
    /// A usage error (2) for a missing client id or an unknown grant type; [`Error::Refused`] (1)
    /// for a flag mismatch.
    pub fn parse(
        client_id: &str,
        grant_type: &str,
        client_secret: Option<Secret>,
        client_assertion: Option<Secret>,
        scope: Option<&str>,
    ) -> Result<Self> {
        let req = ServiceTokenRequest {
            client_id: client_id.to_owned(),
            grant_type: grant_type.parse()?,
            client_secret,
            client_assertion,
            scope: scope.map(str::to_owned),
        };
        req.validate()?;
        Ok(req)
    }

    /// Applies the grant's flag rules.
    ///
    /// # Errors
    /// A usage error (exit code 2) when the client id is empty. [`Error::Refused`] (exit code 1,
    /// a plain runtime refusal, as plexctl does) when the secret is set for JWT-bearer or missing
    /// for `client_credentials`, the assertion is set for `client_credentials` or missing for
    /// JWT-bearer, or both are set.
    pub fn validate(&self) -> Result<()> {
        if self.client_id.trim().is_empty() {
            return Err(Error::usage("client_id", "required"));
        }
        let g = self.grant_type;
        let refuse = |m: String| Err(Error::Refused(m));
        // An empty secret or assertion is a missing one (the seed's "required" rule).
        match (
            g,
            non_blank(&self.client_secret),
            non_blank(&self.client_assertion),
        ) {
            (_, Some(_), Some(_)) => refuse(format!(
                "--client-secret and --client-assertion must not both be set for grant_type={g}"
            )),
            (GrantType::ClientCredentials, _, Some(_)) => refuse(format!(
                "--client-assertion must not be set for grant_type={g}"
            )),
            (GrantType::JwtBearer, Some(_), _) => refuse(format!(
                "--client-secret must not be set for grant_type={g}"
            )),
            (GrantType::ClientCredentials, None, None) => {
                refuse(format!("--client-secret is required for grant_type={g}"))
            }
            (GrantType::JwtBearer, None, None) => {
                refuse(format!("--client-assertion is required for grant_type={g}"))
            }
            _ => Ok(()),
        }
    }
}

/// A secret that was given and is not blank; an empty one counts as not given.
fn non_blank(s: &Option<Secret>) -> Option<&Secret> {
    s.as_ref().filter(|s| !s.expose_secret().trim().is_empty())
}

#[derive(Serialize)]
struct GrantBody<'a> {
    grant_type: &'static str,
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_assertion: Option<&'a Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
}

/// A minted service access token.
///
/// `Serialize` writes every field but the access token, which a secret never leaves through.
#[derive(Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ServiceToken {
    /// The bearer access token.
    #[serde(skip_serializing)]
    pub access_token: Secret,
    /// Always `Bearer` for plexsphere.
    pub token_type: String,
    /// Lifetime in seconds, from the moment it was issued.
    pub expires_in: u64,
    /// The granted scope, when one was granted.
    #[serde(default)]
    pub scope: Option<String>,
    /// When the token expires, computed on receipt from `expires_in`.
    #[serde(
        skip_deserializing,
        default = "OffsetDateTime::now_utc",
        with = "crate::timefmt"
    )]
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceToken")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Client {
    /// Mints a service access token (`POST /v1/auth/service/token`). Needs a server, no bearer
    /// token. The flag rules are applied before anything is sent.
    ///
    /// # Errors
    /// [`Error::Usage`] (2) / [`Error::Refused`] (1) from [`ServiceTokenRequest::validate`];
    /// [`Error::Api`] (1) for 400, 401 `invalid_client` / `spiffe_verification_failed`, 403
    /// `federation_kind_mismatch`, 501 `not_provisioned` and 502; [`Error::Transport`] /
    /// [`Error::Decode`] (1).
    pub fn mint_service_token(&self, req: &ServiceTokenRequest) -> Result<ServiceToken> {
        req.validate()?;
        let secret_len = req.client_secret.as_ref().map_or(0, Secret::len)
            + req.client_assertion.as_ref().map_or(0, Secret::len);
        let body = GrantBody {
            grant_type: req.grant_type.as_str(),
            client_id: &req.client_id,
            client_secret: non_blank(&req.client_secret),
            client_assertion: non_blank(&req.client_assertion),
            // An empty scope is not a scope: not sent.
            scope: req.scope.as_deref().filter(|s| !s.trim().is_empty()),
        };
        // JSON escaping can grow a character to six bytes.
        let capacity = 6
            * (secret_len + req.client_id.len() + req.scope.as_ref().map_or(0, String::len))
            + 256;
        let secrets: Vec<&Secret> = req
            .client_secret
            .iter()
            .chain(req.client_assertion.iter())
            .collect();
        let sent = Instant::now();
        let (token, _) = self.call::<ServiceToken>(Request {
            operation: Operation::ServiceToken,
            method: Method::POST,
            path: "/v1/auth/service/token".into(),
            bearer: Bearer::None,
            body: Some(json_body(&body, capacity)),
            secrets,
            server: None,
        })?;
        with_expiry(token, sent, Operation::ServiceToken)
    }
}

/// Sets `expires_at` of a token received for a request sent at `sent`. The lifetime counts from
/// before the request, so a slow answer never overstates it; a lifetime no clock can represent is
/// a malformed answer ([`Error::Decode`]), not a panic.
pub(crate) fn with_expiry(
    mut token: ServiceToken,
    sent: Instant,
    operation: Operation,
) -> Result<ServiceToken> {
    token.expires_at = i64::try_from(token.expires_in)
        .ok()
        .and_then(|secs| {
            let sent_at = OffsetDateTime::now_utc().checked_sub(sent.elapsed().try_into().ok()?)?;
            sent_at.checked_add(time::Duration::seconds(secs))
        })
        .filter(|_| {
            sent.checked_add(Duration::from_secs(token.expires_in))
                .is_some()
        })
        .ok_or_else(|| Error::Decode {
            operation,
            message: format!("expires_in {} is out of range", token.expires_in),
            recovered: None,
        })?;
    Ok(token)
}

/// Default time before expiry at which [`ServiceTokenSource`] mints a new token.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(10);

/// Holds one service access token and mints a new one shortly before it expires, so a
/// long-running program calls [`token`](Self::token) and never sees an expired one.
///
/// `Clone` shares the token; `Send + Sync`: many threads may call `token()` at once, and only one
/// of them mints while the others wait for its result. [`with_timeout`](Self::with_timeout)
/// derives a handle on the same cache whose mints have a deadline of their own. The refresh happens `margin` before expiry
/// (default 10 s, at most half the token's lifetime). If a refresh fails while the current token
/// has not yet expired, the current token is returned and the next call tries again.
#[derive(Clone)]
pub struct ServiceTokenSource {
    inner: Arc<SourceInner>,
    /// The client this handle mints with; derived handles differ only in its timeout.
    client: Client,
}

struct SourceInner {
    request: ServiceTokenRequest,
    margin: Duration,
    /// The current token; held only to read or replace it, never across a network call.
    cached: Mutex<Option<Cached>>,
    /// Held by the one thread that mints, for the length of its (deadline-bounded) call.
    minting: Mutex<()>,
}

/// How fresh a cached token must be to be handed out.
#[derive(Clone, Copy)]
enum Need {
    /// Before its refresh point: no mint needed.
    Fresh,
    /// Not yet expired: good enough while another thread refreshes, or after a failed mint.
    Unexpired,
}

struct Cached {
    token: Secret,
    refresh_at: Instant,
    expires_at: Instant,
}

impl fmt::Debug for ServiceTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceTokenSource")
            .field("client_id", &self.inner.request.client_id)
            .field("grant_type", &self.inner.request.grant_type)
            .field("margin", &self.inner.margin)
            .finish_non_exhaustive()
    }
}

impl ServiceTokenSource {
    /// A source with the default refresh margin. Nothing is minted until the first `token()`.
    ///
    /// # Errors
    /// The errors of [`ServiceTokenRequest::validate`], before anything is sent.
    pub fn new(client: Client, request: ServiceTokenRequest) -> Result<Self> {
        Self::with_margin(client, request, DEFAULT_REFRESH_MARGIN)
    }

    /// A source that refreshes `margin` before expiry (capped at half the token's lifetime).
    ///
    /// # Errors
    /// The errors of [`ServiceTokenRequest::validate`], before anything is sent.
    pub fn with_margin(
        client: Client,
        request: ServiceTokenRequest,
        margin: Duration,
    ) -> Result<Self> {
        request.validate()?;
        Ok(ServiceTokenSource {
            client,
            inner: Arc::new(SourceInner {
                request,
                margin,
                cached: Mutex::new(None),
                minting: Mutex::new(()),
            }),
        })
    }

    /// A valid access token: the cached one, or a freshly minted one when the cached one is
    /// missing or within the refresh margin of its expiry.
    ///
    /// One thread mints at a time, and no lock is held across its network call: while it runs,
    /// other threads get the current token if it has not expired, and otherwise wait for that
    /// call (bounded by the minting handle's timeout, which may be longer than the waiter's)
    /// instead of sending their own.
    ///
    /// # Errors
    /// The errors of [`Client::mint_service_token`] when a mint is needed, fails, and no unexpired
    /// token is cached.
    pub fn token(&self) -> Result<Secret> {
        if let Some(token) = self.cached(Need::Fresh) {
            return Ok(token);
        }
        let _minting = match self.inner.minting.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::WouldBlock) => {
                if let Some(token) = self.cached(Need::Unexpired) {
                    return Ok(token);
                }
                self.inner.minting.lock().unwrap_or_else(|p| p.into_inner())
            }
            // The guard protects no data: a panicked minter leaves nothing inconsistent.
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        };
        // Another thread may have minted while this one waited.
        if let Some(token) = self.cached(Need::Fresh) {
            return Ok(token);
        }
        let sent = Instant::now();
        match self.client.mint_service_token(&self.inner.request) {
            Ok(minted) => {
                let lifetime = Duration::from_secs(minted.expires_in);
                // mint_service_token refused a lifetime the clock cannot hold.
                let expires_at = sent.checked_add(lifetime).unwrap_or(sent);
                let refresh_at = expires_at - self.inner.margin.min(lifetime / 2);
                let token = minted.access_token.clone();
                *self.lock_cache() = Some(Cached {
                    token: minted.access_token,
                    refresh_at,
                    expires_at,
                });
                Ok(token)
            }
            Err(e) => self.cached(Need::Unexpired).ok_or(e),
        }
    }

    /// A handle on the same source (the same cached token, the same one-minter-at-a-time rule)
    /// whose mints run on [`Client::with_timeout`]`(timeout)` of its client: the connection pool
    /// is shared, only the deadline of the mint differs. A caller with a per-call deadline derives
    /// one per call; the cached token lives until the last handle is dropped.
    pub fn with_timeout(&self, timeout: Duration) -> ServiceTokenSource {
        ServiceTokenSource {
            inner: Arc::clone(&self.inner),
            client: self.client.with_timeout(timeout),
        }
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        // A poisoned lock only means another thread panicked while holding it; the cache is
        // replaced whole, so it is still sound.
        self.inner.cached.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cached(&self, need: Need) -> Option<Secret> {
        let now = Instant::now();
        self.lock_cache()
            .as_ref()
            .filter(|c| match need {
                Need::Fresh => now < c.refresh_at,
                Need::Unexpired => now < c.expires_at,
            })
            .map(|c| c.token.clone())
    }

    /// Forgets the cached token, so the next [`token`](Self::token) mints (for example after the
    /// server answered 401 to it).
    pub fn invalidate(&self) {
        *self.lock_cache() = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_types_parse() {
        assert_eq!(
            "client_credentials".parse::<GrantType>().unwrap(),
            GrantType::ClientCredentials
        );
        assert_eq!(
            JWT_BEARER.parse::<GrantType>().unwrap(),
            GrantType::JwtBearer
        );
        assert_eq!("password".parse::<GrantType>().unwrap_err().exit_code(), 2);
    }

    #[test]
    fn flag_rules() {
        let s = || Some(Secret::from("hunter2"));
        let case = |g: &str, secret, assertion| {
            ServiceTokenRequest::parse("svc", g, secret, assertion, None).map(|_| ())
        };
        assert!(case("client_credentials", s(), None).is_ok());
        assert!(case(JWT_BEARER, None, s()).is_ok());
        let e = case(JWT_BEARER, s(), None).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            e.to_string(),
            "--client-secret must not be set for grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer"
        );
        assert_eq!(case(JWT_BEARER, None, None).unwrap_err().exit_code(), 1);
        assert_eq!(
            case("client_credentials", None, None)
                .unwrap_err()
                .exit_code(),
            1
        );
        assert_eq!(
            case("client_credentials", None, s())
                .unwrap_err()
                .exit_code(),
            1
        );
        assert_eq!(
            case("client_credentials", s(), s())
                .unwrap_err()
                .exit_code(),
            1
        );
        assert_eq!(case("nope", s(), None).unwrap_err().exit_code(), 2);
        let e = ServiceTokenRequest::parse("", "client_credentials", s(), None, None).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            !format!(
                "{:?}",
                ServiceTokenRequest::client_credentials("svc", Secret::from("hunter2"))
            )
            .contains("hunter2")
        );
    }
}
