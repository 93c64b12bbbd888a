//! `GET /v1/auth/whoami` over real HTTP: users (with their Domain and email) and service
//! principals, and a 401 whose code says why when the emulator knows.

use std::time::Duration;

use plexctl_emulator::{Config, Emulator, ServiceIdentitySpec, UserSpec};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

fn setup() -> (Emulator, Client) {
    (Emulator::start(Config::fast()).unwrap(), Client::new())
}

fn whoami(emu: &Emulator, http: &Client, bearer: Option<&str>) -> Response {
    let mut r = http.get(format!("{}/v1/auth/whoami", emu.url()));
    if let Some(b) = bearer {
        r = r.bearer_auth(b);
    }
    r.send().unwrap()
}

fn ok(r: Response) -> Value {
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    r.json().unwrap()
}

fn rejected(r: Response) -> String {
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = r.json().unwrap();
    assert_eq!(body["status"], 401);
    assert_eq!(body["instance"], "/v1/auth/whoami");
    body["code"].as_str().unwrap().to_owned()
}

fn list_code(emu: &Emulator, http: &Client, bearer: &str) -> String {
    let r = http
        .get(format!("{}/v1/auth/tokens", emu.url()))
        .bearer_auth(bearer)
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    r.json::<Value>().unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort_unstable();
    k
}

#[test]
fn the_admin_is_a_user_of_the_domain_with_an_email() {
    let (emu, http) = setup();
    let who = ok(whoami(&emu, &http, Some(emu.admin_token())));
    assert_eq!(
        keys(&who),
        ["domain_id", "email", "principal_type", "subject"]
    );
    assert_eq!(who["principal_type"], "user");
    assert_eq!(
        format!("user:{}", who["subject"].as_str().unwrap()),
        emu.admin_identity()
    );
    assert_eq!(who["domain_id"], emu.domain_id().to_string());
    assert_eq!(who["email"], "admin@plexsphere.test");
    assert_eq!(
        emu.user_email(&emu.admin_identity()).as_deref(),
        Some(plexctl_emulator::ADMIN_EMAIL)
    );
}

