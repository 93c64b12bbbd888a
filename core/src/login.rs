//! Login with an RFC 8628 device code: start (`POST /v1/auth/device-code`), show the user code and
//! URL, poll (`POST /v1/auth/device-token`) until the user approves in a browser, then store the
//! access token as the profile's session, exactly as [`Client::store_session`] does.
//!
//! - The polls honour the server's `interval` and add 5 s on every `slow_down` (RFC 8628 §3.5);
//!   they stop at `access_denied` (exit code 4), `expired_token` or the code's lifetime (1), or when
//!   the caller says stop (1). `authorization_pending` keeps polling.
//! - The device code is a [`Secret`]: never printed, redacted from any server text, wiped.
//! - What a UI shows (the user code, the verification URIs) is checked before it is handed over,
//!   so a hostile server cannot put terminal escapes on the user's screen: a user code is letters,
//!   digits and dashes; a verification URI is an absolute http(s) URL.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::client::Client;
use crate::config;
use crate::error::{Error, LoginEnd, Operation, Result};
use crate::grants::ServiceToken;
use crate::http::{Bearer, Request};
use crate::secret::Secret;
use crate::tokens::json_body;

/// The IdP binding to authenticate with, when the Domain has more than one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdpBinding {
    /// By id.
    Id(Uuid),
    /// By alias (e.g. `github`).
    Alias(String),
}

/// What to start a device login with: the Domain, and optionally an IdP binding and an OIDC
/// client id override.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceLoginRequest {
    /// The Domain the user authenticates against.
    pub domain_id: Uuid,
    /// The IdP binding; `None` lets the server resolve the Domain's primary or only one.
    pub idp_binding: Option<IdpBinding>,
    /// An optional OIDC client identifier override.
    pub client_id: Option<String>,
}

impl DeviceLoginRequest {
    /// A request for `domain_id` with the server's default binding.
    pub fn new(domain_id: Uuid) -> Self {
        DeviceLoginRequest {
            domain_id,
            idp_binding: None,
            client_id: None,
        }
    }

    /// Parses the inputs as a caller gives them (flags, C strings, Python arguments).
    ///
    /// # Errors
    /// A usage error (exit code 2), before anything is sent, for a malformed or nil domain or
    /// binding id, an empty alias, or both a binding id and an alias.
    pub fn parse(
        domain_id: &str,
        idp_binding_id: Option<&str>,
        idp_binding_alias: Option<&str>,
    ) -> Result<Self> {
        let domain_id = crate::input::parse_uuid("domain_id", domain_id)?;
        let idp_binding = match (idp_binding_id, idp_binding_alias) {
            (Some(_), Some(_)) => {
                return Err(Error::usage(
                    "idp_binding",
                    "give an IdP binding id or an alias, not both",
                ));
            }
            (Some(id), None) => Some(IdpBinding::Id(crate::input::parse_uuid(
                "idp_binding_id",
                id,
            )?)),
            (None, Some(alias)) if alias.trim().is_empty() => {
                return Err(Error::usage("idp_binding_alias", "must not be empty"));
            }
            (None, Some(alias)) => Some(IdpBinding::Alias(alias.trim().to_owned())),
            (None, None) => None,
        };
        Ok(DeviceLoginRequest {
            domain_id,
            idp_binding,
            client_id: None,
        })
    }

    /// Sets the OIDC client identifier override.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }
}

#[derive(Serialize)]
struct DeviceCodeBody<'a> {
    domain_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    idp_binding_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    idp_binding_alias: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
}

#[derive(Serialize)]
struct DeviceTokenBody<'a> {
    device_code: &'a Secret,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
}

