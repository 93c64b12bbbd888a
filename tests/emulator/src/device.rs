//! The RFC 8628 device flow: `POST /v1/auth/device-code` starts a device session,
//! `POST /v1/auth/device-token` polls it, and a browser approves it with
//! `POST /v1/auth/device/approve` (session cookie + CSRF), or a test does through the control API.
//!
//! A device code is `<id22><secret22>` (the session's UUID, then 16 random bytes, each in the psk
//! codec's base62): the emulator keeps only an Argon2id hash of the secret, as it does for tokens.
//! A poll is judged in this order: an unknown code, a wrong secret or client, or a code already
//! exchanged → `invalid_grant`; denied → `access_denied`; past its expiry → `expired_token`; sooner
//! than `interval` after the previous poll → `slow_down` (and the session's interval grows by 5 s,
//! RFC 8628 §3.5); not yet approved → `authorization_pending`; approved → a psk access token for
//! the approving user, once.

use std::fmt;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::faults::{FaultKind, Taken};
use crate::http::{json_body, ok_json, problem, tri, ts};
use crate::psk::{decode_field, encode_field};
use crate::state::{Hash, Shared, St, random_bytes};
use crate::users::browser_session;

/// The user-code alphabet (RFC 4648 base32): `A-Z`, then `2-7`.
const USER_CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// How much a `slow_down` adds to a session's interval (RFC 8628 §3.5).
const SLOW_DOWN_SECONDS: u64 = 5;

/// Where a device session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Waiting for the user.
    Pending,
    /// Approved; the next poll gets the token.
    Approved,
    /// Denied by the user.
    Denied,
    /// Approved and its token handed out; the code is spent.
    Exchanged,
}

/// A device session as [`Emulator::device_session`](crate::Emulator::device_session) and
/// `GET /_emulator/device/{user_code}` show it. The device code itself is never shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSession {
    /// The user code, `XXXX-XXXX`.
    pub user_code: String,
    /// Where it stands.
    pub status: DeviceStatus,
    /// Whether it is past its expiry (on the emulator's clock).
    pub expired: bool,
    /// Who approved it, `user:<uuid>`.
    pub approved_by: Option<String>,
    /// The Domain it authenticates against.
    pub domain_id: Uuid,
    /// The IdP binding it was resolved to.
    pub idp_binding_id: Uuid,
    /// The OIDC client id override it was started with.
    pub client_id: Option<String>,
    /// When it expires (RFC 3339, emulator clock).
    pub expires_at: String,
    /// The minimum seconds between polls now (the issued interval plus 5 per `slow_down`).
    pub interval: u64,
    /// Polls that reached it (with the right device code).
    pub polls: u64,
    /// `slow_down` answers it gave.
    pub slow_downs: u64,
}

/// Why a device session cannot be approved or denied. Its [`code`](Self::code) and
/// [`status`](Self::status) are those of the Problem the HTTP calls answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceError {
    /// The user code is not `^[A-Z2-7]{4}-?[A-Z2-7]{4}$` (400).
    MalformedUserCode,
    /// No session has this user code (404 `device-code-not-found`).
    NotFound,
    /// The session is past its expiry (409 `device-code-expired`).
    Expired,
    /// The session was already approved (409 `device-code-already-approved`).
    AlreadyApproved,
    /// The session was denied (409 `device-code-denied`, the emulator's code: the OpenAPI
    /// document names none for it).
    Denied,
    /// The approver is not a registered user (404 `user_not_found`, control API only).
    UnknownUser,
}

impl DeviceError {
    /// The Problem `code`.
    pub fn code(self) -> &'static str {
        match self {
            DeviceError::MalformedUserCode => "invalid_body",
            DeviceError::NotFound => "device-code-not-found",
            DeviceError::Expired => "device-code-expired",
            DeviceError::AlreadyApproved => "device-code-already-approved",
            DeviceError::Denied => "device-code-denied",
            DeviceError::UnknownUser => "user_not_found",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            DeviceError::MalformedUserCode => 400,
            DeviceError::NotFound | DeviceError::UnknownUser => 404,
            DeviceError::Expired | DeviceError::AlreadyApproved | DeviceError::Denied => 409,
        }
    }

    fn detail(self) -> &'static str {
        match self {
            DeviceError::MalformedUserCode => {
                "user_code must match ^[A-Z2-7]{4}-?[A-Z2-7]{4}$ (uppercase, optional dash)"
            }
            DeviceError::NotFound => "no device session matches the user_code",
            DeviceError::Expired => "the device session is past its expiry",
            DeviceError::AlreadyApproved => "the device session was already approved",
            DeviceError::Denied => "the device session was denied",
            DeviceError::UnknownUser => "the approver is not a registered user",
        }
    }

    pub(crate) fn problem(self, instance: &str) -> Response {
        let status = StatusCode::from_u16(self.status()).expect("a valid status");
        problem(status, self.code(), self.detail(), instance)
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.detail(), self.code())
    }
}

