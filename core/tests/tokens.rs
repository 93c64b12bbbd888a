//! The API-token family end to end against the emulator, including every exit code of seed 000's
//! table that the library can produce.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::*;
use plexctl_core::psk;
use plexctl_core::{Client, Error, IssueTokenRequest, Secret};
use plexctl_emulator::{Fault, FaultKind};
use time::OffsetDateTime;
use uuid::Uuid;

fn issue(client: &Client, emu: &Emulator, ttl: Option<&str>) -> plexctl_core::IssuedToken {
    let req = IssueTokenRequest::parse(&emu.admin_identity(), "prod", ttl).unwrap();
    client.issue_token(&req).expect("issue succeeds")
}

#[test]
fn issue_list_rotate_delete() {
    let emu = emulator();
    let admin = admin(&emu);
    let before = OffsetDateTime::now_utc();
    let issued = issue(&admin, &emu, Some("24h"));
    let plaintext = issued.plaintext.expose_secret().to_owned();
    assert!(plaintext.starts_with("psk_prod_"));
    assert_eq!(
        psk::token_id(&plaintext).unwrap(),
        issued.id,
        "the id is recoverable from the plaintext"
    );
    assert_eq!(issued.env_prefix, "prod");
    let ttl = issued.expires_at - before;
    assert!(
        ttl > time::Duration::hours(23)
            && ttl <= time::Duration::hours(24) + time::Duration::minutes(1),
        "{ttl}"
    );

    let listed = admin.list_tokens().unwrap();
    let summary = listed
        .iter()
        .find(|t| t.id == issued.id)
        .expect("the new token is listed");
    assert_eq!(summary.env_prefix, "prod");
    assert_eq!(summary.rotated_at, None);

    let rotated = admin.rotate_token(issued.id).unwrap();
    assert_eq!(rotated.id, issued.id);
    assert_ne!(rotated.plaintext.expose_secret(), plaintext);
    assert!(
        rotated.sunset_agrees(),
        "Sunset header matches rotation_deadline: {rotated:?}"
    );
    assert!(rotated.rotation_deadline > OffsetDateTime::now_utc());
    let listed = admin.list_tokens().unwrap();
    assert!(
        listed
            .iter()
            .find(|t| t.id == issued.id)
            .unwrap()
            .rotated_at
            .is_some()
    );

    // Both plaintexts authenticate until the deadline.
    let old = client_with(&emu, &plaintext);
    let new = client_with(&emu, rotated.plaintext.expose_secret());
    old.list_tokens()
        .expect("the rotated-from plaintext works before the deadline");
    new.list_tokens().expect("the rotated-to plaintext works");

    admin.delete_token(issued.id).unwrap();
    for c in [&old, &new] {
        let e = c.list_tokens().expect_err("a revoked token fails at once");
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.exit_code(), 1);
    }
    // Deleting again: 404, a plain API error.
    let e = admin.delete_token(issued.id).unwrap_err();
    assert_eq!((e.status(), e.exit_code()), (Some(404), 1));
    assert!(
        !admin
            .list_tokens()
            .unwrap()
            .iter()
            .any(|t| t.id == issued.id)
    );
}

#[test]
fn rotated_from_plaintext_expires_at_the_deadline() {
    let emu = emulator();
    emu.set_config(|c| c.rotation_grace = Duration::from_secs(600));
    let admin = admin(&emu);
    let issued = issue(&admin, &emu, Some("48h"));
    let rotated = admin.rotate_token(issued.id).unwrap();
    let grace = rotated.rotation_deadline - OffsetDateTime::now_utc();
    assert!(
        grace <= time::Duration::seconds(600) && grace > time::Duration::seconds(590),
        "{grace}"
    );
    let old = client_with(&emu, issued.plaintext.expose_secret());
    let new = client_with(&emu, rotated.plaintext.expose_secret());

    emu.advance_clock(Duration::from_secs(590));
    old.list_tokens()
        .expect("still honoured before the deadline");

    emu.advance_clock(Duration::from_secs(20));
    let e = old.list_tokens().expect_err("retired after the deadline");
    assert_eq!((e.status(), e.exit_code()), (Some(401), 1));
    new.list_tokens().expect("the new plaintext keeps working");
}

