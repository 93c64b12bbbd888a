//! Stored sessions (profiles): store, log out (revoke, then clear), and rotate in place.

use std::fmt;
use std::path::PathBuf;

use reqwest::{Method, Url};
use serde::Serialize;
use uuid::Uuid;

use crate::client::Client;
use crate::config::{self, Profile};
use crate::credentials::SelectedProfile;
use crate::error::{Error, Operation, Result};
use crate::http::{Bearer, Request};
use crate::psk;
use crate::secret::Secret;
use crate::tokens::RotatedToken;

/// What [`Client::logout`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LogoutOutcome {
    /// The profile that was cleared; `None` when there was no active session.
    pub profile: Option<String>,
    /// The server the session belonged to.
    pub server: Option<String>,
    /// True when the server revoked the token now; false when it was already gone (401/404) or
    /// there was no session.
    pub revoked: bool,
}

impl LogoutOutcome {
    /// Whether there was a session to end.
    pub fn had_session(&self) -> bool {
        self.profile.is_some()
    }

    /// The line plexctl prints: `Logged out. Cleared profile "<name>".` (stdout), or, for the
    /// no-op, `No active session; nothing to do.` (stderr).
    pub fn text(&self) -> String {
        match &self.profile {
            Some(name) => format!("Logged out. Cleared profile {name:?}."),
            None => "No active session; nothing to do.".to_owned(),
        }
    }

    /// The JSON summary for scripts: `{"profile": ..., "server": ..., "revoked": ...}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the outcome serializes")
    }
}

impl fmt::Display for LogoutOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// A stored session read for logout or rotation.
struct Stored {
    path: PathBuf,
    name: String,
    token: Secret,
    server: Option<String>,
}

impl Client {
    /// The selected profile's session, if the file, the profile and its token exist.
    fn stored_session(&self) -> Result<Option<Stored>> {
        let Some(SelectedProfile {
            path,
            name,
            profile:
                Profile {
                    token: Some(token),
                    server,
                    ..
                },
        }) = self.credentials().select_profile()?
        else {
            return Ok(None);
        };
        Ok(Some(Stored {
            path,
            name,
            token,
            server,
        }))
    }

    /// The token id (recovered from the stored psk), the server and its checked URL of a stored
    /// session, before anything is sent.
    fn session_target(&self, stored: &Stored, verb: &str) -> Result<(Uuid, String, Url)> {
        let id =
            psk::token_id(stored.token.expose_secret()).map_err(|source| Error::InvalidPsk {
                context: format!(
                    "profile {:?}: the stored token cannot be {verb}",
                    stored.name
                ),
                source,
            })?;
        let server = stored
            .server
            .clone()
            .ok_or_else(|| Error::MissingCredentials {
                what: "server",
                looked_for: format!("profile {:?} has no server", stored.name),
            })?;
        let url = self.check_server(&server)?;
        Ok((id, server, url))
    }

    /// Saves `server` and `token` under `profile` in the config file (created 0600 when missing),
    /// and makes it the default when `make_default` is set or the file has no default yet — what
    /// a login command calls. Other profiles and unknown keys are kept; the file is the client's
    /// [`config_path`](crate::ClientBuilder::config_path), else the one the environment names.
    ///
    /// # Errors
    /// A usage error (2) for an empty profile name or a malformed server URL;
    /// [`Error::InsecureTransport`] (3) for plain http to a host that is not loopback; the
    /// config-file errors of [`config::update`].
    pub fn store_session(
        &self,
        profile: &str,
        server: &str,
        token: &Secret,
        make_default: bool,
    ) -> Result<()> {
        if profile.trim().is_empty() {
            return Err(Error::usage("profile", "required"));
        }
        if token.is_empty() {
            return Err(Error::usage("token", "required"));
        }
        self.check_server(server)?;
        config::update(&self.credentials().config_path()?, |file| {
            let entry = file.profiles.entry(profile.to_owned()).or_default();
            entry.server = Some(server.trim().to_owned());
            entry.token = Some(token.clone());
            if make_default || file.default.is_none() {
                file.default = Some(profile.to_owned());
            }
            Ok(())
        })
    }