impl std::error::Error for DeviceError {}

pub(crate) struct DeviceRow {
    /// Normalized: eight characters, no dash.
    user_code: String,
    secret: Hash,
    domain_id: Uuid,
    binding_id: Uuid,
    client_id: Option<String>,
    expires_at: OffsetDateTime,
    interval: u64,
    last_poll: Option<OffsetDateTime>,
    polls: u64,
    slow_downs: u64,
    status: DeviceStatus,
    approved_by: Option<String>,
}

impl DeviceRow {
    fn view(&self, now: OffsetDateTime) -> DeviceSession {
        DeviceSession {
            user_code: display_user_code(&self.user_code),
            status: self.status,
            expired: now >= self.expires_at,
            approved_by: self.approved_by.clone(),
            domain_id: self.domain_id,
            idp_binding_id: self.binding_id,
            client_id: self.client_id.clone(),
            expires_at: ts(self.expires_at),
            interval: self.interval,
            polls: self.polls,
            slow_downs: self.slow_downs,
        }
    }
}

/// `ABCDEFGH` → `ABCD-EFGH`.
fn display_user_code(normalized: &str) -> String {
    format!("{}-{}", &normalized[..4], &normalized[4..])
}

/// A user code as typed (`ABCD-EFGH` or `ABCDEFGH`) → `ABCDEFGH`; `None` when it is not one.
pub(crate) fn normalize_user_code(typed: &str) -> Option<String> {
    let b = typed.as_bytes();
    let joined = match b.len() {
        9 if b[4] == b'-' => format!("{}{}", &typed[..4], &typed[5..]),
        8 => typed.to_owned(),
        _ => return None,
    };
    joined
        .bytes()
        .all(|c| USER_CODE_ALPHABET.contains(&c))
        .then_some(joined)
}

fn new_user_code() -> String {
    random_bytes::<8>()
        .iter()
        .map(|b| char::from(USER_CODE_ALPHABET[usize::from(b % 32)]))
        .collect()
}

/// A string that is a hyphenated, non-nil UUID (what `format: uuid` means on the wire).
fn strict_uuid(s: &str) -> Option<Uuid> {
    Uuid::try_parse(s)
        .ok()
        .filter(|u| s.len() == 36 && !u.is_nil())
}

impl Shared {
    /// Starts a device session; returns (device code, normalized user code, expires_in, interval).
    fn start_device(
        &self,
        domain_id: Uuid,
        binding_id: Uuid,
        client_id: Option<String>,
    ) -> (String, String, u64, u64) {
        let id = Uuid::now_v7();
        let secret = random_bytes::<16>();
        let device_code = format!(
            "{}{}",
            encode_field(id.as_u128()),
            encode_field(u128::from_be_bytes(secret))
        );
        let hash = self.hash(&secret);
        let now = self.now();
        let mut inner = self.lock();
        let ttl = inner.config.device_code_ttl.as_secs();
        let interval = inner.config.device_poll_interval.as_secs();
        let user_code = loop {
            let c = new_user_code();
            if !inner.user_codes.contains_key(&c) {
                break c;
            }
        };
        inner.user_codes.insert(user_code.clone(), id);
        inner.devices.insert(
            id,
            DeviceRow {
                user_code: user_code.clone(),
                secret: hash,
                domain_id,
                binding_id,
                client_id,
                expires_at: now + time::Duration::seconds(i64::try_from(ttl).unwrap_or(i64::MAX)),
                interval,
                last_poll: None,
                polls: 0,
                slow_downs: 0,
                status: DeviceStatus::Pending,
                approved_by: None,
            },
        );
        (device_code, user_code, ttl, interval)
    }