#[test]
fn expired_token_is_refused() {
    let emu = emulator();
    let admin = admin(&emu);
    let issued = issue(&admin, &emu, Some("90s"));
    let c = client_with(&emu, issued.plaintext.expose_secret());
    c.list_tokens().unwrap();
    emu.advance_clock(Duration::from_secs(91));
    assert_eq!(c.list_tokens().unwrap_err().status(), Some(401));
}

#[test]
fn usage_errors_never_reach_the_wire() {
    let emu = emulator();
    let admin = admin(&emu);
    let id = emu.admin_identity();
    let cases: [(&str, &str, Option<&str>); 7] = [
        ("group:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2", "prod", None),
        ("user:not-a-uuid", "prod", None),
        ("", "prod", None),
        (&id, "qa", None),
        (&id, "", None),
        (&id, "prod", Some("soon")),
        (&id, "prod", Some("0s")),
    ];
    for (identity, env, ttl) in cases {
        fails_before_wire(&emu, 2, || {
            IssueTokenRequest::parse(identity, env, ttl).and_then(|r| admin.issue_token(&r))
        });
    }
    for bad in ["", "nope", "0190a8c0-1234-7a0a-8a0a"] {
        fails_before_wire(&emu, 2, || {
            plexctl_core::tokens::parse_token_id(bad).and_then(|id| admin.delete_token(id))
        });
        fails_before_wire(&emu, 2, || {
            plexctl_core::tokens::parse_token_id(bad).and_then(|id| admin.rotate_token(id))
        });
    }
}

#[test]
fn missing_or_insecure_credentials_exit_3_before_the_wire() {
    let emu = emulator();
    let anonymous = Client::builder()
        .server(emu.url())
        .use_environment(false)
        .build()
        .unwrap();
    let e = fails_before_wire(&emu, 3, || anonymous.list_tokens());
    assert!(
        matches!(e, Error::MissingCredentials { what: "token", .. }),
        "{e}"
    );
    fails_before_wire(&emu, 3, || anonymous.delete_token(Uuid::nil()));

    let no_server = Client::builder()
        .token(Secret::from("psk_prod_x"))
        .use_environment(false)
        .build()
        .unwrap();
    let e = no_server.list_tokens().unwrap_err();
    assert!(
        matches!(e, Error::MissingCredentials { what: "server", .. }),
        "{e}"
    );

    let e = Client::builder()
        .server("http://plexsphere.example.com")
        .build()
        .unwrap_err();
    assert_eq!(e.exit_code(), 3);
    assert!(e.to_string().contains("plexsphere.example.com"), "{e}");
    // Opting in is explicit.
    Client::builder()
        .server("http://plexsphere.example.com")
        .allow_insecure_http(true)
        .use_environment(false)
        .build()
        .unwrap();
}

#[test]
fn unknown_token_is_unauthenticated() {
    let emu = emulator();
    let forged = psk::format("prod", Uuid::now_v7(), &[9; 16]).unwrap();
    let c = client_with(&emu, forged.expose_secret());
    let e = c.list_tokens().unwrap_err();
    assert_eq!((e.status(), e.exit_code()), (Some(401), 1));
    assert_no_leak(&e.to_string(), forged.expose_secret());
}

