//! Every reachable row of the exit-code tables of seeds 000 (identity-tokens), 001 (logout) and
//! 002 (key rotate), through the binary against the emulator. Each row also checks what the user
//! sees on stderr, whether a request was sent (a usage error never sends one), and, for logout,
//! that a failure keeps the stored credential.
//!
//! Row 64 ("not implemented") is unreachable in all three tables: every command is implemented,
//! and no case below exits 64.

mod common;

use common::{Env, Run, dead_server};
use plexctl_emulator::{
    AssertionSpec, Config, Emulator, Fault, FaultKind, RetriggerMode, ServiceIdentitySpec,
};

/// Runs `args`, checks the exit code and whether anything reached the emulator.
#[track_caller]
fn case(emu: &Emulator, env: &Env, args: &[&str], code: i32, sent: bool) -> Run {
    let before = emu.requests();
    let run = env.plexctl(args);
    assert_eq!(run.code, code, "plexctl {}\n{run:#?}", args.join(" "));
    assert_eq!(
        emu.requests() > before,
        sent,
        "plexctl {}: request sent?\n{run:#?}",
        args.join(" ")
    );
    if code != 0 {
        assert!(
            run.stderr.starts_with("plexctl: ") || run.stderr.starts_with("error: "),
            "{run:#?}"
        );
    }
    run
}

fn secrets_absent(run: &Run, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !run.stdout.contains(s) && !run.stderr.contains(s),
            "{s} shown: {run:#?}"
        );
    }
}

