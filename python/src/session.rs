//! Stored sessions: `Client.store_session`, `Client.rotate_session`, `Client.logout` and
//! `LogoutOutcome`.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::client::Client;
use crate::convert::repr_opt;
use crate::secret::extract_secret;
use crate::tokens::RotatedToken;

/// What `Client.logout()` did.
#[pyclass(frozen, module = "plexctl._plexctl")]
pub struct LogoutOutcome {
    inner: plexctl_core::LogoutOutcome,
}

#[pymethods]
impl LogoutOutcome {
    /// The profile that was cleared, or `None` when there was no active session.
    #[getter]
    fn profile(&self) -> Option<&str> {
        self.inner.profile.as_deref()
    }

    /// The session's server, or `None` when there was no active session.
    #[getter]
    fn server(&self) -> Option<&str> {
        self.inner.server.as_deref()
    }

    /// True when the server revoked the token now; false when it was already gone or there was
    /// no session.
    #[getter]
    fn revoked(&self) -> bool {
        self.inner.revoked
    }

    /// Whether there was a session to end.
    #[getter]
    fn had_session(&self) -> bool {
        self.inner.had_session()
    }

    /// The line plexctl prints: `Logged out. Cleared profile "default".` or
    /// `No active session; nothing to do.`
    fn text(&self) -> String {
        self.inner.text()
    }

    /// The JSON summary `{"profile", "server", "revoked"}` as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("profile", self.inner.profile.as_deref())?;
        d.set_item("server", self.inner.server.as_deref())?;
        d.set_item("revoked", self.inner.revoked)?;
        Ok(d)
    }

    fn __str__(&self) -> String {
        self.inner.text()
    }

    fn __repr__(&self) -> String {
        format!(
            "LogoutOutcome(profile={}, server={}, revoked={})",
            repr_opt(self.inner.profile.as_deref()),
            repr_opt(self.inner.server.as_deref()),
            if self.inner.revoked { "True" } else { "False" }
        )
    }
}

pub(crate) fn store_session(
    client: &Client,
    py: Python<'_>,
    profile: &str,
    server: &str,
    token: &Bound<'_, PyAny>,
    make_default: bool,
) -> PyResult<()> {
    let token = extract_secret(token, "token")?;
    let (profile, server) = (profile.to_owned(), server.to_owned());
    client.call(py, move |c| {
        c.store_session(&profile, &server, &token, make_default)
    })
}

pub(crate) fn logout(client: &Client, py: Python<'_>) -> PyResult<LogoutOutcome> {
    let inner = client.call(py, |c| c.logout())?;
    Ok(LogoutOutcome { inner })
}

pub(crate) fn rotate_session(client: &Client, py: Python<'_>) -> PyResult<RotatedToken> {
    let rotated = client.call(py, |c| c.rotate_session())?;
    RotatedToken::from_core(py, rotated)
}
