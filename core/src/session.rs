//! Credential resolution (explicit → token file → environment → profile).

use crate::client::{ClientBuilder, ENV_TOKEN, ENV_URL, TokenSource};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The credentials a [`ClientBuilder`] resolved.
pub(crate) struct Resolved {
    pub server: Option<String>,
    pub token: Option<Secret>,
    pub token_source: TokenSource,
}

/// Resolves token and server in the contract's order; the first match wins.
pub(crate) fn resolve(b: &ClientBuilder) -> Result<Resolved> {
    let (token, token_source) = if let Some(t) = &b.token {
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
    let server = b.server.clone().or_else(|| env(b, ENV_URL));
    Ok(Resolved {
        server,
        token,
        token_source,
    })
}

fn env(b: &ClientBuilder, name: &str) -> Option<String> {
    if !b.use_environment {
        return None;
    }
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn read_token_file(path: &std::path::Path) -> Result<Secret> {
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

/// The token sources tried, for a [`Error::MissingCredentials`] message.
pub(crate) fn looked_for_token(b: &ClientBuilder) -> String {
    let mut tried = vec!["an explicit token".to_owned()];
    if let Some(p) = &b.token_file {
        tried.push(format!("token file {}", p.display()));
    }
    if b.use_environment {
        tried.push(ENV_TOKEN.to_owned());
    }
    tried.join(", ")
}

/// The server sources tried, for a [`Error::MissingCredentials`] message.
pub(crate) fn looked_for_server(b: &ClientBuilder) -> String {
    let mut tried = vec!["an explicit server URL".to_owned()];
    if b.use_environment {
        tried.push(ENV_URL.to_owned());
    }
    tried.join(", ")
}
