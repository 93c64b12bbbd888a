//! Core's psk codec against the known answers in `tests/vectors/psk.json`, computed with Python
//! integers (tests/vectors/psk.py) independently of this crate and of the emulator.

use plexctl_core::psk::{self, Psk};
use serde_json::Value;
use uuid::Uuid;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/psk.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("tests/vectors/psk.json"))
        .expect("psk.json is JSON")
}

fn list(v: &Value, key: &str) -> Vec<Value> {
    let items = v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is a list"));
    assert!(!items.is_empty(), "{key} is empty");
    items.clone()
}

fn hex16(s: &str) -> [u8; 16] {
    assert_eq!(s.len(), 32, "{s}");
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

#[test]
fn ids_encode_to_the_known_answers() {
    for u in list(&vectors(), "uuids") {
        let id = Uuid::parse_str(u["uuid"].as_str().unwrap()).unwrap();
        let id22 = u["id22"].as_str().unwrap();
        // Any env and secret will do: the id field is the 22 characters after `psk_dev_`.
        let p = psk::format("dev", id, &[0u8; 16]).unwrap();
        assert_eq!(&p.expose_secret()["psk_dev_".len()..][..22], id22, "{id}");
        let plaintext = format!("psk_dev_{id22}{}", "0".repeat(22));
        assert_eq!(psk::token_id(&plaintext).unwrap(), id, "{id22}");
    }
}

#[test]
fn plaintexts_format_and_parse_to_the_known_answers() {
    for p in list(&vectors(), "plaintexts") {
        let plaintext = p["plaintext"].as_str().unwrap();
        let env = p["env"].as_str().unwrap();
        let id = Uuid::parse_str(p["id"].as_str().unwrap()).unwrap();
        let secret = hex16(p["secret_hex"].as_str().unwrap());
        assert_eq!(
            psk::format(env, id, &secret).unwrap().expose_secret(),
            plaintext,
            "{p}"
        );
        let parsed = Psk::parse(plaintext).unwrap_or_else(|e| panic!("{e}: {p}"));
        assert_eq!(parsed.env(), env);
        assert_eq!(parsed.id(), id);
        assert_eq!(parsed.expose_secret_bytes(), &secret);
        assert_eq!(psk::token_id(plaintext).unwrap(), id);
    }
}

#[test]
fn malformed_plaintexts_are_not_tokens() {
    for m in list(&vectors(), "malformed") {
        let plaintext = m["plaintext"].as_str().unwrap();
        assert!(Psk::parse(plaintext).is_err(), "accepted: {}", m["why"]);
        assert!(psk::token_id(plaintext).is_err(), "accepted: {}", m["why"]);
    }
}
