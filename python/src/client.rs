//! `plexctl.Client`: the core client behind a frozen (immutable, thread-safe) Python object.
//!
//! Every method converts its arguments to owned Rust values, releases the GIL for the network call
//! (`py.detach`), checks for a pending signal (Ctrl-C), then builds the Python result. The family
//! methods live in the module of their family (`tokens.rs`, `grants.rs`, `keys.rs`, `session.rs`).

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;

use crate::convert::{quote, repr_opt};
use crate::errors::{Error, usage};
use crate::grants::ServiceToken;
use crate::keys::{RotationPreview, RotationTrigger};
use crate::secret::extract_secret;
use crate::session::LogoutOutcome;
use crate::tokens::{IssuedToken, RotatedToken, TokenSummary};

/// A client for the plexsphere v1 API.
///
/// Immutable and thread-safe: share one client between threads; they share its connection pool,
/// and each call releases the GIL while it waits on the network.
#[pyclass(frozen, module = "plexctl._plexctl")]
pub struct Client {
    pub(crate) inner: plexctl_core::Client,
}

fn seconds(value: Option<f64>, field: &'static str) -> Result<Option<Duration>, Error> {
    value
        .map(|s| {
            Duration::try_from_secs_f64(s)
                .map_err(|_| usage(field, "expected a non-negative number of seconds"))
        })
        .transpose()
}

impl Client {
    /// Runs one core operation with the GIL released, then checks for Ctrl-C. Arguments must
    /// already be owned Rust values; the result becomes Python objects after this returns.
    pub(crate) fn call<T, F>(&self, py: Python<'_>, f: F) -> PyResult<T>
    where
        T: Send,
        F: FnOnce(&plexctl_core::Client) -> plexctl_core::Result<T> + Send,
    {
        let inner = &self.inner;
        let result = py.detach(|| f(inner));
        py.check_signals()?;
        result.map_err(|e| Error(e).into())
    }
}

#[pymethods]
impl Client {
    /// Resolves credentials in the contract's order (explicit token → `token_file` →
    /// `PLEXSPHERE_TOKEN` → the selected profile; explicit `server` → `PLEXSPHERE_URL` → the
    /// profile's server) and checks the transport rules. Nothing is sent.
    #[new]
    #[pyo3(signature = (
        server=None,
        *,
        token=None,
        token_file=None,
        profile=None,
        config_path=None,
        use_environment=true,
        timeout=None,
        connect_timeout=None,
        ca_bundle=None,
        ca_bundle_pem=None,
        user_agent=None,
        allow_insecure_http=false,
        max_response_bytes=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        server: Option<String>,
        token: Option<&Bound<'_, PyAny>>,
        token_file: Option<PathBuf>,
        profile: Option<String>,
        config_path: Option<PathBuf>,
        use_environment: bool,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        ca_bundle: Option<PathBuf>,
        ca_bundle_pem: Option<Vec<u8>>,
        user_agent: Option<String>,
        allow_insecure_http: bool,
        max_response_bytes: Option<usize>,
    ) -> PyResult<Self> {
        let mut b = plexctl_core::Client::builder()
            .use_environment(use_environment)
            .allow_insecure_http(allow_insecure_http);
        if let Some(server) = server {
            b = b.server(server);
        }
        if let Some(token) = token {
            b = b.token(extract_secret(token, "token")?);
        }
        if let Some(path) = token_file {
            b = b.token_file(path);
        }
        if let Some(name) = profile {
            b = b.profile(name);
        }
        if let Some(path) = config_path {
            b = b.config_path(path);
        }
        if let Some(t) = seconds(timeout, "timeout")? {
            b = b.timeout(t);
        }
        if let Some(t) = seconds(connect_timeout, "connect_timeout")? {
            b = b.connect_timeout(t);
        }
        if let Some(path) = ca_bundle {
            b = b.ca_bundle_file(path);
        }
        if let Some(pem) = ca_bundle_pem {
            b = b.ca_bundle_pem(pem);
        }
        if let Some(ua) = user_agent {
            b = b.user_agent(ua);
        }
        if let Some(n) = max_response_bytes {
            b = b.max_response_bytes(n);
        }
        // build() may read a token file or the config file (and wait on its lock).
        let inner = py.detach(|| b.build()).map_err(Error)?;
        Ok(Client { inner })
    }

    /// The resolved server URL, or `None`.
    #[getter]
    fn server(&self) -> Option<&str> {
        self.inner.server()
    }

