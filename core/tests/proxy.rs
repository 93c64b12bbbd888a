//! Proxies as Go's net/http and curl honour them, through a real CONNECT proxy the test starts:
//! HTTPS goes through a tunnel (the bearer never leaves TLS, the proxy never sees it), loopback is
//! never proxied, `HTTPS_PROXY` / `NO_PROXY` are read by default, and both an explicit proxy and an
//! opt-out exist.

mod common;

use std::process::Command;

use common::proxy::ConnectProxy;
use plexctl_core::{Client, ErrorKind, Secret};
use plexctl_emulator::{Config, Emulator, PROXIED_HOST, TlsMode};

fn https_emulator() -> (Emulator, u16) {
    let emu = Emulator::start(Config {
        tls: Some(TlsMode::Valid),
        ..Config::fast()
    })
    .unwrap();
    let port = emu.url().rsplit_once(':').unwrap().1.parse().unwrap();
    (emu, port)
}

fn builder(emu: &Emulator, server: String) -> plexctl_core::ClientBuilder {
    Client::builder()
        .server(server)
        .token(Secret::from(emu.admin_token()))
        .ca_bundle_pem(emu.ca_pem().unwrap().as_bytes().to_vec())
        .use_environment(false)
}

#[test]
fn https_goes_through_a_connect_tunnel_and_the_proxy_never_sees_the_bearer() {
    let (emu, port) = https_emulator();
    let proxy = ConnectProxy::start();
    let c = builder(&emu, format!("https://{PROXIED_HOST}:{port}"))
        .proxy(proxy.url())
        .build()
        .unwrap();
    assert!(!c.list_tokens().unwrap().is_empty());
    let seen = proxy.seen();
    assert_eq!(seen[0], format!("CONNECT {PROXIED_HOST}:{port} HTTP/1.1"));
    let all = seen.join("\n").to_ascii_lowercase();
    assert!(!all.contains("authorization"), "{all}");
    assert!(!all.contains(&emu.admin_token()[9..].to_ascii_lowercase()));
}

#[test]
fn loopback_is_never_proxied_and_the_proxy_can_be_turned_off() {
    let (emu, port) = https_emulator();
    let proxy = ConnectProxy::start();
    let c = builder(&emu, format!("https://127.0.0.1:{port}"))
        .proxy(proxy.url())
        .build()
        .unwrap();
    c.list_tokens().unwrap();
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());

    // Without the proxy, the name only the proxy could reach does not resolve.
    let c = builder(&emu, format!("https://{PROXIED_HOST}:{port}"))
        .proxy(proxy.url())
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(c.list_tokens().unwrap_err().kind(), ErrorKind::Transport);
    assert!(proxy.seen().is_empty());
}

#[test]
fn a_proxys_credentials_never_show_and_a_bad_proxy_url_is_usage() {
    let e = Client::builder()
        .server("https://plexsphere.example")
        .token(Secret::from("t0ken"))
        .use_environment(false)
        .proxy("http://user:hunter2@127.0.0.1:1")
        .retries(0)
        .build()
        .unwrap()
        .list_tokens()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(!format!("{e} {e:?}").contains("hunter2"), "{e:?}");
    let e = Client::builder().proxy("not a url").build().unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
}

/// The child process lists tokens with everything from its environment, as a CLI would.
fn child_list(env: &[(&str, &str)]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_plexctl-config-child"))
        .env_clear()
        .env("PLEXCTL_TEST_CHILD", "list")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    (stdout, out.status.code().unwrap_or(-1))
}

#[test]
fn https_proxy_and_no_proxy_come_from_the_environment() {
    let (emu, port) = https_emulator();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, emu.ca_pem().unwrap()).unwrap();
    let ca = ca.to_str().unwrap();
    let server = format!("https://{PROXIED_HOST}:{port}");
    let proxy = ConnectProxy::start();
    let base = [
        ("PLEXSPHERE_URL", server.as_str()),
        ("PLEXSPHERE_TOKEN", emu.admin_token()),
        ("PLEXCTL_TEST_CA_FILE", ca),
    ];

    let url = proxy.url();
    let (line, code) = child_list(&[base.as_slice(), &[("HTTPS_PROXY", url.as_str())]].concat());
    assert_eq!(code, 0, "{line}");
    let connects = || {
        proxy
            .seen()
            .iter()
            .filter(|l| l.starts_with("CONNECT "))
            .count()
    };
    assert_eq!(connects(), 1, "{:?}", proxy.seen());

    let (line, code) = child_list(
        &[
            base.as_slice(),
            &[("https_proxy", url.as_str()), ("no_proxy", PROXIED_HOST)],
        ]
        .concat(),
    );
    assert_eq!(
        code, 1,
        "NO_PROXY sends it direct, where the name does not resolve: {line}"
    );
    assert_eq!(connects(), 1, "the proxy saw nothing more");
}
