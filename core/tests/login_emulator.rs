//! Device login end to end against the emulator: start, approve (as the dashboard would, through
//! the emulator), complete, then status, rotate-session and logout on the stored session; a
//! denial; and a second exchange of the same device code refused.

use std::time::Duration;

use plexctl_core::{AuthState, Client, DeviceLoginRequest, ErrorKind, LoginTarget, config, psk};
use plexctl_emulator::{Config, Emulator};

fn emulator() -> Emulator {
    Emulator::start(Config {
        device_poll_interval: Duration::ZERO,
        ..Config::fast()
    })
    .unwrap()
}

fn session_client(emu: &Emulator, path: &std::path::Path) -> Client {
    Client::builder()
        .server(emu.url())
        .config_path(path)
        .use_environment(false)
        .build()
        .unwrap()
}

#[test]
fn login_then_status_rotate_session_and_logout() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    let c = session_client(&emu, &path);
    let req =
        DeviceLoginRequest::parse(&emu.domain_id().to_string(), None, Some("github")).unwrap();
    let mut shown = None;
    let outcome = c
        .login(
            &req,
            &LoginTarget::new("work", true),
            &mut |auth| {
                // The dashboard approves the code the CLI shows.
                emu.approve_device(&auth.user_code).unwrap();
                shown = Some(auth.text());
            },
            &|| false,
        )
        .unwrap();
    assert!(shown.unwrap().contains("/device"));
    let token = config::read(&path).unwrap().unwrap().profiles["work"]
        .token
        .clone()
        .unwrap();
    assert_eq!(outcome.token_id, psk::token_id(token.expose_secret()).ok());

    // A client reading the profile sees who it is and how long the session lasts.
    let status = session_client(&emu, &path).status().unwrap();
    assert_eq!(status.state, AuthState::Authenticated, "{}", status.text());
    assert_eq!(status.profile.as_deref(), Some("work"));
    assert_eq!(status.token.as_ref().map(|t| t.id), outcome.token_id);
    assert!(status.principal.unwrap().email.is_some());

    let rotated = session_client(&emu, &path).rotate_session().unwrap();
    assert_eq!(Some(rotated.id), outcome.token_id);
    let out = session_client(&emu, &path).logout().unwrap();
    assert!(out.revoked);
    // The revoked token now shows as rejected, not as an error.
    let revoked = Client::builder()
        .server(emu.url())
        .token(rotated.plaintext.clone())
        .use_environment(false)
        .build()
        .unwrap();
    assert_eq!(revoked.status().unwrap().state, AuthState::Rejected);
}

#[test]
fn a_denied_login_is_exit_4_and_a_used_code_is_refused() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let c = session_client(&emu, &dir.path().join("c.yaml"));
    let req = DeviceLoginRequest::parse(&emu.domain_id().to_string(), None, None).unwrap();

    let auth = c.start_device_login(&req).unwrap();
    emu.deny_device(&auth.user_code).unwrap();
    let e = c
        .complete_device_login(&auth, &LoginTarget::new("p", false), &|| false)
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.exit_code()),
        (ErrorKind::AccessDenied, 4),
        "{e}"
    );

    let auth = c.start_device_login(&req).unwrap();
    emu.approve_device(&auth.user_code).unwrap();
    c.complete_device_login(&auth, &LoginTarget::new("p", false), &|| false)
        .unwrap();
    let e = c
        .complete_device_login(&auth, &LoginTarget::new("q", false), &|| false)
        .unwrap_err();
    assert_eq!((e.kind(), e.exit_code()), (ErrorKind::Api, 1), "{e}");
    assert_eq!(e.problem().unwrap().code.as_deref(), Some("invalid_grant"));
}

#[test]
fn status_names_every_credential_source_and_an_expired_token() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();

    // A token file.
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{}\n", emu.admin_token())).unwrap();
    let s = Client::builder()
        .server(emu.url())
        .token_file(&file)
        .use_environment(false)
        .build()
        .unwrap()
        .status()
        .unwrap();
    assert_eq!(
        (s.state, s.credential_source.as_str()),
        (AuthState::Authenticated, "token_file")
    );

    // PLEXSPHERE_TOKEN, in a process of its own (no test changes this process's environment).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_plexctl-config-child"))
        .env_clear()
        .env("PLEXCTL_TEST_CHILD", "status")
        .env("PLEXSPHERE_URL", emu.url())
        .env("PLEXSPHERE_TOKEN", emu.admin_token())
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.contains("authenticated environment"), "{line}");

    // An expired token is a state, not an error.
    let admin = Client::builder()
        .server(emu.url())
        .token(plexctl_core::Secret::from(emu.admin_token()))
        .use_environment(false)
        .build()
        .unwrap();
    let req =
        plexctl_core::IssueTokenRequest::parse(&emu.admin_identity(), "dev", Some("1m")).unwrap();
    let short = admin.issue_token(&req).unwrap();
    emu.advance_clock(Duration::from_secs(120));
    let s = Client::builder()
        .server(emu.url())
        .token(short.plaintext)
        .use_environment(false)
        .build()
        .unwrap()
        .status()
        .unwrap();
    assert_eq!(s.state, AuthState::Rejected, "{}", s.text());
    assert_eq!(s.rejection.as_deref(), Some("token_expired"));
}
