//! TLS for real, against the emulator serving HTTPS with a chain it generated: the extra CA bundle
//! makes a call succeed; without it, with a certificate for another host, or with an expired
//! one, the call fails with exit code 1 and a message naming the certificate problem. Plain http
//! to a host that is not loopback is refused before the wire. The suite runs this file with the
//! default features and again with only `ring` (see tests/provider.rs).

use plexctl_core::{Client, ErrorKind, Secret};
use plexctl_emulator::{Config, Emulator, TlsMode};

fn emulator(mode: TlsMode) -> Emulator {
    Emulator::start(Config {
        tls: Some(mode),
        ..Config::fast()
    })
    .unwrap()
}

fn client(emu: &Emulator, with_ca: bool) -> Client {
    let mut b = Client::builder()
        .server(emu.url())
        .token(Secret::from(emu.admin_token()))
        .use_environment(false);
    if with_ca {
        b = b.ca_bundle_pem(emu.ca_pem().unwrap().as_bytes().to_vec());
    }
    b.build().unwrap()
}

#[test]
fn the_extra_ca_bundle_is_trusted() {
    let emu = emulator(TlsMode::Valid);
    assert!(emu.url().starts_with("https://"));
    assert!(!client(&emu, true).list_tokens().unwrap().is_empty());
}

#[test]
fn certificate_problems_are_exit_1_and_say_so() {
    for (mode, with_ca, words) in [
        (TlsMode::Valid, false, "UnknownIssuer"),
        (TlsMode::WrongHost, true, "not valid for name"),
        (TlsMode::Expired, true, "certificate expired"),
    ] {
        let emu = emulator(mode);
        let before = emu.requests();
        let e = client(&emu, with_ca).list_tokens().unwrap_err();
        assert_eq!(
            (e.kind(), e.exit_code()),
            (ErrorKind::Transport, 1),
            "{mode:?}: {e}"
        );
        let text = e.to_string();
        assert!(
            text.contains("certificate") || text.contains("Certificate"),
            "{mode:?}: {text}"
        );
        assert!(text.contains(words), "{mode:?}: {text}");
        assert_eq!(emu.requests(), before, "nothing reached the API");
    }
}

#[test]
fn plain_http_off_loopback_is_refused_before_the_wire() {
    let e = Client::builder()
        .server("http://plexsphere.example")
        .token(Secret::from("t0ken"))
        .use_environment(false)
        .build()
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.exit_code()),
        (ErrorKind::InsecureTransport, 3),
        "{e}"
    );
}
