//! The plexctl documentation's examples (seeds 000 identity-tokens, 001 logout, 002 key rotate),
//! run verbatim under `/bin/sh` against the emulator, their output compared with the
//! documentation's text.
//!
//! What is verbatim: each command block below is the documentation's, character for character
//! (seed 001 lost its line breaks when it was scraped; they are restored at the `#` comments and
//! `echo`). What stands in for the reader's world:
//! - the environment: `PLEXSPHERE_URL` is the emulator, `PLEXSPHERE_TOKEN` its admin token (the
//!   examples assume a resolved credential), `HOME` a fresh directory;
//! - ids: a documented id stands for an object the reader has. The issue example's output binds
//!   `0190a8c0-…a3` to the token the emulator really issued, so the rotate example that follows
//!   rotates that token; `0190a8b8-b1c1-…` is bound to a Node the test registers. A bound id is
//!   replaced by its real one in the command before it runs, and must reappear consistently in
//!   the output;
//! - `/run/secrets/svc-deployer.secret` is a file in `HOME` holding the client secret;
//! - the seed's `https://localhost:8080` (the default `PLEXSPHERE_URL` of seed 002) is the
//!   emulator's URL.
//!
//! Output is matched piece by piece: literal text exactly, timestamps by pattern, ids and
//! plaintexts by pattern and by binding (see `common::Matcher`).

mod common;

use common::{Env, Matcher};
use plexctl_emulator::{Config, Emulator, RetriggerMode, ServiceIdentitySpec};

/// Seed 000, "Issue a User-bound API token for the prod environment".
const ISSUE: &str = r#"plexctl identity-tokens issue \
  --server "${PLEXSPHERE_URL}" \
  --identity-ref user:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2 \
  --env-prefix prod \
  --ttl 24h"#;

const ISSUE_OUTPUT: &str = "# WARNING: this is the only time this plaintext will be displayed
psk_prod_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx

id:          0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3
env_prefix:  prod
expires_at:  2026-05-02T10:00:00Z
";

/// Seed 000, "Rotate a token, observing the rotation deadline".
const ROTATE: &str = r#"plexctl identity-tokens rotate \
  --server "${PLEXSPHERE_URL}" \
  --id 0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3"#;

const ROTATE_OUTPUT: &str = "# WARNING: this is the only time this plaintext will be displayed
psk_prod_yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy

id:                 0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3
env_prefix:         prod
expires_at:         2026-05-09T10:00:00Z
rotation_deadline:  2026-05-03T10:00:00Z
";

/// Seed 000, "Mint a service access token (client_credentials grant)". The seed shows no output;
/// the program prints the access token once, under the banner, then the fields.
const ISSUE_SERVICE: &str = r#"plexctl identity-tokens issue-service \
  --server "${PLEXSPHERE_URL}" \
  --client-id svc-deployer \
  --grant-type client_credentials \
  --client-secret "$(cat /run/secrets/svc-deployer.secret)" \
  --scope "domain:read project:deploy""#;

const ISSUE_SERVICE_OUTPUT: &str =
    "# WARNING: this is the only time this plaintext will be displayed
psk_prod_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz

token_type:  Bearer
expires_in:  3600
scope:       domain:read project:deploy
expires_at:  2026-05-02T11:00:00+00:00
";

/// Seed 000, "Refusal: mismatched grant flags (exit 1)", with its comments.
const REFUSAL: &str = r#"plexctl identity-tokens issue-service \
  --client-id svc-deployer \
  --grant-type urn:ietf:params:oauth:grant-type:jwt-bearer \
  --client-secret hunter2
# stderr: plexctl: --client-secret must not be set for grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
echo "exit=$?"   # exit=1"#;

/// The `# stdout:` / `# stderr:` comment of an example, as the program must print it.
fn commented(block: &str, stream: &str) -> String {
    let marker = format!("# {stream}: ");
    block
        .lines()
        .filter_map(|l| l.split_once(&marker).map(|(_, text)| format!("{text}\n")))
        .collect()
}

