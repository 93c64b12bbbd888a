//! [`Client`] and [`ClientBuilder`]: the one HTTP client, the transport rules, and the request
//! plumbing every operation family shares.

use std::fmt;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::blocking::Response as HttpResponse;
use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ApiError, Error, Operation, Problem, Result};
use crate::secret::Secret;

/// Default overall timeout of one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default timeout for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on a response body (16 MiB); a larger body is refused with [`Error::Decode`].
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Environment variable holding a bearer token.
pub const ENV_TOKEN: &str = "PLEXSPHERE_TOKEN";
/// Environment variable holding the server URL.
pub const ENV_URL: &str = "PLEXSPHERE_URL";

/// Configures a [`Client`]; every setting is checked at [`build`](ClientBuilder::build).
///
/// Credentials resolve in the contract's order, first match wins:
/// token: [`token`](Self::token) → [`token_file`](Self::token_file) → `PLEXSPHERE_TOKEN` → the
/// selected profile; server: [`server`](Self::server) → `PLEXSPHERE_URL` → the selected profile.
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) server: Option<String>,
    pub(crate) token: Option<Secret>,
    pub(crate) token_file: Option<PathBuf>,
    pub(crate) profile: Option<String>,
    pub(crate) config_path: Option<PathBuf>,
    pub(crate) use_environment: bool,
    timeout: Duration,
    connect_timeout: Duration,
    ca_bundle: Option<CaBundle>,
    user_agent: String,
    pub(crate) allow_insecure_http: bool,
    max_response_bytes: usize,
}

#[derive(Clone)]
enum CaBundle {
    Pem(Vec<u8>),
    File(PathBuf),
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("server", &self.server)
            .field("token", &self.token)
            .field("token_file", &self.token_file)
            .field("profile", &self.profile)
            .field("config_path", &self.config_path)
            .field("use_environment", &self.use_environment)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("ca_bundle", &self.ca_bundle.is_some())
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            server: None,
            token: None,
            token_file: None,
            profile: None,
            config_path: None,
            use_environment: true,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            ca_bundle: None,
            user_agent: concat!("libplexctl/", env!("CARGO_PKG_VERSION")).to_owned(),
            allow_insecure_http: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl ClientBuilder {
    /// A builder with the defaults: 30 s timeout, 10 s connect timeout, https (or http to loopback)
    /// only, environment variables consulted.
    pub fn new() -> Self {
        Self::default()
    }

    /// The server's base URL, e.g. `https://plexsphere.example.com`.
    pub fn server(mut self, url: impl Into<String>) -> Self {
        self.server = Some(url.into());
        self
    }

    /// The bearer token (a psk plaintext or a service access token).
    pub fn token(mut self, token: Secret) -> Self {
        self.token = Some(token);
        self
    }

    /// A file whose content (trimmed) is the bearer token.
    pub fn token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_file = Some(path.into());
        self
    }

    /// The config-file profile to use instead of the file's default pointer.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// The config file to use instead of `PLEXCTL_CONFIG` / the XDG location.
    pub fn config_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_path = Some(path.into());
        self
    }

    /// Whether `PLEXSPHERE_TOKEN`, `PLEXSPHERE_URL`, `PLEXCTL_CONFIG`, `XDG_CONFIG_HOME` and `HOME`
    /// are consulted (default `true`).
    pub fn use_environment(mut self, yes: bool) -> Self {
        self.use_environment = yes;
        self
    }

    /// Overall timeout of one request (connect, send, and read the whole body).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout for establishing a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Extra CA certificates (PEM bundle) trusted in addition to the platform's roots.
    pub fn ca_bundle_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_bundle = Some(CaBundle::Pem(pem.into()));
        self
    }

    /// A PEM file of extra CA certificates trusted in addition to the platform's roots.
    pub fn ca_bundle_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(CaBundle::File(path.into()));
        self
    }

    /// The `User-Agent` header (default `libplexctl/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Allows plain `http://` to hosts that are not loopback. Off by default: a bearer token sent
    /// over plain http can be read by anyone on the path.
    pub fn allow_insecure_http(mut self, yes: bool) -> Self {
        self.allow_insecure_http = yes;
        self
    }

    /// Cap on a response body in bytes (default 16 MiB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Resolves credentials and builds the client.
    ///
    /// A missing token or server is not an error here: operations that need one fail with
    /// [`Error::MissingCredentials`] (exit code 3) before sending anything, and the service-token
    /// grant needs no token at all.
    ///
    /// # Errors
    /// [`Error::Usage`] for a malformed server URL, [`Error::InsecureTransport`] for plain http to a
    /// host that is not loopback, [`Error::Setup`] for an unreadable CA bundle, and the config-file
    /// errors of [`crate::config`] when a profile has to be read.
    pub fn build(self) -> Result<Client> {
        let resolved = crate::session::resolve(&self)?;
        let server = resolved
            .server
            .as_deref()
            .map(|s| parse_server(s, self.allow_insecure_http))
            .transpose()?;
        let http = self.http_client()?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                server,
                token: resolved.token,
                token_source: resolved.token_source,
                builder: self,
            }),
        })
    }

    fn http_client(&self) -> Result<reqwest::blocking::Client> {
        let mut b = reqwest::blocking::Client::builder()
            // A bearer token must never follow a redirect to another origin.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone())
            .no_proxy();
        if let Some(bundle) = &self.ca_bundle {
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
        b.build()
            .map_err(|e| Error::Setup(format!("cannot build the HTTP client: {e}")))
    }
}

