//! The typed inputs a caller hands over before anything is sent: `Ttl`, `EnvPrefix`,
//! `IdentityRef`, a UUID argument, and `IssueTokenRequest::parse` of the three.
//!
//! Asserts: nothing panics; every refusal is a usage error (exit code 2) that describes the input
//! without echoing it; a parsed `Ttl` is between 1 s and `i64::MAX` s and its `Display` parses back
//! to the same value; `EnvPrefix` and `IdentityRef` round-trip through `Display` too.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use plexctl_core::{EnvPrefix, Error, IdentityRef, IssueTokenRequest, Ttl, input};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    one(text);
    let mut lines = text.splitn(3, '\n');
    let (identity, env, ttl) = (lines.next().unwrap_or(""), lines.next(), lines.next());
    one(identity);
    if let Some(env) = env {
        one(env);
        match IssueTokenRequest::parse(identity, env, ttl) {
            Ok(req) => {
                assert_eq!(identity.parse::<IdentityRef>().ok(), Some(req.identity_ref));
                assert_eq!(req.env_prefix.as_str(), env);
                assert_eq!(req.ttl, ttl.map(|t| t.parse::<Ttl>().unwrap()));
            }
            Err(e) => refused(&e, text),
        }
    }
    if let Some(ttl) = ttl {
        one(ttl);
    }
});

fn one(text: &str) {
    match text.parse::<Ttl>() {
        Ok(ttl) => {
            assert!(ttl.as_secs() >= 1 && ttl.as_secs() <= i64::MAX as u64);
            let shown = ttl.to_string();
            match shown.parse::<Ttl>() {
                Ok(back) => assert_eq!(back, ttl, "{text:?} -> {shown:?} -> {back:?}"),
                Err(e) => panic!("{text:?} -> {shown:?} does not parse back: {e}"),
            }
        }
        Err(e) => refused(&e, text),
    }
    match text.parse::<EnvPrefix>() {
        Ok(env) => {
            assert_eq!(env.as_str(), text);
            assert_eq!(env.to_string().parse::<EnvPrefix>().ok(), Some(env));
        }
        Err(e) => refused(&e, text),
    }
    match text.parse::<IdentityRef>() {
        Ok(id) => {
            let shown = id.to_string();
            assert_eq!(shown.parse::<IdentityRef>().ok(), Some(id), "{shown:?}");
        }
        Err(e) => refused(&e, text),
    }
    if let Err(e) = input::parse_uuid("id", text) {
        refused(&e, text);
    }
}

/// A refusal is a usage error that does not echo the input (unless the input is a piece of one of
/// the fixed messages anyway).
fn refused(e: &Error, text: &str) {
    assert_eq!(e.exit_code(), 2, "not a usage error: {e}");
    static MESSAGES: OnceLock<String> = OnceLock::new();
    let messages = MESSAGES.get_or_init(|| {
        let mut all = String::new();
        for bad in ["x", "0s", "500ms"] {
            all.push_str(&bad.parse::<Ttl>().unwrap_err().to_string());
            all.push('\n');
        }
        all.push_str(&"x".parse::<EnvPrefix>().unwrap_err().to_string());
        all.push('\n');
        all.push_str(&"x".parse::<IdentityRef>().unwrap_err().to_string());
        all.push('\n');
        all.push_str(&input::parse_uuid("id", "x").unwrap_err().to_string());
        all
    });
    if text.len() >= 6 && !messages.contains(text) {
        assert!(!e.to_string().contains(text), "the input is echoed: {e}");
    }
}
