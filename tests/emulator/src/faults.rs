//! Faults: what goes wrong on the API paths, set from Rust ([`crate::Emulator::set_fault`],
//! [`crate::Emulator::set_fault_spec`]) or from the control API (`PUT /_emulator/fault`).
//!
//! Most kinds replace the answer before the request reaches the router ("early" faults). A few
//! let the real operation happen and only spoil its answer ("late" faults: a skewed `Sunset`, a
//! bad `expires_at`, a huge `expires_in`); the handler of that operation takes them.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::http::{problem, problem_json, problem_value};
use crate::state::Shared;

/// A fault injected into the API paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// What goes wrong.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Only requests whose path starts with this; `None` for every API path.
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// How many matching requests it applies to (then it clears itself; `Some(0)` applies to
    /// none); `None` until cleared.
    #[serde(default)]
    pub count: Option<u32>,
}

impl Fault {
    /// A fault of this kind on every API path, until cleared.
    pub fn new(kind: FaultKind) -> Fault {
        Fault {
            kind,
            path_prefix: None,
            count: None,
        }
    }

    /// Applies only to requests whose path starts with `prefix`.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Fault {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Applies to the next `n` matching requests only.
    pub fn count(mut self, n: u32) -> Fault {
        self.count = Some(n);
        self
    }

    /// The same fault, whose answer carries a `Retry-After` header.
    pub fn retry_after(self, retry_after: RetryAfter) -> FaultSpec {
        FaultSpec::from(self).retry_after(retry_after)
    }
}

/// A [`Fault`] and the knobs that shape its answer: what `PUT /_emulator/fault` takes, and
/// [`crate::Emulator::set_fault_spec`]. Build one with `FaultSpec::from(fault)` or
/// [`Fault::retry_after`]; knobs may be added, so it cannot be built literally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FaultSpec {
    /// The fault.
    #[serde(flatten)]
    pub fault: Fault,
    /// A `Retry-After` header on the fault's answer (every kind that answers: all but `drop`).
    #[serde(default)]
    pub retry_after: Option<RetryAfter>,
}

impl From<Fault> for FaultSpec {
    fn from(fault: Fault) -> FaultSpec {
        FaultSpec {
            fault,
            retry_after: None,
        }
    }
}

impl FaultSpec {
    /// Sets the `Retry-After` header of the fault's answer.
    pub fn retry_after(mut self, retry_after: RetryAfter) -> FaultSpec {
        self.retry_after = Some(retry_after);
        self
    }
}

/// The value of a `Retry-After` header. In JSON: a number (`2`), a string sent verbatim
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`), or `{"date_in_seconds": N}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RetryAfter {
    /// `Retry-After: N` (delay-seconds).
    Seconds(u64),
    /// An HTTP-date this many seconds from the moment of the answer (real time, not the
    /// emulator's clock; whole seconds, so the wait is up to one second shorter). Negative for a
    /// date in the past.
    DateIn {
        /// Seconds from now.
        date_in_seconds: i64,
    },
    /// This text, verbatim: an HTTP-date, or something malformed on purpose.
    Verbatim(String),
}

impl RetryAfter {
    fn header_value(&self) -> Option<HeaderValue> {
        let text = match self {
            RetryAfter::Seconds(n) => n.to_string(),
            RetryAfter::DateIn { date_in_seconds } => {
                let now = std::time::SystemTime::now();
                let delta = Duration::from_secs(date_in_seconds.unsigned_abs());
                let at = if *date_in_seconds >= 0 {
                    now + delta
                } else {
                    now - delta
                };
                httpdate::fmt_http_date(at)
            }
            RetryAfter::Verbatim(s) => s.clone(),
        };
        HeaderValue::from_str(&text).ok()
    }
}

