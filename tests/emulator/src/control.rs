//! The control API under `/_emulator/`: thin wrappers over the same state methods the Rust handle
//! uses, so C, Go and Python tests can drive the emulator.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::device::DeviceError;
use crate::faults::{self, FaultSpec};
use crate::grants::sign_assertion;
use crate::http::{ok_json, problem, tri};
use crate::state::{AssertionSpec, RetriggerMode, ServiceIdentitySpec, St};
use crate::users::UserSpec;

fn ctl_error(detail: &str) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        "invalid_control_request",
        detail,
        "/_emulator/",
    )
}

fn ctl_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| ctl_error(&e.to_string()))
}

/// A body that may also be empty (then `{}`).
fn ctl_body_or_empty<T: DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return ctl_body(&Bytes::from_static(b"{}"));
    }
    ctl_body(body)
}

pub(crate) async fn ctl_stats(State(s): State<St>) -> Response {
    ok_json(
        StatusCode::OK,
        serde_json::to_value(s.stats()).expect("stats serialize"),
    )
}

pub(crate) async fn ctl_reset_stats(State(s): State<St>) -> Response {
    s.reset_stats();
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) async fn ctl_set_fault(State(s): State<St>, body: Bytes) -> Response {
    let spec: FaultSpec = tri!(ctl_body(&body));
    tri!(faults::check(&spec.fault.kind).map_err(|e| ctl_error(&e)));
    // Serde ignores fields it does not know; a misspelt knob would silently do nothing.
    let sent: Value = tri!(ctl_body(&body));
    let known = serde_json::to_value(&spec).expect("faults serialize");
    if let (Some(sent), Some(known)) = (sent.as_object(), known.as_object()) {
        let unknown: Vec<&str> = sent
            .keys()
            .filter(|k| !known.contains_key(*k))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return ctl_error(&format!(
                "unknown field(s) for this fault kind: {}",
                unknown.join(", ")
            ));
        }
    }
    s.lock().fault = Some(spec);
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) async fn ctl_get_fault(State(s): State<St>) -> Response {
    let fault = s.lock().fault.clone();
    ok_json(
        StatusCode::OK,
        serde_json::to_value(fault).expect("faults serialize"),
    )
}