#[test]
fn seed_000_identity_tokens_exit_codes() {
    let emu = Emulator::start(Config::fast()).unwrap();
    emu.add_service_identity(ServiceIdentitySpec::ClientCredentials {
        client_id: "svc-cc".into(),
        client_secret: "cc-secret-value".into(),
    });
    emu.add_service_identity(ServiceIdentitySpec::JwtBearer {
        client_id: "svc-jwt".into(),
        subject: "spiffe://plexsphere.test/svc".into(),
    });
    let assertion = emu.sign_assertion(&AssertionSpec {
        sub: "spiffe://plexsphere.test/svc".into(),
        aud: None,
        expires_in: 300,
        forged: false,
    });
    let env = Env::admin(&emu);
    let me = emu.admin_identity();
    let (id, _) = emu.seed_token(&me, "prod", None);
    let (doomed, _) = emu.seed_token(&me, "prod", None);
    let (id, doomed) = (id.to_string(), doomed.to_string());
    let jwt = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    // 0: every subcommand.
    let ok = |args: &[&str]| case(&emu, &env, args, 0, true);
    ok(&[
        "identity-tokens",
        "issue",
        "--identity-ref",
        &me,
        "--env-prefix",
        "dev",
    ]);
    ok(&["identity-tokens", "list"]);
    ok(&["identity-tokens", "rotate", "--id", &id]);
    let run = ok(&["identity-tokens", "delete", "--id", &doomed]);
    assert_eq!(run.stdout, format!("Revoked token {doomed}.\n"));
    let run = ok(&[
        "identity-tokens",
        "issue-service",
        "--client-id",
        "svc-cc",
        "--grant-type",
        "client_credentials",
        "--client-secret",
        "cc-secret-value",
    ]);
    secrets_absent(&run, &["cc-secret-value"]);
    let run = ok(&[
        "identity-tokens",
        "issue-service",
        "--client-id",
        "svc-jwt",
        "--grant-type",
        jwt,
        "--client-assertion",
        &assertion,
    ]);
    secrets_absent(&run, &[&assertion]);

    // 1: the server answered non-2xx (an unknown token; a 500; a proxy's HTML 502).
    let run = case(
        &emu,
        &env,
        &["identity-tokens", "delete", "--id", &doomed],
        1,
        true,
    );
    assert!(run.stderr.contains("HTTP 404"), "{run:#?}");
    emu.set_fault(Some(Fault::new(FaultKind::Status {
        status: 500,
        code: Some("internal".into()),
    })));
    case(&emu, &env, &["identity-tokens", "list"], 1, true);
    emu.set_fault(Some(Fault::new(FaultKind::HtmlBadGateway)));
    let run = case(
        &emu,
        &env,
        &["identity-tokens", "rotate", "--id", &id],
        1,
        true,
    );
    assert!(run.stderr.contains("502"), "{run:#?}");
    // 1: a body that does not parse.
    emu.set_fault(Some(Fault::new(FaultKind::MalformedJson)));
    let run = case(&emu, &env, &["identity-tokens", "list"], 1, true);
    assert!(run.stderr.contains("unexpected response body"), "{run:#?}");
    emu.set_fault(None);
    // 1: a network failure.
    let dead = dead_server();
    for args in [
        vec!["identity-tokens", "list"],
        vec![
            "identity-tokens",
            "issue",
            "--identity-ref",
            &me,
            "--env-prefix",
            "prod",
        ],
    ] {
        let mut args = args;
        args.extend(["--server", &dead]);
        case(&emu, &env, &args, 1, false);
    }
    // 1: the grant-flag mismatch, a plain refusal before the wire.
    for (grant, flags, message) in [
        (
            jwt,
            vec!["--client-secret", "hunter2"],
            "--client-secret must not be set",
        ),
        (
            "client_credentials",
            vec!["--client-assertion", "eyJhbGciOi.x.y"],
            "--client-assertion must not be set",
        ),
        (
            "client_credentials",
            vec![
                "--client-secret",
                "hunter2",
                "--client-assertion",
                "eyJhbGciOi.x.y",
            ],
            "must not both be set",
        ),
    ] {
        let mut args = vec!["identity-tokens", "issue-service", "--client-id", "svc-cc"];
        args.extend(["--grant-type", grant]);
        args.extend(flags);
        let run = case(&emu, &env, &args, 1, false);
        assert!(run.stderr.contains(message), "{run:#?}");
        secrets_absent(&run, &["hunter2", "eyJhbGciOi"]);
    }

    // 2: a missing required flag, a malformed UUID, an unknown enum value, a malformed identity
    // ref or duration; nothing is sent.
    let usage = |args: &[&str], says: &str| {
        let run = case(&emu, &env, args, 2, false);
        assert!(run.stderr.contains(says), "{says}: {run:#?}");
    };
    usage(
        &["identity-tokens", "issue", "--env-prefix", "prod"],
        "--identity-ref",
    );
    usage(
        &["identity-tokens", "issue", "--identity-ref", &me],
        "--env-prefix",
    );
    usage(&["identity-tokens", "delete"], "--id");
    usage(&["identity-tokens", "rotate"], "--id");
    usage(
        &[
            "identity-tokens",
            "issue-service",
            "--grant-type",
            "client_credentials",
        ],
        "--client-id",
    );
    usage(
        &["identity-tokens", "issue-service", "--client-id", "svc-cc"],
        "--grant-type",
    );
    usage(&["identity-tokens", "delete", "--id", "nope"], "invalid id");
    usage(
        &[
            "identity-tokens",
            "rotate",
            "--id",
            "00000000-0000-0000-0000-000000000000",
        ],
        "invalid id",
    );
    usage(
        &[
            "identity-tokens",
            "issue",
            "--identity-ref",
            &me,
            "--env-prefix",
            "qa",
        ],
        "invalid env_prefix",
    );
    usage(
        &[
            "identity-tokens",
            "issue-service",
            "--client-id",
            "svc-cc",
            "--grant-type",
            "password",
            "--client-secret",
            "x",
        ],
        "invalid grant_type",
    );
    for bad in [
        "group:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2",
        "user:nope",
        "user",
    ] {
        usage(
            &[
                "identity-tokens",
                "issue",
                "--identity-ref",
                bad,
                "--env-prefix",
                "prod",
            ],
            "invalid identity_ref",
        );
    }
    usage(
        &[
            "identity-tokens",
            "issue",
            "--identity-ref",
            &me,
            "--env-prefix",
            "prod",
            "--ttl",
            "soon",
        ],
        "invalid ttl",
    );
    usage(&["identity-tokens", "list", "--output", "xml"], "--output");

    // 3: no token resolved, or an insecure server; nothing is sent.
    let anonymous = Env::new().var("PLEXSPHERE_URL", &emu.url());
    for args in [
        vec![
            "identity-tokens",
            "issue",
            "--identity-ref",
            &me,
            "--env-prefix",
            "prod",
        ],
        vec!["identity-tokens", "list"],
        vec!["identity-tokens", "delete", "--id", &id],
        vec!["identity-tokens", "rotate", "--id", &id],
    ] {
        let run = case(&emu, &anonymous, &args, 3, false);
        assert!(run.stderr.contains("no token resolved"), "{run:#?}");
    }
    std::fs::write(env.dir().join("empty-token"), "\n").unwrap();
    case(
        &emu,
        &anonymous,
        &["identity-tokens", "list", "--token-file", "empty-token"],
        3,
        false,
    );
    for args in [
        vec!["identity-tokens", "list"],
        vec![
            "identity-tokens",
            "issue-service",
            "--client-id",
            "svc-cc",
            "--grant-type",
            "client_credentials",
            "--client-secret",
            "cc-secret-value",
        ],
    ] {
        let mut args = args;
        args.extend(["--server", "http://plexsphere.example.com"]);
        let run = case(&emu, &env, &args, 3, false);
        assert!(run.stderr.contains("refusing plain http://"), "{run:#?}");
    }

    // 4: permission denied (403) on the token operations and on a grant of the wrong kind.
    emu.deny(&me, true);
    for args in [
        vec![
            "identity-tokens",
            "issue",
            "--identity-ref",
            &me,
            "--env-prefix",
            "prod",
        ],
        vec!["identity-tokens", "list"],
        vec!["identity-tokens", "delete", "--id", &id],
        vec!["identity-tokens", "rotate", "--id", &id],
    ] {
        let run = case(&emu, &env, &args, 4, true);
        assert!(run.stderr.contains("HTTP 403"), "{run:#?}");
        assert_eq!(run.stdout, "");
    }
    emu.deny(&me, false);
    let run = case(
        &emu,
        &env,
        &[
            "identity-tokens",
            "issue-service",
            "--client-id",
            "svc-cc",
            "--grant-type",
            jwt,
            "--client-assertion",
            &assertion,
        ],
        4,
        true,
    );
    assert!(run.stderr.contains("federation_kind_mismatch"), "{run:#?}");
}