#[test]
fn registered_users_carry_their_email_acr_and_amr() {
    let (emu, http) = setup();
    let carol = emu.add_user(UserSpec {
        email: Some("carol@example.com".into()),
        acr: Some("urn:plexsphere:acr:mfa".into()),
        amr: vec!["pwd".into(), "otp".into()],
        ..UserSpec::default()
    });
    let (_, token) = emu.seed_token(&carol, "dev", None);
    let who = ok(whoami(&emu, &http, Some(&token)));
    assert_eq!(
        keys(&who),
        [
            "acr",
            "amr",
            "domain_id",
            "email",
            "principal_type",
            "subject"
        ]
    );
    assert_eq!(who["email"], "carol@example.com");
    assert_eq!(who["acr"], "urn:plexsphere:acr:mfa");
    assert_eq!(who["amr"], json!(["pwd", "otp"]));
    // Through the control API, with a generated email.
    let r = http
        .post(format!("{}/_emulator/users", emu.url()))
        .json(&json!({}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let dave: Value = r.json().unwrap();
    let email = dave["email"].as_str().unwrap();
    assert!(email.ends_with("@plexsphere.test"), "{email}");
    let seeded: Value = http
        .post(format!("{}/_emulator/tokens", emu.url()))
        .json(&json!({"identity_ref": dave["identity_ref"], "env_prefix": "prod"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let who = ok(whoami(&emu, &http, seeded["plaintext"].as_str()));
    assert_eq!(who["email"], email);
    assert_eq!(who["domain_id"], dave["domain_id"]);
    // The control body is strict, and a user env must be lowercase letters.
    for body in [
        json!({"emial": "x@example.com"}),
        json!({"env_prefix": "Prod"}),
    ] {
        let r = http
            .post(format!("{}/_emulator/users", emu.url()))
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
}

#[test]
fn an_unregistered_user_ref_is_a_bare_user() {
    let (emu, http) = setup();
    let stranger = "user:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2";
    let (_, token) = emu.seed_token(stranger, "prod", None);
    let who = ok(whoami(&emu, &http, Some(&token)));
    assert_eq!(keys(&who), ["principal_type", "subject"]);
    assert_eq!(who["subject"], "0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2");
}

#[test]
fn a_service_principal_has_a_domain_and_no_email() {
    let (emu, http) = setup();
    let r = http
        .post(format!("{}/_emulator/service-identities", emu.url()))
        .json(&json!({"kind": "client_credentials", "client_id": "ci", "client_secret": "s3cret"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let svc: Value = r.json().unwrap();
    assert_eq!(svc["domain_id"], emu.domain_id().to_string());
    let grant: Value = http
        .post(format!("{}/v1/auth/service/token", emu.url()))
        .json(&json!({"grant_type": "client_credentials", "client_id": "ci", "client_secret": "s3cret"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let who = ok(whoami(&emu, &http, grant["access_token"].as_str()));
    assert_eq!(keys(&who), ["domain_id", "principal_type", "subject"]);
    assert_eq!(who["principal_type"], "service");
    assert_eq!(
        format!("service:{}", who["subject"].as_str().unwrap()),
        svc["identity_ref"].as_str().unwrap()
    );
    // A JWT-bearer identity, with a token seeded for it.
    let jwt = emu.add_service_identity(ServiceIdentitySpec::JwtBearer {
        client_id: "wl".into(),
        subject: "spiffe://plexsphere.test/wl".into(),
    });
    let (_, token) = emu.seed_token(&jwt, "prod", None);
    let who = ok(whoami(&emu, &http, Some(&token)));
    assert_eq!(who["principal_type"], "service");
    assert_eq!(who["domain_id"], emu.domain_id().to_string());
}

#[test]
fn a_refused_bearer_says_why_when_the_token_is_known() {
    let (emu, http) = setup();
    // No bearer, not a bearer, not a psk, an unknown psk: unauthenticated.
    assert_eq!(rejected(whoami(&emu, &http, None)), "unauthenticated");
    let basic = http
        .get(format!("{}/v1/auth/whoami", emu.url()))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .unwrap();
    assert_eq!(rejected(basic), "unauthenticated");
    assert_eq!(
        rejected(whoami(&emu, &http, Some("nope"))),
        "unauthenticated"
    );
    let unknown = plexctl_emulator::psk::format("prod", uuid_v7(), &[7; 16]).unwrap();
    assert_eq!(
        rejected(whoami(&emu, &http, Some(&unknown))),
        "unauthenticated"
    );

    // Revoked: token_revoked, but only to whoever holds the right secret.
    let (id, token) = emu.seed_token(&emu.admin_identity(), "prod", None);
    let r = http
        .delete(format!("{}/v1/auth/tokens/{id}", emu.url()))
        .bearer_auth(emu.admin_token())
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(rejected(whoami(&emu, &http, Some(&token))), "token_revoked");
    let wrong_secret = plexctl_emulator::psk::format("prod", id, &[7; 16]).unwrap();
    assert_eq!(
        rejected(whoami(&emu, &http, Some(&wrong_secret))),
        "unauthenticated"
    );
    let other_env = token.replacen("psk_prod_", "psk_dev_", 1);
    assert_eq!(
        rejected(whoami(&emu, &http, Some(&other_env))),
        "unauthenticated"
    );
    // The other routes keep saying unauthenticated.
    assert_eq!(list_code(&emu, &http, &token), "unauthenticated");

    // Expired: token_expired.
    let (_, short) = emu.seed_token(&emu.admin_identity(), "prod", Some(Duration::from_secs(60)));
    assert_eq!(
        ok(whoami(&emu, &http, Some(&short)))["principal_type"],
        "user"
    );
    emu.advance_clock(Duration::from_secs(60));
    assert_eq!(rejected(whoami(&emu, &http, Some(&short))), "token_expired");
    assert_eq!(list_code(&emu, &http, &short), "unauthenticated");
}

#[test]
fn a_rotated_from_plaintext_expires_with_its_grace() {
    let (emu, http) = setup();
    emu.set_config(|c| c.rotation_grace = Duration::from_secs(30));
    let (id, old) = emu.seed_token(&emu.admin_identity(), "prod", None);
    let r = http
        .post(format!("{}/v1/auth/tokens/{id}/rotate", emu.url()))
        .bearer_auth(&old)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let new: Value = r.json().unwrap();
    let new = new["plaintext"].as_str().unwrap();
    assert_eq!(
        ok(whoami(&emu, &http, Some(&old)))["principal_type"],
        "user"
    );
    emu.advance_clock(Duration::from_secs(31));
    assert_eq!(rejected(whoami(&emu, &http, Some(&old))), "token_expired");
    assert_eq!(list_code(&emu, &http, &old), "unauthenticated");
    assert_eq!(ok(whoami(&emu, &http, Some(new)))["principal_type"], "user");
}

#[test]
fn faults_apply_to_whoami() {
    let (emu, http) = setup();
    let r = http
        .put(format!("{}/_emulator/fault", emu.url()))
        .json(
            &json!({"kind": "status", "status": 503, "path_prefix": "/v1/auth/whoami", "count": 1}),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(whoami(&emu, &http, Some(emu.admin_token())).status(), 503);
    assert_eq!(whoami(&emu, &http, Some(emu.admin_token())).status(), 200);
    assert_eq!(emu.requests_to("/v1/auth/whoami"), 2);
}

fn uuid_v7() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}
