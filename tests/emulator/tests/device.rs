//! The RFC 8628 device flow over real HTTP: every answer of `POST /v1/auth/device-code`,
//! `POST /v1/auth/device-token` and `POST /v1/auth/device/approve`, the control calls that approve
//! and deny, expiry on the emulator's clock, and the minted token at work.

use std::time::Duration;

use plexctl_emulator::{Config, DeviceError, DeviceStatus, Emulator, UserSpec};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

/// An emulator whose device codes may be polled back to back (interval 0).
fn setup() -> (Emulator, Client) {
    let config = Config {
        device_poll_interval: Duration::ZERO,
        ..Config::fast()
    };
    (Emulator::start(config).unwrap(), Client::new())
}

fn problem(r: Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = r.json().unwrap();
    assert_eq!(body["status"], status);
    for field in ["type", "title", "detail", "instance", "code"] {
        assert!(body[field].is_string(), "{field} missing: {body}");
    }
    body
}

fn code_of(r: Response, status: u16) -> String {
    problem(r, status)["code"].as_str().unwrap().to_owned()
}

fn post(http: &Client, emu: &Emulator, path: &str, body: &Value) -> Response {
    http.post(format!("{}{path}", emu.url()))
        .json(body)
        .send()
        .unwrap()
}

fn ctl(http: &Client, emu: &Emulator, path: &str, body: &Value) -> Response {
    post(http, emu, &format!("/_emulator/{path}"), body)
}

fn start(http: &Client, emu: &Emulator) -> Value {
    let r = post(
        http,
        emu,
        "/v1/auth/device-code",
        &json!({"domain_id": emu.domain_id()}),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    r.json().unwrap()
}

fn poll(http: &Client, emu: &Emulator, device_code: &Value) -> Response {
    post(
        http,
        emu,
        "/v1/auth/device-token",
        &json!({"device_code": device_code}),
    )
}

fn poll_code(http: &Client, emu: &Emulator, device_code: &Value) -> String {
    code_of(poll(http, emu, device_code), 400)
}

fn is_user_code(s: &str) -> bool {
    let b = s.as_bytes();
    let alphabet = |c: &u8| c.is_ascii_uppercase() || (b'2'..=b'7').contains(c);
    b.len() == 9 && b[4] == b'-' && b[..4].iter().all(alphabet) && b[5..].iter().all(alphabet)
}

fn patch_config(http: &Client, emu: &Emulator, body: Value) {
    let r = http
        .patch(format!("{}/_emulator/config", emu.url()))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
}

fn advance(http: &Client, emu: &Emulator, seconds: u64) {
    let r = ctl(http, emu, "clock/advance", &json!({"seconds": seconds}));
    assert_eq!(r.status(), 204);
}

fn session(http: &Client, emu: &Emulator, user_code: &str) -> Value {
    http.get(format!("{}/_emulator/device/{user_code}", emu.url()))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn a_device_code_has_the_documented_shape() {
    let emu = Emulator::start(Config::fast()).unwrap();
    let http = Client::new();
    let a = start(&http, &emu);
    let mut keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "device_code",
            "expires_in",
            "interval",
            "user_code",
            "verification_uri",
            "verification_uri_complete"
        ]
    );
    let user_code = a["user_code"].as_str().unwrap();
    assert!(is_user_code(user_code), "{user_code}");
    assert_eq!(
        (a["expires_in"].as_u64(), a["interval"].as_u64()),
        (Some(600), Some(5))
    );
    let uri = format!("{}/device", emu.url());
    assert_eq!(a["verification_uri"], uri.as_str());
    assert_eq!(
        a["verification_uri_complete"],
        format!("{uri}?user_code={user_code}").as_str()
    );
    let device_code = a["device_code"].as_str().unwrap();
    assert!(device_code.len() >= 32, "{device_code}");
    assert!(!device_code.contains(&user_code.replace('-', "")));
    // Each start is a new session with new codes.
    let b = start(&http, &emu);
    assert_ne!(a["device_code"], b["device_code"]);
    assert_ne!(a["user_code"], b["user_code"]);
    // The verification page exists.
    let page = http.get(&uri).send().unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // The lifetime and the interval are knobs.
    patch_config(
        &http,
        &emu,
        json!({"device_code_ttl_seconds": 30, "device_poll_interval_seconds": 1}),
    );
    let c = start(&http, &emu);
    assert_eq!(
        (c["expires_in"].as_u64(), c["interval"].as_u64()),
        (Some(30), Some(1))
    );
    let s = session(&http, &emu, c["user_code"].as_str().unwrap());
    assert_eq!(s["status"], "pending");
    assert_eq!(s["interval"], 1);
    assert_eq!(s["domain_id"], emu.domain_id().to_string());
    assert_eq!(s["idp_binding_id"], emu.idp_binding_id().to_string());
    assert!(
        s.get("device_code").is_none(),
        "the device code is a secret: {s}"
    );
}

