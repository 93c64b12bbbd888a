//! `plexctl login` (RFC 8628 device code) and `plexctl auth status`, against a scripted server: the
//! emulator does not serve `/v1/auth/device-code`, `/device-token` or `/whoami` yet.
//!
//! A session: not logged in → login (the code and URL on stderr, the outcome on stdout) → status
//! (text, json, yaml; the bearer only with --reveal-secrets) → logout. Then every exit code a
//! login can end with.

mod common;

use common::scripted::{Answer, Scripted, Seen};
use common::{Env, golden, mode, normalize};
use serde_json::json;

const DOMAIN: &str = "0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0d0";
const DEVICE_CODE: &str = "dEvIcE-CoDe-nEvEr-ShOwN-0123456789";
const USER_CODE: &str = "WDJB-MJHT";
const VERIFY: &str = "https://plexsphere.example.com/device";

/// A psk session token the scripted server hands out, and its id.
fn session_token() -> (uuid::Uuid, String) {
    let id = uuid::Uuid::now_v7();
    let psk = plexctl_core::psk::format("prod", id, &[7; 16]).unwrap();
    (id, psk.expose_secret().to_owned())
}

/// A plexsphere that runs the device flow (`authorization_pending` once, then `token`), answers
/// whoami and the token list for `token`, and revokes it.
fn plexsphere(token: &str, id: uuid::Uuid, poll: fn(usize) -> Option<Answer>) -> Scripted {
    let token = token.to_owned();
    Scripted::start(move |req: &Seen, n| {
        let authorized = req.authorization.as_deref() == Some(&format!("Bearer {token}"));
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/v1/auth/device-code") => Answer::json(
                200,
                json!({
                    "device_code": DEVICE_CODE,
                    "user_code": USER_CODE,
                    "verification_uri": VERIFY,
                    "verification_uri_complete": format!("{VERIFY}?user_code={USER_CODE}"),
                    "expires_in": 60,
                    "interval": 0,
                }),
            ),
            ("POST", "/v1/auth/device-token") => poll(n).unwrap_or_else(|| {
                Answer::json(
                    200,
                    json!({"access_token": token, "token_type": "Bearer", "expires_in": 86400}),
                )
            }),
            ("GET", "/v1/auth/whoami") if authorized => Answer::json(
                200,
                json!({
                    "principal_type": "user",
                    "subject": "0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2",
                    "domain_id": DOMAIN,
                    "email": "alice@example.com",
                    "amr": ["pwd", "mfa"],
                }),
            ),
            ("GET", "/v1/auth/tokens") if authorized => {
                let now = time::OffsetDateTime::now_utc();
                let ts = |t: time::OffsetDateTime| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .unwrap()
                };
                Answer::json(
                    200,
                    json!([{
                        "id": id,
                        "env_prefix": "prod",
                        "created_at": ts(now),
                        "expires_at": ts(now + time::Duration::hours(24)),
                    }]),
                )
            }
            ("DELETE", path) if authorized && path == format!("/v1/auth/tokens/{id}") => {
                Answer::empty(204)
            }
            _ if !authorized && req.path != "/v1/auth/device-code" => {
                Answer::problem(401, "unauthenticated")
            }
            _ => Answer::problem(404, "not_found"),
        }
    })
}

/// Pending once, then the token.
fn pending_once(n: usize) -> Option<Answer> {
    (n == 0).then(|| Answer::problem(400, "authorization_pending"))
}

fn no_secret(text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{s} shown in:\n{text}");
    }
}

