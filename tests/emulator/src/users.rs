//! Principals beyond their tokens: the Domain and its IdP bindings, registered users, browser
//! sessions (the `plexsphere_session` cookie and its CSRF token), and `GET /v1/auth/whoami`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::http::{Rejection, ok_json, problem, resolve, tri, unauthenticated};
use crate::state::{Shared, St, random_hex};

/// The alias of the Domain's IdP binding.
pub const GITHUB_ALIAS: &str = "github";
/// The email of the bootstrap admin user.
pub const ADMIN_EMAIL: &str = "admin@plexsphere.test";
/// The name of the browser-session cookie.
pub const SESSION_COOKIE: &str = "plexsphere_session";
/// The name of the CSRF cookie, which the `X-Plexsphere-CSRF` header must echo.
pub const CSRF_COOKIE: &str = "plexsphere_csrf";
/// The CSRF header.
pub const CSRF_HEADER: &str = "x-plexsphere-csrf";

pub(crate) struct DomainRow {
    pub(crate) id: Uuid,
    /// Active bindings; the first is the primary.
    pub(crate) bindings: Vec<BindingRow>,
}

pub(crate) struct BindingRow {
    pub(crate) id: Uuid,
    pub(crate) alias: String,
}

impl DomainRow {
    pub(crate) fn generate() -> DomainRow {
        DomainRow {
            id: Uuid::now_v7(),
            bindings: vec![BindingRow {
                id: Uuid::now_v7(),
                alias: GITHUB_ALIAS.into(),
            }],
        }
    }
}

pub(crate) struct UserRow {
    pub(crate) domain_id: Uuid,
    pub(crate) email: String,
    pub(crate) env: String,
    pub(crate) acr: Option<String>,
    pub(crate) amr: Vec<String>,
}

pub(crate) struct SessionRow {
    pub(crate) identity: String,
    pub(crate) csrf: String,
}

/// A user to register with [`Emulator::add_user`](crate::Emulator::add_user) (or
/// `POST /_emulator/users`). Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// The primary email; `None` for `user-<12 hex>@plexsphere.test`.
    #[serde(default)]
    pub email: Option<String>,
    /// The environment segment of the tokens a device login mints for this user; `None` for
    /// `prod`.
    #[serde(default)]
    pub env_prefix: Option<String>,
    /// The `acr` whoami reports, if any.
    #[serde(default)]
    pub acr: Option<String>,
    /// The `amr` whoami reports (omitted when empty).
    #[serde(default)]
    pub amr: Vec<String>,
}

/// A browser session minted with [`Emulator::session_cookie`](crate::Emulator::session_cookie)
/// (or `POST /_emulator/session-cookie`): what a browser would hold after the OIDC callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCookie {
    /// The value of the `plexsphere_session` cookie.
    pub cookie: String,
    /// The value of the `plexsphere_csrf` cookie, which the `X-Plexsphere-CSRF` header echoes.
    pub csrf: String,
    /// The whole `Cookie` header: `plexsphere_session=…; plexsphere_csrf=…`.
    pub cookie_header: String,
}

impl Shared {
    /// Registers a user in the Domain; `Err` for an `env_prefix` that is not lowercase letters.
    pub(crate) fn add_user(&self, spec: UserSpec) -> Result<String, String> {
        let env = spec.env_prefix.unwrap_or_else(|| "prod".into());
        if !crate::psk::is_env(&env) {
            return Err("env_prefix must be lowercase letters".into());
        }
        let id = Uuid::now_v7();
        let email = spec
            .email
            .unwrap_or_else(|| format!("user-{}@plexsphere.test", &id.simple().to_string()[20..]));
        let identity = format!("user:{id}");
        let mut inner = self.lock();
        let row = UserRow {
            domain_id: inner.domain.id,
            email,
            env,
            acr: spec.acr,
            amr: spec.amr,
        };
        inner.users.insert(identity.clone(), row);
        Ok(identity)
    }