#[test]
fn permission_denied_is_exit_4_on_every_token_operation() {
    let emu = emulator();
    let admin = admin(&emu);
    let victim = issue(&admin, &emu, None);
    emu.deny(&emu.admin_identity(), true);
    let req = IssueTokenRequest::parse(&emu.admin_identity(), "dev", None).unwrap();
    let errors = [
        admin.issue_token(&req).map(|_| ()).unwrap_err(),
        admin.list_tokens().map(|_| ()).unwrap_err(),
        admin.delete_token(victim.id).unwrap_err(),
        admin.rotate_token(victim.id).map(|_| ()).unwrap_err(),
    ];
    for e in errors {
        assert_eq!((e.status(), e.exit_code()), (Some(403), 4), "{e}");
        let p = e.problem().expect("a PermissionDenied body");
        assert!(p.is_permission_denied());
        assert!(p.correlation_id.is_some());
    }
}

#[test]
fn server_faults_are_runtime_errors_with_clear_messages() {
    let emu = emulator();
    let admin = admin(&emu);
    // Persistent through the first attempt and both retries: list is idempotent, so a transient
    // 502 or dropped connection would be retried away.
    let fault = |kind| {
        emu.set_fault(Some(Fault {
            kind,
            path_prefix: None,
            count: Some(3),
        }))
    };

    fault(FaultKind::Status {
        status: 500,
        code: Some("internal".into()),
    });
    let e = admin.list_tokens().unwrap_err();
    assert_eq!((e.status(), e.exit_code()), (Some(500), 1));
    assert_eq!(
        e.problem().and_then(|p| p.code.as_deref()),
        Some("internal")
    );

    fault(FaultKind::HtmlBadGateway);
    let e = admin.list_tokens().unwrap_err();
    assert_eq!((e.status(), e.exit_code()), (Some(502), 1));
    let msg = e.to_string();
    assert!(
        msg.contains("HTTP 502") && msg.contains("text/html") && msg.contains("Bad Gateway"),
        "{msg}"
    );
    assert!(!msg.contains('<'), "tags are stripped: {msg}");

    fault(FaultKind::Drop);
    let e = admin.list_tokens().unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert_eq!(e.exit_code(), 1);

    fault(FaultKind::MalformedJson);
    let e = admin.list_tokens().unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e}");
    assert_eq!(e.exit_code(), 1);

    fault(FaultKind::Oversized { bytes: 2 << 20 });
    let small = Client::builder()
        .server(emu.url())
        .token(Secret::from(emu.admin_token()))
        .use_environment(false)
        .max_response_bytes(1 << 20)
        .build()
        .unwrap();
    let e = small.list_tokens().unwrap_err();
    assert!(e.to_string().contains("cap"), "{e}");
    assert_eq!(e.exit_code(), 1);

    fault(FaultKind::Latency { ms: 1500 });
    let impatient = Client::builder()
        .server(emu.url())
        .token(Secret::from(emu.admin_token()))
        .use_environment(false)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let e = impatient.list_tokens().unwrap_err();
    assert!(matches!(e, Error::Transport { timeout: true, .. }), "{e}");
    assert_eq!(e.exit_code(), 1);

    // After the faults, the same client works again.
    admin.list_tokens().unwrap();
}

#[test]
fn issued_plaintext_survives_a_failed_issue_and_a_failed_rotate_is_no_loss() {
    // A 5xx on rotate leaves the old plaintext fully valid: nothing was rotated.
    let emu = emulator();
    let admin = admin(&emu);
    let issued = issue(&admin, &emu, None);
    emu.set_fault(Some(Fault {
        kind: FaultKind::Status {
            status: 503,
            code: None,
        },
        path_prefix: Some("/v1/auth/tokens/".into()),
        count: Some(1),
    }));
    assert_eq!(admin.rotate_token(issued.id).unwrap_err().exit_code(), 1);
    client_with(&emu, issued.plaintext.expose_secret())
        .list_tokens()
        .unwrap();
}

#[test]
fn a_disagreeing_sunset_header_is_reported_not_fatal() {
    let emu = emulator();
    let admin = admin(&emu);
    let issued = issue(&admin, &emu, None);
    emu.set_fault(Some(Fault {
        kind: FaultKind::SunsetSkew { seconds: 3600 },
        path_prefix: None,
        count: Some(1),
    }));
    let rotated = admin
        .rotate_token(issued.id)
        .expect("the new plaintext is returned");
    assert!(rotated.sunset.is_some());
    assert!(!rotated.sunset_agrees());
    client_with(&emu, rotated.plaintext.expose_secret())
        .list_tokens()
        .unwrap();
}

