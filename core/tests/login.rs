//! Device login (RFC 8628) and status against a scripted server the test starts: every branch of
//! the poll, the back-off on slow_down (the pacer records the waits, so nothing really sleeps),
//! cancellation, expiry, the stored session, and the checks on what a UI would show.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::assert_no_leak;
use common::hostile::{Hostile, Seen, Step, json, problem};
use plexctl_core::{
    AuthState, Client, DeviceLoginRequest, ErrorKind, LoginTarget, Secret, config, psk,
};
use uuid::Uuid;

const DOMAIN: &str = "0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2";
const DEVICE_CODE: &str = "dc-3f9a1c7e5b2d4a60-secret";

fn device_code_answer(expires_in: u64, interval: u64) -> Step {
    json(
        200,
        &format!(
            r#"{{"device_code":"{DEVICE_CODE}","user_code":"ABCD-EFGH","verification_uri":"https://plexsphere.example/device","verification_uri_complete":"https://plexsphere.example/device?user_code=ABCD-EFGH","expires_in":{expires_in},"interval":{interval}}}"#
        ),
    )
}

fn rfc8628(code: &str) -> Step {
    problem(
        400,
        &format!(r#"{{"title":"device flow","status":400,"code":"{code}"}}"#),
    )
}

/// A server whose device-token answers are `polls` in order (the last repeats).
fn server(polls: Vec<&'static str>, session: String) -> (Hostile, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let server = Hostile::start(move |req: &Seen| {
        if req.request_line.contains("/device-code") {
            return vec![device_code_answer(600, 1)];
        }
        let n = seen.fetch_add(1, Ordering::SeqCst);
        match polls[n.min(polls.len() - 1)] {
            "token" => vec![json(
                200,
                &format!(
                    r#"{{"access_token":"{session}","token_type":"Bearer","expires_in":86400}}"#
                ),
            )],
            code => vec![rfc8628(code)],
        }
    });
    (server, count)
}

fn session_token() -> (Uuid, String) {
    let id = Uuid::now_v7();
    let text = psk::format("prod", id, &[5; 16])
        .unwrap()
        .expose_secret()
        .to_owned();
    (id, text)
}

fn client_for(server: &Hostile, config: &std::path::Path) -> Client {
    Client::builder()
        .server(server.url())
        .config_path(config)
        .use_environment(false)
        .build()
        .unwrap()
}

#[test]
fn pending_then_slow_down_then_approval_stores_the_session() {
    let (id, session) = session_token();
    let (server, polls) = server(
        vec!["authorization_pending", "slow_down", "token"],
        session.clone(),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    let c = client_for(&server, &path);
    let req = DeviceLoginRequest::parse(DOMAIN, None, Some("github")).unwrap();
    let auth = c.start_device_login(&req).unwrap();
    assert_eq!(auth.user_code, "ABCD-EFGH");
    assert!(
        auth.text().contains("ABCD-EFGH")
            && auth.text().contains("https://plexsphere.example/device")
    );
    assert_no_leak(&format!("{auth:?}"), DEVICE_CODE);
    assert!(!serde_json::to_string(&auth).unwrap().contains(DEVICE_CODE));

    let mut waits = Vec::new();
    let outcome = c
        .complete_device_login_paced(&auth, &LoginTarget::new("work", true), &mut |d| {
            waits.push(d);
            true
        })
        .unwrap();
    assert_eq!(polls.load(Ordering::SeqCst), 3);
    assert_eq!(
        waits,
        [1, 1, 6].map(Duration::from_secs),
        "the interval, then +5 s after slow_down"
    );
    assert_eq!(outcome.profile, "work");
    assert_eq!(outcome.token_id, Some(id));
    assert!(outcome.text().contains("\"work\""));

    let file = config::read(&path).unwrap().unwrap();
    assert_eq!(file.default.as_deref(), Some("work"));
    let stored = &file.profiles["work"];
    assert_eq!(stored.token.as_ref().unwrap().expose_secret(), session);
    assert_eq!(stored.server.as_deref(), Some(server.url().as_str()));

    // The wire: the domain and alias went to device-code; the device code (and no bearer) to
    // device-token.
    let seen = server.seen();
    let start: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(start["domain_id"], DOMAIN);
    assert_eq!(start["idp_binding_alias"], "github");
    assert!(start.get("idp_binding_id").is_none());
    let poll: serde_json::Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(poll["device_code"], DEVICE_CODE);
    assert!(seen.iter().all(|r| r.bearer().is_none()));
}

#[test]
fn a_denial_is_exit_4_and_stores_nothing() {
    let (server, _) = server(
        vec!["authorization_pending", "access_denied"],
        String::new(),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    let c = client_for(&server, &path);
    let auth = c
        .start_device_login(&DeviceLoginRequest::parse(DOMAIN, None, None).unwrap())
        .unwrap();
    let e = c
        .complete_device_login_paced(&auth, &LoginTarget::new("default", false), &mut |_| true)
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.exit_code()),
        (ErrorKind::AccessDenied, 4),
        "{e}"
    );
    assert!(!path.exists());
}

