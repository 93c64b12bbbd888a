//! Request plumbing every operation family shares: send one request under one deadline, read its
//! capped body into a wiped buffer, decode a 2xx body, and turn a non-2xx answer into
//! [`Error::Api`] with every secret the request carried redacted from the server's text.
//!
//! The deadline covers the whole exchange — connect, TLS, sending, the headers and the last byte
//! of the body — so a server that drips its answer cannot hold a call past its timeout. That is
//! why the transport is reqwest's async client driven by a small private runtime: the blocking
//! wrapper's timeout bounds each read, not the call.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::error::{ApiError, Error, Operation, Problem, Result};
use crate::secret::{Secret, safe_text, strip_tags};

/// Extra CA certificates, as given to the builder.
#[derive(Clone)]
pub(crate) enum CaBundle {
    Pem(Vec<u8>),
    File(PathBuf),
}

/// Which proxy HTTPS requests go through. No `Debug`: the URL may carry the proxy's credentials.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum ProxySetting {
    /// `HTTPS_PROXY` / `https_proxy`, minus `NO_PROXY` / `no_proxy`, read at build time.
    Environment,
    /// This proxy URL.
    Url(String),
    /// None.
    Off,
}

/// Hosts never proxied, whatever `NO_PROXY` says: loopback.
/// Stands in for a timeout too large for the clock: about a century.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

/// The transport settings of a client builder.
#[derive(Clone)]
pub(crate) struct TransportSettings {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub ca_bundle: Option<CaBundle>,
    pub user_agent: String,
    pub max_response_bytes: usize,
    pub retries: u32,
    pub proxy: ProxySetting,
}

/// The one HTTP client of a [`crate::Client`] and the rules every request follows.
pub(crate) struct Transport {
    http: reqwest::Client,
    runtime: Runtime,
    max_response_bytes: usize,
    retries: u32,
}

/// Makes sure rustls has a process-default crypto provider before reqwest builds its TLS config
/// (reqwest is built with `rustls-no-provider`, so the crate features choose): a provider the
/// program installed stands; otherwise the first client installs the feature's provider —
/// aws-lc-rs (the default feature), or ring when only the `ring` feature is on.
///
/// # Errors
/// [`Error::Setup`] when neither feature is on and the program installed no provider.
fn install_crypto_provider() -> Result<()> {
    use rustls::crypto::CryptoProvider;
    if CryptoProvider::get_default().is_some() {
        return Ok(());
    }
    #[cfg(feature = "aws-lc-rs")]
    let provider = Some(rustls::crypto::aws_lc_rs::default_provider());
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    let provider = Some(rustls::crypto::ring::default_provider());
    #[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
    let provider: Option<CryptoProvider> = None;
    let Some(provider) = provider else {
        return Err(Error::Setup(
            "no TLS crypto provider: enable plexctl-core's `aws-lc-rs` or `ring` feature, or \
             install a rustls CryptoProvider as the process default"
                .into(),
        ));
    };
    // Another thread may have installed one in the meantime; theirs stands.
    let _ = provider.install_default();
    Ok(())
}

/// The private runtime that drives the async client, created with the client. It is a
/// current-thread runtime: the calling thread drives the I/O while it waits, and any number of
/// threads may call at once (one drives, the others take over when it is done). Nothing runs
/// between calls, so the tasks that return a finished connection to the pool run at the start of
/// the next call, before it checks one out ([`settle`]). Dropped in the background, so a client
/// may be dropped anywhere, an async context included.
struct Runtime(Option<tokio::runtime::Runtime>);

/// Lets the tasks queued since the last call run first (hyper hands a finished keep-alive
/// connection back to the pool from such a task), so sequential calls reuse one connection.
async fn settle() {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
}

