//! Stored sessions against the emulator: credential resolution, store-session, rotate-session,
//! and logout — one test per row of plexctl logout's exit-code table (seed 001) and per example.
//! The config file's own properties (location, modes, symlinks, concurrent processes, crashes) are
//! in `config_file.rs`.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use plexctl_core::config;
use plexctl_core::{Client, CredentialSource, Error, Secret};
use plexctl_emulator::{Fault, FaultKind};

/// A client that reads `path` as its config file and nothing from the environment.
fn with_config(path: &Path, profile: Option<&str>) -> Client {
    let mut b = Client::builder().config_path(path).use_environment(false);
    if let Some(p) = profile {
        b = b.profile(p);
    }
    b.build().unwrap()
}

/// Logout through a client built on `path`: building reads the profile, so a config error may
/// surface from either step, with the same code.
fn logout(path: &Path, profile: Option<&str>) -> Result<plexctl_core::LogoutOutcome, Error> {
    let mut b = Client::builder().config_path(path).use_environment(false);
    if let Some(p) = profile {
        b = b.profile(p);
    }
    b.build().and_then(|c| c.logout())
}

/// A fresh config path in its own temporary directory (kept alive by the returned guard).
fn config_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plexctl").join("config.yaml");
    (dir, path)
}

/// Stores a freshly seeded session for the admin identity under `name`; returns its plaintext.
fn store(emu: &Emulator, path: &Path, name: &str, make_default: bool) -> String {
    let (_, plaintext) = emu.seed_token(&emu.admin_identity(), "prod", None);
    with_config(path, None)
        .store_session(
            name,
            &emu.url(),
            &Secret::from(plaintext.as_str()),
            make_default,
        )
        .unwrap();
    plaintext
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn store_session_creates_a_private_file_and_a_profile_client_works() {
    let emu = emulator();
    let (_d, path) = config_path();
    let token = store(&emu, &path, "default", true);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let client = with_config(&path, None);
    assert_eq!(
        client.credential_source(),
        &CredentialSource::Profile("default".into())
    );
    assert_eq!(client.token().unwrap().expose_secret(), token);
    client.list_tokens().unwrap();
    assert!(!fs::read_to_string(&path).unwrap().is_empty());
    assert_no_leak(&format!("{client:?}"), &token);
}

#[test]
fn explicit_sources_beat_the_profile() {
    let emu = emulator();
    let (d, path) = config_path();
    store(&emu, &path, "default", true);
    let file = d.path().join("token");
    fs::write(&file, "psk_prod_fromfile\n").unwrap();
    let c = Client::builder()
        .config_path(&path)
        .use_environment(false)
        .token_file(&file)
        .build()
        .unwrap();
    assert_eq!(c.token().unwrap().expose_secret(), "psk_prod_fromfile");
    assert_eq!(
        c.server(),
        Some(format!("{}/", emu.url()).as_str()),
        "the server still comes from the profile"
    );
    let c = Client::builder()
        .config_path(&path)
        .use_environment(false)
        .token(Secret::from("explicit"))
        .token_file(&file)
        .server("https://override.example")
        .build()
        .unwrap();
    assert_eq!(c.credential_source(), &CredentialSource::Explicit);
    assert_eq!(c.server(), Some("https://override.example/"));
}

#[test]
fn nothing_resolved_names_what_was_looked_for() {
    let (_d, path) = config_path();
    let c = with_config(&path, Some("staging"));
    let e = c.list_tokens().unwrap_err();
    assert_eq!(e.exit_code(), 3);
    let msg = e.to_string();
    assert!(
        msg.contains("staging") && msg.contains("config.yaml"),
        "{msg}"
    );
}

#[test]
fn logout_ends_the_default_session() {
    // Example "End the active session": the default profile is revoked and removed, the pointer reset.
    let emu = emulator();
    let (_d, path) = config_path();
    let token = store(&emu, &path, "default", true);
    let before = emu.requests();
    let out = with_config(&path, None).logout().unwrap();
    assert_eq!(emu.requests(), before + 1, "one round trip, no list call");
    assert_eq!(out.text(), "Logged out. Cleared profile \"default\".");
    assert_eq!(out.to_string(), out.text());
    assert!(out.revoked);
    let file = config::read(&path).unwrap().unwrap();
    assert!(file.profiles.is_empty());
    assert_eq!(file.default, None);
    assert_eq!(
        client_with(&emu, &token)
            .list_tokens()
            .unwrap_err()
            .status(),
        Some(401),
        "revoked server-side"
    );
}

#[test]
fn logout_of_a_named_profile_leaves_the_others() {
    // Example "End a specific profile's session".
    let emu = emulator();
    let (_d, path) = config_path();
    let default_token = store(&emu, &path, "default", true);
    store(&emu, &path, "staging", false);
    let staging = with_config(&path, Some("staging"));
    assert_eq!(
        staging.credential_source(),
        &CredentialSource::Profile("staging".into())
    );
    let out = staging.logout().unwrap();
    assert_eq!(out.text(), "Logged out. Cleared profile \"staging\".");
    let file = config::read(&path).unwrap().unwrap();
    assert_eq!(file.default.as_deref(), Some("default"));
    assert!(file.profiles.contains_key("default") && !file.profiles.contains_key("staging"));
    client_with(&emu, &default_token).list_tokens().unwrap();
}

#[test]
fn no_active_session_is_a_no_op_without_a_request() {
    // Example "No active session": no file, no such profile, a profile with no token.
    let emu = emulator();
    let (_d, path) = config_path();
    for client in [with_config(&path, None), with_config(&path, Some("ghost"))] {
        let out = client.logout().unwrap();
        assert_eq!(out.text(), "No active session; nothing to do.");
        assert!(!out.had_session());
    }
    store(&emu, &path, "default", true);
    config::update(&path, |f| {
        f.profiles.entry("empty".into()).or_default().server = Some(emu.url());
        Ok(())
    })
    .unwrap();
    let before = emu.requests();
    assert!(
        !with_config(&path, Some("empty"))
            .logout()
            .unwrap()
            .had_session()
    );
    assert!(
        !with_config(&path, Some("ghost"))
            .logout()
            .unwrap()
            .had_session()
    );
    assert_eq!(emu.requests(), before);
}

#[test]
fn already_gone_sessions_are_cleared() {
    // Row 0: a 401 or 404 means the session is already gone, so the credential is cleared.
    let emu = emulator();
    let (_d, path) = config_path();
    let token = store(&emu, &path, "default", true);
    let id = plexctl_core::psk::token_id(&token).unwrap();
    admin(&emu).delete_token(id).unwrap();
    let out = with_config(&path, None).logout().unwrap();
    assert!(!out.revoked);
    assert!(config::read(&path).unwrap().unwrap().profiles.is_empty());

    store(&emu, &path, "default", true);
    emu.set_fault(Some(Fault {
        kind: FaultKind::Status {
            status: 404,
            code: None,
        },
        path_prefix: None,
        count: Some(1),
    }));
    let out = with_config(&path, None).logout().unwrap();
    assert!(!out.revoked && out.had_session());
    assert!(config::read(&path).unwrap().unwrap().profiles.is_empty());
}

#[test]
fn server_failures_keep_the_file_byte_for_byte() {
    // Row 1: a 5xx or a transport failure exits 1 and keeps the credential.
    let emu = emulator();
    let (_d, path) = config_path();
    let token = store(&emu, &path, "default", true);
    let before = fs::read(&path).unwrap();
    for kind in [
        FaultKind::Status {
            status: 500,
            code: None,
        },
        FaultKind::Drop,
        FaultKind::HtmlBadGateway,
    ] {
        // Persistent through the first attempt and both retries: a transient failure is retried.
        emu.set_fault(Some(Fault {
            kind,
            path_prefix: None,
            count: Some(3),
        }));
        let e = with_config(&path, None).logout().unwrap_err();
        assert_eq!(e.exit_code(), 1, "{e}");
        assert_no_leak(&format!("{e} {e:?}"), &token);
        assert_eq!(fs::read(&path).unwrap(), before, "the file is unchanged");
    }
    client_with(&emu, &token)
        .list_tokens()
        .expect("the kept token is still live");
}

#[test]
fn unrecognizable_stored_token_is_exit_2_and_kept() {
    // Row 2.
    let emu = emulator();
    let (_d, path) = config_path();
    with_config(&path, None)
        .store_session(
            "default",
            &emu.url(),
            &Secret::from("not-a-psk-token"),
            true,
        )
        .unwrap();
    let before = fs::read(&path).unwrap();
    let e = fails_before_wire(&emu, 2, || with_config(&path, None).logout());
    assert!(matches!(e, Error::InvalidPsk { .. }));
    assert_no_leak(&e.to_string(), "not-a-psk-token");
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn a_config_wider_than_0600_is_refused_before_it_is_read() {
    // Row 3.
    let emu = emulator();
    let (_d, path) = config_path();
    store(&emu, &path, "default", true);
    for m in [0o640, 0o604, 0o660] {
        fs::set_permissions(&path, fs::Permissions::from_mode(m)).unwrap();
        let e = fails_before_wire(&emu, 3, || logout(&path, None));
        assert!(matches!(e, Error::InsecureConfig { .. }), "{e}");
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }
    // Explicit credentials never read the file, so they still work.
    let c = Client::builder()
        .config_path(&path)
        .use_environment(false)
        .server(emu.url())
        .token(Secret::from(emu.admin_token()))
        .build()
        .unwrap();
    c.list_tokens().unwrap();
}

#[test]
fn permission_denied_is_exit_4_and_kept() {
    // Row 4.
    let emu = emulator();
    let (_d, path) = config_path();
    let token = store(&emu, &path, "default", true);
    emu.deny(&emu.admin_identity(), true);
    let before = fs::read(&path).unwrap();
    let e = with_config(&path, None).logout().unwrap_err();
    assert_eq!((e.status(), e.exit_code()), (Some(403), 4));
    assert_eq!(fs::read(&path).unwrap(), before);
    emu.deny(&emu.admin_identity(), false);
    client_with(&emu, &token).list_tokens().unwrap();
}

#[test]
fn rotate_session_writes_the_new_plaintext_before_returning() {
    let emu = emulator();
    let (_d, path) = config_path();
    let old = store(&emu, &path, "default", true);
    let rotated = with_config(&path, None).rotate_session().unwrap();
    let stored = config::read(&path).unwrap().unwrap().profiles["default"]
        .token
        .clone()
        .unwrap();
    assert_eq!(stored.expose_secret(), rotated.plaintext.expose_secret());
    client_with(&emu, &old)
        .list_tokens()
        .expect("the old plaintext works until the deadline");
    with_config(&path, None)
        .list_tokens()
        .expect("the stored session works");
}

#[test]
fn rotate_session_that_cannot_save_hands_back_the_new_plaintext() {
    let emu = emulator();
    let (_d, path) = config_path();
    let old = store(&emu, &path, "default", true);
    // A directory where the lock file should be makes every write fail (even for root).
    let lock = path.with_file_name("config.yaml.lock");
    fs::remove_file(&lock).unwrap();
    fs::create_dir(&lock).unwrap();
    let e = with_config(&path, None).rotate_session().unwrap_err();
    assert_eq!(e.exit_code(), 1);
    let rotated = e.rotated_token().expect("the new plaintext is not lost");
    assert_no_leak(&format!("{e} {e:?}"), rotated.plaintext.expose_secret());
    assert!(e.to_string().contains("works until"), "{e}");
    client_with(&emu, rotated.plaintext.expose_secret())
        .list_tokens()
        .unwrap();
    client_with(&emu, &old).list_tokens().unwrap();
}

#[test]
fn logout_json_summary_for_scripts() {
    // Example "JSON summary for CI scripts".
    let emu = emulator();
    let (_d, path) = config_path();
    store(&emu, &path, "default", true);
    let out = with_config(&path, None).logout().unwrap();
    let json: serde_json::Value = serde_json::from_str(&out.to_json()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"profile": "default", "server": emu.url(), "revoked": true})
    );
    assert_eq!(
        format!("{out:?}"),
        format!(
            "LogoutOutcome {{ profile: Some(\"default\"), server: Some({:?}), revoked: true }}",
            emu.url()
        )
    );
}

