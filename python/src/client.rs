//! `plexctl.Client`: the core client behind a frozen (immutable, thread-safe) Python object.
//!
//! Every method converts its arguments to owned Rust values, releases the GIL for the network call
//! (`py.detach`), checks for a pending signal (Ctrl-C), then builds the Python result. The
//! operations live beside their family, each in its own `#[pymethods] impl Client` block
//! (`tokens`, `grants`, `keys`, `session`, `login`, `status`), as the core's do; this module
//! imports none of them.

use std::path::PathBuf;

use pyo3::prelude::*;

use crate::errors::Error;
use crate::input::seconds;
use crate::secret::{self, extract_secret};

/// A client for the plexsphere v1 API.
///
/// Immutable and thread-safe: share one client between threads; they share its connection pool,
/// and each call releases the GIL while it waits on the network.
#[pyclass(frozen, module = "plexctl._plexctl")]
pub struct Client {
    pub(crate) inner: plexctl_core::Client,
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
        let result =
            py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(inner))));
        self.finish(py, result)
    }

    /// The end of every call, with the GIL held again: Ctrl-C first, then the core's result. A
    /// panic must not escape as pyo3's PanicException (a BaseException that `except
    /// plexctl.Error` misses): it becomes the `internal` kind.
    pub(crate) fn finish<T>(
        &self,
        py: Python<'_>,
        result: std::thread::Result<plexctl_core::Result<T>>,
    ) -> PyResult<T> {
        py.check_signals()?;
        match result {
            Ok(result) => result.map_err(|e| Error(e).into()),
            Err(_) => Err(crate::errors::internal(py)),
        }
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
        retries=None,
        proxy=None,
        no_proxy=false,
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
        retries: Option<u32>,
        proxy: Option<String>,
        no_proxy: bool,
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
        if let Some(n) = retries {
            b = b.retries(n);
        }
        if let Some(url) = proxy {
            b = b.proxy(url);
        }
        if no_proxy {
            b = b.no_proxy();
        }
        // build() may read a token file or the config file (and wait on its lock).
        let inner = py.detach(|| b.build()).map_err(Error)?;
        Ok(Client { inner })
    }

    /// A client on the same connection pool, credentials and settings whose calls each end within
    /// `timeout` seconds (core's `Client::with_timeout`): a deadline for one part of a program
    /// without a second pool.
    fn with_timeout(&self, timeout: f64) -> PyResult<Self> {
        let timeout = seconds(Some(timeout), "timeout")?.unwrap_or_default();
        Ok(Client {
            inner: self.inner.with_timeout(timeout),
        })
    }

    /// The deadline of one call on this client, in seconds.
    #[getter]
    fn timeout(&self) -> f64 {
        self.inner.timeout().as_secs_f64()
    }

    /// The resolved server URL, or `None`.
    #[getter]
    fn server(&self) -> Option<&str> {
        self.inner.server()
    }

    /// Where the bearer token came from: `"explicit"`, `"token_file"`, `"environment"`,
    /// `"profile"` or `"none"`.
    #[getter]
    fn credential_source(&self) -> &'static str {
        self.inner.credential_source().as_str()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let token = self
            .inner
            .token()
            .map_or_else(|| "None".to_owned(), |t| secret::repr(Some(t)));
        Ok(format!(
            "Client(server={}, token={token}, credential_source={})",
            self.server().into_pyobject(py)?.repr()?,
            self.credential_source().into_pyobject(py)?.repr()?,
        ))
    }
}