#[test]
fn seed_000_identity_tokens_examples() {
    let emu = Emulator::start(Config::fast()).unwrap();
    emu.add_service_identity(ServiceIdentitySpec::ClientCredentials {
        client_id: "svc-deployer".into(),
        client_secret: "s3cret-from-the-secret-store".into(),
    });
    let env = Env::admin(&emu);
    std::fs::write(
        env.dir().join("svc-deployer.secret"),
        "s3cret-from-the-secret-store",
    )
    .unwrap();
    let mut m = Matcher::new();

    let issued = env.sh(ISSUE);
    issued.expect_code(0);
    m.check(ISSUE_OUTPUT, &issued.stdout).unwrap();
    assert_eq!(issued.stderr, "");
    let id = m
        .get("0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3")
        .unwrap()
        .to_owned();
    let first = m
        .get("psk_prod_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
        .unwrap()
        .to_owned();
    // The plaintext is a real psk of the token it names, and the TTL was applied.
    assert_eq!(plexctl_core::psk::token_id(&first).unwrap().to_string(), id);
    assert_ttl(&issued.stdout, "expires_at:", 24 * 3600);

    let rotated = env.sh(&m.substitute(ROTATE));
    rotated.expect_code(0);
    m.check(ROTATE_OUTPUT, &rotated.stdout).unwrap();
    assert_eq!(rotated.stderr, "");
    let second = m
        .get("psk_prod_yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy")
        .unwrap()
        .to_owned();
    assert_ne!(first, second, "rotation prints a new plaintext");
    // Until the deadline both plaintexts authenticate.
    for token in [&first, &second] {
        Env::new()
            .var("PLEXSPHERE_URL", &emu.url())
            .var("PLEXSPHERE_TOKEN", token)
            .plexctl(&["identity-tokens", "list"])
            .expect_code(0);
    }

    let script = ISSUE_SERVICE.replace(
        "/run/secrets/svc-deployer.secret",
        &env.dir().join("svc-deployer.secret").display().to_string(),
    );
    let minted = env.sh(&script);
    minted.expect_code(0);
    m.check(ISSUE_SERVICE_OUTPUT, &minted.stdout).unwrap();
    assert!(!minted.stdout.contains("s3cret") && !minted.stderr.contains("s3cret"));

    let refused = env.sh(REFUSAL);
    assert_eq!(refused.code, 0, "the block ends with echo: {refused:#?}");
    assert_eq!(refused.stdout, "exit=1\n");
    assert_eq!(refused.stderr, commented(REFUSAL, "stderr"));
    assert!(!refused.stderr.contains("hunter2"));
}

/// The line `key:` names holds a timestamp `secs` from now (within a minute).
fn assert_ttl(text: &str, key: &str, secs: i64) {
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap()
        .trim();
    let at =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).unwrap();
    let off = (at - time::OffsetDateTime::now_utc()).whole_seconds() - secs;
    assert!(off.abs() < 60, "{key} {value} is {off}s off");
}

/// Seed 001, "End the active session".
const LOGOUT: &str = r#"plexctl logout
# stdout: Logged out. Cleared profile "default".
echo $? # 0"#;

/// Seed 001, "End a specific profile's session".
const LOGOUT_PROFILE: &str = r#"plexctl --profile staging logout
# stdout: Logged out. Cleared profile "staging"."#;

/// Seed 001, "No active session (no-op)".
const LOGOUT_NOOP: &str = r#"plexctl logout
# stderr: No active session; nothing to do.
echo $? # 0"#;

/// Seed 001, "JSON summary for CI scripts", and the summary it shows.
const LOGOUT_JSON: &str = "plexctl logout --output json";
const LOGOUT_JSON_OUTPUT: &str = r#"{
"profile": "default",
"server": "https://localhost:8080",
"revoked": true
}"#;

