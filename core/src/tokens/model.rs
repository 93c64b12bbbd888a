//! The results of the API-token family. They depend on nothing but [`Secret`], so an error can
//! carry one (a rotation whose session could not be saved) without importing the operations.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::secret::Secret;

/// The marker line printed before a plaintext, which is shown exactly once.
pub const ONE_TIME_BANNER: &str =
    "# WARNING: this is the only time this plaintext will be displayed";

/// A freshly issued token. The plaintext is returned exactly once; nothing returns it again.
///
/// `Serialize` writes every field but the plaintext, which a secret never leaves through.
#[derive(Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct IssuedToken {
    /// The token id.
    pub id: Uuid,
    /// The psk plaintext.
    #[serde(skip_serializing)]
    pub plaintext: Secret,
    /// The environment segment.
    pub env_prefix: String,
    /// When the token expires.
    #[serde(with = "crate::timefmt")]
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("id", &self.id)
            .field("plaintext", &self.plaintext)
            .field("env_prefix", &self.env_prefix)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl IssuedToken {
    /// The text block a CLI prints once: the banner, the plaintext, then the fields. It holds the
    /// plaintext, so it is returned as a [`Secret`].
    pub fn render_text(&self) -> Secret {
        render(
            &self.plaintext,
            &[
                ("id", self.id.to_string()),
                ("env_prefix", self.env_prefix.clone()),
                ("expires_at", crate::timefmt::text(self.expires_at)),
            ],
        )
    }
}

/// A token's plaintext-free summary, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct TokenSummary {
    /// The token id.
    pub id: Uuid,
    /// The environment segment. Borrowed for the documented `dev`, `stage` and `prod`, so a long
    /// list allocates nothing for it; owned for any other value a server sends.
    pub env_prefix: Cow<'static, str>,
    /// When it was issued.
    #[serde(with = "crate::timefmt")]
    pub created_at: OffsetDateTime,
    /// When it expires.
    #[serde(with = "crate::timefmt")]
    pub expires_at: OffsetDateTime,
    /// When it last authenticated, if ever.
    #[serde(default, with = "crate::timefmt::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was last rotated, if ever.
    #[serde(default, with = "crate::timefmt::option")]
    pub rotated_at: Option<OffsetDateTime>,
}

/// A rotated token: the new plaintext (shown exactly once) and the deadline until which the
/// rotated-from plaintext still authenticates.
///
/// `Serialize` writes every field but the plaintext, which a secret never leaves through.
#[derive(Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct RotatedToken {
    /// The token id (unchanged by rotation).
    pub id: Uuid,
    /// The new psk plaintext.
    #[serde(skip_serializing)]
    pub plaintext: Secret,
    /// The environment segment.
    pub env_prefix: String,
    /// When the new plaintext expires.
    #[serde(with = "crate::timefmt")]
    pub expires_at: OffsetDateTime,
    /// Until when the rotated-from plaintext is still honoured.
    #[serde(with = "crate::timefmt")]
    pub rotation_deadline: OffsetDateTime,
    /// The RFC 8594 `Sunset` header's timestamp, when the server sent one.
    #[serde(skip_deserializing, with = "crate::timefmt::option")]
    pub sunset: Option<OffsetDateTime>,
}

impl fmt::Debug for RotatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatedToken")
            .field("id", &self.id)
            .field("plaintext", &self.plaintext)
            .field("env_prefix", &self.env_prefix)
            .field("expires_at", &self.expires_at)
            .field("rotation_deadline", &self.rotation_deadline)
            .field("sunset", &self.sunset)
            .finish()
    }
}

impl RotatedToken {
    /// Whether the `Sunset` header was present and names the same second as `rotation_deadline`.
    ///
    /// A disagreeing or missing header is reported here rather than as an error, because the new
    /// plaintext has already been issued and must reach the caller.
    pub fn sunset_agrees(&self) -> bool {
        self.sunset
            .is_some_and(|s| s.unix_timestamp() == self.rotation_deadline.unix_timestamp())
    }

    /// The text block a CLI prints once: the banner, the new plaintext, then the fields.
    pub fn render_text(&self) -> Secret {
        render(
            &self.plaintext,
            &[
                ("id", self.id.to_string()),
                ("env_prefix", self.env_prefix.clone()),
                ("expires_at", crate::timefmt::text(self.expires_at)),
                (
                    "rotation_deadline",
                    crate::timefmt::text(self.rotation_deadline),
                ),
            ],
        )
    }
}

fn render(plaintext: &Secret, fields: &[(&str, String)]) -> Secret {
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 3;
    let tail: String = fields
        .iter()
        .map(|(k, v)| format!("{:<width$}{v}\n", format!("{k}:")))
        .collect();
    let mut out = String::with_capacity(ONE_TIME_BANNER.len() + plaintext.len() + tail.len() + 3);
    out.push_str(ONE_TIME_BANNER);
    out.push('\n');
    out.push_str(plaintext.expose_secret());
    out.push_str("\n\n");
    out.push_str(&tail);
    Secret::new(out)
}