    /// Ends the active session: revokes the selected profile's token on its server
    /// (`DELETE /v1/auth/tokens/{id}`, the id recovered from the stored psk, authenticated with
    /// the token itself), then removes the profile and resets the default pointer if it pointed
    /// there. The profile is the client's [`profile`](crate::ClientBuilder::profile), else the file's
    /// default; token files and `PLEXSPHERE_TOKEN` are never touched.
    ///
    /// No config file, no such profile, or a profile with no token is a no-op that sends nothing.
    /// A 401 or 404 means the session is already gone: the profile is cleared too. A profile
    /// that was given a new token while the revocation was in flight (a concurrent login) is kept,
    /// since that token is still live.
    ///
    /// # Errors
    /// Every error keeps the stored credential: [`Error::InvalidPsk`] (2) when the stored token is
    /// not a psk (nothing is sent); [`Error::InsecureConfig`] (3) for a file wider than 0600;
    /// [`Error::MissingCredentials`] (3) for a profile without a server; [`Error::Api`] with exit
    /// code 4 for a 403 and 1 for a 5xx or any other status; [`Error::Transport`] (1).
    pub fn logout(&self) -> Result<LogoutOutcome> {
        let Some(stored) = self.stored_session()? else {
            return Ok(LogoutOutcome {
                profile: None,
                server: None,
                revoked: false,
            });
        };
        let (id, server, url) = self.session_target(&stored, "revoked")?;
        let x = self.send(Request {
            operation: Operation::Logout,
            method: Method::DELETE,
            path: format!("/v1/auth/tokens/{id}"),
            bearer: Bearer::Token(&stored.token),
            body: None,
            secrets: vec![&stored.token],
            server: Some(&url),
        })?;
        let revoked = match x.resp.status {
            200..=299 => true,
            401 | 404 => false,
            _ => {
                return Err(x.api_error());
            }
        };
        config::update(&stored.path, |file| {
            // Clear only the session that was revoked: a profile rewritten meanwhile (a new login
            // or a rotation) holds a credential that is still live.
            let same = file
                .profiles
                .get(&stored.name)
                .and_then(|p| p.token.as_ref())
                .is_some_and(|t| t.expose_secret() == stored.token.expose_secret());
            if same {
                file.profiles.remove(&stored.name);
                if file.default.as_deref() == Some(stored.name.as_str()) {
                    file.default = None;
                }
            }
            Ok(())
        })?;
        Ok(LogoutOutcome {
            profile: Some(stored.name),
            server: Some(server),
            revoked,
        })
    }

    /// Rotates the token the selected profile holds (the id recovered from it, authenticated with
    /// it, on the profile's server) and writes the new plaintext into the profile before
    /// returning, so the session survives rotation with no gap.
    ///
    /// # Errors
    /// [`Error::MissingCredentials`] (3) when there is no stored session; [`Error::InvalidPsk`]
    /// (2); the errors of [`Client::rotate_token`] (nothing changed then); and
    /// [`Error::SessionNotSaved`] (1) when the rotation succeeded but the file could not be
    /// written, or the profile was logged out or replaced meanwhile (it is then left as it is): the
    /// error carries the new plaintext ([`Error::rotated_token`]) and the old one keeps working
    /// until the rotation deadline. When the server's answer held the new plaintext but was
    /// otherwise malformed, the plaintext is written into the profile first and the
    /// [`Error::Decode`] still carries it ([`Error::recovered_plaintext`]).
    pub fn rotate_session(&self) -> Result<RotatedToken> {
        let stored = self
            .stored_session()?
            .ok_or_else(|| Error::MissingCredentials {
                what: "token",
                looked_for: self.credentials().profile_source(),
            })?;
        let (id, server, url) = self.session_target(&stored, "rotated")?;
        let rotated = match self.rotate_token_as(Bearer::Token(&stored.token), Some(&url), id) {
            Ok(rotated) => rotated,
            Err(e) => {
                // A malformed answer that still held the new plaintext: the old one now dies at a
                // deadline we could not read, so store the new one before reporting the error.
                if let Some(recovered) = e.recovered_token() {
                    let _ = self.replace_stored_token(&stored, &recovered.plaintext, &server);
                }
                return Err(e);
            }
        };
        let saved = self.replace_stored_token(&stored, &rotated.plaintext, &server);
        match saved {
            Ok(()) => Ok(rotated),
            Err(e) => Err(Error::SessionNotSaved {
                path: stored.path,
                message: e.to_string(),
                rotated: Box::new(rotated),
            }),
        }
    }

    /// Writes `token` into the stored session's profile in place of the token that was rotated,
    /// leaving a profile that was logged out or re-logged-in meanwhile untouched (an error then).
    fn replace_stored_token(&self, stored: &Stored, token: &Secret, server: &str) -> Result<()> {
        config::update(&stored.path, |file| {
            // Replace only the token that was rotated: a profile logged out or re-logged-in
            // meanwhile must not be resurrected or overwritten; the caller gets the plaintext.
            let entry = file
                .profiles
                .get_mut(&stored.name)
                .filter(|p| {
                    p.token
                        .as_ref()
                        .is_some_and(|t| t.expose_secret() == stored.token.expose_secret())
                })
                .ok_or_else(|| Error::Config {
                    path: stored.path.clone(),
                    message: format!(
                        "profile {:?} changed while its token was being rotated",
                        stored.name
                    ),
                    source: None,
                })?;
            entry.token = Some(token.clone());
            entry.server.get_or_insert_with(|| server.to_owned());
            Ok(())
        })
    }
}
