//! Golden files for every command's output in text, json and yaml (`tests/golden/`), ids,
//! timestamps, plaintexts and the server URL replaced by placeholders. `PLEXCTL_BLESS=1` rewrites
//! them; review the diff.
//!
//! The json/yaml shapes are core's `Serialize` of each result (the API's typed shapes), plus the
//! one-time plaintext (issue, rotate) or access token (issue-service), populated exactly once.

mod common;

use common::{Env, golden, normalize};
use plexctl_emulator::{Config, Emulator, ServiceIdentitySpec};

const FORMATS: [&str; 3] = ["text", "json", "yaml"];

/// Runs `args(format)` once per format and compares each output with `<name>.<format>`.
fn each_format(emu: &Emulator, env: &Env, name: &str, mut args: impl FnMut(&str) -> Vec<String>) {
    for format in FORMATS {
        let mut argv = args(format);
        argv.extend(["--output".to_owned(), format.to_owned()]);
        let run = env.plexctl(&argv);
        run.expect_code(0);
        let ext = if format == "text" { "txt" } else { format };
        golden(
            &format!("{name}.{ext}"),
            &normalize(&run.stdout, &[&emu.url()]),
        );
        if format != "text" {
            check_parses(format, &run.stdout);
        }
    }
}

fn check_parses(format: &str, text: &str) {
    match format {
        "json" => drop(serde_json::from_str::<serde_json::Value>(text).expect("valid JSON")),
        _ => drop(serde_norway::from_str::<serde_norway::Value>(text).expect("valid YAML")),
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn golden_outputs() {
    let emu = Emulator::start(Config::fast()).unwrap();
    emu.add_service_identity(ServiceIdentitySpec::ClientCredentials {
        client_id: "svc-deployer".into(),
        client_secret: "s3cret".into(),
    });
    let env = Env::admin(&emu);
    let me = emu.admin_identity();

    // The token family; list first, while the emulator holds a known set of tokens.
    let (rotated, _) = emu.seed_token(&me, "stage", None);
    let rotated = rotated.to_string();
    env.plexctl(&["identity-tokens", "rotate", "--id", &rotated])
        .expect_code(0);
    each_format(&emu, &env, "list", |_| args(&["identity-tokens", "list"]));
    each_format(&emu, &env, "issue", |_| {
        args(&[
            "identity-tokens",
            "issue",
            "--identity-ref",
            &me,
            "--env-prefix",
            "prod",
            "--ttl",
            "24h",
        ])
    });
    each_format(&emu, &env, "rotate", |_| {
        args(&["identity-tokens", "rotate", "--id", &rotated])
    });
    each_format(&emu, &env, "delete", |_| {
        let (id, _) = emu.seed_token(&me, "dev", None);
        args(&["identity-tokens", "delete", "--id", &id.to_string()])
    });
    each_format(&emu, &env, "issue-service", |_| {
        args(&[
            "identity-tokens",
            "issue-service",
            "--client-id",
            "svc-deployer",
            "--grant-type",
            "client_credentials",
            "--client-secret",
            "s3cret",
            "--scope",
            "domain:read",
        ])
    });

    // Key rotation: a fresh Node per format for the trigger; one Node for the preview.
    each_format(&emu, &env, "key-rotate", |_| {
        let node = emu.add_node(2).node_id.to_string();
        args(&["key", "rotate", "--node", &node])
    });
    let node = emu.add_node(2).node_id.to_string();
    each_format(&emu, &env, "key-rotate-dry-run", |_| {
        args(&["key", "rotate", "--node", &node, "--dry-run"])
    });

    // Logout: a fresh session per format.
    each_format(&emu, &Env::new(), "logout-no-session", |_| {
        args(&["logout"])
    });
    let sessions: Vec<Env> = FORMATS
        .iter()
        .map(|_| {
            let env = Env::new();
            let (_, token) = emu.seed_token(&me, "prod", None);
            env.store_session("default", &emu.url(), &token, true);
            env
        })
        .collect();
    for (format, env) in FORMATS.iter().zip(&sessions) {
        let run = env.plexctl(&["logout", "--output", format]);
        run.expect_code(0);
        let ext = if *format == "text" { "txt" } else { format };
        golden(
            &format!("logout.{ext}"),
            &normalize(&run.stdout, &[&emu.url()]),
        );
    }
}
