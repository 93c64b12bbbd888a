//! Where the bearer token, the server and the profile come from.
//!
//! First match wins — token: explicit → token file → `PLEXSPHERE_TOKEN` → the selected profile;
//! server: explicit → `PLEXSPHERE_URL` → the selected profile; profile: explicit name → the file's
//! `default`. The config file is read only when a profile is actually needed.

use std::path::{Path, PathBuf};

use crate::config::{self, Profile};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// Environment variable holding a bearer token.
pub const ENV_TOKEN: &str = "PLEXSPHERE_TOKEN";
/// Environment variable holding the server URL.
pub const ENV_URL: &str = "PLEXSPHERE_URL";

/// Where the client's bearer token came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// Passed explicitly.
    Explicit,
    /// Read from a token file.
    TokenFile(PathBuf),
    /// Read from `PLEXSPHERE_TOKEN`.
    Environment,
    /// Read from a config-file profile.
    Profile(String),
    /// No token was resolved.
    None,
}

impl CredentialSource {
    /// Where the token came from, for messages: `the explicit token`, `token file /x`, ...
    pub fn describe(&self) -> String {
        match self {
            CredentialSource::Explicit => "the explicit token".to_owned(),
            CredentialSource::TokenFile(p) => format!("token file {}", p.display()),
            CredentialSource::Environment => ENV_TOKEN.to_owned(),
            CredentialSource::Profile(name) => format!("profile {name:?}"),
            CredentialSource::None => "nowhere".to_owned(),
        }
    }

    /// A stable name: `explicit`, `token_file`, `environment`, `profile` or `none`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CredentialSource::Explicit => "explicit",
            CredentialSource::TokenFile(_) => "token_file",
            CredentialSource::Environment => "environment",
            CredentialSource::Profile(_) => "profile",
            CredentialSource::None => "none",
        }
    }
}

/// The credential settings of a client builder, before resolution.
#[derive(Clone, Debug)]
pub(crate) struct CredentialInputs {
    pub server: Option<String>,
    pub token: Option<Secret>,
    pub token_file: Option<PathBuf>,
    pub profile: Option<String>,
    pub config_path: Option<PathBuf>,
    pub use_environment: bool,
}

impl Default for CredentialInputs {
    fn default() -> Self {
        CredentialInputs {
            server: None,
            token: None,
            token_file: None,
            profile: None,
            config_path: None,
            use_environment: true,
        }
    }
}

/// The credentials resolved from [`CredentialInputs`].
pub(crate) struct Resolved {
    pub server: Option<String>,
    pub token: Option<Secret>,
    pub source: CredentialSource,
}

/// A profile chosen by [`select_profile`], with the file it lives in.
pub(crate) struct SelectedProfile {
    pub path: PathBuf,
    pub name: String,
    pub profile: Profile,
}

impl CredentialInputs {
    /// Resolves token and server in the contract's order; the first match wins.
    pub fn resolve(&self) -> Result<Resolved> {
        let (mut token, mut source) = if let Some(t) = &self.token {
            (Some(t.clone()), CredentialSource::Explicit)
        } else if let Some(path) = &self.token_file {
            (
                Some(read_token_file(path)?),
                CredentialSource::TokenFile(path.clone()),
            )
        } else if let Some(t) = self.env_token() {
            (Some(t), CredentialSource::Environment)
        } else {
            (None, CredentialSource::None)
        };
        let mut server = self.server.clone().or_else(|| self.env(ENV_URL));
        if (token.is_none() || server.is_none())
            && let Some(selected) = self.select_profile()?
        {
            if token.is_none()
                && let Some(t) = selected.profile.token
            {
                token = Some(t);
                source = CredentialSource::Profile(selected.name);
            }
            server = server.or(selected.profile.server);
        }
        Ok(Resolved {
            server,
            token,
            source,
        })
    }

    /// The config file's path.
    pub fn config_path(&self) -> Result<PathBuf> {
        config::locate(self.config_path.as_deref(), self.use_environment)
    }

    /// The selected profile (the explicit name, else the file's default), when the file and the
    /// profile exist. The one place a profile is chosen.
    pub fn select_profile(&self) -> Result<Option<SelectedProfile>> {
        let path = match self.config_path() {
            Ok(p) => p,
            // No explicit path and none derivable from the environment: no file, so no profile.
            Err(_) if self.config_path.is_none() => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(mut file) = config::read(&path)? else {
            return Ok(None);
        };
        let Some(name) = self.profile.clone().or(file.default.take()) else {
            return Ok(None);
        };
        Ok(file.profiles.remove(&name).map(|profile| SelectedProfile {
            path,
            name,
            profile,
        }))
    }

    /// `PLEXSPHERE_TOKEN`, trimmed like a token file. Set but blank, it is an empty token (refused
    /// when used), not an absent one: the caller meant to pass a token.
    fn env_token(&self) -> Option<Secret> {
        if !self.use_environment {
            return None;
        }
        let raw = zeroize::Zeroizing::new(std::env::var(ENV_TOKEN).ok()?);
        Some(Secret::from(raw.trim()))
    }

    fn env(&self, name: &str) -> Option<String> {
        if !self.use_environment {
            return None;
        }
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }

    /// The profile a session operation would use, for messages.
    pub fn profile_source(&self) -> String {
        let file = self
            .config_path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "the config file".into());
        match &self.profile {
            Some(name) => format!("profile {name:?} in {file}"),
            None => format!("the default profile in {file}"),
        }
    }

    /// The token sources tried, for a [`Error::MissingCredentials`] message.
    pub fn looked_for_token(&self) -> String {
        let mut tried = vec!["an explicit token".to_owned()];
        if let Some(p) = &self.token_file {
            tried.push(format!("token file {}", p.display()));
        }
        if self.use_environment {
            tried.push(ENV_TOKEN.to_owned());
        }
        tried.push(self.profile_source());
        tried.join(", ")
    }

    /// The server sources tried, for a [`Error::MissingCredentials`] message.
    pub fn looked_for_server(&self) -> String {
        let mut tried = vec!["an explicit server URL".to_owned()];
        if self.use_environment {
            tried.push(ENV_URL.to_owned());
        }
        tried.push(self.profile_source());
        tried.join(", ")
    }
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
