//! Layout: the text each result prints, and the typed shapes json/yaml print. Core renders what it
//! has a rendering for (the issue and rotate blocks, logout's line, the status, the login lines);
//! the rest is laid out here the same way (`key:` padded to one column, two spaces after the
//! longest key).

use plexctl_core::tokens::ONE_TIME_BANNER;
use plexctl_core::{
    Error, IssuedToken, RotatedToken, RotationPreview, RotationTrigger, Secret, ServiceToken,
    Status, TokenSummary, timefmt,
};
use serde::Serialize;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::Format;
use crate::output::{Failure, Output, PlaintextDest};

/// Room for any structured result that holds a secret, so its buffer never reallocates (a
/// reallocation would free an unwiped copy).
const SECRET_BUFFER: usize = 16 * 1024;

/// `value` as pretty JSON or YAML, ending with a newline, in a buffer wiped when dropped.
pub fn structured<T: Serialize>(format: Format, value: &T) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let mut buf = Zeroizing::new(Vec::with_capacity(SECRET_BUFFER));
    let result = match format {
        Format::Yaml => serde_norway::to_writer(&mut *buf, value).map_err(|e| e.to_string()),
        Format::Json | Format::Text => serde_json::to_writer_pretty(&mut *buf, value)
            .map(|()| buf.push(b'\n'))
            .map_err(|e| e.to_string()),
    };
    result.map_err(|e| Failure::Output(format!("rendering the result: {e}")))?;
    Ok(buf)
}

/// `key:` columns aligned as core aligns the issue and rotate blocks.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 3;
    pairs
        .iter()
        .map(|(k, v)| format!("{:<width$}{v}\n", format!("{k}:")))
        .collect()
}

/// The banner line, then the secret on its own line.
pub fn banner_and(secret: &Secret) -> Secret {
    let mut text = String::with_capacity(ONE_TIME_BANNER.len() + secret.len() + 2);
    text.push_str(ONE_TIME_BANNER);
    text.push('\n');
    text.push_str(secret.expose_secret());
    text.push('\n');
    Secret::new(text)
}

/// A result that carries a secret the server just minted, shown exactly once.
pub trait Minted {
    /// The token's id, when it has one.
    fn id(&self) -> Option<Uuid>;
    /// The secret.
    fn secret(&self) -> &Secret;
    /// Text mode: the banner, the secret, a blank line, then the fields.
    fn text(&self) -> Secret;
    /// Text mode when the secret went elsewhere: the fields only.
    fn fields_text(&self) -> String;
    /// The typed shape for json/yaml, with the secret when it is shown there.
    fn view<'a>(&'a self, secret: Option<&'a str>) -> impl Serialize + 'a;
}

/// An issue or rotate answer's typed shape: core's fields plus the plaintext, which core's
/// `Serialize` leaves out on purpose.
#[derive(Serialize)]
struct WithPlaintext<'a, T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    plaintext: Option<&'a str>,
    #[serde(flatten)]
    token: &'a T,
}

/// A service-token answer's typed shape: the access token plus core's fields.
#[derive(Serialize)]
struct WithAccessToken<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<&'a str>,
    #[serde(flatten)]
    token: &'a ServiceToken,
}

/// The fields block of core's issue/rotate text: everything after the blank line that follows
/// the plaintext, so the layout stays core's.
fn tail_of(text: &Secret) -> String {
    text.expose_secret()
        .split_once("\n\n")
        .map_or_else(String::new, |(_, fields)| fields.to_owned())
}

/// A psk token result (issued or rotated): its id, its plaintext, core's text after the banner.
macro_rules! minted_psk {
    ($($t:ty),*) => {$(
        impl Minted for $t {
            fn id(&self) -> Option<Uuid> {
                Some(self.id)
            }
            fn secret(&self) -> &Secret {
                &self.plaintext
            }
            fn text(&self) -> Secret {
                self.render_text()
            }
            fn fields_text(&self) -> String {
                tail_of(&self.render_text())
            }
            fn view<'a>(&'a self, secret: Option<&'a str>) -> impl Serialize + 'a {
                WithPlaintext {
                    plaintext: secret,
                    token: self,
                }
            }
        }
    )*};
}

minted_psk!(IssuedToken, RotatedToken);

impl Minted for ServiceToken {
    fn id(&self) -> Option<Uuid> {
        plexctl_core::psk::token_id(self.access_token.expose_secret()).ok()
    }
    fn secret(&self) -> &Secret {
        &self.access_token
    }
    fn text(&self) -> Secret {
        let head = banner_and(&self.access_token);
        let tail = self.fields_text();
        let mut text = String::with_capacity(head.len() + 1 + tail.len());
        text.push_str(head.expose_secret());
        text.push('\n');
        text.push_str(&tail);
        Secret::new(text)
    }
    fn fields_text(&self) -> String {
        let mut pairs = vec![
            ("token_type", self.token_type.clone()),
            ("expires_in", self.expires_in.to_string()),
        ];
        if let Some(scope) = &self.scope {
            pairs.push(("scope", scope.clone()));
        }
        pairs.push(("expires_at", timefmt::text(self.expires_at)));
        fields(&pairs)
    }
    fn view<'a>(&'a self, secret: Option<&'a str>) -> impl Serialize + 'a {
        WithAccessToken {
            access_token: secret,
            token: self,
        }
    }
}

