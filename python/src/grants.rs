//! Service-token grants: `Client.service_token`, its result `ServiceToken`, and
//! `ServiceTokenSource`, which keeps one access token fresh.

use std::time::Duration;

use plexctl_core::ServiceTokenRequest;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use time::OffsetDateTime;

use crate::client::Client;
use crate::convert::{quote, repr_opt, repr_time, rfc3339};
use crate::errors::{Error, usage};
use crate::secret::{Secret, extract_secret, refuse_copy};

/// A minted service access token.
#[pyclass(frozen, module = "plexctl._plexctl")]
pub struct ServiceToken {
    access_token: Py<Secret>,
    token_type: String,
    expires_in: u64,
    scope: Option<String>,
    expires_at: OffsetDateTime,
}

#[pymethods]
impl ServiceToken {
    /// The bearer access token, as a `Secret`.
    #[getter]
    fn access_token(&self, py: Python<'_>) -> Py<Secret> {
        self.access_token.clone_ref(py)
    }

    /// The token type (`Bearer`).
    #[getter]
    fn token_type(&self) -> &str {
        &self.token_type
    }

    /// The lifetime in seconds, counted from issue.
    #[getter]
    fn expires_in(&self) -> u64 {
        self.expires_in
    }

    /// The granted scope, or `None`.
    #[getter]
    fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// When the token expires, computed on receipt from `expires_in` (timezone-aware).
    #[getter]
    fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// A JSON-ready dict (times as strings); `access_token` stays a `Secret`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("access_token", self.access_token.clone_ref(py))?;
        d.set_item("token_type", &self.token_type)?;
        d.set_item("expires_in", self.expires_in)?;
        d.set_item("scope", self.scope.as_deref())?;
        d.set_item("expires_at", rfc3339(self.expires_at))?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "ServiceToken(access_token={}, token_type={}, expires_in={}, scope={}, expires_at={})",
            self.access_token.get().repr(),
            quote(&self.token_type),
            self.expires_in,
            repr_opt(self.scope.as_deref()),
            repr_time(Some(self.expires_at)),
        )
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(refuse_copy())
    }

    fn __copy__(&self) -> PyResult<()> {
        Err(refuse_copy())
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(refuse_copy())
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

pub(crate) fn service_token(
    client: &Client,
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
    let minted = client.call(py, |c| c.mint_service_token(&req))?;
    Ok(ServiceToken {
        token_type: minted.token_type,
        expires_in: minted.expires_in,
        scope: minted.scope,
        expires_at: minted.expires_at,
        access_token: Secret::new_py(py, minted.access_token)?,
    })
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
        let inner = match refresh_margin {
            None => plexctl_core::ServiceTokenSource::new(core_client, req),
            Some(m) => {
                let margin = Duration::try_from_secs_f64(m).map_err(|_| {
                    usage(
                        "refresh_margin",
                        "expected a non-negative number of seconds",
                    )
                })?;
                plexctl_core::ServiceTokenSource::with_margin(core_client, req, margin)
            }
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
        Secret::new_py(py, result.map_err(Error)?)
    }

    /// Forgets the cached token, so the next `token()` mints (after a 401, say).
    fn invalidate(&self) {
        self.inner.invalidate();
    }

    fn __repr__(&self) -> String {
        format!(
            "ServiceTokenSource(client_id={}, grant_type={})",
            quote(&self.client_id),
            quote(self.grant_type)
        )
    }
}
