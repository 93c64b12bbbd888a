//! [`Secret`]: a zeroizing, redacting holder for token plaintexts, client secrets, JWT assertions and
//! access tokens.

use std::fmt;

use zeroize::Zeroizing;

/// A secret string that is wiped from memory when dropped and never printed.
///
/// `Debug` and `Display` show a redaction: for a psk plaintext the non-secret environment segment is
/// kept (`psk_prod_****`), for anything else only `****`. The value is reached only through
/// [`Secret::expose_secret`], whose name makes every use visible in review.
///
/// Copies the library cannot reach (an HTTP stack's internal buffers, a string the caller built from
/// the exposed value) are not wiped; see the crate documentation.
///
/// ```
/// use plexctl_core::Secret;
/// let s = Secret::from("psk_prod_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH");
/// assert_eq!(format!("{s}"), "psk_prod_****");
/// assert_eq!(format!("{s:?}"), "Secret(\"psk_prod_****\")");
/// assert!(s.expose_secret().starts_with("psk_prod_0123"));
/// ```
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps `value`, taking ownership of its buffer (no copy is made).
    pub fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }

    /// Copies `bytes` into a new secret.
    ///
    /// # Errors
    /// Returns [`std::str::Utf8Error`] when `bytes` is not UTF-8; nothing is copied then.
    pub fn from_utf8(bytes: &[u8]) -> Result<Self, std::str::Utf8Error> {
        let s = std::str::from_utf8(bytes)?;
        Ok(Secret::from(s))
    }

    /// Returns the secret value. Every call site is a place where the secret leaves the library's care.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Length of the value in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends `s` to the value. Panics (in debug builds) if this would reallocate, because a
    /// reallocation would leave an unwiped copy behind: callers reserve the capacity up front.
    pub(crate) fn push_str_in_place(&mut self, s: &str) {
        debug_assert!(
            self.0.capacity() - self.0.len() >= s.len(),
            "secret buffer would reallocate"
        );
        self.0.push_str(s);
    }

    /// The redacted form used by `Debug` and `Display`: `psk_<env>_****` for a psk-shaped value,
    /// `****` otherwise.
    pub fn redacted(&self) -> String {
        match crate::psk::env_segment(&self.0) {
            Some(env) => format!("psk_{env}_****"),
            None => "****".to_owned(),
        }
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        let mut s = String::with_capacity(value.len());
        s.push_str(value);
        Secret::new(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Secret").field(&self.redacted()).finish()
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `String::deserialize` allocates exactly once for an unescaped JSON string, so the only
        // heap copy is the one this `Secret` owns and wipes.
        String::deserialize(deserializer).map(Secret::new)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Replaces every secret of the request, and anything psk-shaped, with a redaction.
pub(crate) fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if s.len() >= 4 && out.contains(s.expose_secret()) {
            out = out.replace(s.expose_secret(), &s.redacted());
        }
    }
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(pos) = rest.find(crate::psk::PREFIX) {
        result.push_str(&rest[..pos]);
        let candidate = &rest[pos..];
        let len = candidate
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(candidate.len(), |(i, _)| i);
        let word = &candidate[..len];
        if len > crate::psk::PREFIX.len() + 8 {
            result.push_str(&Secret::from(word).redacted());
        } else {
            result.push_str(word);
        }
        rest = &candidate[len..];
    }
    result.push_str(rest);
    result
}

/// Tag-stripped, whitespace-collapsed, at most 160 characters: enough to recognise a proxy page.
pub(crate) fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut last_space = true;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            _ if in_tag => {}
            c if c.is_whitespace() || c.is_control() => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            c => {
                out.push(c);
                last_space = false;
            }
        }
        if out.chars().count() >= 160 {
            out.push('…');
            break;
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        let secret = Secret::from("hunter2-secret");
        let text =
            "bad secret hunter2-secret and psk_prod_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH!";
        let out = redact(text, &[&secret]);
        assert!(!out.contains("hunter2-secret"), "{out}");
        assert!(!out.contains("0123456789abc"), "{out}");
        assert!(out.contains("psk_prod_****!"), "{out}");
    }

    #[test]
    fn html_is_stripped() {
        let t = strip_tags(
            "<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1></body></html>",
        );
        assert_eq!(t, "502 Bad Gateway Bad Gateway");
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let value = "psk_stage_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH";
        let s = Secret::from(value);
        for shown in [format!("{s}"), format!("{s:?}"), format!("{s:#?}")] {
            assert!(!shown.contains("0123456789"), "{shown}");
            assert!(shown.contains("psk_stage_****"), "{shown}");
        }
        let other = Secret::from("hunter2");
        assert_eq!(other.to_string(), "****");
        assert!(!format!("{other:?}").contains("hunter2"));
        assert_eq!(other.expose_secret(), "hunter2");
    }

    #[test]
    fn utf8_is_checked() {
        assert!(Secret::from_utf8(&[0xff, 0xfe]).is_err());
        assert_eq!(Secret::from_utf8(b"abc").unwrap().expose_secret(), "abc");
    }
}
