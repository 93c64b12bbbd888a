//! [`Client`] and [`ClientBuilder`]: the one HTTP client per program, and the transport rules a
//! server URL must pass.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use serde::de::DeserializeOwned;

use crate::credentials::{CredentialInputs, CredentialSource};
use crate::error::{Error, Result};
use crate::http::{
    Bearer, CaBundle, Exchange, ProxySetting, Request, Response, Transport, TransportSettings,
};
use crate::secret::Secret;

/// Default overall timeout of one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default timeout for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of retries after a first attempt (see [`ClientBuilder::retries`]).
pub const DEFAULT_RETRIES: u32 = 2;
/// Default cap on a response body (16 MiB); a larger body is refused with [`Error::Decode`].
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
pub use crate::credentials::{ENV_TOKEN, ENV_URL};

/// Configures a [`Client`]; every setting is checked at [`build`](ClientBuilder::build).
///
/// Credentials resolve in the contract's order, first match wins:
/// token: [`token`](Self::token) → [`token_file`](Self::token_file) → `PLEXSPHERE_TOKEN` → the
/// selected profile; server: [`server`](Self::server) → `PLEXSPHERE_URL` → the selected profile.
#[derive(Clone)]
pub struct ClientBuilder {
    credentials: CredentialInputs,
    transport: TransportSettings,
    allow_insecure_http: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.credentials;
        f.debug_struct("ClientBuilder")
            .field("server", &c.server)
            .field("token", &c.token)
            .field("token_file", &c.token_file)
            .field("profile", &c.profile)
            .field("config_path", &c.config_path)
            .field("use_environment", &c.use_environment)
            .field("timeout", &self.transport.timeout)
            .field("connect_timeout", &self.transport.connect_timeout)
            .field("ca_bundle", &self.transport.ca_bundle.is_some())
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            credentials: CredentialInputs::default(),
            transport: TransportSettings {
                timeout: DEFAULT_TIMEOUT,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                ca_bundle: None,
                user_agent: concat!("libplexctl/", env!("CARGO_PKG_VERSION")).to_owned(),
                max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                retries: DEFAULT_RETRIES,
                proxy: ProxySetting::Environment,
            },
            allow_insecure_http: false,
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
        self.credentials.server = Some(url.into());
        self
    }

    /// The bearer token (a psk plaintext or a service access token).
    pub fn token(mut self, token: Secret) -> Self {
        self.credentials.token = Some(token);
        self
    }

    /// A file whose content (trimmed) is the bearer token.
    pub fn token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.credentials.token_file = Some(path.into());
        self
    }

    /// The config-file profile to use instead of the file's default pointer.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.credentials.profile = Some(name.into());
        self
    }

    /// The config file to use instead of `PLEXCTL_CONFIG` / the XDG location.
    pub fn config_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.credentials.config_path = Some(path.into());
        self
    }

    /// Whether `PLEXSPHERE_TOKEN`, `PLEXSPHERE_URL`, `PLEXCTL_CONFIG`, `XDG_CONFIG_HOME`, `HOME`
    /// and the proxy variables (`HTTPS_PROXY`, `NO_PROXY`) are consulted (default `true`).
    pub fn use_environment(mut self, yes: bool) -> Self {
        self.credentials.use_environment = yes;
        self
    }

    /// The deadline of one call (default 30 s): connecting, TLS, sending, the headers, the whole
    /// body and any retries all happen within it, whatever the server does.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.transport.timeout = timeout;
        self
    }

    /// Timeout for establishing a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport.connect_timeout = timeout;
        self
    }

    /// Extra CA certificates (PEM bundle) trusted in addition to the platform's roots.
    pub fn ca_bundle_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.transport.ca_bundle = Some(CaBundle::Pem(pem.into()));
        self
    }

    /// A PEM file of extra CA certificates trusted in addition to the platform's roots.
    pub fn ca_bundle_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.transport.ca_bundle = Some(CaBundle::File(path.into()));
        self
    }

    /// The `User-Agent` header (default `libplexctl/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.transport.user_agent = user_agent.into();
        self
    }

    /// Allows plain `http://` to hosts that are not loopback. Off by default: a bearer token sent
    /// over plain http can be read by anyone on the path.
    pub fn allow_insecure_http(mut self, yes: bool) -> Self {
        self.allow_insecure_http = yes;
        self
    }

    /// How many times a failed attempt may be retried within the call's timeout (default 2; 0
    /// turns retries off). Only what is safe is retried: a connection that could not be made (the
    /// request never left), and, for idempotent operations (list, preview, delete, logout, the
    /// key-rotate trigger), a broken connection or a 429, 502, 503 or 504 answer. Issue, rotate and
    /// the service grant are never repeated once the request may have reached the server. The wait
    /// is the server's `Retry-After` when sent (a retry that could not start before the deadline is
    /// not made), else exponential backoff with full jitter.
    pub fn retries(mut self, retries: u32) -> Self {
        self.transport.retries = retries;
        self
    }

    /// Sends HTTPS requests through this proxy (`http://proxy:3128`, credentials in the URL if it
    /// needs them) instead of the one `HTTPS_PROXY` names. Only `https://` requests are proxied,
    /// through a CONNECT tunnel, so the bearer never leaves TLS; loopback never is.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.transport.proxy = ProxySetting::Url(url.into());
        self
    }

    /// Uses no proxy, whatever the environment says. By default `HTTPS_PROXY` (or
    /// `https_proxy`) is honoured for `https://` requests, except for the hosts `NO_PROXY` (or
    /// `no_proxy`) lists and loopback, as Go's net/http does; `use_environment(false)` ignores it
    /// too.
    pub fn no_proxy(mut self) -> Self {
        self.transport.proxy = ProxySetting::Off;
        self
    }

    /// Cap on a response body in bytes (default 16 MiB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.transport.max_response_bytes = bytes;
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
        let resolved = self.credentials.resolve()?;
        let server = resolved
            .server
            .as_deref()
            .map(|s| parse_server(s, self.allow_insecure_http))
            .transpose()?;
        let mut transport = self.transport.clone();
        if !self.credentials.use_environment && transport.proxy == ProxySetting::Environment {
            transport.proxy = ProxySetting::Off;
        }
        let timeout = transport.timeout;
        let transport = Transport::new(&transport)?;
        Ok(Client {
            timeout,
            inner: Arc::new(Inner {
                transport,
                server,
                token: resolved.token,
                source: resolved.source,
                credentials: self.credentials,
                allow_insecure_http: self.allow_insecure_http,
            }),
        })
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