/// The kinds of [`Fault`]. In JSON the variant is `"kind"` in snake case, its fields beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status and a Problem body.
    Status {
        /// The HTTP status.
        status: u16,
        /// The Problem `code`.
        #[serde(default)]
        code: Option<String>,
    },
    /// A reverse proxy's `502 Bad Gateway` HTML page.
    HtmlBadGateway,
    /// Close the connection without any response.
    Drop,
    /// A 200 `application/json` answer whose body is truncated JSON.
    MalformedJson,
    /// A 200 answer with a valid-looking JSON body of about this many bytes.
    Oversized {
        /// Body size.
        bytes: usize,
    },
    /// Wait this long, then answer normally.
    Latency {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Rotate answers carry a `Sunset` header this many seconds off `rotation_deadline` (late).
    SunsetSkew {
        /// The skew.
        seconds: i64,
    },
    /// A 200 `application/json` answer whose status and headers (with `Content-Length: bytes`)
    /// come at once, then a valid JSON body of exactly `bytes` bytes, one byte every
    /// `interval_ms`: a server that never quite stops answering.
    Drip {
        /// Milliseconds between two bytes.
        interval_ms: u64,
        /// Body length.
        bytes: usize,
    },
    /// A 401 Problem whose `title` and `detail` quote the request's bearer token verbatim (the
    /// whole `Authorization` value when it is not a bearer).
    EchoBearer,
    /// A 400 Problem whose `detail` quotes the whole request body (a `client_secret`, say).
    EchoBody,
    /// A proxy's `text/html` 502 page that quotes the request's bearer token and any
    /// `client_secret` / `client_assertion` / `device_code` of its JSON body, starting at
    /// character 150, after filler text.
    HtmlEcho,
    /// A 400 Problem whose `title` and `detail` carry terminal escapes: ANSI CSI (`ESC[31m`) and
    /// OSC (`ESC]0;pwned BEL`) sequences, CR/LF, C1 controls (U+0085, U+009B) and a bidi override
    /// (U+202E).
    Escapes,
    /// A 400 Problem whose `detail` is exactly this many bytes (ASCII).
    HugeDetail {
        /// Length of `detail`.
        bytes: usize,
    },
    /// Exactly this answer: a status, a raw body, an optional `Content-Type` (none when absent)
    /// and extra headers.
    Body {
        /// The HTTP status.
        status: u16,
        /// The `Content-Type` header; `None` sends none.
        #[serde(default)]
        content_type: Option<String>,
        /// The body, sent as is.
        #[serde(default)]
        body: String,
        /// Extra headers (name → value); names or values HTTP cannot carry are skipped.
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
    /// The rotate really happens, but its 200 body says `"expires_at": "not-a-date"` (late).
    RotateBadExpiry,
    /// The issue really happens, but its 201 body says `"expires_at": "not-a-date"` (late).
    IssueBadExpiry,
    /// A real service-token grant whose 200 body says `"expires_in": 1000000000000` (late).
    GrantHugeExpiresIn,
}

impl FaultKind {
    /// Late kinds let the operation happen and are taken by its handler, not before routing.
    fn is_late(&self) -> bool {
        matches!(
            self,
            FaultKind::SunsetSkew { .. }
                | FaultKind::RotateBadExpiry
                | FaultKind::IssueBadExpiry
                | FaultKind::GrantHugeExpiresIn
        )
    }

    /// Whether the answer quotes the request body, which must then be read first.
    pub(crate) fn reads_body(&self) -> bool {
        matches!(self, FaultKind::EchoBody | FaultKind::HtmlEcho)
    }
}

/// One use of a fault, taken for one request.
pub(crate) struct Taken {
    pub(crate) kind: FaultKind,
    retry_after: Option<RetryAfter>,
}

impl Taken {
    /// Adds the knobs' headers of a late fault, if one was taken, to the answer.
    pub(crate) fn decorate_late(late: Option<Taken>, resp: Response) -> Response {
        match late {
            Some(taken) => taken.decorate(resp),
            None => resp,
        }
    }

    /// Adds the knobs' headers to the fault's answer.
    pub(crate) fn decorate(&self, mut resp: Response) -> Response {
        if let Some(v) = self.retry_after.as_ref().and_then(RetryAfter::header_value) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl Shared {
    /// Takes one use of the early fault that applies to `path`, if any.
    pub(crate) fn take_early_fault(&self, path: &str) -> Option<Taken> {
        self.take_fault(path, |k| !k.is_late())
    }

    /// Takes one use of the late fault that applies to `path` and satisfies `wanted`, if any.
    pub(crate) fn take_late_fault(
        &self,
        path: &str,
        wanted: impl Fn(&FaultKind) -> bool,
    ) -> Option<Taken> {
        self.take_fault(path, |k| k.is_late() && wanted(k))
    }

    /// Takes one use (under the lock, so concurrent requests share `count` exactly).
    fn take_fault(&self, path: &str, applies: impl Fn(&FaultKind) -> bool) -> Option<Taken> {
        let mut inner = self.lock();
        let spec = inner.fault.as_mut()?;
        let fault = &mut spec.fault;
        if fault
            .path_prefix
            .as_deref()
            .is_some_and(|p| !path.starts_with(p))
            || !applies(&fault.kind)
        {
            return None;
        }
        if let Some(n) = fault.count.as_mut() {
            if *n == 0 {
                inner.fault = None;
                return None;
            }
            *n -= 1;
        }
        let taken = Taken {
            kind: fault.kind.clone(),
            retry_after: spec.retry_after.clone(),
        };
        if fault.count == Some(0) {
            inner.fault = None;
        }
        Some(taken)
    }
}

/// What an early fault needs to know about the request it answers.
pub(crate) struct Seen {
    /// The request path (the Problem `instance`).
    pub(crate) path: String,
    /// The `Authorization` value: the bearer token, or the whole value if it is not a bearer.
    pub(crate) credential: Option<String>,
    /// The request body, read only for kinds that quote it.
    pub(crate) body: Bytes,
}

impl Seen {
    /// Notes what an answer may quote, reading the body only when `kind` needs it.
    pub(crate) async fn of(req: Request<hyper::body::Incoming>, kind: &FaultKind) -> Seen {
        let path = req.uri().path().to_owned();
        let credential = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .map(|v| match v.strip_prefix("Bearer ") {
                Some(token) => token.to_owned(),
                None => v,
            });
        let body = if kind.reads_body() {
            axum::body::to_bytes(Body::new(req.into_body()), usize::MAX)
                .await
                .unwrap_or_default()
        } else {
            Bytes::new()
        };
        Seen {
            path,
            credential,
            body,
        }
    }
}

/// The answer of an early fault. `Drop` and `Latency` are the caller's (they answer nothing, or
/// normally).
pub(crate) fn answer(kind: &FaultKind, seen: &Seen) -> Response {
    let path = seen.path.as_str();
    match kind {
        FaultKind::Status { status, code } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let code = code.as_deref().unwrap_or("injected_fault");
            problem(status, code, "injected fault", path)
        }
        FaultKind::HtmlBadGateway => {
            let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
            html(StatusCode::BAD_GATEWAY, page.to_owned())
        }
        FaultKind::MalformedJson => json_text(StatusCode::OK, "[{\"id\": \"0190a8c0-".to_owned()),
        FaultKind::Oversized { bytes } => {
            let n = bytes / (LIST_ENTRY.len() + 1) + 1;
            json_text(
                StatusCode::OK,
                format!("[{}]", vec![LIST_ENTRY; n].join(",")),
            )
        }
        FaultKind::Drip { interval_ms, bytes } => drip(*interval_ms, *bytes),
        FaultKind::EchoBearer => {
            let token = seen.credential.as_deref().unwrap_or("");
            let mut body = problem_value(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                &format!("token {token} is not valid"),
                path,
            );
            body["title"] = json!(format!("Unauthorized: {token}"));
            problem_json(StatusCode::UNAUTHORIZED, body)
        }
        FaultKind::EchoBody => problem(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!(
                "could not process request body: {}",
                String::from_utf8_lossy(&seen.body)
            ),
            path,
        ),
        FaultKind::HtmlEcho => html(StatusCode::BAD_GATEWAY, html_echo_page(seen)),
        FaultKind::Escapes => {
            let mut body = problem_value(StatusCode::BAD_REQUEST, "escapes", ESCAPES_DETAIL, path);
            body["title"] = json!(ESCAPES_TITLE);
            problem_json(StatusCode::BAD_REQUEST, body)
        }
        FaultKind::HugeDetail { bytes } => {
            let filler = "the server could not process the request because ";
            let detail: String = filler.chars().cycle().take(*bytes).collect();
            problem(StatusCode::BAD_REQUEST, "huge_detail", &detail, path)
        }
        FaultKind::Body {
            status,
            content_type,
            body,
            headers,
        } => canned(*status, content_type.as_deref(), body, headers),
        FaultKind::Drop
        | FaultKind::Latency { .. }
        | FaultKind::SunsetSkew { .. }
        | FaultKind::RotateBadExpiry
        | FaultKind::IssueBadExpiry
        | FaultKind::GrantHugeExpiresIn => {
            unreachable!("not an early answer: {kind:?}")
        }
    }
}

/// The `title` of the `escapes` fault.
pub(crate) const ESCAPES_TITLE: &str = "Bad \u{1b}[31mRequest\u{1b}[0m\u{1b}]0;pwned\u{7}\r\nX-Injected: 1\u{85}\u{9b}2J\u{202e}txt.exe";
/// The `detail` of the `escapes` fault.
pub(crate) const ESCAPES_DETAIL: &str = "token \u{1b}[31m\u{1b}[2K\u{1b}[1Gaccepted\r\n\u{1b}]0;pwned\u{7}\u{1b}]8;;https://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\ \u{85}next line \u{9b}31m red \u{202e}gnp.exe";

const LIST_ENTRY: &str = r#"{"id":"0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3","env_prefix":"prod","created_at":"2026-01-01T00:00:00Z","expires_at":"2027-01-01T00:00:00Z"}"#;

/// Where the `html_echo` page starts quoting secrets.
pub const HTML_ECHO_OFFSET: usize = 150;

fn html_echo_page(seen: &Seen) -> String {
    let mut quoted = Vec::new();
    if let Some(c) = &seen.credential {
        quoted.push(format!("Authorization: Bearer {c}"));
    }
    if let Ok(serde_json::Value::Object(fields)) =
        serde_json::from_slice::<serde_json::Value>(&seen.body)
    {
        for name in ["client_secret", "client_assertion", "device_code"] {
            if let Some(v) = fields.get(name).and_then(|v| v.as_str()) {
                quoted.push(format!("{name}={v}"));
            }
        }
    }
    let mut page = String::from(
        "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>\
         <p>The upstream did not answer. Request: ",
    );
    while page.len() < HTML_ECHO_OFFSET {
        page.push('.');
    }
    page.truncate(HTML_ECHO_OFFSET);
    page.push_str(&quoted.join(" "));
    page.push_str("</p><hr><center>nginx</center></body></html>\r\n");
    page
}

fn html(status: StatusCode, page: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html")], page).into_response()
}

fn json_text(status: StatusCode, text: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

fn canned(
    status: u16,
    content_type: Option<&str>,
    body: &str,
    headers: &BTreeMap<String, String>,
) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, body.to_owned()).into_response();
    let h = resp.headers_mut();
    h.remove(header::CONTENT_TYPE);
    if let Some(v) = content_type.and_then(|ct| HeaderValue::from_str(ct).ok()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            h.append(n, v);
        }
    }
    resp
}