#[test]
fn expired_and_refused_codes_are_exit_1() {
    for (code, kind) in [
        ("expired_token", ErrorKind::LoginExpired),
        ("invalid_grant", ErrorKind::Api),
    ] {
        let (server, _) = server(vec![code], String::new());
        let dir = tempfile::tempdir().unwrap();
        let c = client_for(&server, &dir.path().join("c.yaml"));
        let auth = c
            .start_device_login(&DeviceLoginRequest::parse(DOMAIN, None, None).unwrap())
            .unwrap();
        let e = c
            .complete_device_login_paced(&auth, &LoginTarget::new("p", false), &mut |_| true)
            .unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (kind, 1), "{code}: {e}");
    }
}

#[test]
fn the_codes_lifetime_and_the_caller_can_end_the_polling() {
    let expired = Hostile::start(|req| {
        assert!(
            req.request_line.contains("/device-code"),
            "no poll may be sent"
        );
        vec![device_code_answer(0, 1)]
    });
    let dir = tempfile::tempdir().unwrap();
    let c = client_for(&expired, &dir.path().join("c.yaml"));
    let auth = c
        .start_device_login(&DeviceLoginRequest::parse(DOMAIN, None, None).unwrap())
        .unwrap();
    let e = c
        .complete_device_login(&auth, &LoginTarget::new("p", false), &|| false)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LoginExpired, "{e}");

    let (server, polls) = server(vec!["authorization_pending"], String::new());
    let c = client_for(&server, &dir.path().join("c.yaml"));
    let auth = c
        .start_device_login(&DeviceLoginRequest::parse(DOMAIN, None, None).unwrap())
        .unwrap();
    let started = std::time::Instant::now();
    let e = c
        .complete_device_login(&auth, &LoginTarget::new("p", false), &|| true)
        .unwrap_err();
    assert_eq!((e.kind(), e.exit_code()), (ErrorKind::Cancelled, 1), "{e}");
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(polls.load(Ordering::SeqCst), 0);
}

#[test]
fn the_device_code_is_redacted_from_server_text() {
    let server = Hostile::start(|req| {
        if req.request_line.contains("/device-code") {
            return vec![device_code_answer(600, 1)];
        }
        let body: serde_json::Value = serde_json::from_str(&req.body).unwrap();
        let echoed = body["device_code"].as_str().unwrap().to_owned();
        vec![problem(
            400,
            &format!(
                r#"{{"status":400,"code":"invalid_grant","detail":"device code {echoed} was already used"}}"#
            ),
        )]
    });
    let dir = tempfile::tempdir().unwrap();
    let c = client_for(&server, &dir.path().join("c.yaml"));
    let auth = c
        .start_device_login(&DeviceLoginRequest::parse(DOMAIN, None, None).unwrap())
        .unwrap();
    let e = c
        .complete_device_login_paced(&auth, &LoginTarget::new("p", false), &mut |_| true)
        .unwrap_err();
    assert_no_leak(&format!("{e} {e:?}"), DEVICE_CODE);
}

#[test]
fn what_a_ui_shows_is_checked_before_it_is_shown() {
    for answer in [
        r#"{"device_code":"d","user_code":"AB\u001b]0;pwned\u0007","verification_uri":"https://x.example/d","verification_uri_complete":"https://x.example/d","expires_in":600,"interval":5}"#,
        r#"{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"javascript:alert(1)","verification_uri_complete":"https://x.example/d","expires_in":600,"interval":5}"#,
        r#"{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"https://x.example/d","verification_uri_complete":"https://x.example/d","expires_in":100000000000000000000,"interval":5}"#,
    ] {
        let server = Hostile::start(move |_| vec![json(200, answer)]);
        let c = Client::builder()
            .server(server.url())
            .use_environment(false)
            .build()
            .unwrap();
        let e = c
            .start_device_login(&DeviceLoginRequest::parse(DOMAIN, None, None).unwrap())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
        assert!(!e.to_string().contains('\u{1b}'));
    }
}

