//! The psk plaintext codec, written from the contract text ("The psk plaintext format") and not
//! from the client's code, so the emulator is an independent oracle for it:
//!
//! `psk_<env>_<id22><secret22>`, where `<env>` is a run of lowercase ASCII letters and `<id22>` /
//! `<secret22>` are 16 bytes (the token's UUID, big-endian; then the secret) in base62 with the
//! alphabet `0-9A-Za-z`, left-padded with `0` to 22 characters. Anything else (wrong prefix,
//! length, a character outside the alphabet, a value of 2^128 or more) is not a token.
//!
//! The 128-bit base62 is hand-written (a `u128` divided by 62) rather than taken from the `base62`
//! crate, because the client uses that crate: an oracle that shares a dependency with the code it
//! checks shares its bugs. The known answers in `tests/vectors/psk.json` hold both to one truth.

use std::fmt;

use uuid::Uuid;

/// The base62 alphabet, in digit order: `0-9`, then `A-Z`, then `a-z`.
pub const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Characters in one base62 field (the id, then the secret): enough for any 128-bit value.
pub const FIELD_LEN: usize = 22;
/// The literal start of every plaintext.
pub const PREFIX: &str = "psk_";

/// Encodes a 128-bit value as 22 base62 characters, left-padded with `0`.
pub fn encode_field(value: u128) -> String {
    let mut out = [b'0'; FIELD_LEN];
    let mut rest = value;
    for slot in out.iter_mut().rev() {
        if rest == 0 {
            break;
        }
        *slot = ALPHABET[(rest % 62) as usize];
        rest /= 62;
    }
    String::from_utf8(out.to_vec()).expect("the alphabet is ASCII")
}

/// The value of one base62 digit, or `None` outside the alphabet.
fn digit(c: u8) -> Option<u128> {
    let v = match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'Z' => c - b'A' + 10,
        b'a'..=b'z' => c - b'a' + 36,
        _ => return None,
    };
    Some(u128::from(v))
}

/// Decodes exactly 22 base62 characters; `None` for another length, a character outside the
/// alphabet or a value of 2^128 or more.
pub fn decode_field(field: &str) -> Option<u128> {
    if field.len() != FIELD_LEN {
        return None;
    }
    field
        .bytes()
        .try_fold(0u128, |acc, c| acc.checked_mul(62)?.checked_add(digit(c)?))
}

/// Whether `env` can stand in a plaintext: one or more lowercase ASCII letters.
pub fn is_env(env: &str) -> bool {
    !env.is_empty() && env.bytes().all(|b| b.is_ascii_lowercase())
}

/// Formats a plaintext; `None` when `env` is not lowercase ASCII letters.
pub fn format(env: &str, id: Uuid, secret: &[u8; 16]) -> Option<String> {
    is_env(env).then(|| {
        format!(
            "{PREFIX}{env}_{}{}",
            encode_field(id.as_u128()),
            encode_field(u128::from_be_bytes(*secret))
        )
    })
}

/// A recognized plaintext, split into its parts. Its `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The environment segment.
    pub env: String,
    /// The token id.
    pub id: Uuid,
    /// The 16 secret bytes.
    pub secret: [u8; 16],
}

impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsed")
            .field("env", &self.env)
            .field("id", &self.id)
            .field("secret", &"****")
            .finish()
    }
}

/// Parses a plaintext; `None` when it is not a recognizable psk.
pub fn parse(plaintext: &str) -> Option<Parsed> {
    let (env, fields) = plaintext.strip_prefix(PREFIX)?.split_once('_')?;
    if !is_env(env) || fields.len() != 2 * FIELD_LEN || !fields.is_ascii() {
        return None;
    }
    let (id, secret) = fields.split_at(FIELD_LEN);
    Some(Parsed {
        env: env.to_owned(),
        id: Uuid::from_u128(decode_field(id)?),
        secret: decode_field(secret)?.to_be_bytes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_at_the_edges() {
        for v in [0, 1, 61, 62, 62 * 62 - 1, u128::MAX / 2, u128::MAX] {
            let s = encode_field(v);
            assert_eq!(s.len(), FIELD_LEN);
            assert_eq!(decode_field(&s), Some(v), "{s}");
        }
        assert_eq!(encode_field(61), format!("{}z", "0".repeat(21)));
        assert_eq!(decode_field(&"z".repeat(22)), None);
        assert_eq!(decode_field(&"0".repeat(21)), None);
    }

    #[test]
    fn format_refuses_a_bad_env_and_parse_hides_the_secret() {
        assert_eq!(format("Prod", Uuid::nil(), &[0; 16]), None);
        assert_eq!(format("", Uuid::nil(), &[0; 16]), None);
        let p = format("dev", Uuid::from_u128(7), &[9; 16]).unwrap();
        let parsed = parse(&p).unwrap();
        assert_eq!(parsed.id, Uuid::from_u128(7));
        assert_eq!(parsed.secret, [9; 16]);
        assert!(!format!("{parsed:?}").contains("9, 9"));
    }
}