#[test]
fn a_device_code_request_is_checked_strictly() {
    let (emu, http) = setup();
    let url = format!("{}/v1/auth/device-code", emu.url());
    let domain = emu.domain_id().to_string();
    let binding = emu.idp_binding_id().to_string();
    let send = |body: String, ct: &str| {
        http.post(&url)
            .header("content-type", ct)
            .body(body)
            .send()
            .unwrap()
    };
    let good = json!({"domain_id": domain}).to_string();
    assert_eq!(send(good.clone(), "application/json").status(), 200);
    assert_eq!(code_of(send(good, "text/plain"), 400), "invalid_body");
    let bad_bodies = [
        json!({}),
        json!({"domain_id": domain, "extra": 1}),
        json!({"domain_id": 7}),
        json!({"domain_id": "not-a-uuid"}),
        json!({"domain_id": domain.replace('-', "")}),
        json!({"domain_id": "00000000-0000-0000-0000-000000000000"}),
        json!({"domain_id": domain, "idp_binding_id": binding, "idp_binding_alias": "github"}),
        json!({"domain_id": domain, "idp_binding_id": "x"}),
        json!({"domain_id": domain, "idp_binding_alias": ""}),
        json!({"domain_id": domain, "client_id": ""}),
    ];
    for body in bad_bodies {
        let r = send(body.to_string(), "application/json");
        assert_eq!(code_of(r, 400), "invalid_body", "{body}");
    }
    assert_eq!(
        code_of(send("{".into(), "application/json"), 400),
        "invalid_body"
    );
    // The binding, by id or by alias, with a client id override.
    for body in [
        json!({"domain_id": domain, "idp_binding_id": binding}),
        json!({"domain_id": domain, "idp_binding_alias": "github", "client_id": "plexctl"}),
    ] {
        let r = send(body.to_string(), "application/json");
        assert_eq!(r.status(), 200, "{body}");
    }
    // Unknown Domain or binding: 404.
    let other = "0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2";
    let r = send(json!({"domain_id": other}).to_string(), "application/json");
    assert_eq!(code_of(r, 404), "domain_not_found");
    for body in [
        json!({"domain_id": domain, "idp_binding_id": other}),
        json!({"domain_id": domain, "idp_binding_alias": "gitlab"}),
    ] {
        let r = send(body.to_string(), "application/json");
        assert_eq!(code_of(r, 404), "idp_binding_not_found", "{body}");
    }
}

