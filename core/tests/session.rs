//! Profiles, credential resolution and logout against the emulator: one test per row of plexctl
//! logout's exit-code table and per example, plus the config file's safety properties.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use plexctl_core::config;
use plexctl_core::{Client, Error, Secret, TokenSource};
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
        client.token_source(),
        &TokenSource::Profile("default".into())
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
    assert_eq!(c.token_source(), &TokenSource::Explicit);
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
    assert!(out.revoked);
    let json: serde_json::Value = serde_json::from_str(&out.to_json()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"profile": "default", "server": emu.url(), "revoked": true})
    );
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
    let out = with_config(&path, Some("staging")).logout().unwrap();
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
        emu.set_fault(Some(Fault {
            kind,
            path_prefix: None,
            count: Some(1),
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
fn unknown_keys_survive_a_rewrite() {
    let emu = emulator();
    let (_d, path) = config_path();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, "editor: vim\ndefault: a\nprofiles:\n  a:\n    server: https://a.example\n    color: blue\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    store(&emu, &path, "b", false);
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("editor: vim") && text.contains("color: blue"),
        "{text}"
    );
    assert_eq!(
        config::read(&path).unwrap().unwrap().default.as_deref(),
        Some("a")
    );
}

#[test]
fn a_symlinked_config_is_followed_and_the_link_survives() {
    let emu = emulator();
    let (d, path) = config_path();
    let real = d.path().join("dotfiles").join("plexctl.yaml");
    store(&emu, &real, "default", true);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &path).unwrap();
    store(&emu, &path, "second", false);
    with_config(&path, None).logout().unwrap();
    assert!(
        fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link survives"
    );
    let file = config::read(&real).unwrap().unwrap();
    assert!(file.profiles.contains_key("second") && !file.profiles.contains_key("default"));
    // A group-readable target is refused through the link too.
    fs::set_permissions(&real, fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(logout(&path, None).unwrap_err().exit_code(), 3);
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

/// Child-process entry points: they do nothing unless the parent set `PLEXCTL_TEST_CHILD`.
#[test]
fn child_process_entry() {
    let Ok(mode) = std::env::var("PLEXCTL_TEST_CHILD") else {
        return;
    };
    let path = PathBuf::from(std::env::var("PLEXCTL_TEST_CONFIG").unwrap());
    let name = std::env::var("PLEXCTL_TEST_PROFILE").unwrap();
    let token = Secret::from(format!("psk_prod_{name}").as_str());
    let client = with_config(&path, None);
    match mode.as_str() {
        "add" => client
            .store_session(&name, "https://plexsphere.example", &token, false)
            .unwrap(),
        _ => panic!("unknown child mode {mode}"),
    }
}

fn child(path: &Path, profile: &str, extra_env: Option<(&str, &str)>) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_process_entry",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("PLEXCTL_TEST_CHILD", "add")
    .env("PLEXCTL_TEST_CONFIG", path)
    .env("PLEXCTL_TEST_PROFILE", profile)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    if let Some((k, v)) = extra_env {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn sixteen_processes_adding_profiles_all_survive() {
    let (_d, path) = config_path();
    let mut children: Vec<_> = (0..16)
        .map(|i| child(&path, &format!("p{i:02}"), None).spawn().unwrap())
        .collect();
    for c in &mut children {
        assert!(c.wait().unwrap().success());
    }
    let file = config::read(&path).unwrap().unwrap();
    let names: Vec<_> = file.profiles.keys().cloned().collect();
    assert_eq!(
        names,
        (0..16).map(|i| format!("p{i:02}")).collect::<Vec<_>>()
    );
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_writer_killed_before_the_rename_leaves_the_old_file() {
    let (_d, path) = config_path();
    assert!(child(&path, "first", None).status().unwrap().success());
    let before = fs::read(&path).unwrap();
    let status = child(
        &path,
        "second",
        Some(("PLEXCTL_TEST_CRASH_BEFORE_RENAME", "1")),
    )
    .status()
    .unwrap();
    assert!(
        !status.success(),
        "the child aborted between write and rename"
    );
    assert_eq!(fs::read(&path).unwrap(), before, "the old file is intact");
    let file = config::read(&path).unwrap().unwrap();
    assert!(file.profiles.contains_key("first") && !file.profiles.contains_key("second"));
    // A later writer is not blocked by the crashed one's leftovers.
    assert!(child(&path, "third", None).status().unwrap().success());
    assert!(
        config::read(&path)
            .unwrap()
            .unwrap()
            .profiles
            .contains_key("third")
    );
}