#[test]
fn seed_001_logout_exit_codes() {
    let emu = Emulator::start(Config::fast()).unwrap();
    let me = emu.admin_identity();
    let with_session = |server: &str| {
        let env = Env::new();
        let (id, token) = emu.seed_token(&me, "prod", None);
        env.store_session("default", server, &token, true);
        (env, id, token)
    };
    let cleared = |env: &Env| {
        let config = env.config_text().unwrap();
        assert!(!config.contains("psk_"), "{config}");
    };

    // 0: revoked and cleared.
    let (env, _, token) = with_session(&emu.url());
    let run = case(&emu, &env, &["logout", "--output", "yaml"], 0, true);
    assert_eq!(
        run.stdout,
        format!("profile: default\nserver: {}\nrevoked: true\n", emu.url())
    );
    cleared(&env);
    secrets_absent(&run, &[&token]);
    // 0: already gone on the server (401: revoked; 404), cleared too, revoked false.
    let (env, id, _) = with_session(&emu.url());
    Env::admin(&emu)
        .plexctl(&["identity-tokens", "delete", "--id", &id.to_string()])
        .expect_code(0);
    let run = case(&emu, &env, &["logout", "--output", "json"], 0, true);
    assert!(run.stdout.contains("\"revoked\": false"), "{run:#?}");
    cleared(&env);
    let (env, _, _) = with_session(&emu.url());
    emu.set_fault(Some(
        Fault::new(FaultKind::Status {
            status: 404,
            code: Some("token_not_found".into()),
        })
        .path_prefix("/v1/auth/tokens/"),
    ));
    let run = case(&emu, &env, &["logout"], 0, true);
    assert_eq!(run.stdout, "Logged out. Cleared profile \"default\".\n");
    cleared(&env);
    emu.set_fault(None);
    // 0: no active session (no file; no such profile; a profile without a token): nothing sent.
    let env = Env::new();
    case(&emu, &env, &["logout"], 0, false);
    let (env, _, _) = with_session(&emu.url());
    let run = case(&emu, &env, &["--profile", "other", "logout"], 0, false);
    assert_eq!(run.stderr, "No active session; nothing to do.\n");
    let env = Env::new();
    let path = env.config_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_private(
        &path,
        &format!("default: x\nprofiles:\n  x:\n    server: {}\n", emu.url()),
    );
    case(&emu, &env, &["logout"], 0, false);

    // The failures keep the stored credential untouched.
    let kept = |env: &Env, before: &str| assert_eq!(env.config_text().unwrap(), before);
    // 1: a transport failure; a 5xx.
    let (env, _, _) = with_session(&dead_server());
    let before = env.config_text().unwrap();
    case(&emu, &env, &["logout"], 1, false);
    kept(&env, &before);
    let (env, _, _) = with_session(&emu.url());
    let before = env.config_text().unwrap();
    emu.set_fault(Some(Fault::new(FaultKind::Status {
        status: 500,
        code: None,
    })));
    case(&emu, &env, &["logout"], 1, true);
    emu.set_fault(None);
    kept(&env, &before);
    // 2: the stored token is not a session token; nothing sent.
    let env = Env::new();
    env.store_session("default", &emu.url(), "not-a-psk-token", true);
    let before = env.config_text().unwrap();
    let run = case(&emu, &env, &["logout"], 2, false);
    secrets_absent(&run, &["not-a-psk-token"]);
    kept(&env, &before);
    // 3: a config file wider than 0600, refused before it is read.
    let (env, _, _) = with_session(&emu.url());
    let before = env.config_text().unwrap();
    set_mode(&env.config_path(), 0o644);
    let run = case(&emu, &env, &["logout"], 3, false);
    assert!(run.stderr.contains("wider than 0600"), "{run:#?}");
    set_mode(&env.config_path(), 0o600);
    kept(&env, &before);
    // 4: permission denied on the revocation.
    let (env, _, _) = with_session(&emu.url());
    let before = env.config_text().unwrap();
    emu.deny(&me, true);
    case(&emu, &env, &["logout"], 4, true);
    emu.deny(&me, false);
    kept(&env, &before);
}

