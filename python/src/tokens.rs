//! The API-token family: `Client.issue_token`, `list_tokens`, `delete_token`, `rotate_token` and
//! their results `IssuedToken`, `TokenSummary`, `RotatedToken`.

use plexctl_core::{IssueTokenRequest, tokens::parse_token_id};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::client::Client;
use crate::convert::{extract_id, quote, repr_time, rfc3339};
use crate::errors::Error;
use crate::secret::{Secret, refuse_copy};

/// A freshly issued API token. `plaintext` is shown exactly once: nothing returns it again.
#[pyclass(frozen, module = "plexctl._plexctl")]
pub struct IssuedToken {
    id: Uuid,
    plaintext: Py<Secret>,
    env_prefix: String,
    expires_at: OffsetDateTime,
}

#[pymethods]
impl IssuedToken {
    /// The token id.
    #[getter]
    fn id(&self) -> Uuid {
        self.id
    }

    /// The psk plaintext, as a `Secret`.
    #[getter]
    fn plaintext(&self, py: Python<'_>) -> Py<Secret> {
        self.plaintext.clone_ref(py)
    }

    /// The environment segment (`dev`, `stage`, `prod`).
    #[getter]
    fn env_prefix(&self) -> &str {
        &self.env_prefix
    }

    /// When the token expires (timezone-aware).
    #[getter]
    fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// A JSON-ready dict: ids and times as strings; `plaintext` stays a `Secret`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id.to_string())?;
        d.set_item("plaintext", self.plaintext.clone_ref(py))?;
        d.set_item("env_prefix", &self.env_prefix)?;
        d.set_item("expires_at", rfc3339(self.expires_at))?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "IssuedToken(id='{}', plaintext={}, env_prefix={}, expires_at={})",
            self.id,
            self.plaintext.get().repr(),
            quote(&self.env_prefix),
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

/// A token's summary, as listed. Never carries a plaintext.
#[pyclass(frozen, module = "plexctl._plexctl")]
pub struct TokenSummary {
    inner: plexctl_core::TokenSummary,
}

#[pymethods]
impl TokenSummary {
    /// The token id.
    #[getter]
    fn id(&self) -> Uuid {
        self.inner.id
    }

    /// The environment segment.
    #[getter]
    fn env_prefix(&self) -> &str {
        &self.inner.env_prefix
    }

    /// When the token was issued.
    #[getter]
    fn created_at(&self) -> OffsetDateTime {
        self.inner.created_at
    }

    /// When the token expires.
    #[getter]
    fn expires_at(&self) -> OffsetDateTime {
        self.inner.expires_at
    }

    /// When the token last authenticated, or `None`.
    #[getter]
    fn last_used_at(&self) -> Option<OffsetDateTime> {
        self.inner.last_used_at
    }

    /// When the token was last rotated, or `None`.
    #[getter]
    fn rotated_at(&self) -> Option<OffsetDateTime> {
        self.inner.rotated_at
    }

    /// A JSON-ready dict (ids and times as strings).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let t = &self.inner;
        let d = PyDict::new(py);
        d.set_item("id", t.id.to_string())?;
        d.set_item("env_prefix", &t.env_prefix)?;
        d.set_item("created_at", rfc3339(t.created_at))?;
        d.set_item("expires_at", rfc3339(t.expires_at))?;
        d.set_item("last_used_at", t.last_used_at.map(rfc3339))?;
        d.set_item("rotated_at", t.rotated_at.map(rfc3339))?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let t = &self.inner;
        format!(
            "TokenSummary(id='{}', env_prefix={}, created_at={}, expires_at={}, last_used_at={}, rotated_at={})",
            t.id,
            quote(&t.env_prefix),
            repr_time(Some(t.created_at)),
            repr_time(Some(t.expires_at)),
            repr_time(t.last_used_at),
            repr_time(t.rotated_at),
        )
    }
}

/// A rotated token: the new plaintext (shown exactly once) and the deadline until which the
/// rotated-from plaintext still authenticates.
#[pyclass(frozen, module = "plexctl._plexctl")]
pub struct RotatedToken {
    id: Uuid,
    plaintext: Py<Secret>,
    env_prefix: String,
    expires_at: OffsetDateTime,
    rotation_deadline: OffsetDateTime,
    sunset: Option<OffsetDateTime>,
    sunset_agrees: bool,
}

