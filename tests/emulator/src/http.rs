//! The HTTP side: the accept loop, fault injection, the router, response helpers, the strict
//! request checks and authentication.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use uuid::Uuid;

use crate::faults::{self, FaultKind, Seen};
use crate::state::{Shared, St};
use crate::{control, device, grants, keys, tokens, users};

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    shared: St,
    tls: Option<TlsAcceptor>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let router = router(Arc::clone(&shared));
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                shared.connections.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                let router = router.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => serve_connection(stream, shared, router).await,
                        // A failed handshake (the client refused the certificate) just ends here.
                        Some(tls) => {
                            if let Ok(stream) = tls.accept(stream).await {
                                serve_connection(stream, shared, router).await;
                            }
                        }
                    }
                });
            }
        }
    }
}

async fn serve_connection<I>(io: I, shared: St, router: Router)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let shared = Arc::clone(&shared);
        let router = router.clone();
        async move { handle(shared, router, req).await }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(io), service)
        .await;
}

/// Counts API requests and applies faults, then hands the request to the router. Returning `Err`
/// makes hyper close the connection without a response: that is the `Drop` fault.
async fn handle(
    shared: St,
    router: Router,
    req: Request<hyper::body::Incoming>,
) -> Result<Response, std::io::Error> {
    let path = req.uri().path().to_owned();
    if path.starts_with("/_emulator/") {
        return Ok(route(router, req).await);
    }
    shared.count_request(req.method().as_str(), &path);
    let Some(taken) = shared.take_early_fault(&path) else {
        return Ok(route(router, req).await);
    };
    let resp = match &taken.kind {
        FaultKind::Drop => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "fault: drop",
            ));
        }
        FaultKind::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            route(router, req).await
        }
        kind => faults::answer(kind, &Seen::of(req, kind).await),
    };
    Ok(taken.decorate(resp))
}

async fn route(router: Router, req: Request<hyper::body::Incoming>) -> Response {
    let resp: Result<Response, Infallible> = router.oneshot(req).await;
    resp.unwrap_or_else(|e| match e {})
}

fn router(shared: St) -> Router {
    Router::new()
        .route(
            "/v1/auth/tokens",
            post(tokens::issue_token).get(tokens::list_tokens),
        )
        .route("/v1/auth/tokens/{id}", delete(tokens::delete_token))
        .route("/v1/auth/tokens/{id}/rotate", post(tokens::rotate_token))
        .route("/v1/auth/service/token", post(grants::service_token))
        .route("/v1/auth/whoami", get(users::whoami))
        .route("/v1/auth/device-code", post(device::device_code))
        .route("/v1/auth/device-token", post(device::device_token))
        .route("/v1/auth/device/approve", post(device::approve))
        .route("/device", get(device::device_page))
        .route("/v1/nodes/{id}/keys/rotate", post(keys::key_rotate))
        .route(
            "/v1/nodes/{id}/keys/rotate/preview",
            get(keys::key_rotate_preview),
        )
        .route(
            "/_emulator/stats",
            get(control::ctl_stats).delete(control::ctl_reset_stats),
        )
        .route(
            "/_emulator/fault",
            put(control::ctl_set_fault)
                .get(control::ctl_get_fault)
                .delete(control::ctl_clear_fault),
        )
        .route("/_emulator/clock/advance", post(control::ctl_advance_clock))
        .route("/_emulator/tokens", post(control::ctl_seed_token))
        .route("/_emulator/deny", put(control::ctl_deny))
        .route(
            "/_emulator/service-identities",
            post(control::ctl_add_service_identity),
        )
        .route("/_emulator/nodes", post(control::ctl_add_node))
        .route("/_emulator/nodes/{id}/deny", put(control::ctl_deny_node))
        .route("/_emulator/nodes/{id}/pending", get(control::ctl_pending))
        .route(
            "/_emulator/config",
            axum::routing::patch(control::ctl_config),
        )
        .route("/_emulator/assertions", post(control::ctl_sign_assertion))
        .route("/_emulator/users", post(control::ctl_add_user))
        .route("/_emulator/domain", get(control::ctl_domain))
        .route(
            "/_emulator/session-cookie",
            post(control::ctl_session_cookie),
        )
        .route(
            "/_emulator/device/approve",
            post(control::ctl_approve_device),
        )
        .route("/_emulator/device/deny", post(control::ctl_deny_device))
        .route(
            "/_emulator/device/{user_code}",
            get(control::ctl_device_session),
        )
        .fallback(not_found)
        .with_state(shared)
}

// ---------------------------------------------------------------------------------------------
// Responses

fn slug(code: &str) -> String {
    code.replace('_', "-")
}

pub(crate) fn problem_value(status: StatusCode, code: &str, detail: &str, instance: &str) -> Value {
    json!({
        "type": format!("https://plexsphere.com/errors/{}", slug(code)),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "instance": instance,
        "code": code,
    })
}

pub(crate) fn problem_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        )],
        body.to_string(),
    )
        .into_response()
}