/// Parses and checks a server URL against the transport rules.
///
/// # Errors
/// [`Error::Usage`] when the URL is malformed, not http(s), or carries user info;
/// [`Error::InsecureTransport`] for `http://` to a host that is not loopback unless allowed.
pub(crate) fn parse_server(url: &str, allow_insecure_http: bool) -> Result<Url> {
    let parsed = Url::parse(url.trim())
        .map_err(|_| Error::usage("server", "expected an absolute https:// URL"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::usage(
            "server",
            "credentials in the URL are not allowed; pass a token instead",
        ));
    }
    match parsed.scheme() {
        "https" => {}
        "http" => {
            if !allow_insecure_http && !is_loopback(&parsed) {
                return Err(Error::InsecureTransport {
                    host: parsed.host_str().unwrap_or_default().to_owned(),
                });
            }
        }
        _ => {
            return Err(Error::usage(
                "server",
                "expected an https:// or http:// URL",
            ));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::usage("server", "the URL has no host"));
    }
    Ok(parsed)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Where the client's bearer token came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// Passed explicitly.
    Explicit,
    /// Read from a token file.
    TokenFile(PathBuf),
    /// Read from `PLEXSPHERE_TOKEN`.
    Environment,
    /// Read from a config-file profile.
    Profile(String),
    /// No token was resolved.
    None,
}

/// A blocking client for the plexsphere v1 API.
///
/// Cheap to clone (an `Arc` inside) and `Send + Sync`: one client serves every thread, and all of
/// them share one connection pool, so sequential calls reuse one keep-alive connection.
///
/// ```
/// use plexctl_core::{Client, EnvPrefix, IdentityRef, IssueTokenRequest, Secret};
/// # let emu = plexctl_emulator::Emulator::start(plexctl_emulator::Config::fast()).unwrap();
/// # let (server, token, user) = (emu.url(), emu.admin_token().to_owned(), emu.admin_identity());
/// let client = Client::builder().server(server).token(Secret::from(token)).build()?;
/// let identity: IdentityRef = user.parse()?; // "user:<uuid>"
/// let issued = client.issue_token(&IssueTokenRequest::new(identity, EnvPrefix::Prod))?;
/// println!("{} expires at {}", issued.id, issued.expires_at);
/// # Ok::<(), plexctl_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::blocking::Client,
    server: Option<Url>,
    token: Option<Secret>,
    token_source: TokenSource,
    builder: ClientBuilder,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.inner.server.as_ref().map(Url::as_str))
            .field("token", &self.inner.token)
            .field("token_source", &self.inner.token_source)
            .finish_non_exhaustive()
    }
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

impl Client {
    /// Starts a [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The resolved server URL, if any.
    pub fn server(&self) -> Option<&str> {
        self.inner.server.as_ref().map(Url::as_str)
    }

    /// The resolved bearer token, if any.
    pub fn token(&self) -> Option<&Secret> {
        self.inner.token.as_ref()
    }

    /// Where the bearer token came from.
    pub fn token_source(&self) -> &TokenSource {
        &self.inner.token_source
    }

    /// The builder this client was built from (profile selection, config path, transport rules).
    pub(crate) fn settings(&self) -> &ClientBuilder {
        &self.inner.builder
    }