#[test]
fn pending_until_approved_then_one_token_that_works_everywhere() {
    let (emu, http) = setup();
    let a = start(&http, &emu);
    let (dc, uc) = (&a["device_code"], a["user_code"].as_str().unwrap());
    assert_eq!(poll_code(&http, &emu, dc), "authorization_pending");
    assert_eq!(poll_code(&http, &emu, dc), "authorization_pending");
    let s = session(&http, &emu, uc);
    assert_eq!(
        (s["status"].as_str(), s["polls"].as_u64()),
        (Some("pending"), Some(2))
    );
    emu.approve_device(uc).unwrap();
    assert_eq!(
        emu.device_session(uc).unwrap().approved_by,
        Some(emu.admin_identity())
    );
    let r = poll(&http, &emu, dc);
    assert_eq!(r.status(), 200);
    let t: Value = r.json().unwrap();
    let mut keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["access_token", "expires_in", "token_type"]);
    assert_eq!(
        (t["token_type"].as_str(), t["expires_in"].as_u64()),
        (Some("Bearer"), Some(86400))
    );
    let token = t["access_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("psk_prod_"), "the admin's env");
    assert_eq!(
        emu.device_session(uc).unwrap().status,
        DeviceStatus::Exchanged
    );
    // A second exchange of the same code is refused.
    assert_eq!(poll_code(&http, &emu, dc), "invalid_grant");

    // The token authenticates: whoami, list (it lists itself), rotate, delete itself.
    let get = |path: &str, token: &str| {
        http.get(format!("{}{path}", emu.url()))
            .bearer_auth(token)
            .send()
            .unwrap()
    };
    let who: Value = get("/v1/auth/whoami", &token).json().unwrap();
    assert_eq!(who["principal_type"], "user");
    assert_eq!(
        format!("user:{}", who["subject"].as_str().unwrap()),
        emu.admin_identity()
    );
    assert_eq!(who["email"], "admin@plexsphere.test");
    let id = plexctl_emulator::psk::parse(&token).unwrap().id.to_string();
    let list: Value = get("/v1/auth/tokens", &token).json().unwrap();
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str());
    let listed = listed.expect("the device token lists itself");
    assert!(listed["last_used_at"].is_string());
    let rotated = http
        .post(format!("{}/v1/auth/tokens/{id}/rotate", emu.url()))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(rotated.status(), 200);
    let new: Value = rotated.json().unwrap();
    let new = new["plaintext"].as_str().unwrap().to_owned();
    let deleted = http
        .delete(format!("{}/v1/auth/tokens/{id}", emu.url()))
        .bearer_auth(&new)
        .send()
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        code_of(get("/v1/auth/tokens", &new), 401),
        "unauthenticated"
    );
    assert_eq!(code_of(get("/v1/auth/whoami", &new), 401), "token_revoked");
}

#[test]
fn polling_faster_than_the_interval_is_slow_down_and_adds_five_seconds() {
    let (emu, http) = setup();
    patch_config(&http, &emu, json!({"device_poll_interval_seconds": 1}));
    let a = start(&http, &emu);
    let (dc, uc) = (&a["device_code"], a["user_code"].as_str().unwrap());
    // The first poll has no previous one to be too close to.
    assert_eq!(poll_code(&http, &emu, dc), "authorization_pending");
    assert_eq!(poll_code(&http, &emu, dc), "slow_down");
    let s = emu.device_session(uc).unwrap();
    assert_eq!((s.interval, s.slow_downs), (6, 1));
    // Still too fast for the grown interval: slower still.
    assert_eq!(poll_code(&http, &emu, dc), "slow_down");
    assert_eq!(emu.device_session(uc).unwrap().interval, 11);
    // Waiting less than the interval is not enough; waiting it is.
    advance(&http, &emu, 10);
    assert_eq!(poll_code(&http, &emu, dc), "slow_down");
    assert_eq!(emu.device_session(uc).unwrap().interval, 16);
    advance(&http, &emu, 16);
    assert_eq!(poll_code(&http, &emu, dc), "authorization_pending");
    // An approved session is held to the interval as well.
    emu.approve_device(uc).unwrap();
    assert_eq!(poll_code(&http, &emu, dc), "slow_down");
    advance(&http, &emu, 21);
    assert_eq!(poll(&http, &emu, dc).status(), 200);
    let s = emu.device_session(uc).unwrap();
    assert_eq!((s.polls, s.slow_downs, s.interval), (7, 4, 21));
}

#[test]
fn a_denied_session_is_access_denied() {
    let (emu, http) = setup();
    let a = start(&http, &emu);
    let (dc, uc) = (&a["device_code"], a["user_code"].as_str().unwrap());
    assert_eq!(poll_code(&http, &emu, dc), "authorization_pending");
    let r = ctl(&http, &emu, "device/deny", &json!({"user_code": uc}));
    assert_eq!(r.status(), 204);
    assert_eq!(session(&http, &emu, uc)["status"], "denied");
    assert_eq!(poll_code(&http, &emu, dc), "access_denied");
    assert_eq!(poll_code(&http, &emu, dc), "access_denied");
    // It can be neither approved nor denied again.
    let r = ctl(&http, &emu, "device/approve", &json!({"user_code": uc}));
    assert_eq!(code_of(r, 409), "device-code-denied");
    assert_eq!(emu.deny_device(uc), Err(DeviceError::Denied));
    // From Rust, too.
    let b = start(&http, &emu);
    let uc = b["user_code"].as_str().unwrap();
    emu.deny_device(&uc.replace('-', "")).unwrap();
    assert_eq!(poll_code(&http, &emu, &b["device_code"]), "access_denied");
    assert_eq!(emu.approve_device(uc), Err(DeviceError::Denied));
}

