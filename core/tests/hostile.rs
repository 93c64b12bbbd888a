//! Against a hostile server (a raw-socket server the test starts): every call is bounded by its
//! deadline, no secret reaches any text, server text is sanitized and capped, nothing a server
//! sends can panic the library, and a minted plaintext is never lost.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::assert_no_leak;
use common::hostile::{Hostile, Step, answer, json, problem};
use plexctl_core::{
    Client, Error, ErrorKind, IssueTokenRequest, Secret, ServiceTokenRequest, ServiceTokenSource,
    psk,
};
use uuid::Uuid;

const JWT: &str = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJzdmMtZGVwbG95ZXIifQ.c2lnbmF0dXJlLWJ5dGVz";
const IDENTITY: &str = "user:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2";

fn client(server: &Hostile, token: Option<&str>, timeout: Duration) -> Client {
    let mut b = Client::builder()
        .server(server.url())
        .use_environment(false)
        .timeout(timeout);
    if let Some(t) = token {
        b = b.token(Secret::from(t));
    }
    b.build().expect("client builds")
}

/// Every way an error can be shown.
fn renderings(e: &Error) -> String {
    let mut all = format!("{e}\n{e:?}\n");
    if let Some(p) = e.problem() {
        all.push_str(&format!("{p:?}"));
    }
    all
}

fn psk_for(id: Uuid, fill: u8) -> String {
    psk::format("prod", id, &[fill; 16])
        .unwrap()
        .expose_secret()
        .to_owned()
}