impl Runtime {
    fn new() -> Result<Runtime> {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map(|rt| Runtime(Some(rt)))
            .map_err(|e| Error::Setup(format!("cannot start the I/O runtime: {e}")))
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        match &self.0 {
            Some(rt) => rt.block_on(f),
            None => unreachable!("the runtime lives until the transport is dropped"),
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// The proxy for HTTPS requests, if any. Only `https://` requests are proxied, through a CONNECT
/// tunnel, so the bearer travels inside TLS end to end; plain `http://` (loopback, or a server the
/// caller explicitly allowed) never is, since the proxy would read the bearer. Loopback is never
/// proxied.
fn proxy(setting: &ProxySetting) -> Result<Option<reqwest::Proxy>> {
    let var = |upper: &str| {
        std::env::var(upper)
            .or_else(|_| std::env::var(upper.to_ascii_lowercase()))
            .ok()
            .filter(|v| !v.trim().is_empty())
    };
    let (url, no_proxy) = match setting {
        ProxySetting::Off => return Ok(None),
        ProxySetting::Url(url) => (url.clone(), String::new()),
        ProxySetting::Environment => match var("HTTPS_PROXY") {
            Some(url) => (url, var("NO_PROXY").unwrap_or_default()),
            None => return Ok(None),
        },
    };
    let parsed = Url::parse(url.trim()).map_err(|_| {
        Error::usage(
            "proxy",
            "expected an absolute http:// or https:// proxy URL",
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
        return Err(Error::usage(
            "proxy",
            "expected an absolute http:// or https:// proxy URL",
        ));
    }
    let proxy = reqwest::Proxy::https(parsed.as_str())
        .map_err(|_| Error::usage("proxy", "not a usable proxy URL"))?
        .no_proxy(reqwest::NoProxy::from_string(&format!(
            "{no_proxy},{LOOPBACK}"
        )));
    Ok(Some(proxy))
}

/// Which bearer token a request carries.
pub(crate) enum Bearer<'a> {
    /// None (the service-token grant).
    None,
    /// The client's resolved token; [`Error::MissingCredentials`] when there is none.
    Client,
    /// A specific token (logout revokes the stored session with that session's own token).
    Token(&'a Secret),
}

/// A request body owned by the HTTP stack's `Bytes`, wiped when dropped.
struct Wiped(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for Wiped {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// One request, before it is sent.
pub(crate) struct Request<'a> {
    pub operation: Operation,
    pub method: reqwest::Method,
    pub path: String,
    pub bearer: Bearer<'a>,
    /// A JSON body; wiped after it has been handed to the HTTP stack.
    pub body: Option<Zeroizing<Vec<u8>>>,
    /// Secrets the request carries, redacted from any text taken from the response.
    pub secrets: Vec<&'a Secret>,
    /// Overrides the client's server (logout talks to the profile's server).
    pub server: Option<&'a Url>,
}

/// A response whose body has been read (and will be wiped on drop).
pub(crate) struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Zeroizing<Vec<u8>>,
}

impl Drop for Response {
    fn drop(&mut self) {
        // `Zeroizing<Vec<u8>>` wipes a Vec element by element (a volatile store per byte); wiping
        // the whole allocation as spare capacity is zeroize's bulk path, the same guarantee at
        // memset speed (a 1.5 MB token list took ~6% of its decode to wipe). The emptied
        // `Zeroizing` then has nothing left to wipe.
        let mut body = std::mem::take(&mut *self.body);
        body.clear();
        zeroize::Zeroize::zeroize(body.spare_capacity_mut());
    }
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A response with every secret its request carried (the bearer included), so any text taken
/// from it can be redacted.
pub(crate) struct Exchange<'a> {
    pub operation: Operation,
    pub resp: Response,
    pub secrets: Vec<&'a Secret>,
}

impl Exchange<'_> {
    /// The [`Error::Api`] for this (non-2xx) answer.
    pub fn api_error(&self) -> Error {
        api_error(self.operation, &self.resp, &self.secrets)
    }

    /// [`Error::Api`] for a non-2xx answer, else the 2xx body decoded as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        if !self.resp.is_success() {
            return Err(self.api_error());
        }
        decode(self.operation, &self.resp.body)
    }
}

impl Transport {
    /// Builds the HTTP client: no redirects, no proxies from the environment, the timeouts, and
    /// the extra CA certificates.
    pub fn new(settings: &TransportSettings) -> Result<Transport> {
        install_crypto_provider()?;
        let mut b = reqwest::Client::builder()
            // A bearer token must never follow a redirect to another origin.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .user_agent(settings.user_agent.clone())
            // reqwest's own environment lookup is off; `proxy` decides, with the rules below.
            .no_proxy();
        if let Some(proxy) = proxy(&settings.proxy)? {
            b = b.proxy(proxy);
        }
        if let Some(bundle) = &settings.ca_bundle {
            let pem = match bundle {
                CaBundle::Pem(pem) => pem.clone(),
                CaBundle::File(path) => std::fs::read(path).map_err(|e| {
                    Error::Setup(format!("cannot read CA bundle {}: {e}", path.display()))
                })?,
            };
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::Setup(format!("CA bundle is not valid PEM: {e}")))?;
            if certs.is_empty() {
                return Err(Error::Setup("CA bundle holds no certificate".into()));
            }
            for cert in certs {
                b = b.add_root_certificate(cert);
            }
        }
        let runtime = Runtime::new()?;
        // Building the client registers its resolver and pool with the runtime.
        let http = runtime
            .block_on(async { b.build() })
            .map_err(|e| Error::Setup(format!("cannot build the HTTP client: {e}")))?;
        Ok(Transport {
            http,
            runtime,
            max_response_bytes: settings.max_response_bytes,
            retries: settings.retries,
        })
    }

    /// Sends `req` to `base` with `token` as its bearer and reads the whole (capped) body,
    /// whatever the status, all within `timeout` (the calling client's), retrying where that is
    /// safe.
    ///
    /// Retries (at most `retries` after the first attempt, each only if it can start before the
    /// deadline): a connection that could not be made, for any operation, since the request never
    /// left; and, for idempotent operations only, a connection that broke and a 429, 502, 503 or
    /// 504 answer. The wait is the server's `Retry-After` when it sent one, else exponential
    /// backoff with full jitter.
    pub fn send(
        &self,
        base: &Url,
        token: Option<&Secret>,
        req: Request<'_>,
        timeout: Duration,
    ) -> Result<Response> {
        let op = req.operation;
        // A timeout too large to add to the clock (`Duration::MAX`) is as good as none.
        let deadline = Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(|| Instant::now() + FOREVER);
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(token) = token {
            headers.insert(header::AUTHORIZATION, bearer_header(token)?);
        }
        if req.body.is_some() {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        let url = join(base, &req.path);
        // The HTTP stack gets the wiped buffer itself, not a copy: it is wiped when the last
        // attempt's handle to it is dropped.
        let body = req.body.map(|b| bytes::Bytes::from_owner(Wiped(b)));
        self.runtime.block_on(async {
            settle().await;
            let mut attempt = 0;
            loop {
                let mut builder = self
                    .http
                    .request(req.method.clone(), url.clone())
                    .headers(headers.clone());
                if let Some(body) = &body {
                    builder = builder.body(body.clone());
                }
                let result = tokio::time::timeout_at(deadline.into(), self.exchange(op, builder))
                    .await
                    .unwrap_or_else(|_| Err(timed_out(op, timeout)));
                let Some(wait) = retry_wait(op, &result, attempt) else {
                    return result;
                };
                attempt += 1;
                if attempt > self.retries
                    || Instant::now()
                        .checked_add(wait)
                        .is_none_or(|t| t >= deadline)
                {
                    return result;
                }
                tokio::time::sleep(wait).await;
            }
        })
    }

    /// One attempt: send, then read the status, the headers and the capped body.
    async fn exchange(&self, op: Operation, builder: reqwest::RequestBuilder) -> Result<Response> {
        let mut resp = builder.send().await.map_err(|e| transport(op, e))?;
        let status = resp.status().as_u16();
        let headers = std::mem::take(resp.headers_mut());
        let body = read_capped(&mut resp, self.max_response_bytes)
            .await
            .map_err(|e| transport(op, e))?
            .ok_or_else(|| Error::Decode {
                operation: op,
                message: format!(
                    "the body is larger than the {} byte cap",
                    self.max_response_bytes
                ),
                recovered: None,
            })?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// How long to wait before retrying `result`, or `None` when it must not be retried.
fn retry_wait(op: Operation, result: &Result<Response>, attempt: u32) -> Option<Duration> {
    match result {
        Ok(resp) if op.is_idempotent() && matches!(resp.status, 429 | 502 | 503 | 504) => {
            Some(retry_after(&resp.headers).unwrap_or_else(|| backoff(attempt)))
        }
        Err(Error::Transport {
            timeout: false,
            source: Some(e),
            ..
        }) if e.is_connect() || op.is_idempotent() => Some(backoff(attempt)),
        _ => None,
    }
}

/// The first retry waits up to 100 ms, each next one up to twice as long, at most 2 s: a uniformly
/// random time in that range ("full jitter"), so clients that failed together do not retry together.
fn backoff(attempt: u32) -> Duration {
    use std::hash::BuildHasher;
    let cap_ms = 100u64.saturating_mul(1 << attempt.min(5)).min(2000);
    // Jitter needs no cryptographic randomness: std's per-instance random hash keys are enough.
    let random = std::collections::hash_map::RandomState::new().hash_one(attempt);
    Duration::from_millis(random % (cap_ms + 1))
}

/// An RFC 9110 HTTP-date (the `Sunset` header's format) as a timestamp; `None` when it is not one
/// or lies outside what the clock can hold.
pub(crate) fn http_date(value: &str) -> Option<time::OffsetDateTime> {
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    let since = at.duration_since(std::time::UNIX_EPOCH).ok()?;
    time::OffsetDateTime::UNIX_EPOCH.checked_add(since.try_into().ok()?)
}

/// A `Retry-After` header: delay-seconds or an HTTP-date, at most a day; `None` when absent or
/// unreadable.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    const MAX: Duration = Duration::from_secs(24 * 60 * 60);
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds.min(MAX.as_secs())),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    };
    Some(wait.min(MAX))
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path}"));
    url.set_query(None);
    url
}

