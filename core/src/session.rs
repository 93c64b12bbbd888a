//! Credential resolution, stored sessions (profiles), logout, and rotating a stored session in
//! place.
//!
//! Resolution, first match wins — token: explicit → token file → `PLEXSPHERE_TOKEN` → the
//! selected profile; server: explicit → `PLEXSPHERE_URL` → the selected profile; profile: explicit
//! name → the file's `default`. The config file is read only when a profile is actually needed.

use std::fmt;
use std::path::{Path, PathBuf};

use reqwest::{Method, Url};
use serde::Serialize;
use uuid::Uuid;

use crate::client::{
    Bearer, Client, ClientBuilder, ENV_TOKEN, ENV_URL, Request, TokenSource, api_error,
    parse_server,
};
use crate::config::{self, Profile};
use crate::error::{Error, Operation, Result};
use crate::psk;
use crate::secret::Secret;
use crate::tokens::RotatedToken;

/// The credentials a [`ClientBuilder`] resolved.
pub(crate) struct Resolved {
    pub server: Option<String>,
    pub token: Option<Secret>,
    pub token_source: TokenSource,
}

/// Resolves token and server in the contract's order; the first match wins.
pub(crate) fn resolve(b: &ClientBuilder) -> Result<Resolved> {
    let (mut token, mut token_source) = if let Some(t) = &b.token {
        (Some(t.clone()), TokenSource::Explicit)
    } else if let Some(path) = &b.token_file {
        (
            Some(read_token_file(path)?),
            TokenSource::TokenFile(path.clone()),
        )
    } else if let Some(t) = env(b, ENV_TOKEN) {
        (Some(Secret::new(t)), TokenSource::Environment)
    } else {
        (None, TokenSource::None)
    };
    let mut server = b.server.clone().or_else(|| env(b, ENV_URL));
    if (token.is_none() || server.is_none())
        && let Some((name, profile)) = selected_profile(b)?
    {
        if token.is_none()
            && let Some(t) = profile.token
        {
            token = Some(t);
            token_source = TokenSource::Profile(name);
        }
        server = server.or(profile.server);
    }
    Ok(Resolved {
        server,
        token,
        token_source,
    })
}

/// The selected profile (explicit name, else the file's default), if the file and it exist.
fn selected_profile(b: &ClientBuilder) -> Result<Option<(String, Profile)>> {
    let path = match config::locate(b.config_path.as_deref(), b.use_environment) {
        Ok(p) => p,
        // No explicit path and no environment to derive one from: there is no profile to use.
        Err(_) if b.config_path.is_none() => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(mut file) = config::read(&path)? else {
        return Ok(None);
    };
    let Some(name) = b.profile.clone().or(file.default.take()) else {
        return Ok(None);
    };
    Ok(file.profiles.remove(&name).map(|p| (name, p)))
}

fn env(b: &ClientBuilder, name: &str) -> Option<String> {
    if !b.use_environment {
        return None;
    }
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn read_token_file(path: &Path) -> Result<Secret> {
    let raw =
        zeroize::Zeroizing::new(std::fs::read(path).map_err(|e| Error::MissingCredentials {
            what: "token",
            looked_for: format!("token file {} could not be read ({e})", path.display()),
        })?);
    let text = std::str::from_utf8(&raw)
        .map_err(|_| Error::usage("token_file", "the token file is not UTF-8"))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::MissingCredentials {
            what: "token",
            looked_for: format!("token file {} is empty", path.display()),
        });
    }
    Ok(Secret::from(token))
}

fn profile_source(b: &ClientBuilder) -> String {
    let file = config::locate(b.config_path.as_deref(), b.use_environment)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "the config file".into());
    match &b.profile {
        Some(name) => format!("profile {name:?} in {file}"),
        None => format!("the default profile in {file}"),
    }
}

/// The token sources tried, for a [`Error::MissingCredentials`] message.
pub(crate) fn looked_for_token(b: &ClientBuilder) -> String {
    let mut tried = vec!["an explicit token".to_owned()];
    if let Some(p) = &b.token_file {
        tried.push(format!("token file {}", p.display()));
    }
    if b.use_environment {
        tried.push(ENV_TOKEN.to_owned());
    }
    tried.push(profile_source(b));
    tried.join(", ")
}

/// The server sources tried, for a [`Error::MissingCredentials`] message.
pub(crate) fn looked_for_server(b: &ClientBuilder) -> String {
    let mut tried = vec!["an explicit server URL".to_owned()];
    if b.use_environment {
        tried.push(ENV_URL.to_owned());
    }
    tried.push(profile_source(b));
    tried.join(", ")
}

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
    fn config_path(&self) -> Result<PathBuf> {
        let b = self.settings();
        config::locate(b.config_path.as_deref(), b.use_environment)
    }

    /// The selected profile's session, if the file, the profile and its token exist.
    fn stored_session(&self) -> Result<Option<Stored>> {
        let path = match self.config_path() {
            Ok(p) => p,
            // No explicit path and none derivable from the environment: no file, so no session.
            Err(_) if self.settings().config_path.is_none() => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(mut file) = config::read(&path)? else {
            return Ok(None);
        };
        let Some(name) = self.settings().profile.clone().or(file.default.take()) else {
            return Ok(None);
        };
        let Some(Profile {
            token: Some(token),
            server,
            ..
        }) = file.profiles.remove(&name)
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
        let url = parse_server(&server, self.settings().allow_insecure_http)?;
        Ok((id, server, url))
    }

    /// Saves `server` and `token` under `profile` in the config file (created 0600 when missing),
    /// and makes it the default when `make_default` is set or the file has no default yet — what
    /// a login command calls. Other profiles and unknown keys are kept; the file is the client's
    /// [`config_path`](ClientBuilder::config_path), else the one the environment names.
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
        parse_server(server, self.settings().allow_insecure_http)?;
        config::update(&self.config_path()?, |file| {
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
    /// there. The profile is the client's [`profile`](ClientBuilder::profile), else the file's
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
        let resp = self.send(Request {
            operation: Operation::Logout,
            method: Method::DELETE,
            path: format!("/v1/auth/tokens/{id}"),
            bearer: Bearer::Token(&stored.token),
            body: None,
            secrets: vec![&stored.token],
            server: Some(&url),
        })?;
        let revoked = match resp.status {
            200..=299 => true,
            401 | 404 => false,
            _ => {
                return Err(api_error(
                    Operation::Logout,
                    &resp,
                    std::slice::from_ref(&stored.token),
                ));
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
    /// until the rotation deadline.
    pub fn rotate_session(&self) -> Result<RotatedToken> {
        let stored = self
            .stored_session()?
            .ok_or_else(|| Error::MissingCredentials {
                what: "token",
                looked_for: profile_source(self.settings()),
            })?;
        let (id, server, url) = self.session_target(&stored, "rotated")?;
        let rotated = self.rotate_token_as(Bearer::Token(&stored.token), Some(&url), id)?;
        let saved = config::update(&stored.path, |file| {
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
            entry.token = Some(rotated.plaintext.clone());
            entry.server.get_or_insert(server.clone());
            Ok(())
        });
        match saved {
            Ok(()) => Ok(rotated),
            Err(e) => Err(Error::SessionNotSaved {
                path: stored.path,
                message: e.to_string(),
                rotated: Box::new(rotated),
            }),
        }
    }
}
