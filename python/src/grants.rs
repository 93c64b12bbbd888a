//! Service-token grants: `Client.mint_service_token`, its result `ServiceToken`, and
//! `ServiceTokenSource`, which keeps one access token fresh.

use plexctl_core::ServiceTokenRequest;
use pyo3::prelude::*;
use time::OffsetDateTime;

use crate::client::Client;
use crate::convert::ToDoor;
use crate::errors::Error;
use crate::input::seconds;
use crate::results::result_class;
use crate::secret::{Secret, extract_secret};

result_class! {
    /// A minted service access token.
    pub struct ServiceToken from plexctl_core::ServiceToken {
        /// The bearer access token, as a `Secret`.
        access_token: Py<Secret>,
        /// The token type (`Bearer`).
        token_type: String,
        /// The lifetime in seconds, counted from issue.
        expires_in: u64,
        /// The granted scope, or `None`.
        scope: Option<String>,
        /// When the token expires, computed on receipt from `expires_in` (timezone-aware).
        expires_at: OffsetDateTime,
    }
}

/// Builds the core request from Python arguments; the core applies the grant's rules.
fn request(
    client_id: &str,
    grant_type: &str,
    client_secret: Option<&Bound<'_, PyAny>>,
    client_assertion: Option<&Bound<'_, PyAny>>,
    scope: Option<&str>,
) -> PyResult<ServiceTokenRequest> {
    let client_secret = client_secret
        .map(|s| extract_secret(s, "client_secret"))
        .transpose()?;
    let client_assertion = client_assertion
        .map(|s| extract_secret(s, "client_assertion"))
        .transpose()?;
    Ok(ServiceTokenRequest::parse(
        client_id,
        grant_type,
        client_secret,
        client_assertion,
        scope,
    )
    .map_err(Error)?)
}

#[pymethods]
impl Client {
    /// Mints a service access token (`POST /v1/auth/service/token`); needs no bearer token.
    #[pyo3(signature = (client_id, grant_type, *, client_secret=None, client_assertion=None, scope=None))]
    fn mint_service_token(
        &self,
        py: Python<'_>,
        client_id: &str,
        grant_type: &str,
        client_secret: Option<&Bound<'_, PyAny>>,
        client_assertion: Option<&Bound<'_, PyAny>>,
        scope: Option<&str>,
    ) -> PyResult<ServiceToken> {
        let req = request(
            client_id,
            grant_type,
            client_secret,
            client_assertion,
            scope,
        )?;
        self.call(py, |c| c.mint_service_token(&req))?.to_door(py)
    }
}

/// Keeps one service access token fresh: `token()` returns the cached token, or mints a new one
/// shortly before it expires. Thread-safe; concurrent callers share one mint.
#[pyclass(frozen, module = "plexctl._plexctl")]
pub struct ServiceTokenSource {
    inner: plexctl_core::ServiceTokenSource,
    client_id: String,
    grant_type: &'static str,
}

#[pymethods]
impl ServiceTokenSource {
    /// A source for `client`'s server. The grant's inputs are checked now; nothing is minted
    /// until the first `token()`. `refresh_margin` (seconds) is how long before expiry a new
    /// token is minted (the core's default when `None`).
    #[new]
    #[pyo3(signature = (client, client_id, grant_type, *, client_secret=None, client_assertion=None, scope=None, refresh_margin=None))]
    fn new(
        client: &Bound<'_, Client>,
        client_id: &str,
        grant_type: &str,
        client_secret: Option<&Bound<'_, PyAny>>,
        client_assertion: Option<&Bound<'_, PyAny>>,
        scope: Option<&str>,
        refresh_margin: Option<f64>,
    ) -> PyResult<Self> {
        let req = request(
            client_id,
            grant_type,
            client_secret,
            client_assertion,
            scope,
        )?;
        let (client_id, grant_type) = (req.client_id.clone(), req.grant_type.as_str());
        let core_client = client.get().inner.clone();
        let inner = match seconds(refresh_margin, "refresh_margin")? {
            None => plexctl_core::ServiceTokenSource::new(core_client, req),
            Some(margin) => plexctl_core::ServiceTokenSource::with_margin(core_client, req, margin),
        }
        .map_err(Error)?;
        Ok(ServiceTokenSource {
            inner,
            client_id,
            grant_type,
        })
    }

    /// A valid access token: the cached one, or a freshly minted one (the GIL is released while
    /// minting).
    fn token(&self, py: Python<'_>) -> PyResult<Py<Secret>> {
        let inner = &self.inner;
        let result = py.detach(|| inner.token());
        py.check_signals()?;
        result.map_err(Error)?.to_door(py)
    }

    /// A source sharing this one's cached token whose mints each end within `timeout` seconds
    /// (core's `ServiceTokenSource::with_timeout`).
    fn with_timeout(&self, timeout: f64) -> PyResult<Self> {
        let timeout = seconds(Some(timeout), "timeout")?.unwrap_or_default();
        Ok(ServiceTokenSource {
            inner: self.inner.with_timeout(timeout),
            client_id: self.client_id.clone(),
            grant_type: self.grant_type,
        })
    }

    /// Forgets the cached token, so the next `token()` mints (after a 401, say).
    fn invalidate(&self) {
        self.inner.invalidate();
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "ServiceTokenSource(client_id={}, grant_type={})",
            self.client_id.as_str().into_pyobject(py)?.repr()?,
            self.grant_type.into_pyobject(py)?.repr()?,
        ))
    }
}
