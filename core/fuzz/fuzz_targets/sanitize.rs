//! Server text made safe to show (`fuzzing::sanitize`: redact the secret, then sanitize and cut).
//!
//! Asserts: no control character and no bidi control in the output; at most `cap + 1` characters
//! (the cut adds `…`); and the secret never appears when it is at least 8 characters of
//! `[A-Za-z0-9]`. The secret is a piece of the text itself, and is spliced into it once more, so
//! the redaction always has something to do.
//!
//! Input layout (arbitrary, little-endian): cap u16, secret offset u16, secret length u8, splice
//! offset u16, then the text as the rest.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use plexctl_core::fuzzing;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    cap: u16,
    secret_at: u16,
    secret_len: u8,
    splice_at: u16,
    text: &'a str,
}

fn floor_char_boundary(s: &str, i: usize) -> usize {
    (0..=i.min(s.len()))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fuzz_target!(|input: Input<'_>| {
    let text = input.text;
    let start = floor_char_boundary(text, usize::from(input.secret_at) % (text.len() + 1));
    let end = floor_char_boundary(text, start + usize::from(input.secret_len));
    let secret = &text[start..end];
    let at = floor_char_boundary(text, usize::from(input.splice_at) % (text.len() + 1));
    let spliced = format!("{}{secret}{}", &text[..at], &text[at..]);
    let cap = usize::from(input.cap);

    let out = fuzzing::sanitize(&spliced, secret, cap);
    assert!(
        !out.chars().any(|c| c.is_control() || is_bidi_control(c)),
        "a control character survived: {out:?}"
    );
    assert!(
        out.chars().count() <= cap + 1,
        "{} characters for a cap of {cap}",
        out.chars().count()
    );
    if secret.len() >= 8 && secret.bytes().all(|b| b.is_ascii_alphanumeric()) {
        assert!(
            !out.contains(secret),
            "the secret {secret:?} survived: {out:?}"
        );
    }
});
