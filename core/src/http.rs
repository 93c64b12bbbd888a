//! Request plumbing every operation family shares: send one request, read its capped body into a
//! wiped buffer, decode a 2xx body, and turn a non-2xx answer into [`Error::Api`].

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use reqwest::blocking::Response as HttpResponse;
use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ApiError, Error, Operation, Problem, Result};
use crate::secret::{Secret, redact, strip_tags};

/// Extra CA certificates, as given to the builder.
#[derive(Clone)]
pub(crate) enum CaBundle {
    Pem(Vec<u8>),
    File(PathBuf),
}

/// The transport settings of a client builder.
#[derive(Clone)]
pub(crate) struct TransportSettings {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub ca_bundle: Option<CaBundle>,
    pub user_agent: String,
    pub max_response_bytes: usize,
}

/// The one HTTP client of a [`crate::Client`] and the rules every request follows.
pub(crate) struct Transport {
    http: reqwest::blocking::Client,
    max_response_bytes: usize,
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

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl Transport {
    /// Builds the HTTP client: no redirects, no proxies from the environment, the timeouts, and
    /// the extra CA certificates.
    pub fn new(settings: &TransportSettings) -> Result<Transport> {
        let mut b = reqwest::blocking::Client::builder()
            // A bearer token must never follow a redirect to another origin.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .user_agent(settings.user_agent.clone())
            .no_proxy();
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
        let http = b
            .build()
            .map_err(|e| Error::Setup(format!("cannot build the HTTP client: {e}")))?;
        Ok(Transport {
            http,
            max_response_bytes: settings.max_response_bytes,
        })
    }

    /// Sends `req` to `base` with `token` as its bearer and reads the whole (capped) body,
    /// whatever the status.
    pub fn send(&self, base: &Url, token: Option<&Secret>, req: Request<'_>) -> Result<Response> {
        let op = req.operation;
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(token) = token {
            headers.insert(header::AUTHORIZATION, bearer_header(token)?);
        }
        let url = join(base, &req.path);
        let mut builder = self.http.request(req.method, url).headers(headers);
        if let Some(mut body) = req.body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
            body.zeroize();
        }
        let mut resp = builder.send().map_err(|e| transport(op, e))?;
        let status = resp.status().as_u16();
        let headers = std::mem::take(resp.headers_mut());
        let body = read_capped(&mut resp, self.max_response_bytes)
            .map_err(|e| transport_io(op, e))?
            .ok_or_else(|| Error::Decode {
                operation: op,
                message: format!(
                    "the body is larger than the {} byte cap",
                    self.max_response_bytes
                ),
            })?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// Turns a non-2xx response into [`Error::Api`] (redacting `secrets`), and decodes a 2xx JSON body
/// as `T`.
pub(crate) fn expect_json<T: DeserializeOwned>(
    op: Operation,
    resp: &Response,
    secrets: &[&Secret],
) -> Result<T> {
    if !resp.is_success() {
        return Err(api_error(op, resp, secrets));
    }
    decode(op, &resp.body)
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
fn read_capped(resp: &mut HttpResponse, cap: usize) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    let hint = resp.content_length().unwrap_or(8 * 1024) as usize;
    if hint > cap {
        return Ok(None);
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(hint.clamp(256, cap.max(256))));
    let mut chunk = Zeroizing::new([0u8; 8 * 1024]);
    loop {
        let n = resp.read(&mut chunk[..])?;
        if n == 0 {
            return Ok(Some(buf));
        }
        if buf.len() + n > cap {
            return Ok(None);
        }
        if buf.len() + n > buf.capacity() {
            let mut bigger =
                Zeroizing::new(Vec::with_capacity((buf.capacity() * 2).max(buf.len() + n)));
            bigger.extend_from_slice(&buf);
            buf = bigger;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
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
        }
    })
}

/// Builds the [`Error::Api`] for a non-2xx response, redacting the request's secrets from any text
/// taken from the body.
pub(crate) fn api_error(op: Operation, resp: &Response, secrets: &[&Secret]) -> Error {
    let content_type = resp
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_json = content_type.contains("json");
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
                        *s = redact(s, secrets);
                    }
                }
                for s in &mut p.relation_path {
                    *s = redact(s, secrets);
                }
                p
            })
    } else {
        None
    };
    let body_excerpt = problem.is_none().then(|| {
        let media = content_type.split(';').next().unwrap_or("").trim();
        let media = if media.is_empty() {
            "no content type"
        } else {
            media
        };
        if resp.body.is_empty() {
            format!("empty body ({media})")
        } else {
            let text = strip_tags(&String::from_utf8_lossy(&resp.body));
            format!("non-problem body ({media}): {}", redact(&text, secrets))
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

fn transport_io(op: Operation, e: std::io::Error) -> Error {
    let timeout = e.kind() == std::io::ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout);
    Error::Transport {
        operation: op,
        message: if timeout {
            "timed out reading the response".to_owned()
        } else {
            format!("the connection broke while reading the response: {e}")
        },
        timeout,
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