/// A started device login: what to show the user, and the device code to poll with.
///
/// `Serialize` writes everything but the device code.
#[derive(Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct DeviceAuthorization {
    /// The code to poll with. A secret: whoever holds it gets the user's session once approved.
    #[serde(skip_serializing)]
    pub device_code: Secret,
    /// The short code the user types in the browser (e.g. `ABCD-EFGH`).
    pub user_code: String,
    /// The page where the user enters the code.
    pub verification_uri: String,
    /// The same page with the code filled in (RFC 8628 suggests showing it as a QR code).
    pub verification_uri_complete: String,
    /// The device code's lifetime in seconds.
    pub expires_in: u64,
    /// The minimum number of seconds between polls.
    pub interval: u64,
    /// When the device code expires, computed on receipt.
    #[serde(
        skip_deserializing,
        default = "OffsetDateTime::now_utc",
        with = "crate::timefmt"
    )]
    pub expires_at: OffsetDateTime,
    #[serde(skip)]
    client_id: Option<String>,
    #[serde(skip)]
    deadline: Option<Instant>,
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("device_code", &self.device_code)
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("verification_uri_complete", &self.verification_uri_complete)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl DeviceAuthorization {
    /// The lines a command-line program shows: where to go and which code to enter.
    pub fn text(&self) -> String {
        format!(
            "To sign in, open {} and enter the code {}\n(or open {})",
            self.verification_uri, self.user_code, self.verification_uri_complete
        )
    }

    /// Checks what will be shown to a user and computes the expiry, on receipt.
    fn check(mut self, sent: Instant) -> Result<Self> {
        let bad = |message: &str| Error::Decode {
            operation: Operation::DeviceCode,
            message: message.to_owned(),
            recovered: None,
        };
        let code_ok = !self.user_code.is_empty()
            && self.user_code.len() <= 64
            && self
                .user_code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !code_ok {
            return Err(bad("the user code is not letters, digits and dashes"));
        }
        for uri in [
            &mut self.verification_uri,
            &mut self.verification_uri_complete,
        ] {
            match reqwest::Url::parse(uri) {
                Ok(url) if matches!(url.scheme(), "https" | "http") && url.has_host() => {
                    *uri = url.to_string();
                }
                _ => return Err(bad("a verification URI is not an absolute http(s) URL")),
            }
        }
        if self.device_code.is_empty() {
            return Err(bad("the device code is empty"));
        }
        let lifetime = Duration::from_secs(self.expires_in);
        self.deadline = Some(
            sent.checked_add(lifetime)
                .ok_or_else(|| bad("expires_in is out of range"))?,
        );
        self.expires_at = i64::try_from(self.expires_in)
            .ok()
            .and_then(|s| OffsetDateTime::now_utc().checked_add(time::Duration::seconds(s)))
            .ok_or_else(|| bad("expires_in is out of range"))?;
        Ok(self)
    }
}

/// Where a login stores its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginTarget {
    /// The profile to write.
    pub profile: String,
    /// Whether it becomes the file's default (it does anyway when the file has none).
    pub make_default: bool,
}

impl LoginTarget {
    /// The profile `name`, made the default when `make_default` is set or there is none yet.
    pub fn new(profile: impl Into<String>, make_default: bool) -> Self {
        LoginTarget {
            profile: profile.into(),
            make_default,
        }
    }
}

/// What a completed login stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LoginOutcome {
    /// The profile that now holds the session.
    pub profile: String,
    /// The server it authenticates to.
    pub server: String,
    /// The session token's id, when the token is a psk.
    pub token_id: Option<Uuid>,
    /// When the session token expires.
    #[serde(with = "crate::timefmt")]
    pub expires_at: OffsetDateTime,
}

impl LoginOutcome {
    /// The line a command-line program prints.
    pub fn text(&self) -> String {
        format!(
            "Logged in to {}. Saved the session in profile {:?}.",
            self.server, self.profile
        )
    }
}

/// The shortest wait between polls, whatever the server says: no server can make the client
/// hammer it.
const MIN_POLL: Duration = Duration::from_millis(100);
/// How much longer to wait after each `slow_down` (RFC 8628 §3.5).
const SLOW_DOWN: Duration = Duration::from_secs(5);

