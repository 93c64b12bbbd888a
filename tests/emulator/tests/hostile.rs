//! Hostile modes and retry knobs, over real HTTP: what a client sees when the server drips, echoes
//! secrets, injects terminal escapes, floods, lies about expiry, or asks it to come back later.

use std::io::Read;
use std::time::{Duration, Instant, SystemTime};

use plexctl_emulator::{
    Config, Emulator, Fault, FaultKind, FaultSpec, HTML_ECHO_OFFSET, RetryAfter,
    ServiceIdentitySpec,
};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

fn setup() -> (Emulator, Client) {
    (Emulator::start(Config::fast()).unwrap(), Client::new())
}

/// Sets a fault through the control API, as the C, Go and Python tests do.
fn put_fault(emu: &Emulator, http: &Client, fault: Value) {
    let r = http
        .put(format!("{}/_emulator/fault", emu.url()))
        .json(&fault)
        .send()
        .unwrap();
    assert_eq!(r.status(), 204, "{fault}: {}", r.text().unwrap());
}

fn list(emu: &Emulator, http: &Client, token: &str) -> Response {
    http.get(format!("{}/v1/auth/tokens", emu.url()))
        .bearer_auth(token)
        .send()
        .unwrap()
}

fn issue(emu: &Emulator, http: &Client) -> Response {
    http.post(format!("{}/v1/auth/tokens", emu.url()))
        .bearer_auth(emu.admin_token())
        .json(&json!({"identity_ref": emu.admin_identity(), "env_prefix": "prod"}))
        .send()
        .unwrap()
}