    /// Approves the session with this user code (as typed) for `identity_ref`, a registered user.
    pub(crate) fn approve_device(
        &self,
        user_code: &str,
        identity_ref: &str,
    ) -> Result<(), DeviceError> {
        let code = normalize_user_code(user_code).ok_or(DeviceError::MalformedUserCode)?;
        let now = self.now();
        let mut inner = self.lock();
        if !inner.users.contains_key(identity_ref) {
            return Err(DeviceError::UnknownUser);
        }
        let id = *inner.user_codes.get(&code).ok_or(DeviceError::NotFound)?;
        let row = inner.devices.get_mut(&id).ok_or(DeviceError::NotFound)?;
        match row.status {
            DeviceStatus::Approved | DeviceStatus::Exchanged => {
                return Err(DeviceError::AlreadyApproved);
            }
            DeviceStatus::Denied => return Err(DeviceError::Denied),
            DeviceStatus::Pending if now >= row.expires_at => return Err(DeviceError::Expired),
            DeviceStatus::Pending => {}
        }
        row.status = DeviceStatus::Approved;
        row.approved_by = Some(identity_ref.to_owned());
        Ok(())
    }

    /// Denies the session with this user code (as typed).
    pub(crate) fn deny_device(&self, user_code: &str) -> Result<(), DeviceError> {
        let code = normalize_user_code(user_code).ok_or(DeviceError::MalformedUserCode)?;
        let now = self.now();
        let mut inner = self.lock();
        let id = *inner.user_codes.get(&code).ok_or(DeviceError::NotFound)?;
        let row = inner.devices.get_mut(&id).ok_or(DeviceError::NotFound)?;
        match row.status {
            DeviceStatus::Approved | DeviceStatus::Exchanged => {
                return Err(DeviceError::AlreadyApproved);
            }
            DeviceStatus::Denied => return Err(DeviceError::Denied),
            DeviceStatus::Pending if now >= row.expires_at => return Err(DeviceError::Expired),
            DeviceStatus::Pending => {}
        }
        row.status = DeviceStatus::Denied;
        Ok(())
    }