    /// Where the bearer token came from: `"explicit"`, `"token_file"`, `"environment"`,
    /// `"profile"` or `"none"`.
    #[getter]
    fn token_source(&self) -> &'static str {
        self.inner.credential_source().as_str()
    }

    fn __repr__(&self) -> String {
        let token = self.inner.token().map_or_else(
            || "None".to_owned(),
            |t| format!("Secret('{}')", t.redacted()),
        );
        format!(
            "Client(server={}, token={}, token_source={})",
            repr_opt(self.inner.server()),
            token,
            quote(self.token_source()),
        )
    }

    /// Issues a new API token (`POST /v1/auth/tokens`); the plaintext is returned exactly once.
    #[pyo3(signature = (identity_ref, env_prefix, ttl=None))]
    fn issue_token(
        &self,
        py: Python<'_>,
        identity_ref: &str,
        env_prefix: &str,
        ttl: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<IssuedToken> {
        crate::tokens::issue_token(self, py, identity_ref, env_prefix, ttl)
    }

    /// Lists the caller's tokens (`GET /v1/auth/tokens`); summaries never carry a plaintext.
    fn list_tokens(&self, py: Python<'_>) -> PyResult<Vec<TokenSummary>> {
        crate::tokens::list_tokens(self, py)
    }

    /// Revokes a token at once (`DELETE /v1/auth/tokens/{id}`).
    fn delete_token(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<()> {
        crate::tokens::delete_token(self, py, id)
    }

    /// Rotates a token (`POST /v1/auth/tokens/{id}/rotate`): the new plaintext, exactly once.
    fn rotate_token(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<RotatedToken> {
        crate::tokens::rotate_token(self, py, id)
    }

    /// Mints a service access token (`POST /v1/auth/service/token`); needs no bearer token.
    #[pyo3(signature = (client_id, grant_type, *, client_secret=None, client_assertion=None, scope=None))]
    fn service_token(
        &self,
        py: Python<'_>,
        client_id: &str,
        grant_type: &str,
        client_secret: Option<&Bound<'_, PyAny>>,
        client_assertion: Option<&Bound<'_, PyAny>>,
        scope: Option<&str>,
    ) -> PyResult<ServiceToken> {
        crate::grants::service_token(
            self,
            py,
            client_id,
            grant_type,
            client_secret,
            client_assertion,
            scope,
        )
    }

    /// Triggers a mesh-key rotation for a Node (`POST /v1/nodes/{id}/keys/rotate`).
    fn rotate_node_keys(
        &self,
        py: Python<'_>,
        node_id: &Bound<'_, PyAny>,
    ) -> PyResult<RotationTrigger> {
        crate::keys::rotate_node_keys(self, py, node_id)
    }

    /// Previews a Node's mesh-key rotation without recording anything
    /// (`GET /v1/nodes/{id}/keys/rotate/preview`).
    fn preview_node_key_rotation(
        &self,
        py: Python<'_>,
        node_id: &Bound<'_, PyAny>,
    ) -> PyResult<RotationPreview> {
        crate::keys::preview_node_key_rotation(self, py, node_id)
    }

    /// Saves `server` and `token` (a `Secret`, `str` or `bytes`) under `profile` in the config
    /// file (created 0600 in a 0700 directory), making it the default when `make_default` is set
    /// or there is no default yet: what a login command calls.
    #[pyo3(signature = (profile, server, token, *, make_default=false))]
    fn store_session(
        &self,
        py: Python<'_>,
        profile: &str,
        server: &str,
        token: &Bound<'_, PyAny>,
        make_default: bool,
    ) -> PyResult<()> {
        crate::session::store_session(self, py, profile, server, token, make_default)
    }

    /// Ends the active session (this client's profile, else the file's default): revokes its
    /// token on its server, then clears the profile. No session is a no-op; a session the server
    /// no longer knows (401/404) is cleared too. Every failure keeps the stored credential.
    fn logout(&self, py: Python<'_>) -> PyResult<LogoutOutcome> {
        crate::session::logout(self, py)
    }

    /// Rotates the token the active profile holds and writes the new plaintext into the profile
    /// before returning. If the file cannot be written, `SessionNotSavedError.rotated` holds the
    /// new plaintext.
    fn rotate_session(&self, py: Python<'_>) -> PyResult<RotatedToken> {
        crate::session::rotate_session(self, py)
    }
}