#[test]
fn seed_001_logout_examples() {
    let emu = Emulator::start(Config::fast()).unwrap();
    let admin = emu.admin_identity();
    let session = |env: &Env, profile: &str, default: bool| {
        let (_, token) = emu.seed_token(&admin, "prod", None);
        env.store_session(profile, &emu.url(), &token, default);
        token
    };

    // End the active session: stdout as commented, then `echo $?` prints 0.
    let env = Env::new();
    let token = session(&env, "default", true);
    let run = env.sh(LOGOUT);
    run.expect_code(0);
    assert_eq!(run.stdout, format!("{}0\n", commented(LOGOUT, "stdout")));
    assert_eq!(run.stderr, "");
    assert!(!env.config_text().unwrap().contains("default"));
    assert_revoked(&emu, &token);

    // A specific profile: only it is revoked and removed; the default stays.
    let env = Env::new();
    let kept = session(&env, "default", true);
    let token = session(&env, "staging", false);
    let run = env.sh(LOGOUT_PROFILE);
    run.expect_code(0);
    assert_eq!(run.stdout, commented(LOGOUT_PROFILE, "stdout"));
    let config = env.config_text().unwrap();
    assert!(
        !config.contains("staging") && config.contains("default: default"),
        "{config}"
    );
    assert_revoked(&emu, &token);
    Env::new()
        .var("PLEXSPHERE_URL", &emu.url())
        .var("PLEXSPHERE_TOKEN", &kept)
        .plexctl(&["identity-tokens", "list"])
        .expect_code(0);

    // No active session: the note on stderr, nothing sent, exit 0.
    let env = Env::new();
    let before = emu.requests();
    let run = env.sh(LOGOUT_NOOP);
    run.expect_code(0);
    assert_eq!(run.stdout, "0\n");
    assert_eq!(run.stderr, commented(LOGOUT_NOOP, "stderr"));
    assert_eq!(emu.requests(), before);

    // The JSON summary, its server being the reader's PLEXSPHERE_URL.
    let env = Env::new();
    session(&env, "default", true);
    let run = env.sh(LOGOUT_JSON);
    run.expect_code(0);
    let want: serde_json::Value =
        serde_json::from_str(&LOGOUT_JSON_OUTPUT.replace("https://localhost:8080", &emu.url()))
            .unwrap();
    let got: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(got, want);
}

fn assert_revoked(emu: &Emulator, token: &str) {
    Env::new()
        .var("PLEXSPHERE_URL", &emu.url())
        .var("PLEXSPHERE_TOKEN", token)
        .plexctl(&["identity-tokens", "list"])
        .expect_code(1);
}

/// Seed 002, "Trigger a rotation".
const KEY_ROTATE: &str = r#"export PLEXSPHERE_URL="${PLEXSPHERE_URL:-https://localhost:8080}"

plexctl key rotate \
  --server "${PLEXSPHERE_URL}" \
  --node   0190a8b8-b1c1-7b1b-8b1b-b1b1b1b1b1b1"#;

/// The seed prints no output; it names the handle's fields (rotation_id, node_id, state,
/// requested_at). The program shows them, the peer and the already_pending flag.
const KEY_ROTATE_OUTPUT: &str = "rotation_id:      0190a8b8-a0c0-7a0a-8a0a-a0a0a0a0a0a4
node_id:          0190a8b8-b1c1-7b1b-8b1b-b1b1b1b1b1b1
peer_id:          0190a8b8-a0c0-7a0a-8a0a-a0a0a0a0a0a5
state:            pending
requested_at:     2026-05-02T10:00:00+00:00
already_pending:  false
";

/// Seed 002, "Preview the impact without recording".
const KEY_PREVIEW: &str = r#"plexctl key rotate \
  --server "${PLEXSPHERE_URL}" \
  --node   0190a8b8-b1c1-7b1b-8b1b-b1b1b1b1b1b1 \
  --dry-run \
  --output json"#;