pub(crate) async fn ctl_clear_fault(State(s): State<St>) -> Response {
    s.lock().fault = None;
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

pub(crate) async fn ctl_advance_clock(State(s): State<St>, body: Bytes) -> Response {
    let a: Advance = tri!(ctl_body(&body));
    s.lock().clock_offset += time::Duration::seconds(a.seconds as i64);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct SeedToken {
    identity_ref: String,
    env_prefix: String,
    #[serde(default)]
    ttl_seconds: Option<u64>,
    /// Mint this many (for large lists in benchmarks); the answer names the last one.
    #[serde(default)]
    count: Option<u32>,
}

pub(crate) async fn ctl_seed_token(State(s): State<St>, body: Bytes) -> Response {
    let t: SeedToken = tri!(ctl_body(&body));
    if t.env_prefix.is_empty() || !t.env_prefix.bytes().all(|b| b.is_ascii_lowercase()) {
        return ctl_error("env_prefix must be lowercase letters");
    }
    let ttl = match t.ttl_seconds {
        Some(n) => time::Duration::seconds(n as i64),
        None => time::Duration::try_from(s.lock().config.default_token_ttl)
            .unwrap_or(time::Duration::days(30)),
    };
    let mut last = s.mint(&t.identity_ref, &t.identity_ref, &t.env_prefix, ttl);
    for _ in 1..t.count.unwrap_or(1).max(1) {
        last = s.mint(&t.identity_ref, &t.identity_ref, &t.env_prefix, ttl);
    }
    let (id, plaintext) = last;
    ok_json(
        StatusCode::CREATED,
        json!({"id": id, "plaintext": plaintext}),
    )
}

#[derive(Deserialize)]
struct Deny {
    #[serde(default)]
    identity_ref: Option<String>,
    denied: bool,
}

pub(crate) async fn ctl_deny(State(s): State<St>, body: Bytes) -> Response {
    let d: Deny = tri!(ctl_body(&body));
    let Some(who) = d.identity_ref else {
        return ctl_error("identity_ref is required");
    };
    s.deny(&who, d.denied);
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) async fn ctl_add_service_identity(State(s): State<St>, body: Bytes) -> Response {
    let spec: ServiceIdentitySpec = tri!(ctl_body(&body));
    let identity_ref = s.add_service_identity(spec);
    let domain_id = s.lock().domain.id;
    ok_json(
        StatusCode::CREATED,
        json!({"identity_ref": identity_ref, "domain_id": domain_id}),
    )
}

pub(crate) async fn ctl_add_user(State(s): State<St>, body: Bytes) -> Response {
    let spec: UserSpec = tri!(ctl_body(&body));
    let identity_ref = tri!(s.add_user(spec).map_err(|e| ctl_error(&e)));
    let inner = s.lock();
    let user = &inner.users[&identity_ref];
    ok_json(
        StatusCode::CREATED,
        json!({"identity_ref": identity_ref, "email": user.email, "domain_id": user.domain_id}),
    )
}

pub(crate) async fn ctl_domain(State(s): State<St>) -> Response {
    let inner = s.lock();
    let bindings: Vec<Value> = inner
        .domain
        .bindings
        .iter()
        .map(|b| json!({"id": b.id, "alias": b.alias}))
        .collect();
    ok_json(
        StatusCode::OK,
        json!({"domain_id": inner.domain.id, "idp_bindings": bindings}),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Who {
    #[serde(default)]
    identity_ref: Option<String>,
}

pub(crate) async fn ctl_session_cookie(State(s): State<St>, body: Bytes) -> Response {
    let who: Who = tri!(ctl_body_or_empty(&body));
    let identity = who.identity_ref.unwrap_or_else(|| s.admin_identity.clone());
    match s.session_cookie(&identity) {
        Some(c) => ok_json(
            StatusCode::CREATED,
            serde_json::to_value(c).expect("cookies serialize"),
        ),
        None => DeviceError::UnknownUser.problem("/_emulator/session-cookie"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceDecision {
    user_code: String,
    #[serde(default)]
    identity_ref: Option<String>,
}

pub(crate) async fn ctl_approve_device(State(s): State<St>, body: Bytes) -> Response {
    let d: DeviceDecision = tri!(ctl_body(&body));
    let identity = d.identity_ref.unwrap_or_else(|| s.admin_identity.clone());
    match s.approve_device(&d.user_code, &identity) {
        Ok(()) => ok_json(StatusCode::OK, json!({"status": "approved"})),
        Err(e) => e.problem("/_emulator/device/approve"),
    }
}

pub(crate) async fn ctl_deny_device(State(s): State<St>, body: Bytes) -> Response {
    let d: DeviceDecision = tri!(ctl_body(&body));
    if d.identity_ref.is_some() {
        return ctl_error("deny takes only user_code");
    }
    match s.deny_device(&d.user_code) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.problem("/_emulator/device/deny"),
    }
}

pub(crate) async fn ctl_device_session(
    State(s): State<St>,
    Path(user_code): Path<String>,
) -> Response {
    match s.device_session(&user_code) {
        Ok(session) => ok_json(
            StatusCode::OK,
            serde_json::to_value(session).expect("sessions serialize"),
        ),
        Err(e) => e.problem("/_emulator/device"),
    }
}

#[derive(Deserialize)]
struct AddNode {
    #[serde(default)]
    edges: usize,
}

pub(crate) async fn ctl_add_node(State(s): State<St>, body: Bytes) -> Response {
    let n: AddNode = tri!(ctl_body(&body));
    ok_json(
        StatusCode::CREATED,
        serde_json::to_value(s.add_node(n.edges)).expect("fixtures serialize"),
    )
}

pub(crate) async fn ctl_deny_node(
    State(s): State<St>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let d: Deny = tri!(ctl_body(&body));
    let Ok(id) = Uuid::try_parse(&id) else {
        return ctl_error("node id is not a UUID");
    };
    match s.lock().nodes.get_mut(&id) {
        Some(n) => {
            n.denied = d.denied;
            StatusCode::NO_CONTENT.into_response()
        }
        None => problem(
            StatusCode::NOT_FOUND,
            "node_not_found",
            "no such node",
            "/_emulator/nodes",
        ),
    }
}

pub(crate) async fn ctl_pending(State(s): State<St>, Path(id): Path<String>) -> Response {
    let Ok(id) = Uuid::try_parse(&id) else {
        return ctl_error("node id is not a UUID");
    };
    let pending = s.lock().nodes.get(&id).and_then(|n| n.pending.map(|p| p.0));
    ok_json(StatusCode::OK, json!({"rotation_id": pending}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigPatch {
    retrigger_mode: Option<RetriggerMode>,
    key_rotate_provisioned: Option<bool>,
    jwt_bearer_provisioned: Option<bool>,
    service_token_ttl_seconds: Option<u64>,
    rotation_grace_seconds: Option<u64>,
    device_code_ttl_seconds: Option<u64>,
    device_poll_interval_seconds: Option<u64>,
    device_token_ttl_seconds: Option<u64>,
}

pub(crate) async fn ctl_config(State(s): State<St>, body: Bytes) -> Response {
    let p: ConfigPatch = tri!(ctl_body(&body));
    let mut inner = s.lock();
    let c = &mut inner.config;
    if let Some(v) = p.retrigger_mode {
        c.retrigger_mode = v;
    }
    if let Some(v) = p.key_rotate_provisioned {
        c.key_rotate_provisioned = v;
    }
    if let Some(v) = p.jwt_bearer_provisioned {
        c.jwt_bearer_provisioned = v;
    }
    if let Some(v) = p.service_token_ttl_seconds {
        c.service_token_ttl = Duration::from_secs(v);
    }
    if let Some(v) = p.rotation_grace_seconds {
        c.rotation_grace = Duration::from_secs(v);
    }
    if let Some(v) = p.device_code_ttl_seconds {
        c.device_code_ttl = Duration::from_secs(v);
    }
    if let Some(v) = p.device_poll_interval_seconds {
        c.device_poll_interval = Duration::from_secs(v);
    }
    if let Some(v) = p.device_token_ttl_seconds {
        c.device_token_ttl = Duration::from_secs(v);
    }
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) async fn ctl_sign_assertion(State(s): State<St>, body: Bytes) -> Response {
    let spec: AssertionSpec = tri!(ctl_body(&body));
    ok_json(
        StatusCode::OK,
        json!({"assertion": sign_assertion(&s, &spec)}),
    )
}