#[test]
fn a_dripping_body_cannot_outlive_the_deadline() {
    let server = Hostile::start(|_| {
        let body = format!("[{}]", " ".repeat(998));
        vec![
            Step::Write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n"
                    .to_vec(),
            ),
            Step::Drip(body.into_bytes(), Duration::from_millis(100)),
        ]
    });
    let c = client(&server, Some(JWT), Duration::from_secs(1));
    let started = Instant::now();
    let e = c.list_tokens().unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.exit_code(), 1);
    // The deadline covers the whole body; a per-read timeout would run for 100 s here.
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn slow_headers_hit_the_same_deadline() {
    let server = Hostile::start(|_| vec![Step::Sleep(Duration::from_secs(5)), json(200, "[]")]);
    let c = client(&server, Some(JWT), Duration::from_millis(500));
    let started = Instant::now();
    let e = c.list_tokens().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn the_bearer_that_was_sent_is_redacted_whatever_its_shape() {
    let server = Hostile::start(|req| {
        let bearer = req.bearer().unwrap_or_default().to_owned();
        let body = serde_json::json!({
            "type": "about:blank",
            "title": format!("bad token {bearer}"),
            "status": 401,
            "detail": format!("token {bearer} is not valid; Authorization: Bearer {bearer}"),
            "code": "unauthenticated",
            "instance": format!("/v1/auth/tokens?t={bearer}"),
        });
        vec![problem(401, &body.to_string())]
    });
    let c = client(&server, Some(JWT), Duration::from_secs(5));
    let e = c.list_tokens().unwrap_err();
    assert_eq!(server.seen()[0].bearer(), Some(JWT), "the JWT was sent");
    let shown = renderings(&e);
    assert_no_leak(&shown, JWT);
    assert!(!shown.contains("c2lnbmF0dXJl"), "{shown}");
    let p = e.problem().expect("a problem body");
    assert!(p.detail.as_deref().unwrap().contains("****"), "{p:?}");
    assert_eq!(p.code.as_deref(), Some("unauthenticated"));
}

#[test]
fn a_client_secret_echoed_late_in_an_html_page_is_redacted_before_the_cut() {
    let secret = "s3cr3t-client-secret-0123456789";
    let server = Hostile::start(move |req| {
        let filler = "x".repeat(150);
        let echoed: serde_json::Value = serde_json::from_str(&req.body).unwrap();
        let page = format!(
            "<html><body><h1>502 Bad Gateway</h1><p>{filler} upstream said {} </p></body></html>",
            echoed["client_secret"].as_str().unwrap()
        );
        vec![answer(502, "text/html", &[], &page)]
    });
    let c = client(&server, None, Duration::from_secs(5));
    let req = ServiceTokenRequest::client_credentials("svc", Secret::from(secret));
    let e = c.mint_service_token(&req).unwrap_err();
    assert_eq!(e.status(), Some(502));
    let shown = renderings(&e);
    for window in 0..secret.len() - 6 {
        assert!(
            !shown.contains(&secret[window..window + 6]),
            "part of the secret leaked: {shown}"
        );
    }
    assert!(shown.contains("502 Bad Gateway"), "{shown}");
}

#[test]
fn escape_sequences_and_controls_never_reach_error_text() {
    let server = Hostile::start(|_| {
        let body = serde_json::json!({
            "title": "Bad\u{1b}[31m request\u{1b}[0m\u{1b}]0;pwned\u{7}",
            "detail": "line one\r\nline two\u{85}\u{9b}2J \u{202e}desrever\u{202c} \u{1b}]8;;http://evil\u{1b}\\link",
            "status": 400,
            "code": "bad\u{1b}[2Jcode",
        });
        vec![problem(400, &body.to_string())]
    });
    let c = client(&server, Some(JWT), Duration::from_secs(5));
    let e = c.list_tokens().unwrap_err();
    let text = e.to_string();
    assert!(text.chars().all(|c| !c.is_control()), "{text:?}");
    for bad in ['\u{1b}', '\u{202e}', '\u{202c}', '\u{9b}', '\r', '\n'] {
        assert!(!text.contains(bad), "{text:?}");
    }
    assert!(
        !text.contains("pwned") && !text.contains("evil"),
        "{text:?}"
    );
    assert!(text.contains("Bad request"), "{text:?}");
    let p = e.problem().unwrap();
    assert_eq!(p.detail.as_deref(), Some("line one line two desrever link"));
}

#[test]
fn an_oversized_detail_is_capped() {
    let server = Hostile::start(|_| {
        let body = serde_json::json!({"title": "t", "detail": "d".repeat(10 * 1024 * 1024), "status": 400});
        vec![problem(400, &body.to_string())]
    });
    let c = client(&server, Some(JWT), Duration::from_secs(20));
    let e = c.list_tokens().unwrap_err();
    assert!(e.to_string().len() < 4096, "{} bytes", e.to_string().len());
    assert!(
        e.problem()
            .unwrap()
            .detail
            .as_deref()
            .unwrap()
            .ends_with('…')
    );
}

#[test]
fn overflowing_numbers_are_decode_errors_not_panics() {
    let server = Hostile::start(|req| {
        if req.request_line.contains("/service/token") {
            vec![json(
                200,
                r#"{"access_token":"at-opaque-value","token_type":"Bearer","expires_in":1000000000000}"#,
            )]
        } else {
            vec![json(
                200,
                r#"{"node_id":"0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2","peer_id":"0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a3","affected_peer_count":100000000000000000000000,"affected_edges":[],"already_pending":false,"estimated_duration_seconds":-1}"#,
            )]
        }
    });
    let anon = client(&server, None, Duration::from_secs(5));
    let req = ServiceTokenRequest::client_credentials("svc", Secret::from("s3cret"));
    let e = anon.mint_service_token(&req).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert!(!renderings(&e).contains("at-opaque-value"));
    let source = ServiceTokenSource::new(anon, req).unwrap();
    assert_eq!(source.token().unwrap_err().kind(), ErrorKind::Decode);

    let c = client(&server, Some(JWT), Duration::from_secs(5));
    let e = c.preview_node_key_rotation(Uuid::now_v7()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
}

#[test]
fn a_garbage_sunset_header_is_reported_not_fatal() {
    let id = Uuid::now_v7();
    let new = psk_for(id, 9);
    let server = Hostile::start(move |_| {
        let body = format!(
            r#"{{"id":"{id}","plaintext":"{new}","env_prefix":"prod","expires_at":"2030-01-01T00:00:00Z","rotation_deadline":"2029-12-31T00:00:00Z"}}"#
        );
        vec![answer(
            200,
            "application/json",
            &[("sunset", "Fri, 31 Dec 99999 23:59:59 GMT")],
            &body,
        )]
    });
    let c = client(&server, Some(JWT), Duration::from_secs(5));
    let rotated = c.rotate_token(id).unwrap();
    assert_eq!(rotated.sunset, None);
    assert!(!rotated.sunset_agrees());
}

#[test]
fn issue_and_rotate_keep_the_plaintext_of_a_malformed_answer() {
    let id = Uuid::now_v7();
    let minted = psk_for(id, 7);
    let answer_text = minted.clone();
    let server = Hostile::start(move |_| {
        vec![json(
            200,
            &format!(
                r#"{{"id":"{id}","plaintext":"{answer_text}","env_prefix":"prod","expires_at":"not-a-date"}}"#
            ),
        )]
    });
    let c = client(&server, Some(JWT), Duration::from_secs(5));
    let e = c.rotate_token(id).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert_eq!(e.recovered_plaintext().unwrap().expose_secret(), minted);
    assert_eq!(e.recovered_token().unwrap().id, Some(id));
    assert!(
        e.to_string().contains("plaintext is held by this error"),
        "{e}"
    );
    assert_no_leak(&renderings(&e), &minted);

    let req = IssueTokenRequest::parse(IDENTITY, "prod", None).unwrap();
    let e = c.issue_token(&req).unwrap_err();
    assert_eq!(e.recovered_plaintext().unwrap().expose_secret(), minted);
}

#[test]
fn rotate_session_stores_a_recovered_plaintext() {
    let id = Uuid::now_v7();
    let old = psk_for(id, 1);
    let new = psk_for(id, 2);
    let answer_text = new.clone();
    let server = Hostile::start(move |_| {
        vec![json(
            200,
            &format!(r#"{{"id":"{id}","plaintext":"{answer_text}","expires_at":17}}"#),
        )]
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    let c = Client::builder()
        .config_path(&config)
        .use_environment(false)
        .build()
        .unwrap();
    c.store_session("default", &server.url(), &Secret::from(old.as_str()), true)
        .unwrap();
    let e = c.rotate_session().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert_eq!(e.recovered_plaintext().unwrap().expose_secret(), new);
    assert_eq!(server.seen()[0].bearer(), Some(old.as_str()));
    let stored = std::fs::read_to_string(&config).unwrap();
    assert!(stored.contains(&new), "the new plaintext is in the profile");
    assert!(!stored.contains(&old));
}

#[test]
fn a_token_source_serves_the_current_token_while_a_refresh_hangs() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = Hostile::start(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            vec![json(
                200,
                r#"{"access_token":"first-token","token_type":"Bearer","expires_in":6}"#,
            )]
        } else {
            // The refresh hangs until the client's deadline.
            vec![Step::Sleep(Duration::from_secs(10))]
        }
    });
    let anon = client(&server, None, Duration::from_secs(2));
    let req = ServiceTokenRequest::client_credentials("svc", Secret::from("s3cret"));
    // Refresh 5 s before expiry, capped at half the lifetime: 3 s after the mint.
    let source = ServiceTokenSource::with_margin(anon, req, Duration::from_secs(5)).unwrap();
    assert_eq!(source.token().unwrap().expose_secret(), "first-token");
    std::thread::sleep(Duration::from_millis(3100));
    let refresher = {
        let source = source.clone();
        std::thread::spawn(move || source.token())
    };
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let meanwhile = source.token().unwrap();
    assert_eq!(meanwhile.expose_secret(), "first-token");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "another thread's refresh must not block: {:?}",
        started.elapsed()
    );
    // The refresh fails at its deadline and falls back to the still-unexpired token.
    assert_eq!(
        refresher.join().unwrap().unwrap().expose_secret(),
        "first-token"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one refresh, not one per thread"
    );
}

/// A server that answers the first `failures` requests with `status` (and `Retry-After`), then 200.
fn flaky(failures: usize, status: u16, retry_after: Option<&'static str>) -> Hostile {
    let calls = AtomicUsize::new(0);
    Hostile::start(move |_| {
        if calls.fetch_add(1, Ordering::SeqCst) < failures {
            let headers: Vec<(&str, &str)> =
                retry_after.iter().map(|v| ("retry-after", *v)).collect();
            vec![answer(
                status,
                "application/problem+json",
                &headers,
                r#"{"title":"busy","status":503}"#,
            )]
        } else {
            vec![json(200, "[]")]
        }
    })
}

#[test]
fn idempotent_calls_are_retried_on_429_and_5xx_within_the_deadline() {
    let server = flaky(2, 503, None);
    let c = client(&server, Some(JWT), Duration::from_secs(5));
    assert!(c.list_tokens().unwrap().is_empty());
    assert_eq!(server.seen().len(), 3);

    let server = flaky(1, 429, Some("1"));
    let c = client(&server, Some(JWT), Duration::from_secs(5));
    let started = Instant::now();
    assert!(c.list_tokens().is_ok());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After was honoured"
    );
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn a_retry_after_past_the_deadline_is_not_waited_for() {
    let server = flaky(5, 503, Some("120"));
    let c = client(&server, Some(JWT), Duration::from_secs(2));
    let started = Instant::now();
    let e = c.list_tokens().unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn retries_are_capped_and_can_be_turned_off() {
    let server = flaky(10, 502, None);
    let c = client(&server, Some(JWT), Duration::from_secs(10));
    assert_eq!(c.list_tokens().unwrap_err().status(), Some(502));
    assert_eq!(server.seen().len(), 3, "the first attempt and two retries");

    let server = flaky(10, 502, None);
    let c = Client::builder()
        .server(server.url())
        .token(Secret::from(JWT))
        .use_environment(false)
        .retries(0)
        .build()
        .unwrap();
    assert!(c.list_tokens().is_err());
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn issue_rotate_and_grants_are_never_repeated_once_sent() {
    let server = flaky(10, 503, Some("0"));
    let c = client(&server, Some(JWT), Duration::from_secs(5));
    let req = IssueTokenRequest::parse(IDENTITY, "prod", None).unwrap();
    assert_eq!(c.issue_token(&req).unwrap_err().status(), Some(503));
    assert_eq!(
        c.rotate_token(Uuid::now_v7()).unwrap_err().status(),
        Some(503)
    );
    let grant = ServiceTokenRequest::client_credentials("svc", Secret::from("s3cret"));
    assert_eq!(
        c.mint_service_token(&grant).unwrap_err().status(),
        Some(503)
    );
    assert_eq!(server.seen().len(), 3, "one request each");
}

#[test]
fn a_connection_that_cannot_be_made_is_retried_and_then_reported() {
    // A port with no listener: every connect is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = Client::builder()
        .server(format!("http://127.0.0.1:{port}"))
        .token(Secret::from(JWT))
        .use_environment(false)
        .build()
        .unwrap();
    let req = IssueTokenRequest::parse(IDENTITY, "prod", None).unwrap();
    let e = c.issue_token(&req).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.to_string().contains("could not connect"), "{e}");
}

#[test]
fn blank_credentials_and_nil_ids_never_reach_the_wire() {
    let server = Hostile::start(|_| vec![json(200, "[]")]);
    for blank in ["", "   ", "\n\t"] {
        let c = client(&server, Some(blank), Duration::from_secs(5));
        let e = c.list_tokens().unwrap_err();
        assert_eq!(
            (e.kind(), e.exit_code()),
            (ErrorKind::MissingCredentials, 3),
            "{e}"
        );
        assert!(e.to_string().contains("empty"), "{e}");
    }
    let c = client(&server, Some(JWT), Duration::from_secs(5));
    let nil = "00000000-0000-0000-0000-000000000000";
    let e = plexctl_core::tokens::parse_token_id(nil).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert_eq!(
        plexctl_core::keys::parse_node_id(nil)
            .unwrap_err()
            .exit_code(),
        2
    );
    let e = IssueTokenRequest::parse(&format!("user:{nil}"), "prod", None).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    // A blank client secret is a missing one: refused, exit 1, as the seed's "required" rule.
    let req = ServiceTokenRequest::client_credentials("svc", Secret::from("  "));
    let e = c.mint_service_token(&req).unwrap_err();
    assert_eq!((e.kind(), e.exit_code()), (ErrorKind::Refused, 1), "{e}");
    assert!(e.to_string().contains("required"), "{e}");
    assert!(server.seen().is_empty(), "nothing was sent");
}

#[test]
fn an_empty_assertion_or_scope_is_not_sent() {
    let server = Hostile::start(|_| {
        vec![json(
            200,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":60}"#,
        )]
    });
    let c = client(&server, None, Duration::from_secs(5));
    let mut req = ServiceTokenRequest::client_credentials("svc", Secret::from("s3cret")).scope(" ");
    req.client_assertion = Some(Secret::from(""));
    c.mint_service_token(&req).unwrap();
    let body: serde_json::Value = serde_json::from_str(&server.seen()[0].body).unwrap();
    assert!(body.get("scope").is_none(), "{body}");
    assert!(body.get("client_assertion").is_none(), "{body}");
    assert_eq!(body["client_secret"], "s3cret");
}

/// The fuzzer's findings, each over real HTTP: a repeated or truncated minted answer still hands
/// its plaintext over; an escape inside an echoed secret cannot split it past the redaction; a
/// secret in the Content-Type is redacted; a time past year 9999 in UTC is no panic.
#[test]
fn fuzzer_findings_stay_fixed() {
    let id = Uuid::now_v7();
    let minted = psk_for(id, 3);
    for body in [
        format!(r#"{{"plaintext":"","plaintext":"{minted}","id":"{id}","id":"{id}"}}"#),
        format!(r#"{{"id":"{id}","plaintext":"{minted}","env_prefix":"pr"#),
    ] {
        let server = Hostile::start(move |_| vec![json(200, &body)]);
        let c = client(&server, Some(JWT), Duration::from_secs(5));
        let e = c.rotate_token(id).unwrap_err();
        assert_eq!(
            e.recovered_plaintext().unwrap().expose_secret(),
            minted,
            "{e}"
        );
        assert_eq!(e.recovered_token().unwrap().id, Some(id));
    }

    let bearer = "Zq7vK2pLx9Wm4Rt8bN3c";
    let server = Hostile::start(|req| {
        let b = req.bearer().unwrap_or_default().to_owned();
        let (head, tail) = b.split_at(10);
        vec![answer(
            401,
            &format!("text/{b}"),
            &[],
            &format!("token {head}\u{1b}[m{tail} rejected"),
        )]
    });
    let e = client(&server, Some(bearer), Duration::from_secs(5))
        .list_tokens()
        .unwrap_err();
    assert_no_leak(&renderings(&e), bearer);

    let late = Hostile::start(|_| {
        vec![json(
            200,
            r#"[{"id":"0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2","env_prefix":"prod","created_at":"9999-12-31T23:59:59-01:00","expires_at":"9999-12-31T23:59:59-01:00"}]"#,
        )]
    });
    let list = client(&late, Some(JWT), Duration::from_secs(5))
        .list_tokens()
        .unwrap();
    assert!(!plexctl_core::timefmt::text(list[0].expires_at).is_empty());
    assert!(serde_json::to_string(&list).is_ok());
}
