//! The error a non-2xx answer becomes (`fuzzing::error_text`): any status, content type and body,
//! with the request's secret spliced into the body at an input-chosen offset.
//!
//! Asserts (in `error_text` itself): the secret never survives into the error text, and the text
//! is bounded. Here, too: the text names the status, and whatever it holds is free of control
//! characters (a hostile body cannot drive the terminal it is printed on).
//!
//! Input layout (arbitrary, little-endian): status u16, splice offset u16, secret selector u8,
//! content-type selector u32 (a `Other` content type takes its length from the end), then the
//! body as the rest.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use plexctl_core::fuzzing;

/// The request's secrets: a bearer of no particular shape, and a psk plaintext.
const SECRETS: [&str; 2] = [
    "Zq7vK2pLx9Wm4Rt8bN3c",
    "psk_prod_1Xb9Lr2Qw8Ez4Tn6Yp0Mc7Hd5Vj3Gk1Fs9Au2Ko",
];

#[derive(Arbitrary, Debug)]
enum ContentType<'a> {
    ProblemJson,
    Json,
    Html,
    Text,
    Absent,
    Other(&'a str),
}

impl<'a> ContentType<'a> {
    fn as_str(&self) -> &'a str {
        match self {
            ContentType::ProblemJson => "application/problem+json",
            ContentType::Json => "application/json; charset=utf-8",
            ContentType::Html => "text/html; charset=utf-8",
            ContentType::Text => "text/plain",
            ContentType::Absent => "",
            ContentType::Other(s) => s,
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    status: u16,
    splice_at: u16,
    secret: u8,
    content_type: ContentType<'a>,
    body: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let secret = SECRETS[usize::from(input.secret) % SECRETS.len()];
    let at = usize::from(input.splice_at) % (input.body.len() + 1);
    let mut body = Vec::with_capacity(input.body.len() + secret.len());
    body.extend_from_slice(&input.body[..at]);
    body.extend_from_slice(secret.as_bytes());
    body.extend_from_slice(&input.body[at..]);

    let text = fuzzing::error_text(input.status, input.content_type.as_str(), &body, secret);
    assert!(
        text.contains(&format!("HTTP {}", input.status)),
        "the status is missing: {text:?}"
    );
    assert!(
        !text.chars().any(char::is_control),
        "a control character survived: {text:?}"
    );
    // And the body as the server sent it, with no splice: the secret may not be there at all.
    fuzzing::error_text(
        input.status,
        input.content_type.as_str(),
        input.body,
        secret,
    );
});
