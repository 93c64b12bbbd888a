//! API tokens: issue, list, delete (revoke) and rotate.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::faults::{FaultKind, Taken};
use crate::http::{
    Principal, authenticate, check_denied, empty_body, json_body, ok_json, path_uuid, problem, tri,
    ts,
};
use crate::state::{St, TokenRow};

/// The `expires_at` of the `issue_bad_expiry` and `rotate_bad_expiry` faults.
const BAD_DATE: &str = "not-a-date";

fn visible(row: &TokenRow, p: &Principal) -> bool {
    !row.revoked && (row.owner == p.identity || row.identity == p.identity)
}

/// An identity ref the API accepts: `user:<uuid>` or `service:<uuid>`.
fn is_identity_ref(s: &str) -> bool {
    match s.split_once(':') {
        Some(("user" | "service", id)) => Uuid::try_parse(id).is_ok(),
        _ => false,
    }
}

/// An env prefix the issue API accepts: exactly `dev`, `stage` or `prod`.
fn is_issuable_env(s: &str) -> bool {
    matches!(s, "dev" | "stage" | "prod")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    identity_ref: String,
    env_prefix: String,
    #[serde(default)]
    ttl_seconds: Option<i64>,
}

pub(crate) async fn issue_token(State(s): State<St>, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/v1/auth/tokens";
    let p = tri!(authenticate(&s, &headers, path));
    tri!(check_denied(&s, &p, path));
    let req: IssueBody = tri!(json_body(&headers, &body, path));
    if !is_identity_ref(&req.identity_ref) {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "identity_ref must be user:<uuid> or service:<uuid>",
            path,
        );
    }
    if !is_issuable_env(&req.env_prefix) {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "env_prefix must be dev, stage or prod",
            path,
        );
    }
    let ttl = match req.ttl_seconds {
        None => time::Duration::try_from(s.lock().config.default_token_ttl)
            .unwrap_or(time::Duration::days(30)),
        Some(n) if n >= 1 => time::Duration::seconds(n),
        Some(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "ttl_seconds must be at least 1",
                path,
            );
        }
    };
    let (id, plaintext) = s.mint(&req.identity_ref, &p.identity, &req.env_prefix, ttl);
    let expires_at = s.lock().tokens[&id].expires_at;
    let mut body = json!({"id": id, "plaintext": plaintext, "env_prefix": req.env_prefix, "expires_at": ts(expires_at)});
    let late = s.take_late_fault(path, |k| matches!(k, FaultKind::IssueBadExpiry));
    if late.is_some() {
        body["expires_at"] = json!(BAD_DATE);
    }
    let resp = ok_json(StatusCode::CREATED, body);
    Taken::decorate_late(late, resp)
}

pub(crate) async fn list_tokens(State(s): State<St>, headers: HeaderMap) -> Response {
    let path = "/v1/auth/tokens";
    let p = tri!(authenticate(&s, &headers, path));
    tri!(check_denied(&s, &p, path));
    let inner = s.lock();
    let mut rows: Vec<(&Uuid, &TokenRow)> = inner
        .tokens
        .iter()
        .filter(|(_, r)| visible(r, &p))
        .collect();
    rows.sort_by_key(|(id, _)| **id);
    let list: Vec<Value> = rows
        .into_iter()
        .map(|(id, r)| {
            let mut v = json!({"id": id, "env_prefix": r.env, "created_at": ts(r.created_at), "expires_at": ts(r.expires_at)});
            if let Some(t) = r.last_used_at {
                v["last_used_at"] = json!(ts(t));
            }
            if let Some(t) = r.rotated_at {
                v["rotated_at"] = json!(ts(t));
            }
            v
        })
        .collect();
    ok_json(StatusCode::OK, Value::Array(list))
}

pub(crate) async fn delete_token(
    State(s): State<St>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/auth/tokens/{id}");
    let p = tri!(authenticate(&s, &headers, &path));
    tri!(check_denied(&s, &p, &path));
    let id = tri!(path_uuid(&id, &path));
    let mut inner = s.lock();
    match inner.tokens.get_mut(&id) {
        Some(row) if visible(row, &p) => {
            row.revoked = true;
            StatusCode::NO_CONTENT.into_response()
        }
        _ => problem(
            StatusCode::NOT_FOUND,
            "token_not_found",
            "token not found",
            &path,
        ),
    }
}

pub(crate) async fn rotate_token(
    State(s): State<St>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/v1/auth/tokens/{id}/rotate");
    let p = tri!(authenticate(&s, &headers, &path));
    tri!(check_denied(&s, &p, &path));
    let id = tri!(path_uuid(&id, &path));
    tri!(empty_body(&headers, &body, &path));
    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).expect("randomness");
    let hash = s.hash(&secret);
    let now = s.now();
    let grace =
        time::Duration::try_from(s.lock().config.rotation_grace).unwrap_or(time::Duration::DAY);
    // Whole seconds, so the HTTP-date Sunset header names exactly the same instant.
    let deadline = (now + grace)
        .replace_nanosecond(0)
        .expect("zero is a valid nanosecond");
    let mut inner = s.lock();
    let Some(row) = inner.tokens.get_mut(&id).filter(|r| visible(r, &p)) else {
        return problem(
            StatusCode::NOT_FOUND,
            "token_not_found",
            "token not found",
            &path,
        );
    };
    row.previous = Some((std::mem::replace(&mut row.hash, hash), deadline));
    row.rotated_at = Some(now);
    row.expires_at = now + row.ttl;
    let plaintext = crate::psk::format(&row.env, id, &secret).expect("env is lowercase letters");
    let mut body = json!({
        "id": id, "plaintext": plaintext, "env_prefix": row.env,
        "expires_at": ts(row.expires_at), "rotation_deadline": ts(deadline),
    });
    drop(inner);
    let late = s.take_late_fault(&path, |k| {
        matches!(k, FaultKind::SunsetSkew { .. } | FaultKind::RotateBadExpiry)
    });
    let skew = match late.as_ref().map(|t| &t.kind) {
        Some(FaultKind::SunsetSkew { seconds }) => time::Duration::seconds(*seconds),
        _ => time::Duration::ZERO,
    };
    if matches!(
        late.as_ref().map(|t| &t.kind),
        Some(FaultKind::RotateBadExpiry)
    ) {
        body["expires_at"] = json!(BAD_DATE);
    }
    let sunset = httpdate::fmt_http_date((deadline + skew).into());
    let mut resp = ok_json(StatusCode::OK, body);
    resp.headers_mut().insert(
        "sunset",
        HeaderValue::from_str(&sunset).expect("HTTP-date is ASCII"),
    );
    Taken::decorate_late(late, resp)
}
