//! The config file parser (`config::parse`) on any bytes, and the rewrite a later `update` does.
//!
//! Asserts: nothing panics; a refused file is a config error (exit code 1) whose message never
//! quotes the file; and a file that parses survives a rewrite: what `update` would write parses
//! again with the same default, profiles, servers, tokens and unknown keys.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use plexctl_core::{ErrorKind, config};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz/config.yaml");
    let cfg = match config::parse(path, data) {
        Ok(cfg) => cfg,
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Config, "{e}");
            assert_eq!(e.exit_code(), 1, "{e}");
            quotes_nothing(&e.to_string());
            return;
        }
    };
    let _ = format!("{cfg:?}");
    // `update` serializes the whole file back; a failure there is an error, not a panic.
    let Ok(written) = serde_norway::to_string(&cfg) else {
        return;
    };
    let again = config::parse(path, written.as_bytes())
        .unwrap_or_else(|e| panic!("a rewritten config no longer parses: {e}\n{written}"));
    assert_eq!(again.default, cfg.default, "default changed");
    assert_eq!(
        again.extra.keys().collect::<Vec<_>>(),
        cfg.extra.keys().collect::<Vec<_>>(),
        "top-level unknown keys changed"
    );
    assert_eq!(
        again.profiles.keys().collect::<Vec<_>>(),
        cfg.profiles.keys().collect::<Vec<_>>(),
        "profiles changed"
    );
    for (name, p) in &cfg.profiles {
        let q = &again.profiles[name];
        assert_eq!(q.server, p.server, "server of {name:?} changed");
        assert_eq!(
            q.token.as_ref().map(|t| t.expose_secret()),
            p.token.as_ref().map(|t| t.expose_secret()),
            "token of {name:?} changed"
        );
        assert_eq!(
            q.extra.keys().collect::<Vec<_>>(),
            p.extra.keys().collect::<Vec<_>>(),
            "unknown keys of {name:?} changed"
        );
    }
});

/// The refusal is one fixed sentence with at most a position in it, so no part of the file (which
/// holds tokens) can be in it.
fn quotes_nothing(message: &str) {
    let rest = message
        .strip_prefix("config file fuzz/config.yaml: not a valid config file (YAML")
        .unwrap_or_else(|| panic!("unexpected refusal: {message:?}"));
    let position = rest
        .strip_suffix(')')
        .unwrap_or_else(|| panic!("unexpected refusal: {message:?}"));
    let ok = position.is_empty()
        || position
            .strip_prefix(", line ")
            .and_then(|p| p.split_once(" column "))
            .is_some_and(|(l, c)| {
                !l.is_empty()
                    && !c.is_empty()
                    && l.bytes().all(|b| b.is_ascii_digit())
                    && c.bytes().all(|b| b.is_ascii_digit())
            });
    assert!(ok, "unexpected refusal: {message:?}");
}