fn bearer_header(token: &Secret) -> Result<HeaderValue> {
    let mut value = Zeroizing::new(String::with_capacity(7 + token.len()));
    value.push_str("Bearer ");
    value.push_str(token.expose_secret());
    let mut header = HeaderValue::from_str(&value).map_err(|_| {
        Error::usage(
            "token",
            "the token holds characters not allowed in a header",
        )
    })?;
    // Keeps the value out of the HTTP stack's debug output.
    header.set_sensitive(true);
    Ok(header)
}

/// Reads at most `cap` bytes into a buffer that is wiped on drop; growing it wipes the old one,
/// so no unwiped copy of a plaintext is left in freed memory. `None` when the body exceeds `cap`.
async fn read_capped(
    resp: &mut reqwest::Response,
    cap: usize,
) -> reqwest::Result<Option<Zeroizing<Vec<u8>>>> {
    let hint = resp
        .content_length()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(8 * 1024);
    if hint > cap {
        return Ok(None);
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(hint.clamp(256, cap.max(256))));
    while let Some(chunk) = resp.chunk().await? {
        let n = chunk.len();
        if buf.len().saturating_add(n) > cap {
            return Ok(None);
        }
        if buf.len() + n > buf.capacity() {
            let mut bigger =
                Zeroizing::new(Vec::with_capacity((buf.capacity() * 2).max(buf.len() + n)));
            bigger.extend_from_slice(&buf);
            buf = bigger;
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Some(buf))
}

/// Decodes a JSON body. The error names the category and position, never any part of the body
/// (serde_json's own messages can quote values, and a value may be a plaintext).
pub(crate) fn decode<T: DeserializeOwned>(op: Operation, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Eof => "truncated JSON",
            serde_json::error::Category::Data => "JSON that does not match the documented shape",
            serde_json::error::Category::Io => "unreadable",
        };
        Error::Decode {
            operation: op,
            message: format!("{what} (line {}, column {})", e.line(), e.column()),
            recovered: None,
        }
    })
}