/// Shows a minted result: the secret exactly once (with the rest of the result, or alone in its
/// own destination), then the fields. A failed call whose error still holds a minted secret (a
/// malformed answer to a call that did mint) shows that secret the same way, so it is not lost.
pub fn minted<T: Minted>(
    out: &mut Output,
    dest: &mut PlaintextDest,
    result: Result<T, Error>,
) -> Result<(), Failure> {
    let token = match result {
        Ok(token) => token,
        Err(e) => {
            match e.recovered_plaintext() {
                Some(secret) => deliver(out, dest, secret, None)?,
                None => dest.discard(),
            }
            return Err(e.into());
        }
    };
    if dest.is_output() {
        return match out.format() {
            Format::Text => out.write_secret(&token.text()),
            Format::Json | Format::Yaml => {
                out.write_structured(&token.view(Some(token.secret().expose_secret())))
            }
        };
    }
    deliver(out, dest, token.secret(), token.id())?;
    match out.format() {
        Format::Text => out.write(token.fields_text().as_bytes()),
        Format::Json | Format::Yaml => out.write_structured(&token.view(None)),
    }
}

/// Puts a minted secret where the user asked: under the banner on the output, or alone in the
/// plaintext file or descriptor.
fn deliver(
    out: &mut Output,
    dest: &mut PlaintextDest,
    secret: &Secret,
    id: Option<Uuid>,
) -> Result<(), Failure> {
    if dest.is_output() {
        return out.write_secret(&banner_and(secret));
    }
    match dest.deliver(secret) {
        Ok(()) => {
            eprintln!(
                "The plaintext was written to {}; it is shown nowhere else.",
                dest.describe()
            );
            Ok(())
        }
        Err(e) => {
            let which = id.map_or_else(|| "a token".to_owned(), |id| format!("token {id}"));
            Err(Failure::Output(format!(
                "the server minted {which}, but its plaintext could not be written to {}: {e}; \
                 revoke the token and issue another",
                dest.describe()
            )))
        }
    }
}

/// `identity-tokens list` in text mode: one row per token, columns aligned, `-` for never.
pub fn token_table(list: &[TokenSummary]) -> String {
    let header = [
        "ID",
        "ENV_PREFIX",
        "CREATED_AT",
        "EXPIRES_AT",
        "LAST_USED_AT",
        "ROTATED_AT",
    ]
    .map(str::to_owned);
    let when = |t: Option<time::OffsetDateTime>| t.map_or_else(|| "-".to_owned(), timefmt::text);
    let rows: Vec<[String; 6]> = std::iter::once(header)
        .chain(list.iter().map(|t| {
            [
                t.id.to_string(),
                t.env_prefix.to_string(),
                timefmt::text(t.created_at),
                timefmt::text(t.expires_at),
                when(t.last_used_at),
                when(t.rotated_at),
            ]
        }))
        .collect();
    let mut widths = [0usize; 6];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let line: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            format!("{}\n", line.join("  ").trim_end())
        })
        .collect()
}

/// What `identity-tokens delete` did.
#[derive(Serialize)]
pub struct Deleted {
    /// The token.
    pub id: Uuid,
    /// Always true: a failed revocation is an error, not a result.
    pub revoked: bool,
}

impl Deleted {
    /// `Revoked token <id>.`
    pub fn text(&self) -> String {
        format!("Revoked token {}.\n", self.id)
    }
}

/// `key rotate` in text mode: the rotation handle.
pub fn trigger_text(t: &RotationTrigger) -> String {
    let mut pairs = Vec::new();
    let mut push = |k, v: Option<String>| {
        if let Some(v) = v {
            pairs.push((k, v));
        }
    };
    push("rotation_id", t.rotation_id.map(|id| id.to_string()));
    push("node_id", t.node_id.map(|id| id.to_string()));
    push("peer_id", t.peer_id.map(|id| id.to_string()));
    push("state", t.state.clone());
    push("requested_at", t.requested_at.map(timefmt::text));
    push("already_pending", Some(t.already_pending.to_string()));
    fields(&pairs)
}

/// `key rotate --dry-run` in text mode: the impact summary, the edges collapsed into their count
/// (json and yaml list them).
pub fn preview_text(p: &RotationPreview) -> String {
    fields(&[
        ("node_id", p.node_id.to_string()),
        ("peer_id", p.peer_id.to_string()),
        ("affected_peer_count", p.affected_peer_count.to_string()),
        ("already_pending", p.already_pending.to_string()),
        (
            "estimated_duration",
            format!("{}s", p.estimated_duration_seconds),
        ),
    ])
}

/// The status and, with `--reveal-secrets`, the bearer token in use.
#[derive(Serialize)]
struct StatusView<'a> {
    #[serde(flatten)]
    status: &'a Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    bearer_token: Option<&'a str>,
}

/// `auth status`: core's text or typed shape; the bearer token only when `bearer` is given.
pub fn status(out: &mut Output, status: &Status, bearer: Option<&Secret>) -> Result<(), Failure> {
    match out.format() {
        Format::Text => {
            let head = status.text();
            let Some(bearer) = bearer else {
                return out.write(format!("{head}\n").as_bytes());
            };
            const LABEL: &str = "bearer:       ";
            let mut text = String::with_capacity(head.len() + LABEL.len() + bearer.len() + 2);
            text.push_str(&head);
            text.push('\n');
            text.push_str(LABEL);
            text.push_str(bearer.expose_secret());
            text.push('\n');
            out.write_secret(&Secret::new(text))
        }
        Format::Json | Format::Yaml => out.write_structured(&StatusView {
            status,
            bearer_token: bearer.map(Secret::expose_secret),
        }),
    }
}