impl Client {
    /// Starts a device login (`POST /v1/auth/device-code`, no bearer token needed): the result
    /// holds what to show the user and the device code to poll with.
    ///
    /// # Errors
    /// [`Error::MissingCredentials`] (3) without a server; [`Error::Api`] for a non-2xx (404: no
    /// IdP binding for the Domain); [`Error::Decode`] (1) for an answer that does not have the
    /// documented shape, or whose user code or URIs are not safe to show; transport errors (1).
    pub fn start_device_login(&self, req: &DeviceLoginRequest) -> Result<DeviceAuthorization> {
        let (binding_id, alias) = match &req.idp_binding {
            Some(IdpBinding::Id(id)) => (Some(*id), None),
            Some(IdpBinding::Alias(a)) => (None, Some(a.as_str())),
            None => (None, None),
        };
        let body = DeviceCodeBody {
            domain_id: req.domain_id,
            idp_binding_id: binding_id,
            idp_binding_alias: alias,
            client_id: req.client_id.as_deref(),
        };
        let extra = alias.map_or(0, str::len) + req.client_id.as_deref().map_or(0, str::len);
        let sent = Instant::now();
        let (auth, _) = self.call::<DeviceAuthorization>(Request {
            operation: Operation::DeviceCode,
            method: Method::POST,
            path: "/v1/auth/device-code".into(),
            bearer: Bearer::None,
            body: Some(json_body(&body, 6 * extra + 256)),
            secrets: vec![],
            server: None,
        })?;
        let mut auth = auth.check(sent)?;
        auth.client_id = req.client_id.clone();
        Ok(auth)
    }