#[test]
fn seed_002_key_rotate_examples() {
    let emu = Emulator::start(Config::fast()).unwrap();
    let node = emu.add_node(3);
    let env = Env::admin(&emu);
    let mut m = Matcher::new();
    m.bind(
        "0190a8b8-b1c1-7b1b-8b1b-b1b1b1b1b1b1",
        &node.node_id.to_string(),
    );

    let run = env.sh(&m.substitute(KEY_ROTATE));
    run.expect_code(0);
    m.check(KEY_ROTATE_OUTPUT, &run.stdout).unwrap();
    assert_eq!(
        m.get("0190a8b8-a0c0-7a0a-8a0a-a0a0a0a0a0a5"),
        Some(node.peer_id.to_string().as_str())
    );
    let rotation = emu.pending_rotation(node.node_id).unwrap().to_string();
    assert_eq!(
        m.get("0190a8b8-a0c0-7a0a-8a0a-a0a0a0a0a0a4"),
        Some(rotation.as_str())
    );

    // The preview in JSON: the full edge list, which text mode collapses into a count.
    let before = emu.pending_rotation(node.node_id);
    let run = env.sh(&m.substitute(KEY_PREVIEW));
    run.expect_code(0);
    let got: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(got["node_id"], node.node_id.to_string());
    assert_eq!(got["peer_id"], node.peer_id.to_string());
    assert_eq!(got["affected_peer_count"], 3);
    assert_eq!(got["already_pending"], true);
    assert_eq!(
        got["affected_edges"],
        serde_json::to_value(&node.edges).unwrap()
    );
    assert!(got["estimated_duration_seconds"].is_u64());
    assert_eq!(
        emu.pending_rotation(node.node_id),
        before,
        "a preview records nothing"
    );

    // The re-trigger is idempotent, answered 200 or 409 by the deployment: exit 0 both ways.
    for mode in [RetriggerMode::Ok200, RetriggerMode::Conflict409] {
        emu.set_config(|c| c.retrigger_mode = mode);
        let run = env.sh(&m.substitute(KEY_ROTATE));
        run.expect_code(0);
        assert!(
            run.stdout.contains("already_pending:  true\n"),
            "{}",
            run.stdout
        );
    }
}

/// Each synopsis line of seeds 000 and 002, placeholders filled in, is accepted and succeeds.
#[test]
fn synopses_parse_and_run() {
    let emu = Emulator::start(Config::fast()).unwrap();
    emu.add_service_identity(ServiceIdentitySpec::ClientCredentials {
        client_id: "svc-cc".into(),
        client_secret: "cc-secret".into(),
    });
    emu.add_service_identity(ServiceIdentitySpec::JwtBearer {
        client_id: "svc-jwt".into(),
        subject: "spiffe://plexsphere.test/svc".into(),
    });
    let assertion = emu.sign_assertion(&plexctl_emulator::AssertionSpec {
        sub: "spiffe://plexsphere.test/svc".into(),
        aud: None,
        expires_in: 300,
        forged: false,
    });
    let node = emu.add_node(1);
    let env = Env::admin(&emu);
    let (token, _) = emu.seed_token(&emu.admin_identity(), "dev", None);
    let (doomed, _) = emu.seed_token(&emu.admin_identity(), "dev", None);
    let lines = [
        format!(
            "plexctl identity-tokens issue         --identity-ref {} --env-prefix dev --ttl 1h",
            emu.admin_identity()
        ),
        "plexctl identity-tokens issue         --identity-ref service:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2 --env-prefix stage".into(),
        "plexctl identity-tokens list".into(),
        format!("plexctl identity-tokens delete        --id {doomed}"),
        format!("plexctl identity-tokens rotate        --id {token}"),
        "plexctl identity-tokens issue-service --client-id svc-cc --grant-type client_credentials --client-secret cc-secret --scope 'a b'".into(),
        format!("plexctl identity-tokens issue-service --client-id svc-jwt --grant-type urn:ietf:params:oauth:grant-type:jwt-bearer --client-assertion {assertion} --scope a"),
        format!("plexctl key rotate --node {}", node.node_id),
        format!("plexctl key rotate --node {} --dry-run", node.node_id),
    ];
    for line in lines {
        let run = env.sh(&line);
        assert_eq!(run.code, 0, "{line}\n{run:#?}");
    }
}

#[test]
fn the_matcher_binds_ids_consistently() {
    let mut m = Matcher::new();
    let doc = "id: 0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3\n";
    m.check(doc, "id: 01a2123b-bdcf-7214-bcde-de3aa5e8b590\n")
        .unwrap();
    assert!(
        m.check(doc, "id: 01a2123b-bdf1-7735-8cf5-c0939caece68\n")
            .is_err()
    );
    assert!(
        m.check(
            "x: 0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a4\n",
            "x: 01a2123b-bdcf-7214-bcde-de3aa5e8b590\n"
        )
        .is_err(),
        "two documented ids cannot be one real id"
    );
    assert!(m.check("a  b\n", "a b\n").is_err(), "alignment is literal");
    assert!(
        m.check(
            "t: 2026-05-02T10:00:00Z\n",
            "t: 2026-11-25T10:23:54.832270407Z\n"
        )
        .is_ok()
    );
}