fn header(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn problem(r: Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(
        header(&r, "content-type").as_deref(),
        Some("application/problem+json")
    );
    r.json().unwrap()
}

#[test]
fn every_fault_is_the_same_from_rust_and_from_json() {
    let (emu, http) = setup();
    let cases: Vec<(Value, FaultSpec)> = vec![
        (
            json!({"kind": "drip", "interval_ms": 100, "bytes": 4096}),
            Fault::new(FaultKind::Drip {
                interval_ms: 100,
                bytes: 4096,
            })
            .into(),
        ),
        (
            json!({"kind": "echo_bearer", "count": 1}),
            Fault::new(FaultKind::EchoBearer).count(1).into(),
        ),
        (
            json!({"kind": "echo_body", "path_prefix": "/v1/auth/service/token"}),
            Fault::new(FaultKind::EchoBody)
                .path_prefix("/v1/auth/service/token")
                .into(),
        ),
        (
            json!({"kind": "html_echo"}),
            Fault::new(FaultKind::HtmlEcho).into(),
        ),
        (
            json!({"kind": "escapes"}),
            Fault::new(FaultKind::Escapes).into(),
        ),
        (
            json!({"kind": "huge_detail", "bytes": 10485760}),
            Fault::new(FaultKind::HugeDetail { bytes: 10 << 20 }).into(),
        ),
        (
            json!({"kind": "body", "status": 200, "content_type": "application/json",
                   "body": "{\"id\": 1", "headers": {"x-canned": "yes"}}),
            Fault::new(FaultKind::Body {
                status: 200,
                content_type: Some("application/json".into()),
                body: "{\"id\": 1".into(),
                headers: [("x-canned".to_owned(), "yes".to_owned())].into(),
            })
            .into(),
        ),
        (
            json!({"kind": "rotate_bad_expiry"}),
            Fault::new(FaultKind::RotateBadExpiry).into(),
        ),
        (
            json!({"kind": "issue_bad_expiry"}),
            Fault::new(FaultKind::IssueBadExpiry).into(),
        ),
        (
            json!({"kind": "grant_huge_expires_in"}),
            Fault::new(FaultKind::GrantHugeExpiresIn).into(),
        ),
        (
            json!({"kind": "status", "status": 503, "count": 2, "retry_after": 1}),
            Fault::new(FaultKind::Status {
                status: 503,
                code: None,
            })
            .count(2)
            .retry_after(RetryAfter::Seconds(1)),
        ),
        (
            json!({"kind": "status", "status": 429, "retry_after": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            Fault::new(FaultKind::Status {
                status: 429,
                code: None,
            })
            .retry_after(RetryAfter::Verbatim("Wed, 21 Oct 2015 07:28:00 GMT".into())),
        ),
        (
            json!({"kind": "html_bad_gateway", "retry_after": {"date_in_seconds": 2}}),
            Fault::new(FaultKind::HtmlBadGateway)
                .retry_after(RetryAfter::DateIn { date_in_seconds: 2 }),
        ),
    ];
    for (sent, rust) in cases {
        put_fault(&emu, &http, sent.clone());
        assert_eq!(emu.fault().as_ref(), Some(&rust), "{sent}");
        let back: Value = http
            .get(format!("{}/_emulator/fault", emu.url()))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(back, serde_json::to_value(&rust).unwrap(), "{sent}");
        emu.set_fault_spec(None);
        emu.set_fault_spec(Some(rust.clone()));
        assert_eq!(emu.fault(), Some(rust));
    }
    for bad in [
        json!({"kind": "status", "status": 503, "retry-after": 1}),
        json!({"kind": "drip", "interval_ms": 1, "bytes": 1, "interval": 5}),
        json!({"kind": "body", "status": 200, "headers": {"bad name": "x"}}),
        json!({"kind": "body", "status": 1000}),
        json!({"kind": "no_such_kind"}),
    ] {
        let r = http
            .put(format!("{}/_emulator/fault", emu.url()))
            .json(&bad)
            .send()
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
}

#[test]
fn drip_sends_the_head_at_once_then_one_byte_at_a_time() {
    let (emu, _) = setup();
    put_fault(
        &emu,
        &Client::new(),
        json!({"kind": "drip", "interval_ms": 100, "bytes": 100000, "count": 1}),
    );
    let http = Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let start = Instant::now();
    let mut r = list(&emu, &http, emu.admin_token());
    assert!(
        start.elapsed() < Duration::from_millis(400),
        "the head waits"
    );
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-length").as_deref(), Some("100000"));
    assert_eq!(
        header(&r, "content-type").as_deref(),
        Some("application/json")
    );
    // Read for 600 ms: a byte every 100 ms, and each read alone is quick, so only an overall
    // deadline (the client's job) ends this.
    let mut body = Vec::new();
    let mut byte = [0u8; 64];
    while start.elapsed() < Duration::from_millis(600) {
        let n = r.read(&mut byte).unwrap();
        assert!(n > 0, "the body ended early");
        body.extend_from_slice(&byte[..n]);
    }
    assert!(
        (3..=10).contains(&body.len()),
        "{} bytes arrived",
        body.len()
    );
    assert!(body.starts_with(b"[{"), "{body:?}");
    drop(r);
    // The count is spent: the next request is answered in full at once.
    let r = list(&emu, &http, emu.admin_token());
    assert!(r.json::<Value>().unwrap().is_array());
}

#[test]
fn a_short_drip_ends_in_valid_json() {
    let (emu, http) = setup();
    emu.set_fault(Some(
        Fault::new(FaultKind::Drip {
            interval_ms: 5,
            bytes: 300,
        })
        .count(1),
    ));
    let start = Instant::now();
    let body = list(&emu, &http, emu.admin_token()).bytes().unwrap();
    assert!(start.elapsed() >= Duration::from_millis(299 * 5));
    assert_eq!(body.len(), 300);
    assert!(serde_json::from_slice::<Value>(&body).unwrap().is_array());
}

#[test]
fn echo_bearer_quotes_the_token_in_title_and_detail() {
    let (emu, http) = setup();
    emu.set_fault(Some(Fault::new(FaultKind::EchoBearer).count(1)));
    let token = emu.admin_token();
    let body = problem(list(&emu, &http, token), 401);
    let detail = body["detail"].as_str().unwrap();
    assert_eq!(detail, format!("token {token} is not valid"));
    assert!(body["title"].as_str().unwrap().contains(token));
    assert_eq!(list(&emu, &http, token).status(), 200);
}

fn client_credentials(emu: &Emulator, secret: &str) -> Value {
    emu.add_service_identity(ServiceIdentitySpec::ClientCredentials {
        client_id: "ci".into(),
        client_secret: secret.into(),
    });
    json!({"grant_type": "client_credentials", "client_id": "ci", "client_secret": secret})
}

fn grant(emu: &Emulator, http: &Client, body: &Value, bearer: Option<&str>) -> Response {
    let mut req = http
        .post(format!("{}/v1/auth/service/token", emu.url()))
        .json(body);
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    req.send().unwrap()
}

#[test]
fn echo_body_quotes_the_whole_request_body() {
    let (emu, http) = setup();
    let secret = "cs_live_5b0f4c1e9a7d4e2b8c3f6a1d0e9b7c5a";
    let body = client_credentials(&emu, secret);
    put_fault(
        &emu,
        &http,
        json!({"kind": "echo_body", "path_prefix": "/v1/auth/service/token", "count": 1}),
    );
    // Another path is not affected and does not spend the count.
    assert_eq!(list(&emu, &http, emu.admin_token()).status(), 200);
    let r = grant(&emu, &http, &body, None);
    let p = problem(r, 400);
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains(&body.to_string()), "{detail}");
    assert!(detail.contains(secret));
    assert_eq!(grant(&emu, &http, &body, None).status(), 200);
}

#[test]
fn html_echo_quotes_secrets_after_filler() {
    let (emu, http) = setup();
    let secret = "cs_live_0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a";
    let body = client_credentials(&emu, secret);
    emu.set_fault(Some(Fault::new(FaultKind::HtmlEcho).count(1)));
    let bearer = emu.admin_token();
    let r = grant(&emu, &http, &body, Some(bearer));
    assert_eq!(r.status(), 502);
    assert_eq!(header(&r, "content-type").as_deref(), Some("text/html"));
    let page = r.text().unwrap();
    assert!(page.starts_with("<html>"));
    let at_bearer = page.find(bearer).expect("the bearer is quoted");
    let at_secret = page.find(secret).expect("the client secret is quoted");
    assert!(
        at_bearer >= HTML_ECHO_OFFSET && at_secret > at_bearer,
        "{page}"
    );
    assert_eq!(HTML_ECHO_OFFSET, 150);
}

#[test]
fn escapes_reach_the_client_verbatim() {
    let (emu, http) = setup();
    put_fault(&emu, &http, json!({"kind": "escapes", "count": 1}));
    let p = problem(list(&emu, &http, emu.admin_token()), 400);
    for field in ["title", "detail"] {
        let text = p[field].as_str().unwrap();
        for seq in [
            "\u{1b}[31m",
            "\u{1b}]0;pwned\u{7}",
            "\r\n",
            "\u{85}",
            "\u{9b}",
            "\u{202e}",
        ] {
            assert!(text.contains(seq), "{field} lacks {seq:?}");
        }
    }
}

#[test]
fn huge_detail_is_exactly_that_long() {
    let (emu, http) = setup();
    put_fault(
        &emu,
        &http,
        json!({"kind": "huge_detail", "bytes": 10485760, "count": 1}),
    );
    let p = problem(list(&emu, &http, emu.admin_token()), 400);
    assert_eq!(p["detail"].as_str().unwrap().len(), 10 << 20);
}

#[test]
fn a_canned_body_is_answered_exactly() {
    let (emu, http) = setup();
    put_fault(
        &emu,
        &http,
        json!({"kind": "body", "status": 200, "content_type": "application/json; charset=utf-8",
               "body": "{\"id\": \"not-a-uuid\"", "headers": {"x-canned": "yes", "sunset": "never"},
               "count": 1}),
    );
    let r = list(&emu, &http, emu.admin_token());
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "content-type").as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(header(&r, "x-canned").as_deref(), Some("yes"));
    assert_eq!(header(&r, "sunset").as_deref(), Some("never"));
    assert_eq!(r.text().unwrap(), "{\"id\": \"not-a-uuid\"");
    put_fault(
        &emu,
        &http,
        json!({"kind": "body", "status": 201, "body": "plain", "count": 1}),
    );
    let r = issue(&emu, &http);
    assert_eq!(r.status(), 201);
    assert_eq!(header(&r, "content-type"), None);
    assert_eq!(r.text().unwrap(), "plain");
    assert_eq!(emu.requests_to("/v1/auth/tokens"), 2);
}

#[test]
fn bad_expiry_spoils_the_answer_not_the_operation() {
    let (emu, http) = setup();
    // A late fault is not spent by a request that never reaches its operation.
    emu.set_fault(Some(Fault::new(FaultKind::IssueBadExpiry).count(1)));
    assert_eq!(list(&emu, &http, emu.admin_token()).status(), 200);
    let issued: Value = issue(&emu, &http).json().unwrap();
    assert_eq!(issued["expires_at"], "not-a-date");
    let plaintext = issued["plaintext"].as_str().unwrap();
    let mine: Value = list(&emu, &http, plaintext).json().unwrap();
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == issued["id"])
    );
    assert!(issue(&emu, &http).json::<Value>().unwrap()["expires_at"] != "not-a-date");

    put_fault(
        &emu,
        &http,
        json!({"kind": "rotate_bad_expiry", "count": 1}),
    );
    let r = http
        .post(format!(
            "{}/v1/auth/tokens/{}/rotate",
            emu.url(),
            issued["id"].as_str().unwrap()
        ))
        .bearer_auth(plaintext)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let sunset = header(&r, "sunset").unwrap();
    let rotated: Value = r.json().unwrap();
    assert_eq!(rotated["expires_at"], "not-a-date");
    assert!(
        rotated["rotation_deadline"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert!(!sunset.is_empty());
    let fresh = rotated["plaintext"].as_str().unwrap();
    assert_ne!(fresh, plaintext);
    assert_eq!(list(&emu, &http, fresh).status(), 200, "really rotated");

    let body = client_credentials(&emu, "cs_live_huge");
    put_fault(
        &emu,
        &http,
        json!({"kind": "grant_huge_expires_in", "count": 1}),
    );
    let granted: Value = grant(&emu, &http, &body, None).json().unwrap();
    assert_eq!(granted["expires_in"], 1_000_000_000_000u64);
    let access = granted["access_token"].as_str().unwrap();
    assert_eq!(list(&emu, &http, access).status(), 200, "really granted");
    assert!(emu.fault().is_none());
}

#[test]
fn count_limits_a_fault_and_retry_after_rides_on_its_answer() {
    let (emu, http) = setup();
    let token = emu.admin_token();
    put_fault(
        &emu,
        &http,
        json!({"kind": "status", "status": 503, "count": 2, "retry_after": 1,
               "path_prefix": "/v1/auth/tokens"}),
    );
    // Another path neither sees the fault nor spends it.
    let other = http
        .get(format!(
            "{}/v1/nodes/{}/keys/rotate/preview",
            emu.url(),
            uuid()
        ))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(other.status(), 404);
    for _ in 0..2 {
        let r = list(&emu, &http, token);
        assert_eq!(r.status(), 503);
        assert_eq!(header(&r, "retry-after").as_deref(), Some("1"));
    }
    let r = list(&emu, &http, token);
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "retry-after"), None);
    assert!(emu.fault().is_none());

    let stats: Value = http
        .get(format!("{}/_emulator/stats", emu.url()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(stats["requests"], 4);
    assert_eq!(stats["paths"]["/v1/auth/tokens"], 3);
    assert_eq!(stats["routes"]["GET /v1/auth/tokens"], 3);
    let r = http
        .delete(format!("{}/_emulator/stats", emu.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(emu.requests(), 0);
    assert_eq!(emu.requests_to("/v1/auth/tokens"), 0);

    emu.set_fault_spec(Some(
        Fault::new(FaultKind::Status {
            status: 429,
            code: Some("rate_limited".into()),
        })
        .count(1)
        .retry_after(RetryAfter::DateIn { date_in_seconds: 5 }),
    ));
    let r = list(&emu, &http, token);
    assert_eq!(r.status(), 429);
    let at = httpdate::parse_http_date(&header(&r, "retry-after").unwrap()).unwrap();
    let ahead = at.duration_since(SystemTime::now()).unwrap();
    assert!(ahead > Duration::from_secs(3) && ahead <= Duration::from_secs(5));
    assert_eq!(problem(r, 429)["code"], "rate_limited");
    assert_eq!(list(&emu, &http, token).status(), 200);

    // A count of zero applies to nothing.
    emu.set_fault(Some(Fault::new(FaultKind::Drop).count(0)));
    assert_eq!(list(&emu, &http, token).status(), 200);
    assert!(emu.fault().is_none());
    assert_eq!(emu.stats().routes["GET /v1/auth/tokens"], 3);
}

fn uuid() -> String {
    "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3".into()
}
