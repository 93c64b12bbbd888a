//! HTTPS with a generated chain: a client that trusts the emulator's CA gets through; one that
//! does not, or that meets an expired leaf or a leaf for another host, is refused.

use std::error::Error as _;

use plexctl_emulator::{Config, Emulator, TlsMode};
use reqwest::blocking::Client;
use serde_json::Value;

fn start(mode: TlsMode) -> Emulator {
    Emulator::start(Config {
        tls: Some(mode),
        ..Config::fast()
    })
    .unwrap()
}

fn trusting(ca_pem: &str) -> Client {
    Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap()
}

/// The error and all its sources, as one line.
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn list(http: &Client, url: &str, emu: &Emulator) -> Result<reqwest::blocking::Response, String> {
    http.get(format!("{url}/v1/auth/tokens"))
        .bearer_auth(emu.admin_token())
        .send()
        .map_err(|e| chain(&e))
}

#[test]
fn a_client_that_trusts_the_ca_gets_through() {
    let emu = start(TlsMode::Valid);
    let url = emu.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let ca = emu.ca_pem().unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    let http = trusting(ca);
    assert_eq!(list(&http, &url, &emu).unwrap().status(), 200);
    // The leaf names localhost too.
    let by_name = url.replace("127.0.0.1", "localhost");
    assert_eq!(list(&http, &by_name, &emu).unwrap().status(), 200);
    // The control API is behind the same TLS.
    let stats: Value = http
        .get(format!("{url}/_emulator/stats"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(stats["requests"], 2);
    let e = list(&Client::new(), &url, &emu).unwrap_err();
    assert!(e.to_lowercase().contains("certificate"), "{e}");
    // Plain HTTP to an HTTPS port gets no API answer.
    let plain = url.replace("https://", "http://");
    assert!(!matches!(list(&Client::new(), &plain, &emu), Ok(r) if r.status() == 200));
}

#[test]
fn an_expired_leaf_is_refused_even_with_the_ca() {
    let emu = start(TlsMode::Expired);
    let e = list(&trusting(emu.ca_pem().unwrap()), &emu.url(), &emu).unwrap_err();
    assert!(e.to_lowercase().contains("expired"), "{e}");
    assert_eq!(emu.requests(), 0, "no request got through");
}

#[test]
fn a_leaf_for_another_host_is_refused_even_with_the_ca() {
    let emu = start(TlsMode::WrongHost);
    let e = list(&trusting(emu.ca_pem().unwrap()), &emu.url(), &emu).unwrap_err();
    assert!(e.contains("not valid for name"), "{e}");
    assert_eq!(emu.requests(), 0, "no request got through");
}

#[test]
fn plain_http_has_no_ca() {
    let emu = Emulator::start(Config::fast()).unwrap();
    assert!(emu.url().starts_with("http://"));
    assert_eq!(emu.ca_pem(), None);
}

#[test]
fn the_binary_serves_https_and_writes_its_ca() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let dir = std::env::temp_dir().join(format!("emu-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_path = dir.join("ca.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_plexsphere-emulator"))
        .args([
            "--fast",
            "--exit-on-stdin-eof",
            "--tls",
            "valid",
            "--ca-file",
        ])
        .arg(&ca_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    let url = v["url"].as_str().unwrap();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert_eq!(v["ca_file"].as_str().unwrap(), ca_path.to_str().unwrap());
    let from_file = std::fs::read_to_string(&ca_path).unwrap();
    assert_eq!(v["ca_pem"].as_str().unwrap(), from_file);
    let r = trusting(&from_file)
        .get(format!("{url}/v1/auth/tokens"))
        .bearer_auth(v["admin_token"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    assert!(!ca_path.exists(), "the CA file is removed at exit");
    let _ = std::fs::remove_dir_all(&dir);

    let plain = Command::new(env!("CARGO_BIN_EXE_plexsphere-emulator"))
        .args(["--fast", "--exit-on-stdin-eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut plain = plain;
    std::io::BufReader::new(plain.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "admin_identity",
            "admin_token",
            "audience",
            "domain_id",
            "url"
        ]
    );
    drop(plain.stdin.take());
    assert!(plain.wait().unwrap().success());
}