#[test]
fn logout_never_touches_a_token_file() {
    let emu = emulator();
    let (d, path) = config_path();
    let (_, file_token) = emu.seed_token(&emu.admin_identity(), "prod", None);
    let token_file = d.path().join("token");
    fs::write(&token_file, format!("{file_token}\n")).unwrap();
    let with_file = |profile: Option<&str>| {
        let mut b = Client::builder()
            .config_path(&path)
            .use_environment(false)
            .token_file(&token_file)
            .server(emu.url());
        if let Some(p) = profile {
            b = b.profile(p);
        }
        b.build().unwrap()
    };
    // A token that comes only from a file is not a stored session.
    let before = emu.requests();
    assert!(!with_file(None).logout().unwrap().had_session());
    assert_eq!(emu.requests(), before);
    // With a stored session as well, logout ends that one and leaves the file's token alone,
    // although the client authenticates its other calls with the file's token.
    let stored = store(&emu, &path, "default", true);
    let client = with_file(None);
    assert_eq!(client.token().unwrap().expose_secret(), file_token);
    assert!(client.logout().unwrap().revoked);
    assert_eq!(
        fs::read_to_string(&token_file).unwrap(),
        format!("{file_token}\n")
    );
    client_with(&emu, &file_token).list_tokens().unwrap();
    assert_eq!(
        client_with(&emu, &stored)
            .list_tokens()
            .unwrap_err()
            .status(),
        Some(401)
    );
}

