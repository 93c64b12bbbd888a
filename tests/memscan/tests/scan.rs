//! No secret left behind in Rust: the child runs the flow under core's zeroing allocator, drops
//! everything, and scans its own memory; every secret must be found zero times.

use std::io::Write;
use std::process::{Command, Stdio};

use plexctl_emulator::{Config, Emulator, ServiceIdentitySpec};

#[test]
fn no_secret_survives_a_flow_in_a_rust_process() {
    let emu = Emulator::start(Config::fast()).unwrap();
    let client_secret = "memscan-client-secret-7f3a9c2e41b8d605";
    emu.add_service_identity(ServiceIdentitySpec::ClientCredentials {
        client_id: "svc-scan".into(),
        client_secret: client_secret.into(),
    });
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_plexctl-memory-scan"))
        .env_clear()
        .env("PLEXCTL_TEST_URL", emu.url())
        .env("PLEXCTL_TEST_TOKEN", emu.admin_token())
        .env("PLEXCTL_TEST_IDENTITY", emu.admin_identity())
        .env("PLEXCTL_TEST_CONFIG", dir.path().join("config.yaml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(client_secret.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the flow ran: {out:?}");
    let report = String::from_utf8(out.stdout).unwrap();
    let counts: Vec<(&str, usize)> = report
        .lines()
        .map(|l| {
            let (label, n) = l.rsplit_once(' ').unwrap();
            (label, n.parse().unwrap())
        })
        .collect();
    assert_eq!(
        counts.len(),
        19,
        "every secret of the flow was scanned:\n{report}"
    );
    assert!(
        counts
            .iter()
            .any(|(label, n)| *label == "control" && *n >= 1),
        "the live control secret must be found:\n{report}"
    );
    let survivors: Vec<_> = counts
        .iter()
        .filter(|(label, n)| *label != "control" && *n > 0)
        .collect();
    assert!(survivors.is_empty(), "copies survive: {survivors:?}");
}
