//! Who am I and the session's status: `Client.whoami`, `Client.status`, with `Whoami` and
//! `Status`.

use plexctl_core::{AuthState, PrincipalType};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use uuid::Uuid;

use crate::client::Client;
use crate::convert::ToDoor;
use crate::results::result_class;
use crate::tokens::TokenSummary;

/// A principal type crosses as its name: `"user"` or `"service"`.
impl ToDoor for PrincipalType {
    type Door = &'static str;
    fn to_door(self, _py: Python<'_>) -> PyResult<&'static str> {
        Ok(self.as_str())
    }
}

/// A state crosses as its name: `"authenticated"`, `"no_credentials"` or `"rejected"`.
impl ToDoor for AuthState {
    type Door = &'static str;
    fn to_door(self, _py: Python<'_>) -> PyResult<&'static str> {
        Ok(self.as_str())
    }
}

result_class! {
    /// The principal the client's token authenticates as (`GET /v1/auth/whoami`). The server's
    /// strings have had escapes and control characters removed.
    pub struct Whoami from plexctl_core::Whoami {
        /// `"user"` or `"service"`.
        principal_type: &'static str,
        /// The principal's identifier.
        subject: String,
        /// The Domain the principal belongs to, or `None`.
        domain_id: Option<Uuid>,
        /// The principal's primary email, when the IdP supplied one.
        email: Option<String>,
        /// The Authentication Context Class Reference, or `None`.
        acr: Option<String>,
        /// The Authentication Methods References (`pwd`, `mfa`, ...), as a tuple.
        amr: Py<PyTuple>,
    }
    computed from m {
        /// The core's line, returned by `text()` and `str()`.
        text: String = m.text(),
    }
}

#[pymethods]
impl Whoami {
    /// `user <subject> (<email>)`: the principal in one line.
    fn text(&self) -> &str {
        &self.text
    }

    fn __str__(&self) -> &str {
        &self.text
    }
}

result_class! {
    /// What `Client.status()` found: the server, where the token came from, whether it
    /// authenticates, who as, and for a psk the token's own summary. No credential and a
    /// refused token are states, not errors.
    pub struct Status from plexctl_core::Status {
        /// The resolved server, or `None`.
        server: Option<String>,
        /// Where the token came from: `"explicit"`, `"token_file"`, `"environment"`, `"profile"`
        /// or `"none"`.
        credential_source: String,
        /// The profile the token came from, when it came from one.
        profile: Option<String>,
        /// `"authenticated"`, `"no_credentials"` (nothing was sent) or `"rejected"` (401).
        state: &'static str,
        /// Who the token authenticates as (a `Whoami`), when it does.
        principal: Option<Py<Whoami>>,
        /// The token's own summary (a `TokenSummary`: expiry, last use, rotation), when the token
        /// is a psk the server lists.
        token: Option<Py<TokenSummary>>,
        /// Why the server refused the token (the Problem's code, e.g. `"token_revoked"`, or its
        /// title), when it did.
        rejection: Option<String>,
    }
    computed from m {
        /// The core value, for `expires_in` and `text()`, which count from the moment they are
        /// asked.
        core: plexctl_core::Status = m.clone(),
    }
}

#[pymethods]
impl Status {
    /// How long until the token expires, as a `datetime.timedelta` counted from now (negative
    /// once past), or `None` when the token's summary is unknown.
    #[getter]
    fn expires_in(&self) -> Option<time::Duration> {
        self.core.expires_in()
    }

    /// The lines plexctl prints: server, credentials, status and, for a psk, when the token
    /// expires.
    fn text(&self) -> String {
        self.core.text()
    }

    fn __str__(&self) -> String {
        self.core.text()
    }
}

#[pymethods]
impl Client {
    /// Who the client's token authenticates as (`GET /v1/auth/whoami`). A refused token is an
    /// `APIError` (status 401, `code` `token_revoked`, `token_expired` or `unauthenticated`).
    fn whoami(&self, py: Python<'_>) -> PyResult<Whoami> {
        self.call(py, |c| c.whoami())?.to_door(py)
    }

    /// The status a user can print. No token or server is `state == "no_credentials"` (nothing is
    /// sent) and a refused token `"rejected"`; only what keeps the status from being known
    /// (transport, a non-2xx other than 401, a malformed answer) raises.
    fn status(&self, py: Python<'_>) -> PyResult<Status> {
        self.call(py, |c| c.status())?.to_door(py)
    }
}