#[test]
fn exit_code_64_is_never_returned() {
    // Row 64: every way logout can fail maps to 1, 2, 3 or 4 — never "not implemented".
    let emu = emulator();
    let (_d, path) = config_path();
    let mut codes = Vec::new();
    let mut record = |r: Result<plexctl_core::LogoutOutcome, Error>| {
        codes.push(r.map(|_| 0).unwrap_or_else(|e| e.exit_code()));
    };
    record(logout(&path, None));
    store(&emu, &path, "default", true);
    for kind in [
        FaultKind::Status {
            status: 503,
            code: None,
        },
        FaultKind::Status {
            status: 403,
            code: None,
        },
        FaultKind::Drop,
        FaultKind::HtmlBadGateway,
    ] {
        // Persistent through the first attempt and both retries: a transient failure is retried.
        emu.set_fault(Some(Fault {
            kind,
            path_prefix: None,
            count: Some(3),
        }));
        record(logout(&path, None));
    }
    // A profile without a server (3), one whose server is plain http to a remote host (3), and
    // one holding something that is not a psk (2): refused before the wire, credential kept.
    config::update(&path, |f| {
        let token = f.profiles["default"].token.clone();
        let p = f.profiles.entry("noserver".into()).or_default();
        p.token = token.clone();
        let p = f.profiles.entry("remote".into()).or_default();
        p.token = token;
        p.server = Some("http://plexsphere.example".into());
        let p = f.profiles.entry("junk".into()).or_default();
        p.token = Some(Secret::from("junk"));
        p.server = Some(emu.url());
        Ok(())
    })
    .unwrap();
    let before = emu.requests();
    for name in ["noserver", "remote", "junk"] {
        record(logout(&path, Some(name)));
    }
    assert_eq!(emu.requests(), before);
    assert_eq!(config::read(&path).unwrap().unwrap().profiles.len(), 4);
    record(logout(&path, None));
    assert_eq!(codes, [0, 1, 4, 1, 1, 3, 3, 2, 0]);
}