    /// Polls a started device login until the user approves it, then stores the access token as
    /// `target`'s session (created 0600, under the file's lock, atomically, as
    /// [`Client::store_session`] does). `cancelled` is asked between waits; when it says `true`
    /// the login stops with [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled).
    ///
    /// # Errors
    /// Kind `access_denied` (4) when the user denied it; `login_expired` (1) when the code
    /// expired; `cancelled` (1); [`Error::Api`] (1) for another answer (`invalid_grant`: the code
    /// was already exchanged); [`Error::LoginNotSaved`] (1) when the token could not be written
    /// (the error holds it); the errors of [`Client::store_session`] before anything is sent.
    pub fn complete_device_login(
        &self,
        auth: &DeviceAuthorization,
        target: &LoginTarget,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<LoginOutcome> {
        self.complete_device_login_paced(auth, target, &mut |wait| sleep_unless(wait, cancelled))
    }

    /// [`Client::complete_device_login`] with the waiting between polls in the caller's hands:
    /// `pace(d)` waits `d` (or pretends to, in a test) and returns `false` to stop.
    ///
    /// # Errors
    /// As [`Client::complete_device_login`].
    pub fn complete_device_login_paced(
        &self,
        auth: &DeviceAuthorization,
        target: &LoginTarget,
        pace: &mut dyn FnMut(Duration) -> bool,
    ) -> Result<LoginOutcome> {
        // Refused before the first poll: a login that cannot be stored must not be approved.
        if target.profile.trim().is_empty() {
            return Err(Error::usage("profile", "required"));
        }
        let server = self
            .server()
            .ok_or_else(|| Error::MissingCredentials {
                what: "server",
                looked_for: self.credentials().looked_for_server(),
            })?
            .trim_end_matches('/')
            .to_owned();
        let path = self.credentials().config_path()?;
        let deadline = auth.deadline.unwrap_or_else(Instant::now);
        let mut interval = Duration::from_secs(auth.interval).max(MIN_POLL);
        let token = loop {
            if Instant::now()
                .checked_add(interval)
                .is_none_or(|t| t > deadline)
            {
                return Err(Error::Login {
                    end: LoginEnd::Expired,
                });
            }
            if !pace(interval) {
                return Err(Error::Login {
                    end: LoginEnd::Cancelled,
                });
            }
            match self.poll_device_token(auth)? {
                Poll::Token(token) => break token,
                Poll::Pending => {}
                Poll::SlowDown => interval = interval.saturating_add(SLOW_DOWN),
            }
        };
        let token_id = crate::psk::token_id(token.access_token.expose_secret()).ok();
        let saved = config::update(&path, |file| {
            let entry = file.profiles.entry(target.profile.clone()).or_default();
            entry.server = Some(server.clone());
            entry.token = Some(token.access_token.clone());
            if target.make_default || file.default.is_none() {
                file.default = Some(target.profile.clone());
            }
            Ok(())
        });
        match saved {
            Ok(()) => Ok(LoginOutcome {
                profile: target.profile.clone(),
                server,
                token_id,
                expires_at: token.expires_at,
            }),
            Err(e) => Err(Error::LoginNotSaved {
                path,
                message: e.to_string(),
                token: token.access_token,
            }),
        }
    }

    /// Starts a device login, hands what to show to `on_code` (print the code and the URL), then
    /// completes it as [`Client::complete_device_login`] does: the common case in one call.
    ///
    /// # Errors
    /// Those of [`Client::start_device_login`] and [`Client::complete_device_login`].
    pub fn login(
        &self,
        req: &DeviceLoginRequest,
        target: &LoginTarget,
        on_code: &mut dyn FnMut(&DeviceAuthorization),
        cancelled: &dyn Fn() -> bool,
    ) -> Result<LoginOutcome> {
        // Refused before a code is shown: the user must not approve a login that cannot be stored.
        if target.profile.trim().is_empty() {
            return Err(Error::usage("profile", "required"));
        }
        // A caller that has already given up (a cancelled Go context, say) starts nothing.
        if cancelled() {
            return Err(Error::Login {
                end: LoginEnd::Cancelled,
            });
        }
        let auth = self.start_device_login(req)?;
        on_code(&auth);
        self.complete_device_login(&auth, target, cancelled)
    }

    /// One poll of `POST /v1/auth/device-token`.
    fn poll_device_token(&self, auth: &DeviceAuthorization) -> Result<Poll> {
        let body = DeviceTokenBody {
            device_code: &auth.device_code,
            client_id: auth.client_id.as_deref(),
        };
        let extra = auth.device_code.len() + auth.client_id.as_deref().map_or(0, str::len);
        let x = self.send(Request {
            operation: Operation::DeviceToken,
            method: Method::POST,
            path: "/v1/auth/device-token".into(),
            bearer: Bearer::None,
            body: Some(json_body(&body, 6 * extra + 128)),
            secrets: vec![&auth.device_code],
            server: None,
        })?;
        if x.resp.status == 400 {
            let e = x.api_error();
            match e.problem().and_then(|p| p.code.as_deref()) {
                Some("authorization_pending") => return Ok(Poll::Pending),
                Some("slow_down") => return Ok(Poll::SlowDown),
                _ => return Err(e),
            }
        }
        let sent = Instant::now();
        let token: ServiceToken = x.json()?;
        crate::grants::with_expiry(token, sent, Operation::DeviceToken).map(Poll::Token)
    }
}

enum Poll {
    Token(ServiceToken),
    Pending,
    SlowDown,
}

/// Sleeps `wait` in short slices, asking `cancelled` between them; `false` when it said stop.
fn sleep_unless(wait: Duration, cancelled: &dyn Fn() -> bool) -> bool {
    const SLICE: Duration = Duration::from_millis(50);
    let Some(until) = Instant::now().checked_add(wait) else {
        return !cancelled();
    };
    loop {
        if cancelled() {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep(SLICE.min(until - now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_before_the_wire() {
        let domain = "0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2";
        assert!(DeviceLoginRequest::parse(domain, None, None).is_ok());
        let r = DeviceLoginRequest::parse(domain, None, Some("github")).unwrap();
        assert_eq!(r.idp_binding, Some(IdpBinding::Alias("github".into())));
        for (d, id, alias) in [
            ("nope", None, None),
            ("00000000-0000-0000-0000-000000000000", None, None),
            (domain, Some(domain), Some("github")),
            (domain, Some("x"), None),
            (domain, None, Some(" ")),
        ] {
            let e = DeviceLoginRequest::parse(d, id, alias).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{d} {id:?} {alias:?}: {e}");
        }
    }

    #[test]
    fn cancelling_stops_a_wait_early() {
        let started = Instant::now();
        assert!(!sleep_unless(Duration::from_secs(10), &|| true));
        assert!(sleep_unless(Duration::from_millis(60), &|| false));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