/// The longest a text field taken from a Problem may be, in characters.
const MAX_FIELD_CHARS: usize = 1024;
/// The most relation-path entries kept from a PermissionDenied.
const MAX_RELATION_PATH: usize = 16;
/// The longest excerpt of a body that is not a Problem, in characters.
const MAX_EXCERPT_CHARS: usize = 160;

/// Builds the [`Error::Api`] for a non-2xx response, redacting the request's secrets from any text
/// taken from the body.
pub(crate) fn api_error(op: Operation, resp: &Response, secrets: &[&Secret]) -> Error {
    let content_type = resp
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_json = content_type.to_ascii_lowercase().contains("json");
    let problem = if is_json {
        serde_json::from_slice::<Problem>(&resp.body)
            .ok()
            .map(|mut p| {
                for field in [
                    &mut p.type_uri,
                    &mut p.title,
                    &mut p.detail,
                    &mut p.instance,
                    &mut p.code,
                    &mut p.reason,
                    &mut p.correlation_id,
                ] {
                    if let Some(s) = field.as_mut() {
                        *s = safe_text(s, secrets, MAX_FIELD_CHARS);
                    }
                }
                p.relation_path.truncate(MAX_RELATION_PATH);
                for s in &mut p.relation_path {
                    *s = safe_text(s, secrets, MAX_FIELD_CHARS);
                }
                p
            })
    } else {
        None
    };
    let body_excerpt = problem.is_none().then(|| {
        // The media type is server text too: redacted and cleaned like the body, in its own case
        // (lower-casing first would hide a mixed-case secret from the redaction).
        let media = safe_text(content_type.split(';').next().unwrap_or(""), secrets, 64);
        let media = if media.is_empty() {
            "no content type".to_owned()
        } else {
            media
        };
        if resp.body.is_empty() {
            format!("empty body ({media})")
        } else {
            // Redact the whole text first, then cut: a secret echoed past the cut is gone either way.
            let text = strip_tags(&String::from_utf8_lossy(&resp.body));
            let excerpt = safe_text(&text, secrets, MAX_EXCERPT_CHARS);
            format!("non-problem body ({media}): {excerpt}")
        }
    });
    Error::Api(Box::new(ApiError {
        operation: op,
        status: resp.status,
        problem,
        body_excerpt,
    }))
}

fn transport(op: Operation, e: reqwest::Error) -> Error {
    let timeout = e.is_timeout();
    let mut message = if timeout {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect to the server".to_owned()
    } else {
        "the connection failed".to_owned()
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Transport {
        operation: op,
        message,
        timeout,
        source: Some(e.without_url()),
    }
}

fn timed_out(op: Operation, timeout: Duration) -> Error {
    Error::Transport {
        operation: op,
        message: format!(
            "timed out: no complete answer within {}",
            humantime::format_duration(timeout)
        ),
        timeout: true,
        source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_a_base_path() {
        let base = Url::parse("https://h.example/api/").unwrap();
        assert_eq!(
            join(&base, "/v1/auth/tokens").as_str(),
            "https://h.example/api/v1/auth/tokens"
        );
        let base = Url::parse("https://h.example").unwrap();
        assert_eq!(
            join(&base, "/v1/auth/tokens").as_str(),
            "https://h.example/v1/auth/tokens"
        );
    }
}