/// A blocking client for the plexsphere v1 API.
///
/// Cheap to clone (an `Arc` inside) and `Send + Sync`: one client serves every thread, and all of
/// them share one connection pool, so sequential calls reuse one keep-alive connection.
/// [`with_timeout`](Self::with_timeout) derives a handle on the same pool with a deadline of its
/// own.
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
    /// The deadline of one call on this handle; everything else is shared through `inner`.
    timeout: Duration,
}

struct Inner {
    transport: Transport,
    server: Option<Url>,
    token: Option<Secret>,
    source: CredentialSource,
    credentials: CredentialInputs,
    allow_insecure_http: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.inner.server.as_ref().map(Url::as_str))
            .field("token", &self.inner.token)
            .field("credential_source", &self.inner.source)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A handle on the same client whose calls each have `timeout` as their one deadline
    /// (connecting, TLS, sending, the headers, the whole body and any retries), in place of the
    /// timeout this client was built or derived with.
    ///
    /// Everything else is shared, not copied: the connection pool (a call on either handle
    /// reuses a connection the other left open), the I/O runtime, the resolved credentials and
    /// every other setting. Deriving is cheap (an `Arc` clone), so a caller with a per-call
    /// deadline (a Go `context.Context`, say) derives one handle per call. A zero timeout is taken
    /// as [`ClientBuilder::timeout`] takes it: every call times out at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use plexctl_core::{Client, Secret};
    /// # let emu = plexctl_emulator::Emulator::start(plexctl_emulator::Config::fast()).unwrap();
    /// # let (server, token) = (emu.url(), emu.admin_token().to_owned());
    /// let client = Client::builder().server(server).token(Secret::from(token)).build()?;
    /// let quick = client.with_timeout(Duration::from_millis(500));
    /// assert_eq!(quick.timeout(), Duration::from_millis(500));
    /// quick.list_tokens()?; // within 500 ms, on client's connection pool
    /// # Ok::<(), plexctl_core::Error>(())
    /// ```
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            timeout,
        }
    }

    /// The deadline of one call on this handle: the builder's [`timeout`](ClientBuilder::timeout),
    /// or the one given to [`with_timeout`](Self::with_timeout).
    pub fn timeout(&self) -> Duration {
        self.timeout
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
    pub fn credential_source(&self) -> &CredentialSource {
        &self.inner.source
    }

    /// The credential settings this client was built from (profile selection, config path).
    pub(crate) fn credentials(&self) -> &CredentialInputs {
        &self.inner.credentials
    }

    /// Checks a server URL against this client's transport rules.
    pub(crate) fn check_server(&self, url: &str) -> Result<Url> {
        parse_server(url, self.inner.allow_insecure_http)
    }

    /// Sends `req` and reads the whole (capped) body, whatever the status. The server and bearer
    /// are resolved first: a missing one is [`Error::MissingCredentials`] before the wire.
    pub(crate) fn send<'a>(&'a self, req: Request<'a>) -> Result<Exchange<'a>> {
        let base = match req.server.or(self.inner.server.as_ref()) {
            Some(base) => base,
            None => {
                return Err(Error::MissingCredentials {
                    what: "server",
                    looked_for: self.inner.credentials.looked_for_server(),
                });
            }
        };
        let from_client = matches!(req.bearer, Bearer::Client);
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
                            looked_for: self.inner.credentials.looked_for_token(),
                        })?,
                )
            }
        };
        // A blank bearer is never sent: the caller meant a token and has none.
        if token.is_some_and(|t| t.expose_secret().trim().is_empty()) {
            return Err(Error::MissingCredentials {
                what: "token",
                looked_for: if from_client {
                    format!("the token from {} is empty", self.inner.source.describe())
                } else {
                    "the stored session's token is empty".to_owned()
                },
            });
        }
        // The bearer actually sent is redacted from the server's text too, whatever its shape.
        let mut secrets = req.secrets.clone();
        secrets.extend(token);
        let operation = req.operation;
        let resp = self.inner.transport.send(base, token, req, self.timeout)?;
        Ok(Exchange {
            operation,
            resp,
            secrets,
        })
    }

    /// Sends `req`, turns a non-2xx answer into [`Error::Api`] and decodes a 2xx JSON body as `T`.
    pub(crate) fn call<T: DeserializeOwned>(&self, req: Request<'_>) -> Result<(T, Response)> {
        let x = self.send(req)?;
        let value = x.json()?;
        Ok((value, x.resp))
    }

    /// Sends `req` and expects an empty 2xx answer (204).
    pub(crate) fn call_empty(&self, req: Request<'_>) -> Result<Response> {
        let x = self.send(req)?;
        if !x.resp.is_success() {
            return Err(x.api_error());
        }
        Ok(x.resp)
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
}