    /// The session with this user code (as typed), if any.
    pub(crate) fn device_session(&self, user_code: &str) -> Result<DeviceSession, DeviceError> {
        let code = normalize_user_code(user_code).ok_or(DeviceError::MalformedUserCode)?;
        let now = self.now();
        let inner = self.lock();
        let id = inner.user_codes.get(&code).ok_or(DeviceError::NotFound)?;
        let row = inner.devices.get(id).ok_or(DeviceError::NotFound)?;
        Ok(row.view(now))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceCodeBody {
    domain_id: String,
    #[serde(default)]
    idp_binding_id: Option<String>,
    #[serde(default)]
    idp_binding_alias: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
}

/// `POST /v1/auth/device-code` (no bearer).
pub(crate) async fn device_code(State(s): State<St>, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/v1/auth/device-code";
    let req: DeviceCodeBody = tri!(json_body(&headers, &body, path));
    let bad = |detail: &str| problem(StatusCode::BAD_REQUEST, "invalid_body", detail, path);
    let Some(domain_id) = strict_uuid(&req.domain_id) else {
        return bad("domain_id must be a non-nil UUID");
    };
    enum By {
        Id(Uuid),
        Alias(String),
        Primary,
    }
    let by = match (req.idp_binding_id, req.idp_binding_alias) {
        (Some(_), Some(_)) => {
            return bad("idp_binding_id and idp_binding_alias are mutually exclusive");
        }
        (Some(id), None) => match strict_uuid(&id) {
            Some(id) => By::Id(id),
            None => return bad("idp_binding_id must be a non-nil UUID"),
        },
        (None, Some(alias)) if alias.is_empty() => {
            return bad("idp_binding_alias must not be empty");
        }
        (None, Some(alias)) => By::Alias(alias),
        (None, None) => By::Primary,
    };
    if req.client_id.as_deref() == Some("") {
        return bad("client_id must not be empty");
    }
    let binding = {
        let inner = s.lock();
        if inner.domain.id != domain_id {
            return problem(
                StatusCode::NOT_FOUND,
                "domain_not_found",
                "no Domain has this domain_id",
                path,
            );
        }
        let bindings = &inner.domain.bindings;
        match &by {
            By::Id(id) => bindings.iter().find(|b| b.id == *id),
            By::Alias(alias) => bindings.iter().find(|b| b.alias == *alias),
            By::Primary => bindings.first(),
        }
        .map(|b| b.id)
    };
    let Some(binding_id) = binding else {
        return problem(
            StatusCode::NOT_FOUND,
            "idp_binding_not_found",
            "no active IdP binding matches for the requested Domain",
            path,
        );
    };
    let (device_code, user_code, expires_in, interval) =
        s.start_device(domain_id, binding_id, req.client_id);
    let user_code = display_user_code(&user_code);
    let uri = format!("{}/device", s.base_url);
    ok_json(
        StatusCode::OK,
        json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": uri,
            "verification_uri_complete": format!("{uri}?user_code={user_code}"),
            "expires_in": expires_in,
            "interval": interval,
        }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceTokenBody {
    device_code: String,
    #[serde(default)]
    client_id: Option<String>,
}

/// `POST /v1/auth/device-token` (no bearer).
pub(crate) async fn device_token(State(s): State<St>, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/v1/auth/device-token";
    let req: DeviceTokenBody = tri!(json_body(&headers, &body, path));
    let rfc8628 = |code: &str, detail: &str| problem(StatusCode::BAD_REQUEST, code, detail, path);
    let invalid_grant = |detail: &str| rfc8628("invalid_grant", detail);
    let unknown = "the device code is unknown";
    // `<id22><secret22>`, each a 128-bit base62 field.
    let parsed = (req.device_code.len() == 44)
        .then(|| req.device_code.split_at(22))
        .and_then(|(id, secret)| Some((decode_field(id)?, decode_field(secret)?)));
    let Some((id, secret)) = parsed else {
        return invalid_grant(unknown);
    };
    let id = Uuid::from_u128(id);
    let Some(hash) = s.lock().devices.get(&id).map(|r| r.secret.clone()) else {
        return invalid_grant(unknown);
    };
    if !s.verify(&secret.to_be_bytes(), &hash) {
        return invalid_grant(unknown);
    }
    let now = s.now();
    let approved_by = {
        let mut inner = s.lock();
        let row = inner
            .devices
            .get_mut(&id)
            .expect("device rows are never removed");
        if row.client_id != req.client_id {
            return invalid_grant("the device code was issued to another client");
        }
        let too_soon = row
            .last_poll
            .is_some_and(|last| now - last < time::Duration::seconds(row.interval as i64));
        row.last_poll = Some(now);
        row.polls += 1;
        match row.status {
            DeviceStatus::Exchanged => {
                return invalid_grant("the device code was already exchanged");
            }
            DeviceStatus::Denied => {
                return rfc8628("access_denied", "the user denied the authorization request");
            }
            _ if now >= row.expires_at => {
                return rfc8628("expired_token", "the device code has expired");
            }
            _ if too_soon => {
                row.interval += SLOW_DOWN_SECONDS;
                row.slow_downs += 1;
                return rfc8628(
                    "slow_down",
                    &format!(
                        "polled sooner than the interval; poll every {} seconds from now on",
                        row.interval
                    ),
                );
            }
            DeviceStatus::Pending => {
                return rfc8628(
                    "authorization_pending",
                    "the user has not yet completed the authorization",
                );
            }
            DeviceStatus::Approved => {
                row.status = DeviceStatus::Exchanged;
                row.approved_by
                    .clone()
                    .expect("an approved session has its approver")
            }
        }
    };
    let (env, ttl) = {
        let inner = s.lock();
        let env = inner
            .users
            .get(&approved_by)
            .map_or_else(|| "prod".to_owned(), |u| u.env.clone());
        (env, inner.config.device_token_ttl)
    };
    let (_, access_token) = s.mint(
        &approved_by,
        &approved_by,
        &env,
        time::Duration::try_from(ttl).unwrap_or(time::Duration::DAY),
    );
    let mut body =
        json!({"access_token": access_token, "token_type": "Bearer", "expires_in": ttl.as_secs()});
    let late = s.take_late_fault(path, |k| matches!(k, FaultKind::GrantHugeExpiresIn));
    if late.is_some() {
        body["expires_in"] = json!(crate::grants::HUGE_EXPIRES_IN);
    }
    Taken::decorate_late(late, ok_json(StatusCode::OK, body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    user_code: String,
}

/// `POST /v1/auth/device/approve`: the dashboard's approval, with the browser session cookie and
/// the CSRF double submit.
pub(crate) async fn approve(State(s): State<St>, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/v1/auth/device/approve";
    let identity = tri!(browser_session(&s, &headers, path));
    let req: ApproveBody = tri!(json_body(&headers, &body, path));
    match s.approve_device(&req.user_code, &identity) {
        Ok(()) => ok_json(StatusCode::OK, json!({"status": "approved"})),
        Err(e) => e.problem(path),
    }
}

/// `GET /device`: the page a verification URI names. Static: approval happens through
/// `POST /v1/auth/device/approve` or the control API.
pub(crate) async fn device_page() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><html><head><title>plexsphere emulator: device login</title></head>\
         <body><h1>Device login</h1><p>Enter the code your device shows. (The emulator approves \
         through POST /v1/auth/device/approve or POST /_emulator/device/approve.)</p></body></html>\n",
    )
        .into_response()
}