impl RotatedToken {
    pub(crate) fn from_core(py: Python<'_>, r: plexctl_core::RotatedToken) -> PyResult<Self> {
        let sunset_agrees = r.sunset_agrees();
        Ok(RotatedToken {
            id: r.id,
            env_prefix: r.env_prefix,
            expires_at: r.expires_at,
            rotation_deadline: r.rotation_deadline,
            sunset: r.sunset,
            sunset_agrees,
            plaintext: Secret::new_py(py, r.plaintext)?,
        })
    }
}

#[pymethods]
impl RotatedToken {
    /// The token id (unchanged by rotation).
    #[getter]
    fn id(&self) -> Uuid {
        self.id
    }

    /// The new psk plaintext, as a `Secret`.
    #[getter]
    fn plaintext(&self, py: Python<'_>) -> Py<Secret> {
        self.plaintext.clone_ref(py)
    }

    /// The environment segment.
    #[getter]
    fn env_prefix(&self) -> &str {
        &self.env_prefix
    }

    /// When the new plaintext expires.
    #[getter]
    fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// Until when the rotated-from plaintext is still honoured.
    #[getter]
    fn rotation_deadline(&self) -> OffsetDateTime {
        self.rotation_deadline
    }

    /// The RFC 8594 `Sunset` header's time, or `None` when the server sent none.
    #[getter]
    fn sunset(&self) -> Option<OffsetDateTime> {
        self.sunset
    }

    /// Whether the `Sunset` header was present and names the same second as `rotation_deadline`.
    #[getter]
    fn sunset_agrees(&self) -> bool {
        self.sunset_agrees
    }

    /// A JSON-ready dict: ids and times as strings; `plaintext` stays a `Secret`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id.to_string())?;
        d.set_item("plaintext", self.plaintext.clone_ref(py))?;
        d.set_item("env_prefix", &self.env_prefix)?;
        d.set_item("expires_at", rfc3339(self.expires_at))?;
        d.set_item("rotation_deadline", rfc3339(self.rotation_deadline))?;
        d.set_item("sunset", self.sunset.map(rfc3339))?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "RotatedToken(id='{}', plaintext={}, env_prefix={}, expires_at={}, rotation_deadline={}, sunset={})",
            self.id,
            self.plaintext.get().repr(),
            quote(&self.env_prefix),
            repr_time(Some(self.expires_at)),
            repr_time(Some(self.rotation_deadline)),
            repr_time(self.sunset),
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

/// A lifetime argument: a duration string the core parses (`1h`, `30m`, `90s`), an `int` number
/// of seconds, or a `datetime.timedelta`; the core validates all three.
fn ttl_text(ttl: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = ttl.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if ttl.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(
            "ttl must be a str, int or datetime.timedelta",
        ));
    }
    if let Ok(n) = ttl.extract::<i64>() {
        return Ok(format!("{n}s"));
    }
    if ttl.is_instance_of::<pyo3::types::PyDelta>() {
        let secs: f64 = ttl.call_method0("total_seconds")?.extract()?;
        return Ok(format!("{secs}s"));
    }
    Err(PyTypeError::new_err(
        "ttl must be a str, int or datetime.timedelta",
    ))
}

pub(crate) fn issue_token(
    client: &Client,
    py: Python<'_>,
    identity_ref: &str,
    env_prefix: &str,
    ttl: Option<&Bound<'_, PyAny>>,
) -> PyResult<IssuedToken> {
    let ttl = ttl.map(ttl_text).transpose()?;
    let req = IssueTokenRequest::parse(identity_ref, env_prefix, ttl.as_deref()).map_err(Error)?;
    let issued = client.call(py, |c| c.issue_token(&req))?;
    Ok(IssuedToken {
        id: issued.id,
        env_prefix: issued.env_prefix,
        expires_at: issued.expires_at,
        plaintext: Secret::new_py(py, issued.plaintext)?,
    })
}

pub(crate) fn list_tokens(client: &Client, py: Python<'_>) -> PyResult<Vec<TokenSummary>> {
    let list = client.call(py, |c| c.list_tokens())?;
    Ok(list
        .into_iter()
        .map(|inner| TokenSummary { inner })
        .collect())
}

pub(crate) fn delete_token(client: &Client, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<()> {
    let id = extract_id(id, "id", parse_token_id)?;
    client.call(py, |c| c.delete_token(id))
}

pub(crate) fn rotate_token(
    client: &Client,
    py: Python<'_>,
    id: &Bound<'_, PyAny>,
) -> PyResult<RotatedToken> {
    let id = extract_id(id, "id", parse_token_id)?;
    let rotated = client.call(py, |c| c.rotate_token(id))?;
    RotatedToken::from_core(py, rotated)
}