#[test]
fn secrets_never_show_in_debug_display_or_errors() {
    let emu = emulator();
    let admin = admin(&emu);
    let issued = issue(&admin, &emu, None);
    let rotated = admin.rotate_token(issued.id).unwrap();
    for (value, shown) in [
        (
            issued.plaintext.expose_secret(),
            format!("{issued:?} {:?} {}", issued.plaintext, issued.plaintext),
        ),
        (
            rotated.plaintext.expose_secret(),
            format!("{rotated:?} {:#?}", rotated),
        ),
        (emu.admin_token(), format!("{admin:?}")),
    ] {
        assert_no_leak(&shown, value);
        assert!(
            shown.contains("psk_prod_****") || shown.contains("****"),
            "{shown}"
        );
    }
    // An error from a request that carried a token never shows it.
    emu.set_fault(Some(Fault {
        kind: FaultKind::Status {
            status: 500,
            code: None,
        },
        path_prefix: None,
        count: Some(1),
    }));
    let c = client_with(&emu, rotated.plaintext.expose_secret());
    let e = c.list_tokens().unwrap_err();
    assert_no_leak(&format!("{e} {e:?}"), rotated.plaintext.expose_secret());
}

#[test]
fn sequential_calls_share_one_connection() {
    let emu = emulator();
    let admin = admin(&emu);
    for _ in 0..10 {
        admin.list_tokens().unwrap();
    }
    assert_eq!(emu.connections(), 1);
}

#[test]
fn redirects_are_not_followed() {
    // A real server on loopback that redirects every request to the emulator.
    let emu = emulator();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let target = format!("{}/v1/auth/tokens", emu.url());
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf).unwrap();
        let resp = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        s.write_all(resp.as_bytes()).unwrap();
    });
    let c = Client::builder()
        .server(format!("http://{addr}"))
        .token(Secret::from(emu.admin_token()))
        .use_environment(false)
        .build()
        .unwrap();
    let e = c.list_tokens().unwrap_err();
    server.join().unwrap();
    assert_eq!((e.status(), e.exit_code()), (Some(307), 1));
    assert_eq!(
        emu.requests(),
        0,
        "the bearer token never followed the redirect"
    );
}

#[test]
fn a_derived_timeout_bounds_its_own_calls_on_the_parents_pool() {
    use plexctl_core::ErrorKind;
    use plexctl_core::client::DEFAULT_TIMEOUT;
    use std::time::Instant;
    let emu = emulator();
    let parent = admin(&emu);
    let quick = parent.with_timeout(Duration::from_millis(300));
    assert_eq!(parent.timeout(), DEFAULT_TIMEOUT);
    assert_eq!(quick.timeout(), Duration::from_millis(300));

    // One pool: the derived handle's call reuses the connection the parent's left open.
    parent.list_tokens().unwrap();
    quick.list_tokens().unwrap();
    assert_eq!(emu.connections(), 1);

    emu.set_fault(Some(Fault::new(FaultKind::Latency { ms: 1500 })));
    let started = Instant::now();
    let e = quick.list_tokens().unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(1200),
        "took {took:?}"
    );
    // The parent keeps its own (30 s) deadline and waits the answer out.
    let started = Instant::now();
    parent.list_tokens().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(1500));
    emu.set_fault(None);

    // A zero timeout is taken as the builder takes it: the call times out at once.
    let e = parent
        .with_timeout(Duration::ZERO)
        .list_tokens()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    parent.list_tokens().unwrap();
    // One too large to add to the clock is no limit at all, not a panic.
    parent.with_timeout(Duration::MAX).list_tokens().unwrap();
}
