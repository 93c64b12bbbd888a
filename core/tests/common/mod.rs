//! Shared set-up for the integration tests: an emulator and clients pointed at it.
#![allow(dead_code)]

pub mod hostile;
pub mod proxy;

use plexctl_core::{Client, Error, Secret};
pub use plexctl_emulator::{Config, Emulator};

/// A fresh emulator with cheap Argon2 parameters.
pub fn emulator() -> Emulator {
    Emulator::start(Config::fast()).expect("the emulator starts")
}

/// A client for `emu` holding `token`, blind to the process environment.
pub fn client_with(emu: &Emulator, token: &str) -> Client {
    Client::builder()
        .server(emu.url())
        .token(Secret::from(token))
        .use_environment(false)
        .build()
        .expect("client builds")
}

/// A client holding the emulator's bootstrap admin token.
pub fn admin(emu: &Emulator) -> Client {
    client_with(emu, emu.admin_token())
}

/// Asserts that `f` fails with `code` and sends no request.
pub fn fails_before_wire<T: std::fmt::Debug>(
    emu: &Emulator,
    code: i32,
    f: impl FnOnce() -> Result<T, Error>,
) -> Error {
    let before = emu.requests();
    let err = f().expect_err("the call fails");
    assert_eq!(err.exit_code(), code, "{err}");
    assert_eq!(emu.requests(), before, "no request may be sent: {err}");
    err
}

/// Asserts that no rendering of `err` contains `secret`.
pub fn assert_no_leak(text: &str, secret: &str) {
    assert!(!text.contains(secret), "secret leaked into: {text}");
    // The secret half of a psk is the last 22 characters.
    if secret.len() > 22 {
        assert!(
            !text.contains(&secret[secret.len() - 22..]),
            "secret leaked into: {text}"
        );
    }
}