/// Checks what a canned `body` answer can carry, for the control API.
pub(crate) fn check(kind: &FaultKind) -> Result<(), String> {
    if let FaultKind::Body {
        status,
        content_type,
        headers,
        ..
    } = kind
    {
        StatusCode::from_u16(*status)
            .map_err(|_| format!("status {status} is not an HTTP status"))?;
        if let Some(ct) = content_type {
            HeaderValue::from_str(ct).map_err(|_| "content_type is not a header value")?;
        }
        for (name, value) in headers {
            HeaderName::try_from(name.as_str())
                .map_err(|_| format!("{name:?} is not a header name"))?;
            HeaderValue::from_str(value)
                .map_err(|_| format!("the value of {name:?} is not a header value"))?;
        }
    }
    Ok(())
}

/// A valid JSON array of exactly `bytes` bytes (whitespace pads it), or a prefix of `[]` below
/// two bytes.
fn json_of_len(bytes: usize) -> Vec<u8> {
    if bytes < 2 {
        return b"[]"[..bytes].to_vec();
    }
    let mut out = b"[".to_vec();
    loop {
        let comma = usize::from(out.len() > 1);
        // Room for the separator, the entry and the closing bracket.
        if out.len() + comma + LIST_ENTRY.len() + 1 > bytes {
            break;
        }
        if comma == 1 {
            out.push(b',');
        }
        out.extend_from_slice(LIST_ENTRY.as_bytes());
    }
    out.resize(bytes - 1, b' ');
    out.push(b']');
    out
}