#[test]
fn a_login_during_logout_is_not_cleared() {
    // The revocation is slow; meanwhile another process logs in again under the same profile.
    // Logout revokes the old token but keeps the new, live one.
    let emu = emulator();
    let (_d, path) = config_path();
    let old = store(&emu, &path, "default", true);
    let (_, new) = emu.seed_token(&emu.admin_identity(), "prod", None);
    emu.set_fault(Some(Fault {
        kind: FaultKind::Latency { ms: 1500 },
        path_prefix: None,
        count: Some(1),
    }));
    let client = with_config(&path, None);
    let logout = std::thread::spawn(move || client.logout());
    std::thread::sleep(Duration::from_millis(400));
    with_config(&path, None)
        .store_session("default", &emu.url(), &Secret::from(new.as_str()), true)
        .unwrap();
    logout.join().unwrap().unwrap();
    let file = config::read(&path).unwrap().unwrap();
    assert_eq!(
        file.profiles["default"]
            .token
            .as_ref()
            .unwrap()
            .expose_secret(),
        new
    );
    assert_eq!(file.default.as_deref(), Some("default"));
    assert_eq!(
        client_with(&emu, &old).list_tokens().unwrap_err().status(),
        Some(401)
    );
}

#[test]
fn a_logout_during_rotate_session_is_not_undone() {
    // The rotation is slow; meanwhile the profile is removed. The rotated session is not written
    // back (that would resurrect a logged-out profile); the error hands over the new plaintext.
    let emu = emulator();
    let (_d, path) = config_path();
    store(&emu, &path, "default", true);
    store(&emu, &path, "other", false);
    emu.set_fault(Some(Fault {
        kind: FaultKind::Latency { ms: 1500 },
        path_prefix: None,
        count: Some(1),
    }));
    let client = with_config(&path, None);
    let rotate = std::thread::spawn(move || client.rotate_session());
    std::thread::sleep(Duration::from_millis(400));
    config::update(&path, |f| {
        f.profiles.remove("default");
        f.default = None;
        Ok(())
    })
    .unwrap();
    let before = fs::read(&path).unwrap();
    let e = rotate.join().unwrap().unwrap_err();
    assert_eq!(e.exit_code(), 1);
    assert!(e.to_string().contains("changed while"), "{e}");
    let rotated = e.rotated_token().expect("the new plaintext is not lost");
    client_with(&emu, rotated.plaintext.expose_secret())
        .list_tokens()
        .unwrap();
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn rotate_session_without_a_stored_session_is_exit_3() {
    let emu = emulator();
    let (_d, path) = config_path();
    let e = fails_before_wire(&emu, 3, || {
        with_config(&path, Some("ghost")).rotate_session()
    });
    assert!(e.to_string().contains("ghost"), "{e}");
}
