//! Entry points for the fuzz targets (`core/fuzz`), compiled only with the `fuzzing` feature:
//! they reach the private decoders of server input that the public API only exercises over HTTP.
//! Not part of the API; nothing here is stable.

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use zeroize::Zeroizing;

use crate::error::{Error, Operation};
use crate::http::{Exchange, Response};
use crate::secret::Secret;

fn exchange<'a>(
    status: u16,
    content_type: &str,
    body: &[u8],
    secrets: &[&'a Secret],
) -> Exchange<'a> {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(CONTENT_TYPE, v);
    }
    Exchange {
        operation: Operation::RotateToken,
        resp: Response {
            status,
            headers,
            body: Zeroizing::new(body.to_vec()),
        },
        secrets: secrets.to_vec(),
    }
}

/// The text of the error an answer with this status, content type and body becomes, with
/// `secret` as the request's secret. Panics if the secret survives or the text is unbounded.
pub fn error_text(status: u16, content_type: &str, body: &[u8], secret: &str) -> String {
    let secret = Secret::from(secret);
    let text = exchange(status, content_type, body, &[&secret])
        .api_error()
        .to_string();
    if secret.len() >= 8 {
        assert!(
            !text.contains(secret.expose_secret()),
            "the secret survived"
        );
    }
    assert!(text.len() < 16 * 1024, "unbounded error text");
    text
}

/// Decodes a 2xx issue or rotate answer as the client does, recovering the plaintext of a
/// malformed one.
pub fn minted(body: &[u8]) -> Option<String> {
    match crate::tokens::minted::<crate::tokens::RotatedToken>(&exchange(
        200,
        "application/json",
        body,
        &[],
    )) {
        Ok(r) => Some(r.id.to_string()),
        Err(Error::Decode { recovered, .. }) => recovered.map(|r| r.plaintext.len().to_string()),
        Err(_) => None,
    }
}

/// The `Sunset` (HTTP-date) parser.
pub fn http_date(value: &str) -> Option<i64> {
    crate::http::http_date(value).map(time::OffsetDateTime::unix_timestamp)
}

/// The `Retry-After` parser.
pub fn retry_after(value: &[u8]) -> Option<std::time::Duration> {
    let mut headers = HeaderMap::new();
    headers.insert(RETRY_AFTER, HeaderValue::from_bytes(value).ok()?);
    crate::http::retry_after(&headers)
}

/// Server text made safe to show, with `secret` redacted first.
pub fn sanitize(text: &str, secret: &str, cap: usize) -> String {
    let secret = Secret::from(secret);
    crate::secret::safe_text(text, &[&secret], cap)
}

/// The token list's direct scanner (`tokens/list.rs`), or `None` where it leaves the body to
/// serde_json. Panics if it answers and serde_json answers differently.
pub fn token_list(body: &[u8]) -> Option<Vec<crate::TokenSummary>> {
    let fast = crate::tokens::list::scan(body)?;
    assert_eq!(
        serde_json::from_slice::<Vec<crate::TokenSummary>>(body)
            .ok()
            .as_ref(),
        Some(&fast),
        "the scanner and serde_json disagree"
    );
    Some(fast)
}