#[test]
fn a_device_code_expires_on_the_emulators_clock() {
    let (emu, http) = setup();
    patch_config(&http, &emu, json!({"device_code_ttl_seconds": 60}));
    let a = start(&http, &emu);
    let (dc, uc) = (&a["device_code"], a["user_code"].as_str().unwrap());
    assert_eq!(a["expires_in"], 60);
    advance(&http, &emu, 59);
    assert_eq!(poll_code(&http, &emu, dc), "authorization_pending");
    advance(&http, &emu, 1);
    assert_eq!(poll_code(&http, &emu, dc), "expired_token");
    assert_eq!(session(&http, &emu, uc)["expired"], true);
    let r = ctl(&http, &emu, "device/approve", &json!({"user_code": uc}));
    assert_eq!(code_of(r, 409), "device-code-expired");
    let r = ctl(&http, &emu, "device/deny", &json!({"user_code": uc}));
    assert_eq!(code_of(r, 409), "device-code-expired");
    // Approved but not exchanged in time: expired all the same.
    let b = start(&http, &emu);
    emu.approve_device(b["user_code"].as_str().unwrap())
        .unwrap();
    advance(&http, &emu, 60);
    assert_eq!(poll_code(&http, &emu, &b["device_code"]), "expired_token");
}

#[test]
fn unknown_forged_or_malformed_polls_are_refused() {
    let (emu, http) = setup();
    let a = start(&http, &emu);
    let dc = a["device_code"].as_str().unwrap();
    // The right session id with a wrong secret, a code never issued, garbage.
    let mut forged = dc.to_owned();
    let last = forged.pop().unwrap();
    forged.push(if last == 'a' { 'b' } else { 'a' });
    let never = format!("{}{}", "0".repeat(22), &dc[22..]);
    for code in [
        forged.as_str(),
        never.as_str(),
        "",
        "ABCD-EFGH",
        &dc[..22],
        "x".repeat(44).as_str(),
    ] {
        assert_eq!(
            poll_code(&http, &emu, &json!(code)),
            "invalid_grant",
            "{code}"
        );
    }
    // None of those counted as a poll of the real session.
    assert_eq!(
        emu.device_session(a["user_code"].as_str().unwrap())
            .unwrap()
            .polls,
        0
    );
    // The body is strict.
    let url = format!("{}/v1/auth/device-token", emu.url());
    for body in [
        json!({}),
        json!({"device_code": dc, "extra": 1}),
        json!({"device_code": 5}),
    ] {
        let r = http.post(&url).json(&body).send().unwrap();
        assert_eq!(code_of(r, 400), "invalid_body", "{body}");
    }
    let r = http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("device_code={dc}"))
        .send()
        .unwrap();
    assert_eq!(code_of(r, 400), "invalid_body");
    // The client id must be the one the code was issued to.
    let r = post(
        &http,
        &emu,
        "/v1/auth/device-code",
        &json!({"domain_id": emu.domain_id(), "client_id": "plexctl"}),
    );
    let b: Value = r.json().unwrap();
    let poll_as = |client_id: Option<&str>| {
        let mut body = json!({"device_code": b["device_code"]});
        if let Some(c) = client_id {
            body["client_id"] = json!(c);
        }
        http.post(&url).json(&body).send().unwrap()
    };
    assert_eq!(code_of(poll_as(Some("other")), 400), "invalid_grant");
    assert_eq!(code_of(poll_as(None), 400), "invalid_grant");
    assert_eq!(
        code_of(poll_as(Some("plexctl")), 400),
        "authorization_pending"
    );
    assert_eq!(
        code_of(poll(&http, &emu, &a["device_code"]), 400),
        "authorization_pending"
    );
    let with_client = post(
        &http,
        &emu,
        "/v1/auth/device-token",
        &json!({"device_code": a["device_code"], "client_id": "plexctl"}),
    );
    assert_eq!(code_of(with_client, 400), "invalid_grant");
}

/// A request to the dashboard's approve endpoint.
fn approve_req(http: &Client, emu: &Emulator, body: &Value) -> RequestBuilder {
    http.post(format!("{}/v1/auth/device/approve", emu.url()))
        .json(body)
}

