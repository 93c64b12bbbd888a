//! The psk plaintext format: `psk_<env>_<id22><secret22>`.
//!
//! `<env>` is a run of lowercase ASCII letters; `<id22>` is the token's UUID (16 bytes, big-endian)
//! and `<secret22>` 16 random bytes, each in base62 (`0-9A-Za-z`), left-padded with `0` to 22
//! characters. The token id is recovered from the plaintext alone, so logout needs no list call.

use std::fmt;

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::Secret;

/// The literal prefix of every psk plaintext.
pub const PREFIX: &str = crate::secret::PSK_PREFIX;
/// Length of one base62 field (the id, then the secret).
pub const FIELD_LEN: usize = 22;

/// Why a string is not a recognizable psk plaintext. Never carries any part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PskError {
    /// The value does not start with `psk_`.
    #[error("not a psk token: missing the psk_ prefix")]
    Prefix,
    /// The environment segment is empty or not lowercase ASCII letters followed by `_`.
    #[error("not a psk token: the environment segment is not lowercase letters")]
    Env,
    /// The part after the environment is not exactly 44 characters.
    #[error("not a psk token: expected 44 characters after the environment segment")]
    Length,
    /// A character outside `0-9A-Za-z`, or a field whose value is 2^128 or more.
    #[error("not a psk token: the id or secret is not 22 base62 characters below 2^128")]
    Encoding,
}

/// A parsed psk plaintext: its environment, its token id and its 16 secret bytes (wiped on drop).
pub struct Psk {
    env: String,
    id: Uuid,
    secret: Zeroizing<[u8; 16]>,
}

impl Psk {
    /// Parses a plaintext.
    ///
    /// # Errors
    /// [`PskError`] when `plaintext` is not of the form `psk_<env>_<id22><secret22>`.
    pub fn parse(plaintext: &str) -> Result<Psk, PskError> {
        let rest = plaintext.strip_prefix(PREFIX).ok_or(PskError::Prefix)?;
        let (env, fields) = rest.split_once('_').ok_or(PskError::Env)?;
        if env.is_empty() || !env.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(PskError::Env);
        }
        if fields.len() != 2 * FIELD_LEN || !fields.is_ascii() {
            return Err(PskError::Length);
        }
        let (id, secret) = fields.split_at(FIELD_LEN);
        let id = decode_field(id)?;
        let secret = Zeroizing::new(decode_field(secret)?.to_be_bytes());
        Ok(Psk {
            env: env.to_owned(),
            id: Uuid::from_u128(id),
            secret,
        })
    }

    /// The environment segment (`prod`, `stage`, `dev`, ...).
    pub fn env(&self) -> &str {
        &self.env
    }

    /// The token id embedded in the plaintext.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The 16 secret bytes. Every call site is a place where the secret leaves the library's care.
    pub fn expose_secret_bytes(&self) -> &[u8; 16] {
        &self.secret
    }
}

impl fmt::Debug for Psk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Psk")
            .field("env", &self.env)
            .field("id", &self.id)
            .field("secret", &"****")
            .finish()
    }
}

/// Formats a plaintext from its parts.
///
/// # Errors
/// [`PskError::Env`] when `env` is empty or not lowercase ASCII letters.
pub fn format(env: &str, id: Uuid, secret: &[u8; 16]) -> Result<Secret, PskError> {
    if env.is_empty() || !env.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(PskError::Env);
    }
    let mut out = String::with_capacity(PREFIX.len() + env.len() + 1 + 2 * FIELD_LEN);
    out.push_str(PREFIX);
    out.push_str(env);
    out.push('_');
    let mut out = Secret::new(out);
    push_field(&mut out, id.as_u128());
    let value = Zeroizing::new(u128::from_be_bytes(*secret));
    push_field(&mut out, *value);
    Ok(out)
}

/// Recovers the token id from a plaintext without keeping the secret part.
///
/// # Errors
/// [`PskError`] when `plaintext` is not a recognizable psk.
pub fn token_id(plaintext: &str) -> Result<Uuid, PskError> {
    Psk::parse(plaintext).map(|p| p.id())
}

fn decode_field(field: &str) -> Result<u128, PskError> {
    // base62's standard alphabet is 0-9A-Za-z; it rejects other characters and overflow past u128.
    base62::decode(field).map_err(|_| PskError::Encoding)
}

fn push_field(out: &mut Secret, value: u128) {
    let mut buf = Zeroizing::new([0u8; FIELD_LEN]);
    let written =
        base62::encode_bytes(value, &mut buf[..]).expect("22 bytes hold any u128 in base62");
    let mut field = Zeroizing::new([b'0'; FIELD_LEN]);
    field[FIELD_LEN - written..].copy_from_slice(&buf[..written]);
    out.push_ascii(&field[..]);
}

impl Secret {
    /// Appends ASCII bytes without reallocating past the capacity reserved by [`format`].
    fn push_ascii(&mut self, bytes: &[u8]) {
        debug_assert!(bytes.is_ascii());
        let s = std::str::from_utf8(bytes).expect("ascii");
        self.push_str_in_place(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: Uuid = Uuid::from_u128(0x0190a8c0_1234_7a0a_8a0a_a0a0a0a0a0a3);

    #[test]
    fn round_trip() {
        let secret = [7u8; 16];
        let p = format("prod", ID, &secret).unwrap();
        let s = p.expose_secret();
        assert!(s.starts_with("psk_prod_"));
        assert_eq!(s.len(), "psk_prod_".len() + 44);
        let parsed = Psk::parse(s).unwrap();
        assert_eq!(parsed.env(), "prod");
        assert_eq!(parsed.id(), ID);
        assert_eq!(parsed.expose_secret_bytes(), &secret);
        assert_eq!(token_id(s).unwrap(), ID);
        assert!(!format!("{parsed:?}").contains(&s[9..]));
    }

    #[test]
    fn small_values_are_left_padded() {
        let p = format("dev", Uuid::from_u128(1), &[0u8; 16]).unwrap();
        assert_eq!(
            p.expose_secret(),
            "psk_dev_00000000000000000000010000000000000000000000"
        );
        let max = format("dev", Uuid::from_u128(u128::MAX), &[0xff; 16]).unwrap();
        assert_eq!(
            Psk::parse(max.expose_secret()).unwrap().id().as_u128(),
            u128::MAX
        );
    }

    #[test]
    fn rejects_what_is_not_a_psk() {
        let good = format("prod", ID, &[1; 16]).unwrap();
        let good = good.expose_secret();
        assert_eq!(Psk::parse("pat_prod_x").unwrap_err(), PskError::Prefix);
        assert_eq!(
            Psk::parse(&good.replace("prod", "PROD")).unwrap_err(),
            PskError::Env
        );
        assert_eq!(
            Psk::parse(&good.replace("prod", "")).unwrap_err(),
            PskError::Env
        );
        assert_eq!(
            Psk::parse(&good[..good.len() - 1]).unwrap_err(),
            PskError::Length
        );
        assert_eq!(
            Psk::parse(&format!("{good}0")).unwrap_err(),
            PskError::Length
        );
        let mut bad = good.to_owned();
        bad.replace_range(12..13, "-");
        assert_eq!(Psk::parse(&bad).unwrap_err(), PskError::Encoding);
        // 22 'z' is far above 2^128.
        let over = format!("psk_prod_{}{}", "z".repeat(22), "0".repeat(22));
        assert_eq!(Psk::parse(&over).unwrap_err(), PskError::Encoding);
        let multibyte = format!("psk_prod_{}é", "0".repeat(42));
        assert!(Psk::parse(&multibyte).is_err());
    }
}