    /// Sends `req` and reads the whole (capped) body, whatever the status.
    pub(crate) fn send(&self, req: Request<'_>) -> Result<Response> {
        let op = req.operation;
        let base = match req.server.or(self.inner.server.as_ref()) {
            Some(base) => base,
            None => {
                return Err(Error::MissingCredentials {
                    what: "server",
                    looked_for: self.looked_for_server(),
                });
            }
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let token = match req.bearer {
            Bearer::None => None,
            Bearer::Token(t) => Some(t),
            Bearer::Client => {
                Some(
                    self.inner
                        .token
                        .as_ref()
                        .ok_or_else(|| Error::MissingCredentials {
                            what: "token",
                            looked_for: self.looked_for_token(),
                        })?,
                )
            }
        };
        if let Some(token) = token {
            headers.insert(header::AUTHORIZATION, bearer_header(token)?);
        }
        let url = join(base, &req.path);
        let mut builder = self.inner.http.request(req.method, url).headers(headers);
        if let Some(mut body) = req.body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
            body.zeroize();
        }
        let mut resp = builder.send().map_err(|e| transport(op, e))?;
        let status = resp.status().as_u16();
        let headers = std::mem::take(resp.headers_mut());
        let body = read_capped(&mut resp, self.inner.builder.max_response_bytes)
            .map_err(|e| transport_io(op, e))?
            .ok_or_else(|| Error::Decode {
                operation: op,
                message: format!(
                    "the body is larger than the {} byte cap",
                    self.inner.builder.max_response_bytes
                ),
            })?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Sends `req`, turns a non-2xx answer into [`Error::Api`] and decodes a 2xx JSON body as `T`.
    pub(crate) fn call<T: DeserializeOwned>(&self, req: Request<'_>) -> Result<(T, Response)> {
        let op = req.operation;
        let secrets: Vec<Secret> = req.secrets.iter().map(|s| (*s).clone()).collect();
        let resp = self.send(req)?;
        if !(200..300).contains(&resp.status) {
            return Err(api_error(op, &resp, &secrets));
        }
        let value = decode(op, &resp.body)?;
        Ok((value, resp))
    }

    /// Sends `req` and expects an empty 2xx answer (204).
    pub(crate) fn call_empty(&self, req: Request<'_>) -> Result<Response> {
        let op = req.operation;
        let secrets: Vec<Secret> = req.secrets.iter().map(|s| (*s).clone()).collect();
        let resp = self.send(req)?;
        if !(200..300).contains(&resp.status) {
            return Err(api_error(op, &resp, &secrets));
        }
        Ok(resp)
    }

    fn looked_for_token(&self) -> String {
        crate::session::looked_for_token(&self.inner.builder)
    }

    fn looked_for_server(&self) -> String {
        crate::session::looked_for_server(&self.inner.builder)
    }
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
pub(crate) fn api_error(op: Operation, resp: &Response, secrets: &[Secret]) -> Error {
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

/// Tag-stripped, whitespace-collapsed, at most 160 characters: enough to recognise a proxy page.
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut last_space = true;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            _ if in_tag => {}
            c if c.is_whitespace() || c.is_control() => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            c => {
                out.push(c);
                last_space = false;
            }
        }
        if out.chars().count() >= 160 {
            out.push('…');
            break;
        }
    }
    out.trim().to_owned()
}

/// Replaces every secret of the request, and anything psk-shaped, with a redaction.
pub(crate) fn redact(text: &str, secrets: &[Secret]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if s.len() >= 4 && out.contains(s.expose_secret()) {
            out = out.replace(s.expose_secret(), &s.redacted());
        }
    }
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(pos) = rest.find(crate::psk::PREFIX) {
        result.push_str(&rest[..pos]);
        let candidate = &rest[pos..];
        let len = candidate
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(candidate.len(), |(i, _)| i);
        let word = &candidate[..len];
        if len > crate::psk::PREFIX.len() + 8 {
            result.push_str(&Secret::from(word).redacted());
        } else {
            result.push_str(word);
        }
        rest = &candidate[len..];
    }
    result.push_str(rest);
    result
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
    fn transport_rules() {
        assert!(parse_server("https://example.com", false).is_ok());
        assert!(parse_server("http://127.0.0.1:8080", false).is_ok());
        assert!(parse_server("http://127.1.2.3", false).is_ok());
        assert!(parse_server("http://localhost:1", false).is_ok());
        assert!(parse_server("http://[::1]:1", false).is_ok());
        let e = parse_server("http://example.com", false).unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(parse_server("http://example.com", true).is_ok());
        assert_eq!(
            parse_server("ftp://example.com", false)
                .unwrap_err()
                .exit_code(),
            2
        );
        assert_eq!(
            parse_server("example.com", false).unwrap_err().exit_code(),
            2
        );
        assert_eq!(
            parse_server("https://u:p@example.com", false)
                .unwrap_err()
                .exit_code(),
            2
        );
    }

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

    #[test]
    fn redaction() {
        let secret = Secret::from("hunter2-secret");
        let text =
            "bad secret hunter2-secret and psk_prod_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH!";
        let out = redact(text, std::slice::from_ref(&secret));
        assert!(!out.contains("hunter2-secret"), "{out}");
        assert!(!out.contains("0123456789abc"), "{out}");
        assert!(out.contains("psk_prod_****!"), "{out}");
    }

    #[test]
    fn html_is_stripped() {
        let t = strip_tags(
            "<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1></body></html>",
        );
        assert_eq!(t, "502 Bad Gateway Bad Gateway");
    }
}