#[test]
fn a_session_login_status_logout() {
    let (id, token) = session_token();
    let server = plexsphere(&token, id, pending_once);
    let env = Env::new().var("PLEXSPHERE_URL", &server.url());
    let url = server.url();

    // Not logged in: a status, not an error, and nothing sent.
    for format in ["text", "json", "yaml"] {
        let run = env.plexctl(&["auth", "status", "--output", format]);
        run.expect_code(0);
        golden(
            &format!("status-none.{}", ext(format)),
            &normalize(&run.stdout, &[&url]),
        );
    }
    assert!(server.seen().is_empty());

    // Login: the code and the URL on stderr, the outcome on stdout; the device code nowhere.
    let run = env.plexctl(&["login", "--domain", DOMAIN]);
    run.expect_code(0);
    assert_eq!(
        run.stderr,
        format!(
            "To sign in, open {VERIFY} and enter the code {USER_CODE}\n(or open {VERIFY}?user_code={USER_CODE})\n"
        )
    );
    assert_eq!(
        run.stdout,
        format!("Logged in to {url}. Saved the session in profile \"default\".\n")
    );
    no_secret(
        &format!("{}{}", run.stdout, run.stderr),
        &[DEVICE_CODE, &token],
    );
    let polls: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/v1/auth/device-token")
        .collect();
    assert_eq!(polls.len(), 2, "pending once, then the token");
    assert!(polls[0].body.contains(DEVICE_CODE));
    let start = &server.seen()[0];
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&start.body).unwrap()["domain_id"],
        DOMAIN
    );
    let config = env.config_text().unwrap();
    assert!(
        config.contains(&token) && config.contains("default: default"),
        "{config}"
    );
    assert_eq!(mode(&env.config_path()), 0o600);

    // Status, from the stored session: text, json, yaml.
    for format in ["text", "json", "yaml"] {
        let run = env.plexctl(&["auth", "status", "--output", format]);
        run.expect_code(0);
        no_secret(&format!("{}{}", run.stdout, run.stderr), &[&token]);
        golden(
            &format!("status.{}", ext(format)),
            &normalize(&run.stdout, &[&url]),
        );
    }
    let run = env.plexctl(&["auth", "status"]);
    assert!(
        run.stdout
            .contains("status:       logged in as user 0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2 (alice@example.com)"),
        "{run:#?}"
    );
    assert!(
        run.stdout.contains(&format!("token:        {id} expires ")),
        "{run:#?}"
    );

    // --reveal-secrets shows the bearer in use; it governs nothing else here.
    let run = env.plexctl(&["auth", "status", "--reveal-secrets"]);
    run.expect_code(0);
    assert!(
        run.stdout.ends_with(&format!("bearer:       {token}\n")),
        "{run:#?}"
    );
    let run = env.plexctl(&["auth", "status", "--reveal-secrets", "--output", "json"]);
    let shown: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(shown["bearer_token"], token.as_str());

    // Logout revokes the session the login stored.
    let run = env.plexctl(&["logout"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "Logged out. Cleared profile \"default\".\n");
    assert!(
        server
            .seen()
            .iter()
            .any(|s| s.method == "DELETE" && s.path == format!("/v1/auth/tokens/{id}"))
    );
    assert!(!env.config_text().unwrap().contains(&token));
}

fn ext(format: &str) -> &str {
    if format == "text" { "txt" } else { format }
}

#[test]
fn login_into_a_named_profile_and_its_structured_outcome() {
    let (id, token) = session_token();
    let server = plexsphere(&token, id, pending_once);
    let env = Env::new();
    env.store_session("default", &server.url(), &session_token().1, true);
    for format in ["json", "yaml"] {
        let run = env.plexctl(&[
            "login",
            "--server",
            &server.url(),
            "--domain",
            DOMAIN,
            "--profile",
            "staging",
            "--default",
            "--idp-binding-alias",
            "github",
            "--output",
            format,
        ]);
        run.expect_code(0);
        golden(
            &format!("login.{format}"),
            &normalize(&run.stdout, &[&server.url()]),
        );
    }
    let config = env.config_text().unwrap();
    assert!(
        config.contains("default: staging") && config.contains("staging:"),
        "{config}"
    );
    let start = &server.seen()[0];
    let body: serde_json::Value = serde_json::from_str(&start.body).unwrap();
    assert_eq!(body["idp_binding_alias"], "github");
}