pub(crate) fn problem(status: StatusCode, code: &str, detail: &str, instance: &str) -> Response {
    problem_json(status, problem_value(status, code, detail, instance))
}

pub(crate) fn permission_denied(
    shared: &Shared,
    code: &str,
    detail: &str,
    instance: &str,
    object: &str,
) -> Response {
    let mut body = problem_value(StatusCode::FORBIDDEN, code, detail, instance);
    body["type"] = json!("https://plexsphere.com/errors/insufficient-relation");
    body["reason"] = json!("insufficient_relation");
    body["relation_path"] = json!([format!("{object}#operator"), format!("{object}#owner")]);
    body["correlation_id"] = json!(shared.next_correlation());
    problem_json(StatusCode::FORBIDDEN, body)
}

pub(crate) fn ok_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub(crate) fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("RFC 3339 formats")
}

async fn not_found(req: Request<Body>) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not_found",
        "No route matched the request.",
        req.uri().path(),
    )
}

// ---------------------------------------------------------------------------------------------
// Request checks

/// Parses a JSON body strictly: the content type must be JSON and the shape must match.
pub(crate) fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
    instance: &str,
) -> Result<T, Response> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != "application/json" {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "the request body must be application/json",
            instance,
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            &format!(
                "the request body is not a valid document: {}",
                e.classify_str()
            ),
            instance,
        )
    })
}

trait Classify {
    fn classify_str(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_str(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Data => "unknown, missing or mistyped field",
            _ => "malformed JSON",
        }
    }
}

/// An optional body (rotate, key-rotate trigger): empty, or `{}` as JSON.
pub(crate) fn empty_body(
    headers: &HeaderMap,
    body: &Bytes,
    instance: &str,
) -> Result<(), Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Empty {}
    json_body::<Empty>(headers, body, instance).map(|_| ())
}

pub(crate) fn path_uuid(id: &str, instance: &str) -> Result<Uuid, Response> {
    Uuid::try_parse(id).map_err(|_| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_id",
            "path {id} is not a UUID",
            instance,
        )
    })
}

/// The authenticated principal: its identity ref and the id of the token it used.
pub(crate) struct Principal {
    pub(crate) identity: String,
}

pub(crate) fn unauthenticated(instance: &str) -> Response {
    problem(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "no resolved principal on the request",
        instance,
    )
}

/// Why a bearer was refused. Only a token whose secret verifies is told apart from an unknown
/// one, so the finer reasons reveal nothing to whoever holds just a token id.
pub(crate) enum Rejection {
    /// No bearer, not a psk, an unknown id, another env, or a wrong secret.
    Unknown,
    /// Past its `expires_at`, or a rotated-from plaintext past its grace deadline.
    Expired,
    /// Revoked (deleted).
    Revoked,
}

/// Authenticates the request's bearer, saying why when it does not.
pub(crate) fn resolve(shared: &Shared, headers: &HeaderMap) -> Result<Principal, Rejection> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(Rejection::Unknown)?;
    let psk = crate::psk::parse(value.trim()).ok_or(Rejection::Unknown)?;
    let now = shared.now();
    let (hash, previous) = {
        let inner = shared.lock();
        let row = inner.tokens.get(&psk.id).ok_or(Rejection::Unknown)?;
        if row.env != psk.env {
            return Err(Rejection::Unknown);
        }
        (row.hash.clone(), row.previous.clone())
    };
    // Hash outside the lock so concurrent requests verify in parallel; the state of the row is
    // looked at only once the secret is known to be right.
    let secret = &psk.secret;
    // `Some(deadline)` when the secret is right: the current one has none, a rotated-from one
    // is honoured until its deadline.
    let verified = if shared.verify(secret, &hash) {
        Some(None)
    } else {
        previous
            .filter(|(h, _)| shared.verify(secret, h))
            .map(|(_, deadline)| Some(deadline))
    };
    let Some(deadline) = verified else {
        return Err(Rejection::Unknown);
    };
    let mut inner = shared.lock();
    let row = inner.tokens.get_mut(&psk.id).ok_or(Rejection::Unknown)?;
    if row.revoked {
        return Err(Rejection::Revoked);
    }
    if row.expires_at <= now || deadline.is_some_and(|d| now >= d) {
        return Err(Rejection::Expired);
    }
    row.last_used_at = Some(now);
    Ok(Principal {
        identity: row.identity.clone(),
    })
}

/// Authenticates the request's bearer; every refusal is `401 unauthenticated`.
pub(crate) fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    instance: &str,
) -> Result<Principal, Response> {
    resolve(shared, headers).map_err(|_| unauthenticated(instance))
}

pub(crate) fn check_denied(shared: &Shared, p: &Principal, instance: &str) -> Result<(), Response> {
    if shared.lock().denied.contains(&p.identity) {
        return Err(permission_denied(
            shared,
            "permission_denied",
            "principal lacks the relation needed for this token operation",
            instance,
            &p.identity,
        ));
    }
    Ok(())
}

/// Unwraps a check's `Ok`, or returns its finished error response from the handler.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(resp) => return resp,
        }
    };
}
pub(crate) use tri;