    /// Mints a browser session for a registered user; `None` for anyone else.
    pub(crate) fn session_cookie(&self, identity_ref: &str) -> Option<SessionCookie> {
        let mut inner = self.lock();
        if !inner.users.contains_key(identity_ref) {
            return None;
        }
        let (cookie, csrf) = (random_hex::<32>(), random_hex::<32>());
        inner.sessions.insert(
            cookie.clone(),
            SessionRow {
                identity: identity_ref.to_owned(),
                csrf: csrf.clone(),
            },
        );
        Some(SessionCookie {
            cookie_header: format!("{SESSION_COOKIE}={cookie}; {CSRF_COOKIE}={csrf}"),
            cookie,
            csrf,
        })
    }
}

/// The value of cookie `name` across every `Cookie` header, if sent (the first one wins).
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The browser session behind a state-changing dashboard call, as the CSRF middleware and the
/// session check see it: the `plexsphere_session` cookie must name a live session (else 401); an
/// `Origin`, when sent, must be the emulator's own (else 403 `csrf-origin-mismatch`); the
/// `X-Plexsphere-CSRF` header must equal the `plexsphere_csrf` cookie, which must be the token
/// minted with that session (else 403 `csrf-token-mismatch`). Returns the user's identity ref.
pub(crate) fn browser_session(
    shared: &Shared,
    headers: &HeaderMap,
    instance: &str,
) -> Result<String, Response> {
    let session = cookie(headers, SESSION_COOKIE).ok_or_else(|| unauthenticated(instance))?;
    let (identity, expected) = {
        let inner = shared.lock();
        let row = inner
            .sessions
            .get(session)
            .ok_or_else(|| unauthenticated(instance))?;
        (row.identity.clone(), row.csrf.clone())
    };
    if let Some(origin) = headers.get(header::ORIGIN)
        && origin.as_bytes() != shared.base_url.as_bytes()
    {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "csrf-origin-mismatch",
            "the Origin header does not name this server",
            instance,
        ));
    }
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let cookie = cookie(headers, CSRF_COOKIE);
    let ok =
        matches!((sent, cookie), (Some(h), Some(c)) if !h.is_empty() && h == c && c == expected);
    if !ok {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "csrf-token-mismatch",
            "the X-Plexsphere-CSRF header does not echo the session's plexsphere_csrf cookie",
            instance,
        ));
    }
    Ok(identity)
}

/// `GET /v1/auth/whoami`. A refused bearer says why when the token itself is known and its secret
/// right: `token_expired` (past `expires_at`, or a rotated-from plaintext past its grace),
/// `token_revoked`; anything else is `unauthenticated`.
pub(crate) async fn whoami(State(s): State<St>, headers: HeaderMap) -> Response {
    let path = "/v1/auth/whoami";
    let p = tri!(resolve(&s, &headers).map_err(|why| {
        let (code, detail) = match why {
            Rejection::Expired => ("token_expired", "the token has expired"),
            Rejection::Revoked => ("token_revoked", "the token has been revoked"),
            Rejection::Unknown => return unauthenticated(path),
        };
        problem(StatusCode::UNAUTHORIZED, code, detail, path)
    }));
    let internal = || {
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the token's principal is neither a user nor a service identity",
            path,
        )
    };
    let Some((kind, subject)) = p.identity.split_once(':') else {
        return internal();
    };
    if !matches!(kind, "user" | "service") || Uuid::try_parse(subject).is_err() {
        return internal();
    }
    let mut body = json!({"principal_type": kind, "subject": subject});
    if kind == "user" {
        let inner = s.lock();
        if let Some(u) = inner.users.get(&p.identity) {
            body["domain_id"] = json!(u.domain_id);
            body["email"] = json!(u.email);
            if let Some(acr) = &u.acr {
                body["acr"] = json!(acr);
            }
            if !u.amr.is_empty() {
                body["amr"] = json!(u.amr);
            }
        }
    } else if s.is_registered_service(&p.identity) {
        body["domain_id"] = json!(s.lock().domain.id);
    }
    ok_json(StatusCode::OK, body)
}