#[test]
fn the_dashboard_approves_with_its_session_cookie_and_csrf_token() {
    let (emu, http) = setup();
    // A user of the Domain, whose device logins mint stage tokens.
    let r = ctl(
        &http,
        &emu,
        "users",
        &json!({"email": "alice@example.com", "env_prefix": "stage", "amr": ["pwd", "mfa"]}),
    );
    assert_eq!(r.status(), 201);
    let alice: Value = r.json().unwrap();
    assert_eq!(alice["domain_id"], emu.domain_id().to_string());
    let alice_ref = alice["identity_ref"].as_str().unwrap();
    let r = ctl(
        &http,
        &emu,
        "session-cookie",
        &json!({"identity_ref": alice_ref}),
    );
    assert_eq!(r.status(), 201);
    let sess: Value = r.json().unwrap();
    let (cookie, csrf) = (
        sess["cookie"].as_str().unwrap(),
        sess["csrf"].as_str().unwrap(),
    );
    let cookie_header = format!("plexsphere_session={cookie}; plexsphere_csrf={csrf}");
    assert_eq!(sess["cookie_header"], cookie_header.as_str());

    let a = start(&http, &emu);
    let uc = a["user_code"].as_str().unwrap();
    let body = json!({"user_code": uc});
    let send = |body: &Value, cookies: Option<&str>, header: Option<&str>| {
        let mut r = approve_req(&http, &emu, body);
        if let Some(c) = cookies {
            r = r.header("cookie", c);
        }
        if let Some(h) = header {
            r = r.header("x-plexsphere-csrf", h);
        }
        r.send().unwrap()
    };
    // 401: no session, an unknown one, or a bearer token instead.
    assert_eq!(
        code_of(send(&body, None, Some(csrf)), 401),
        "unauthenticated"
    );
    let unknown = format!("plexsphere_session=feed; plexsphere_csrf={csrf}");
    assert_eq!(
        code_of(send(&body, Some(&unknown), Some(csrf)), 401),
        "unauthenticated"
    );
    let r = approve_req(&http, &emu, &body)
        .bearer_auth(emu.admin_token())
        .send()
        .unwrap();
    assert_eq!(code_of(r, 401), "unauthenticated");
    // 403: no header, a header that is not the cookie, or a pair not minted with the session.
    let mismatch = "csrf-token-mismatch";
    assert_eq!(
        code_of(send(&body, Some(&cookie_header), None), 403),
        mismatch
    );
    assert_eq!(
        code_of(send(&body, Some(&cookie_header), Some("nope")), 403),
        mismatch
    );
    let only_session = format!("plexsphere_session={cookie}");
    assert_eq!(
        code_of(send(&body, Some(&only_session), Some(csrf)), 403),
        mismatch
    );
    let forged_pair = format!("plexsphere_session={cookie}; plexsphere_csrf=abc");
    assert_eq!(
        code_of(send(&body, Some(&forged_pair), Some("abc")), 403),
        mismatch
    );
    let r = approve_req(&http, &emu, &body)
        .header("cookie", &cookie_header)
        .header("x-plexsphere-csrf", csrf)
        .header("origin", "https://evil.example")
        .send()
        .unwrap();
    assert_eq!(code_of(r, 403), "csrf-origin-mismatch");
    // 400: a malformed user code or body.
    let ok = |body: &Value| send(body, Some(&cookie_header), Some(csrf));
    for bad in [
        "abcd-efgh",
        "ABCD_EFGH",
        "ABC1-EFGH",
        "ABCD-EFG",
        "ABCD--EFGH",
        "ABCDEFGHI",
        "",
    ] {
        assert_eq!(
            code_of(ok(&json!({"user_code": bad})), 400),
            "invalid_body",
            "{bad}"
        );
    }
    for bad in [
        json!({}),
        json!({"user_code": uc, "extra": 1}),
        json!({"user_code": 1}),
    ] {
        assert_eq!(code_of(ok(&bad), 400), "invalid_body", "{bad}");
    }
    // 404: no such session.
    let absent = if uc == "AAAA-AAAA" {
        "BBBB-BBBB"
    } else {
        "AAAA-AAAA"
    };
    assert_eq!(
        code_of(ok(&json!({"user_code": absent})), 404),
        "device-code-not-found"
    );
    assert_eq!(
        emu.device_session(uc).unwrap().status,
        DeviceStatus::Pending
    );
    // 200, with the dash left out (and the browser's own Origin); then 409.
    let r = approve_req(&http, &emu, &json!({"user_code": uc.replace('-', "")}))
        .header("cookie", &cookie_header)
        .header("x-plexsphere-csrf", csrf)
        .header("origin", emu.url())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"status": "approved"}));
    assert_eq!(code_of(ok(&body), 409), "device-code-already-approved");
    // The token is Alice's, in her env.
    let t: Value = poll(&http, &emu, &a["device_code"]).json().unwrap();
    let token = t["access_token"].as_str().unwrap();
    assert!(token.starts_with("psk_stage_"), "{token}");
    let who: Value = http
        .get(format!("{}/v1/auth/whoami", emu.url()))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        format!("user:{}", who["subject"].as_str().unwrap()),
        alice_ref
    );
    assert_eq!(who["email"], "alice@example.com");
    assert_eq!(who["amr"], json!(["pwd", "mfa"]));
    assert_eq!(code_of(ok(&body), 409), "device-code-already-approved");
    // 409 for an expired session.
    let b = start(&http, &emu);
    advance(&http, &emu, 600);
    let r = ok(&json!({"user_code": b["user_code"]}));
    assert_eq!(code_of(r, 409), "device-code-expired");
}