fn write_private(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn seed_002_key_rotate_exit_codes() {
    let emu = Emulator::start(Config::fast()).unwrap();
    let env = Env::admin(&emu);
    let node = emu.add_node(2).node_id.to_string();
    let rotate = |node: &str, dry_run: bool| {
        let mut args = vec!["key", "rotate", "--node"];
        args.push(node);
        if dry_run {
            args.push("--dry-run");
        }
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run = |args: &[String], code: i32, sent: bool| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        case(&emu, &env, &args, code, sent)
    };

    // 409 already_pending → 0: the trigger is idempotent.
    emu.set_config(|c| c.retrigger_mode = RetriggerMode::Conflict409);
    let first = run(&rotate(&node, false), 0, true);
    assert!(
        first.stdout.contains("already_pending:  false"),
        "{first:#?}"
    );
    let again = run(&rotate(&node, false), 0, true);
    assert!(
        again.stdout.contains("already_pending:  true"),
        "{again:#?}"
    );
    assert!(again.stdout.contains(&node), "{again:#?}");

    // 404 node_not_found → 4, for the trigger and the preview.
    let unknown = uuid::Uuid::new_v4().to_string();
    for dry_run in [false, true] {
        let out = run(&rotate(&unknown, dry_run), 4, true);
        assert!(out.stderr.contains("node_not_found"), "{out:#?}");
    }

    // 403 rebac_denied → 77, with the correlation id to quote to an operator.
    emu.deny_node(node.parse().unwrap(), true);
    for dry_run in [false, true] {
        let out = run(&rotate(&node, dry_run), 77, true);
        assert!(
            out.stderr.contains("rebac_denied") && out.stderr.contains("correlation id"),
            "{out:#?}"
        );
    }
    emu.deny_node(node.parse().unwrap(), false);

    // The inherited base table: 2 for a malformed --node (nothing sent), 3 without a token,
    // 1 when the surface is not provisioned (501) or the server is unreachable.
    let out = run(&rotate("not-a-uuid", false), 2, false);
    assert!(out.stderr.contains("invalid node_id"), "{out:#?}");
    run(&["key".into(), "rotate".into()], 2, false);
    let anonymous = Env::new().var("PLEXSPHERE_URL", &emu.url());
    case(
        &emu,
        &anonymous,
        &["key", "rotate", "--node", &node],
        3,
        false,
    );
    emu.set_config(|c| c.key_rotate_provisioned = false);
    let out = run(&rotate(&node, true), 1, true);
    assert!(out.stderr.contains("not provisioned"), "{out:#?}");
    emu.set_config(|c| c.key_rotate_provisioned = true);
    let dead = dead_server();
    case(
        &emu,
        &env,
        &["key", "rotate", "--node", &node, "--server", &dead],
        1,
        false,
    );
}

#[test]
fn help_version_and_parse_errors() {
    let env = Env::new();
    let run = env.plexctl(&["--help"]);
    run.expect_code(0);
    for command in ["identity-tokens", "logout", "key", "login", "auth"] {
        assert!(run.stdout.contains(command), "{run:#?}");
    }
    assert!(run.stdout.contains("--reveal-secrets"), "{run:#?}");
    env.plexctl(&["--version"]).expect_code(0);
    env.plexctl(&["identity-tokens", "rotate", "--help"])
        .expect_code(0);
    // A bare program, an unknown command or flag: usage errors, on stderr.
    for args in [
        &[][..],
        &["frobnicate"],
        &["identity-tokens", "list", "--nope"],
    ] {
        let run = env.plexctl(args);
        run.expect_code(2);
        assert!(run.stdout.is_empty(), "{run:#?}");
    }
    // A secret typed in the wrong place is never repeated: not as a stray argument, not as a
    // rejected value.
    let secret = "hunter2-s3cret-value";
    for args in [
        &["identity-tokens", "list", secret][..],
        &["identity-tokens", "list", "--output", secret],
        &[secret],
    ] {
        let run = env.plexctl(args);
        run.expect_code(2);
        assert!(!run.stderr.contains(secret), "{run:#?}");
        assert!(run.stderr.contains("not shown"), "{run:#?}");
    }
}
