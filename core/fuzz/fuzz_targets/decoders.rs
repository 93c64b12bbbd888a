//! Every 2xx body the client decodes: each public result type through serde_json, and the
//! issue/rotate decoder with plaintext recovery (`fuzzing::minted`).
//!
//! Asserts: nothing panics, serializing a decoded result included (the C door formats its
//! timestamps with the same formatter); a decoded token's `Debug` and `Serialize`
//! output never show its plaintext, while `render_text` (itself a `Secret`) does; and no
//! plaintext is lost: an answer that is a JSON object with a non-empty string `plaintext` comes out
//! of `minted` either decoded or with the plaintext recovered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plexctl_core::{
    IssuedToken, Problem, RotatedToken, RotationPreview, RotationTrigger, Secret, ServiceToken,
    TokenSummary, fuzzing,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = serde_json::from_slice::<IssuedToken>(data) {
        let mut twin = t.clone();
        twin.plaintext = Secret::default();
        hidden(&t.plaintext, &format!("{t:?}"), &format!("{twin:?}"));
        hidden(&t.plaintext, &json(&t), &json(&twin));
        assert!(
            t.render_text()
                .expose_secret()
                .contains(t.plaintext.expose_secret())
        );
    }
    if let Ok(t) = serde_json::from_slice::<RotatedToken>(data) {
        let mut twin = t.clone();
        twin.plaintext = Secret::default();
        hidden(&t.plaintext, &format!("{t:?}"), &format!("{twin:?}"));
        hidden(&t.plaintext, &json(&t), &json(&twin));
        assert!(
            t.render_text()
                .expose_secret()
                .contains(t.plaintext.expose_secret())
        );
        let _ = t.sunset_agrees();
    }
    if let Ok(t) = serde_json::from_slice::<ServiceToken>(data) {
        let mut twin = t.clone();
        twin.access_token = Secret::default();
        hidden(&t.access_token, &format!("{t:?}"), &format!("{twin:?}"));
        hidden(&t.access_token, &json(&t), &json(&twin));
    }
    if let Ok(list) = serde_json::from_slice::<Vec<TokenSummary>>(data) {
        let _ = (format!("{list:?}"), json(&list));
    }
    if let Ok(p) = serde_json::from_slice::<RotationPreview>(data) {
        let _ = (format!("{p:?}"), json(&p));
    }
    if let Ok(t) = serde_json::from_slice::<RotationTrigger>(data) {
        let _ = (format!("{t:?}"), json(&t));
    }
    if let Ok(p) = serde_json::from_slice::<Problem>(data) {
        let _ = (format!("{p:?}"), p.is_permission_denied());
    }

    let minted = fuzzing::minted(data);
    let holds_plaintext = serde_json::from_slice::<serde_json::Value>(data)
        .ok()
        .and_then(|v| {
            v.get("plaintext")
                .and_then(|p| p.as_str())
                .map(|p| !p.is_empty())
        })
        .unwrap_or(false);
    if holds_plaintext {
        assert!(minted.is_some(), "an answer holding a plaintext lost it");
    }
});

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("a decoded result serializes")
}

/// `shown` (a text made from a token) must not hold the token's secret, unless the same text made
/// with the secret emptied (`twin`) holds it anyway, or the secret's own redaction does: then the
/// text holds it by coincidence, not by leaking it.
fn hidden(secret: &Secret, shown: &str, twin: &str) {
    let s = secret.expose_secret();
    if s.len() < 8 || s.contains('*') || twin.contains(s) || secret.redacted().contains(s) {
        return;
    }
    assert!(!shown.contains(s), "a secret is shown: {shown:?}");
}
