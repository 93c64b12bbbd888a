//! [`Secret`]: a zeroizing, redacting holder for token plaintexts, client secrets, JWT assertions and
//! access tokens.

use std::fmt;

use zeroize::Zeroizing;

/// The prefix of a psk plaintext (the format itself lives in the psk module); redaction keeps the
/// non-secret environment segment after it so a reader can tell tokens apart.
pub(crate) const PSK_PREFIX: &str = "psk_";

/// The environment segment of a psk-shaped value, for redaction; `None` when there is none.
fn env_segment(value: &str) -> Option<&str> {
    let rest = value.strip_prefix(PSK_PREFIX)?;
    let (env, _) = rest.split_once('_')?;
    (!env.is_empty() && env.len() <= 16 && env.bytes().all(|b| b.is_ascii_lowercase()))
        .then_some(env)
}

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
        match env_segment(&self.0) {
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
fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if s.len() >= 4 && out.contains(s.expose_secret()) {
            out = out.replace(s.expose_secret(), &s.redacted());
        }
    }
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(pos) = rest.find(PSK_PREFIX) {
        result.push_str(&rest[..pos]);
        let candidate = &rest[pos..];
        let len = candidate
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(candidate.len(), |(i, _)| i);
        let word = &candidate[..len];
        if len > PSK_PREFIX.len() + 8 {
            result.push_str(&Secret::from(word).redacted());
        } else {
            result.push_str(word);
        }
        rest = &candidate[len..];
    }
    result.push_str(rest);
    result
}

/// The text of an HTML (or any) body with its tags removed, whitespace left for [`sanitize`].
pub(crate) fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(64 * 1024));
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if in_tag => {}
            c => out.push(c),
        }
    }
    out
}

/// Server text made safe to show, with `secrets` redacted: escapes and controls removed first
/// (an escape inside a secret must not split it past the redaction and rejoin it after), then
/// every secret and anything psk-shaped redacted, then the text cut to `max_chars` characters.
pub(crate) fn safe_text(text: &str, secrets: &[&Secret], max_chars: usize) -> String {
    cut(&redact(&clean(text), secrets), max_chars)
}

/// [`safe_text`] for text that carries no request secret (a principal's name, a media type).
pub(crate) fn sanitize(text: &str, max_chars: usize) -> String {
    safe_text(text, &[], max_chars)
}

/// At most `max_chars` characters, with `…` when cut.
fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some((at, _)) => {
            let mut out = text[..at].to_owned();
            out.push('…');
            out
        }
    }
}

/// Terminal escape sequences (CSI, OSC and the rest, in their 7-bit and C1 forms) removed; every
/// other control character (CR, LF, tabs, C1) and every bidi control turned into a space; runs of
/// white space collapsed; trimmed.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        let escape = match c {
            '\u{1b}' => match chars.next() {
                Some('[') => Some(Escape::Csi),
                Some(']' | 'P' | 'X' | '^' | '_') => Some(Escape::String),
                // A two-character escape: already consumed.
                _ => Some(Escape::Done),
            },
            '\u{9b}' => Some(Escape::Csi),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => Some(Escape::String),
            _ => None,
        };
        match escape {
            Some(Escape::Csi) => {
                // Parameters and intermediates, then one final byte in @..~.
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
                continue;
            }
            Some(Escape::String) => {
                // Until BEL, ST (ESC \\) or the 8-bit ST.
                while let Some(c) = chars.next() {
                    if c == '\u{7}' || c == '\u{9c}' {
                        break;
                    }
                    if c == '\u{1b}' {
                        chars.next_if_eq(&'\\');
                        break;
                    }
                }
                continue;
            }
            Some(Escape::Done) => continue,
            None => {}
        }
        if c.is_whitespace() || c.is_control() || is_bidi_control(c) {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

enum Escape {
    Csi,
    String,
    Done,
}

/// The Unicode bidi controls (embeddings, overrides, isolates and marks) that can make text read
/// differently from what it holds.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn sanitized_text_has_no_controls_and_respects_the_cap(text in ".*", cap in 1usize..300) {
            let out = sanitize(&text, cap);
            proptest::prop_assert!(out.chars().all(|c| !c.is_control() && !is_bidi_control(c)));
            proptest::prop_assert!(out.chars().count() <= cap + 1);
        }

        #[test]
        fn redaction_removes_every_secret_before_any_cut(
            secret in "[A-Za-z0-9.-]{6,60}",
            before in "[ -~]{0,300}",
            after in "[ -~]{0,300}",
            cap in 1usize..400,
        ) {
            let s = Secret::from(secret.as_str());
            let text = format!("{before}{secret}{after}");
            let out = safe_text(&text, &[&s], cap);
            proptest::prop_assert!(!out.contains(&secret), "{}", out);
        }
    }

    #[test]
    fn an_escape_inside_a_secret_cannot_split_it_past_the_redaction() {
        let bearer = Secret::from("Zq7vK2pLx9Wm4Rt8bN3c");
        for text in [
            "token Zq7vK2pLx9\u{1b}[mWm4Rt8bN3c rejected",
            "gggg\u{9b}ggggggggggggg",
        ] {
            let out = safe_text(text, &[&bearer, &Secret::from("gggggggg")], 200);
            assert!(
                !out.contains("Zq7vK2pLx9Wm4Rt8bN3c") && !out.contains("gggggggg"),
                "{out}"
            );
        }
    }

    #[test]
    fn env_segment_for_redaction() {
        assert_eq!(env_segment("psk_prod_abc"), Some("prod"));
        assert_eq!(env_segment("psk__abc"), None);
        assert_eq!(env_segment("hunter2"), None);
    }

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
        assert_eq!(sanitize(&t, 160), "502 Bad Gateway Bad Gateway");
    }

    #[test]
    fn sanitize_removes_escapes_controls_and_bidi_and_caps() {
        let hostile = "red\u{1b}[31mtext\u{1b}[0m title\u{1b}]0;pwned\u{7} osc\u{1b}]8;;x\u{1b}\\ end\r\nnext\u{85}c1\u{9b}2Jcsi \u{202e}rev\u{2066}iso\u{2069}";
        let clean = sanitize(hostile, 1000);
        assert_eq!(clean, "redtext title osc end next c1csi rev iso");
        assert!(clean.chars().all(|c| !c.is_control()));
        let long = "x".repeat(10_000);
        let cut = sanitize(&long, 100);
        assert_eq!(cut.chars().count(), 101);
        assert!(cut.ends_with('…'));
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