#[test]
fn a_login_that_cannot_be_saved_hands_over_its_token() {
    let (_, session) = session_token();
    let (server, _) = server(vec!["token"], session.clone());
    let dir = tempfile::tempdir().unwrap();
    // A directory where the lock file goes: the file can be read, never written.
    std::fs::create_dir(dir.path().join("config.yaml.lock")).unwrap();
    let c = client_for(&server, &dir.path().join("config.yaml"));
    let auth = c
        .start_device_login(&DeviceLoginRequest::parse(DOMAIN, None, None).unwrap())
        .unwrap();
    let e = c
        .complete_device_login_paced(&auth, &LoginTarget::new("p", false), &mut |_| true)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SessionNotSaved, "{e}");
    assert_eq!(e.recovered_plaintext().unwrap().expose_secret(), session);
    assert_no_leak(&format!("{e} {e:?}"), &session);
}

#[test]
fn status_reports_each_state_without_failing() {
    let (id, session) = session_token();
    let list = format!(
        r#"[{{"id":"{}","env_prefix":"prod","created_at":"2026-01-01T00:00:00Z","expires_at":"2099-01-01T00:00:00Z"}},{{"id":"{id}","env_prefix":"prod","created_at":"2026-01-01T00:00:00Z","expires_at":"2099-01-01T00:00:00Z","last_used_at":"2026-11-25T00:00:00Z"}}]"#,
        Uuid::now_v7()
    );
    let good = session.clone();
    let server = Hostile::start(move |req| {
        if req.bearer() != Some(good.as_str()) {
            return vec![problem(
                401,
                r#"{"title":"Unauthorized","status":401,"code":"token_revoked"}"#,
            )];
        }
        if req.request_line.contains("/whoami") {
            vec![json(
                200,
                r#"{"principal_type":"user","subject":"0190a8b9\u001b[2J","email":"alice@example.com","amr":["pwd","mfa"]}"#,
            )]
        } else {
            vec![json(200, &list)]
        }
    });
    let with = |token: Option<&str>| {
        let mut b = Client::builder()
            .server(server.url())
            .use_environment(false);
        if let Some(t) = token {
            b = b.token(Secret::from(t));
        }
        b.build().unwrap()
    };

    let s = with(Some(&session)).status().unwrap();
    assert_eq!(s.state, AuthState::Authenticated);
    assert_eq!(s.credential_source, "explicit");
    let who = s.principal.as_ref().unwrap();
    assert_eq!(who.email.as_deref(), Some("alice@example.com"));
    assert_eq!(who.subject, "0190a8b9", "server text is sanitized");
    assert_eq!(
        s.token.as_ref().unwrap().id,
        id,
        "the token's own summary, found by its id"
    );
    assert!(s.expires_in().unwrap() > time::Duration::days(365));
    assert!(
        s.text()
            .contains("logged in as user 0190a8b9 (alice@example.com)"),
        "{}",
        s.text()
    );
    assert!(!serde_json::to_string(&s).unwrap().contains(&session[9..]));

    let before = server.seen().len();
    let s = with(None).status().unwrap();
    assert_eq!(s.state, AuthState::NoCredentials);
    assert_eq!(server.seen().len(), before, "no credential, no request");

    let (_, revoked) = session_token();
    let s = with(Some(&revoked)).status().unwrap();
    assert_eq!(s.state, AuthState::Rejected);
    assert_eq!(s.rejection.as_deref(), Some("token_revoked"));
    assert!(
        s.text().contains("rejected (token_revoked)"),
        "{}",
        s.text()
    );
}

#[test]
fn an_empty_profile_is_refused_before_a_code_is_shown() {
    let server = Hostile::start(|_| vec![device_code_answer(600, 1)]);
    let dir = tempfile::tempdir().unwrap();
    let c = client_for(&server, &dir.path().join("c.yaml"));
    let mut shown = false;
    let e = c
        .login(
            &DeviceLoginRequest::parse(DOMAIN, None, None).unwrap(),
            &LoginTarget::new(" ", false),
            &mut |_| shown = true,
            &|| false,
        )
        .unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    assert!(!shown && server.seen().is_empty());
}

#[test]
fn a_caller_who_already_gave_up_starts_nothing() {
    let server = Hostile::start(|_| vec![device_code_answer(600, 1)]);
    let dir = tempfile::tempdir().unwrap();
    let c = client_for(&server, &dir.path().join("c.yaml"));
    let e = c
        .login(
            &DeviceLoginRequest::parse(DOMAIN, None, None).unwrap(),
            &LoginTarget::new("p", false),
            &mut |_| panic!("no code is shown"),
            &|| true,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(server.seen().is_empty());
}
