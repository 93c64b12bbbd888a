//! The results of the API-token family: `IssuedToken`, `TokenSummary`, `RotatedToken`. They
//! depend on nothing but `Secret` and the result machinery, so `errors` can raise a
//! `SessionNotSavedError` carrying a `RotatedToken` without importing the operations.

use pyo3::prelude::*;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::results::result_class;
use crate::secret::Secret;

result_class! {
    /// A freshly issued API token. `plaintext` is shown exactly once: nothing returns it again.
    pub struct IssuedToken from plexctl_core::IssuedToken {
        /// The token id.
        id: Uuid,
        /// The psk plaintext, as a `Secret`.
        plaintext: Py<Secret>,
        /// The environment segment (`dev`, `stage`, `prod`).
        env_prefix: String,
        /// When the token expires (timezone-aware).
        expires_at: OffsetDateTime,
    }
}

result_class! {
    /// A token's summary, as listed. Never carries a plaintext.
    pub lazy struct TokenSummary from plexctl_core::TokenSummary {
        /// The token id.
        id: Uuid,
        /// The environment segment.
        env_prefix: String,
        /// When the token was issued.
        created_at: OffsetDateTime,
        /// When the token expires.
        expires_at: OffsetDateTime,
        /// When the token last authenticated, or `None`.
        last_used_at: Option<OffsetDateTime>,
        /// When the token was last rotated, or `None`.
        rotated_at: Option<OffsetDateTime>,
    }
}

result_class! {
    /// A rotated token: the new plaintext (shown exactly once) and the deadline until which the
    /// rotated-from plaintext still authenticates.
    pub struct RotatedToken from plexctl_core::RotatedToken {
        /// The token id (unchanged by rotation).
        id: Uuid,
        /// The new psk plaintext, as a `Secret`.
        plaintext: Py<Secret>,
        /// The environment segment.
        env_prefix: String,
        /// When the new plaintext expires.
        expires_at: OffsetDateTime,
        /// Until when the rotated-from plaintext is still honoured.
        rotation_deadline: OffsetDateTime,
        /// The RFC 8594 `Sunset` header's time, or `None` when the server sent none.
        sunset: Option<OffsetDateTime>,
    }
    computed from m {
        /// Whether the `Sunset` header was present and names the same second as
        /// `rotation_deadline`.
        #[pyo3(get)]
        sunset_agrees: bool = m.sunset_agrees(),
    }
}