#[test]
fn the_control_api_approves_as_any_registered_user() {
    let (emu, http) = setup();
    let bob = emu.add_user(UserSpec {
        email: Some("bob@example.com".into()),
        ..UserSpec::default()
    });
    assert_eq!(emu.user_email(&bob).as_deref(), Some("bob@example.com"));
    let a = start(&http, &emu);
    let uc = a["user_code"].as_str().unwrap();
    // Only registered users approve.
    let stranger = "user:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2";
    let r = ctl(
        &http,
        &emu,
        "device/approve",
        &json!({"user_code": uc, "identity_ref": stranger}),
    );
    assert_eq!(code_of(r, 404), "user_not_found");
    assert_eq!(
        emu.approve_device_as(uc, stranger),
        Err(DeviceError::UnknownUser)
    );
    let r = ctl(
        &http,
        &emu,
        "session-cookie",
        &json!({"identity_ref": stranger}),
    );
    assert_eq!(code_of(r, 404), "user_not_found");
    assert!(emu.session_cookie(stranger).is_none());
    // Malformed and unknown codes.
    let r = ctl(&http, &emu, "device/approve", &json!({"user_code": "nope"}));
    assert_eq!(code_of(r, 400), "invalid_body");
    let r = ctl(&http, &emu, "device/deny", &json!({"user_code": "nope"}));
    assert_eq!(code_of(r, 400), "invalid_body");
    let r = http
        .get(format!("{}/_emulator/device/AAAA-AAA2", emu.url()))
        .send()
        .unwrap();
    if uc != "AAAA-AAA2" {
        assert_eq!(code_of(r, 404), "device-code-not-found");
    }
    assert_eq!(
        emu.approve_device("nope"),
        Err(DeviceError::MalformedUserCode)
    );
    let r = ctl(
        &http,
        &emu,
        "device/approve",
        &json!({"user_code": uc, "extra": 1}),
    );
    assert_eq!(code_of(r, 400), "invalid_control_request");
    // Approved as Bob.
    let r = ctl(
        &http,
        &emu,
        "device/approve",
        &json!({"user_code": uc, "identity_ref": bob}),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"status": "approved"}));
    let s = session(&http, &emu, &uc.replace('-', ""));
    assert_eq!(
        (s["status"].as_str(), s["approved_by"].as_str()),
        (Some("approved"), Some(bob.as_str()))
    );
    let r = ctl(&http, &emu, "device/deny", &json!({"user_code": uc}));
    assert_eq!(code_of(r, 409), "device-code-already-approved");
    assert_eq!(emu.approve_device(uc), Err(DeviceError::AlreadyApproved));
    let t: Value = poll(&http, &emu, &a["device_code"]).json().unwrap();
    let who: Value = http
        .get(format!("{}/v1/auth/whoami", emu.url()))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(who["email"], "bob@example.com");
    // The default approver (and session-cookie owner) is the admin.
    let b = start(&http, &emu);
    let r = ctl(
        &http,
        &emu,
        "device/approve",
        &json!({"user_code": b["user_code"]}),
    );
    assert_eq!(r.status(), 200);
    let s = emu
        .device_session(b["user_code"].as_str().unwrap())
        .unwrap();
    assert_eq!(s.approved_by, Some(emu.admin_identity()));
    let r = http
        .post(format!("{}/_emulator/session-cookie", emu.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    // The device-token lifetime is a knob.
    patch_config(&http, &emu, json!({"device_token_ttl_seconds": 120}));
    let t: Value = poll(&http, &emu, &b["device_code"]).json().unwrap();
    assert_eq!(t["expires_in"], 120);
}

#[test]
fn faults_apply_to_the_device_routes() {
    let (emu, http) = setup();
    let put = |fault: Value| {
        let r = http
            .put(format!("{}/_emulator/fault", emu.url()))
            .json(&fault)
            .send()
            .unwrap();
        assert_eq!(r.status(), 204);
    };
    put(
        json!({"kind": "status", "status": 503, "path_prefix": "/v1/auth/device-code", "count": 1}),
    );
    let r = post(
        &http,
        &emu,
        "/v1/auth/device-code",
        &json!({"domain_id": emu.domain_id()}),
    );
    assert_eq!(code_of(r, 503), "injected_fault");
    let a = start(&http, &emu);
    let dc = &a["device_code"];
    put(
        json!({"kind": "status", "status": 503, "path_prefix": "/v1/auth/device-token", "count": 1, "retry_after": 2}),
    );
    let r = poll(&http, &emu, dc);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(code_of(r, 503), "injected_fault");
    assert_eq!(poll_code(&http, &emu, dc), "authorization_pending");
    // A faulted poll never reached the session.
    assert_eq!(
        emu.device_session(a["user_code"].as_str().unwrap())
            .unwrap()
            .polls,
        1
    );
    // A late fault spoils the answer of a real exchange.
    emu.approve_device(a["user_code"].as_str().unwrap())
        .unwrap();
    put(
        json!({"kind": "grant_huge_expires_in", "path_prefix": "/v1/auth/device-token", "count": 1}),
    );
    let t: Value = poll(&http, &emu, dc).json().unwrap();
    assert_eq!(t["expires_in"], 1_000_000_000_000u64);
    assert!(t["access_token"].as_str().unwrap().starts_with("psk_prod_"));
    // The device code is echoed by the hostile pages, like any other secret in a body.
    let b = start(&http, &emu);
    put(json!({"kind": "html_echo", "path_prefix": "/v1/auth/device-token", "count": 1}));
    let page = poll(&http, &emu, &b["device_code"]).text().unwrap();
    let dc = b["device_code"].as_str().unwrap();
    assert!(page.contains(&format!("device_code={dc}")), "{page}");
    put(
        json!({"kind": "status", "status": 502, "path_prefix": "/v1/auth/device/approve", "count": 1}),
    );
    let r = approve_req(&http, &emu, &json!({"user_code": b["user_code"]}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 502);
    // Every device route is an API route in the stats.
    let stats = emu.stats();
    for route in [
        "POST /v1/auth/device-code",
        "POST /v1/auth/device-token",
        "POST /v1/auth/device/approve",
    ] {
        assert!(
            stats.routes.get(route).copied().unwrap_or(0) > 0,
            "{route}: {stats:?}"
        );
    }
}

#[test]
fn the_binary_prints_the_domain_and_takes_the_device_knobs() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_plexsphere-emulator"))
        .args([
            "--fast",
            "--exit-on-stdin-eof",
            "--device-code-ttl-seconds",
            "42",
            "--device-poll-interval-seconds",
            "0",
            "--device-token-ttl-seconds",
            "300",
        ])
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
    let http = Client::new();
    let domain: Value = http
        .get(format!("{url}/_emulator/domain"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(domain["domain_id"], v["domain_id"]);
    assert_eq!(domain["idp_bindings"][0]["alias"], "github");
    let a: Value = http
        .post(format!("{url}/v1/auth/device-code"))
        .json(&json!({"domain_id": v["domain_id"], "idp_binding_id": domain["idp_bindings"][0]["id"]}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        (a["expires_in"].as_u64(), a["interval"].as_u64()),
        (Some(42), Some(0))
    );
    let r = http
        .post(format!("{url}/_emulator/device/approve"))
        .json(&json!({"user_code": a["user_code"]}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = http
        .post(format!("{url}/v1/auth/device-token"))
        .json(&json!({"device_code": a["device_code"]}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(t["expires_in"], 300);
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}
