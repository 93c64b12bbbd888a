//! Stored sessions: `Client.store_session`, `Client.rotate_session`, `Client.logout` and
//! `LogoutOutcome`.

use pyo3::prelude::*;

use crate::client::Client;
use crate::convert::ToDoor;
use crate::results::result_class;
use crate::secret::extract_secret;
use crate::tokens::RotatedToken;

result_class! {
    /// What `Client.logout()` did.
    pub struct LogoutOutcome from plexctl_core::LogoutOutcome {
        /// The profile that was cleared, or `None` when there was no active session.
        profile: Option<String>,
        /// The session's server, or `None` when there was no active session.
        server: Option<String>,
        /// True when the server revoked the token now; false when it was already gone or there
        /// was no session.
        revoked: bool,
    }
    computed from m {
        /// Whether there was a session to end.
        #[pyo3(get)]
        had_session: bool = m.had_session(),
        /// The core's line for the outcome, returned by `text()` and `str()`.
        text: String = m.text(),
    }
}

#[pymethods]
impl LogoutOutcome {
    /// The line plexctl prints: `Logged out. Cleared profile "default".` or
    /// `No active session; nothing to do.`
    fn text(&self) -> &str {
        &self.text
    }

    fn __str__(&self) -> &str {
        &self.text
    }
}

#[pymethods]
impl Client {
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
        let token = extract_secret(token, "token")?;
        let (profile, server) = (profile.to_owned(), server.to_owned());
        self.call(py, move |c| {
            c.store_session(&profile, &server, &token, make_default)
        })
    }

    /// Ends the active session (this client's profile, else the file's default): revokes its
    /// token on its server, then clears the profile. No session is a no-op; a session the server
    /// no longer knows (401/404) is cleared too. Every failure keeps the stored credential.
    fn logout(&self, py: Python<'_>) -> PyResult<LogoutOutcome> {
        self.call(py, |c| c.logout())?.to_door(py)
    }

    /// Rotates the token the active profile holds and writes the new plaintext into the profile
    /// before returning. If the file cannot be written, `SessionNotSavedError.rotated` holds the
    /// new plaintext.
    fn rotate_session(&self, py: Python<'_>) -> PyResult<RotatedToken> {
        self.call(py, |c| c.rotate_session())?.to_door(py)
    }
}
