//! The psk plaintext format: `Psk::parse`, `token_id` and `format` on any text.
//!
//! Asserts: `token_id` agrees with `parse`; a plaintext that parses is canonical (formatting its
//! env, id and secret gives back the same text) and round-trips with the same env and id; `Debug`
//! never shows the secret field; and `format` of any env/id/secret either refuses the env or gives
//! a plaintext that parses back to the same parts.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use plexctl_core::psk::{self, FIELD_LEN, Psk};
use uuid::Uuid;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        parse(text);
    }
    // The same bytes read as parts, for the formatting direction.
    let mut u = Unstructured::new(data);
    if let (Ok(id), Ok(secret), Ok(env)) = (
        u.arbitrary::<u128>(),
        u.arbitrary::<[u8; 16]>(),
        u.arbitrary::<&str>(),
    ) {
        format(env, Uuid::from_u128(id), &secret);
    }
});

fn parse(text: &str) {
    let parsed = Psk::parse(text);
    let id = psk::token_id(text);
    let p = match parsed {
        Ok(p) => p,
        Err(e) => {
            assert_eq!(id, Err(e), "token_id disagrees with parse");
            return;
        }
    };
    assert_eq!(id, Ok(p.id()), "token_id disagrees with parse");
    let again = psk::format(p.env(), p.id(), p.expose_secret_bytes())
        .expect("the env of a parsed plaintext formats");
    assert_eq!(
        again.expose_secret(),
        text,
        "a parsed plaintext is not canonical"
    );
    let q = Psk::parse(again.expose_secret()).expect("a formatted plaintext parses");
    assert_eq!(q.env(), p.env(), "env changed in the round trip");
    assert_eq!(q.id(), p.id(), "id changed in the round trip");
    assert_eq!(q.expose_secret_bytes(), p.expose_secret_bytes());
    let secret_field = &text[text.len() - FIELD_LEN..];
    assert!(
        !format!("{p:?}").contains(secret_field),
        "Debug shows the secret"
    );
}

fn format(env: &str, id: Uuid, secret: &[u8; 16]) {
    let valid_env = !env.is_empty() && env.bytes().all(|b| b.is_ascii_lowercase());
    match psk::format(env, id, secret) {
        Ok(plaintext) => {
            assert!(valid_env, "format accepted an invalid env");
            let p = Psk::parse(plaintext.expose_secret()).expect("a formatted plaintext parses");
            assert_eq!(p.env(), env);
            assert_eq!(p.id(), id);
            assert_eq!(p.expose_secret_bytes(), secret);
        }
        Err(_) => assert!(!valid_env, "format refused a valid env"),
    }
}