fn drip(interval_ms: u64, bytes: usize) -> Response {
    let body = Bytes::from(json_of_len(bytes));
    let interval = Duration::from_millis(interval_ms);
    // One byte per tick; when the client goes away hyper drops the stream and the ticks stop.
    let stream = futures_util::stream::unfold(0usize, move |i| {
        let body = body.clone();
        async move {
            if i >= body.len() {
                return None;
            }
            if i > 0 {
                tokio::time::sleep(interval).await;
            }
            Some((Ok::<_, Infallible>(body.slice(i..=i)), i + 1))
        }
    });
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_of_len_is_exact_and_valid() {
        for n in [2, 3, 50, 143, 144, 145, 146, 1000, 4096] {
            let v = json_of_len(n);
            assert_eq!(v.len(), n);
            let parsed: serde_json::Value = serde_json::from_slice(&v).unwrap();
            assert!(parsed.is_array());
        }
        assert_eq!(json_of_len(0), b"");
    }

    #[test]
    fn the_fault_json_round_trips() {
        let spec = Fault::new(FaultKind::Status {
            status: 503,
            code: None,
        })
        .count(2)
        .retry_after(RetryAfter::Seconds(1));
        let v = serde_json::to_value(&spec).unwrap();
        assert_eq!(v["kind"], "status");
        assert_eq!(v["retry_after"], 1);
        assert_eq!(serde_json::from_value::<FaultSpec>(v).unwrap(), spec);
        let date: FaultSpec =
            serde_json::from_str(r#"{"kind":"drop","retry_after":{"date_in_seconds":3}}"#).unwrap();
        assert_eq!(
            date.retry_after,
            Some(RetryAfter::DateIn { date_in_seconds: 3 })
        );
    }
}