#[test]
fn login_exit_codes() {
    let (id, token) = session_token();
    let run_login = |server: &Scripted, env: &Env, extra: &[&str]| {
        let mut args = vec!["login", "--domain", DOMAIN];
        args.extend(extra);
        let url = server.url();
        args.extend(["--server", &url]);
        env.plexctl(&args)
    };

    // 2: malformed inputs, before anything is sent.
    let server = plexsphere(&token, id, pending_once);
    let env = Env::new();
    for args in [
        vec!["login", "--domain", "nope"],
        vec!["login", "--domain", "00000000-0000-0000-0000-000000000000"],
        vec!["login", "--domain", DOMAIN, "--idp-binding-id", "x"],
        vec![
            "login",
            "--domain",
            DOMAIN,
            "--idp-binding-id",
            DOMAIN,
            "--idp-binding-alias",
            "gh",
        ],
        vec!["login"],
    ] {
        let mut args = args;
        let url = server.url();
        args.extend(["--server", &url]);
        env.plexctl(&args).expect_code(2);
    }
    assert!(server.seen().is_empty());
    // 3: no server resolved.
    Env::new()
        .plexctl(&["login", "--domain", DOMAIN])
        .expect_code(3);

    // 4: the user denied it; 1: the code expired, or was already used. Nothing is stored.
    for (answer, code, says) in [
        ("access_denied", 4, "access_denied"),
        ("expired_token", 1, "expired_token"),
        ("invalid_grant", 1, "invalid_grant"),
    ] {
        let server = Scripted::start(move |req: &Seen, _| match req.path.as_str() {
            "/v1/auth/device-code" => Answer::json(
                200,
                json!({"device_code": DEVICE_CODE, "user_code": USER_CODE,
                       "verification_uri": VERIFY, "verification_uri_complete": VERIFY,
                       "expires_in": 60, "interval": 0}),
            ),
            _ => Answer::problem(400, answer),
        });
        let env = Env::new();
        let run = run_login(&server, &env, &[]);
        run.expect_code(code);
        assert!(run.stderr.contains(says), "{run:#?}");
        no_secret(&run.stderr, &[DEVICE_CODE]);
        assert!(env.config_text().is_none());
    }
    // 1: the Domain has no IdP binding (404 on the start).
    let server = Scripted::start(|_: &Seen, _| Answer::problem(404, "idp_binding_not_found"));
    run_login(&server, &Env::new(), &[]).expect_code(1);

    // 1: approved, but the session cannot be saved (its lock file is a directory, which even
    // root cannot open for writing): the token is shown once, not lost.
    let server = plexsphere(&token, id, pending_once);
    let env = Env::new();
    std::fs::create_dir_all(env.dir().join(".config/plexctl/config.yaml.lock")).unwrap();
    let run = run_login(&server, &env, &[]);
    run.expect_code(1);
    assert!(run.stderr.contains("could not be updated"), "{run:#?}");
    assert_eq!(
        run.stdout,
        format!("{}\n{token}\n", plexctl_core::tokens::ONE_TIME_BANNER)
    );
}

#[test]
fn status_exit_codes() {
    let (id, token) = session_token();
    let server = plexsphere(&token, id, pending_once);
    // A token the server refuses: a status (rejected), exit 0.
    let env = Env::new()
        .var("PLEXSPHERE_URL", &server.url())
        .var("PLEXSPHERE_TOKEN", &session_token().1);
    let run = env.plexctl(&["auth", "status"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .contains("status:       the token was rejected (unauthenticated)"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("credentials:  environment"), "{run:#?}");
    // 1: the status cannot be known (a 500).
    let broken = Scripted::start(|_: &Seen, _| Answer::problem(500, "internal"));
    Env::new()
        .var("PLEXSPHERE_URL", &broken.url())
        .var("PLEXSPHERE_TOKEN", &token)
        .plexctl(&["auth", "status"])
        .expect_code(1);
    // 3: an insecure server is refused before anything is sent.
    Env::new()
        .var("PLEXSPHERE_TOKEN", &token)
        .plexctl(&[
            "auth",
            "status",
            "--server",
            "http://plexsphere.example.com",
        ])
        .expect_code(3);
}
