//! Where output and plaintexts go: `-o/--output-file` (0600, no overwrite without `--yes`),
//! `--plaintext-file` and `--plaintext-fd` (the plaintext never reaches stdout or stderr), and a
//! plaintext recovered from a malformed answer (shown once, not lost).

mod common;

use common::{Env, mode};
use plexctl_emulator::{Config, Emulator, Fault, FaultKind};

fn issue_args(emu: &Emulator) -> Vec<String> {
    ["identity-tokens", "issue", "--identity-ref"]
        .into_iter()
        .map(str::to_owned)
        .chain([emu.admin_identity(), "--env-prefix".into(), "prod".into()])
        .collect()
}

fn with(mut args: Vec<String>, more: &[&str]) -> Vec<String> {
    args.extend(more.iter().map(|s| (*s).to_owned()));
    args
}

/// The psk plaintexts in `text`.
fn plaintexts(text: &str) -> Vec<String> {
    common::pieces(text)
        .into_iter()
        .filter_map(|p| match p {
            common::Piece::Psk { value, .. } => Some(value),
            _ => None,
        })
        .collect()
}

/// The plaintext authenticates: it is a live token, not a copy of something else.
fn authenticates(emu: &Emulator, plaintext: &str) {
    Env::new()
        .var("PLEXSPHERE_URL", &emu.url())
        .var("PLEXSPHERE_TOKEN", plaintext)
        .plexctl(&["identity-tokens", "list"])
        .expect_code(0);
}

#[test]
fn output_file_is_private_and_never_overwritten_without_yes() {
    let emu = Emulator::start(Config::fast()).unwrap();
    let env = Env::admin(&emu);
    let out = env.dir().join("issued.txt");

    let run = env.plexctl(&with(issue_args(&emu), &["-o", "issued.txt"]));
    run.expect_code(0);
    assert_eq!(run.stdout, "", "everything went to the file");
    assert_eq!(mode(&out), 0o600);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with(plexctl_core::tokens::ONE_TIME_BANNER),
        "{text}"
    );
    let [plaintext] = &plaintexts(&text)[..] else {
        panic!("{text}")
    };
    authenticates(&emu, plaintext);

    // An existing file: refused before anything is sent, left as it was.
    let before = emu.requests();
    let run = env.plexctl(&with(issue_args(&emu), &["--output-file", "issued.txt"]));
    run.expect_code(2);
    assert!(run.stderr.contains("exists; pass --yes"), "{run:#?}");
    assert_eq!(emu.requests(), before);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);

    // With --yes it is replaced, by a new private file, even over a wider one.
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    env.plexctl(&[
        "identity-tokens",
        "list",
        "--output",
        "json",
        "-o",
        "issued.txt",
        "--yes",
    ])
    .expect_code(0);
    assert_eq!(mode(&out), 0o600);
    let list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(list.as_array().is_some_and(|l| l.len() == 2), "{list}");

    // A failed command leaves no file behind, and leaves a file it was to replace untouched.
    emu.deny(&emu.admin_identity(), true);
    env.plexctl(&["identity-tokens", "list", "-o", "denied.txt"])
        .expect_code(4);
    assert!(!env.dir().join("denied.txt").exists());
    let kept = std::fs::read_to_string(&out).unwrap();
    env.plexctl(&["identity-tokens", "list", "-o", "issued.txt", "--yes"])
        .expect_code(4);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), kept);
    let leftovers: Vec<_> = std::fs::read_dir(env.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".plexctl-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn plaintext_file_keeps_the_plaintext_off_stdout() {
    let emu = Emulator::start(Config::fast()).unwrap();
    let env = Env::admin(&emu);
    let secret = env.dir().join("token.psk");

    let run = env.plexctl(&with(issue_args(&emu), &["--plaintext-file", "token.psk"]));
    run.expect_code(0);
    assert!(plaintexts(&run.stdout).is_empty() && plaintexts(&run.stderr).is_empty());
    assert!(!run.stdout.contains("WARNING"), "{run:#?}");
    assert!(run.stdout.starts_with("id:          "), "{run:#?}");
    assert!(run.stderr.contains("written to token.psk"), "{run:#?}");
    assert_eq!(mode(&secret), 0o600);
    let plaintext = std::fs::read_to_string(&secret).unwrap();
    assert_eq!(plaintexts(&plaintext), [plaintext.trim_end()]);
    assert!(plaintext.ends_with('\n'));
    authenticates(&emu, plaintext.trim_end());
    // The file is a token file as --token-file reads it.
    Env::new()
        .var("PLEXSPHERE_URL", &emu.url())
        .plexctl(&[
            "identity-tokens".as_ref(),
            "list".as_ref(),
            "--token-file".as_ref(),
            secret.as_os_str(),
        ])
        .expect_code(0);

    // It exists now: refused before the wire, untouched; --yes replaces it.
    let id = plexctl_core::psk::token_id(plaintext.trim_end())
        .unwrap()
        .to_string();
    let before = emu.requests();
    let run = env.plexctl(&[
        "identity-tokens",
        "rotate",
        "--id",
        &id,
        "--plaintext-file",
        "token.psk",
    ]);
    run.expect_code(2);
    assert_eq!(emu.requests(), before);
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), plaintext);
    let run = env.plexctl(&[
        "identity-tokens",
        "rotate",
        "--id",
        &id,
        "--plaintext-file",
        "token.psk",
        "--yes",
        "--output",
        "json",
    ]);
    run.expect_code(0);
    let shown: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(shown.get("plaintext").is_none(), "{shown}");
    assert_eq!(shown["id"], id);
    let rotated = std::fs::read_to_string(&secret).unwrap();
    assert_ne!(rotated, plaintext);
    assert_eq!(mode(&secret), 0o600);
    authenticates(&emu, rotated.trim_end());

    // -o and --plaintext-file naming one file would put the plaintext back with the output.
    env.plexctl(&with(
        issue_args(&emu),
        &["--plaintext-file", "same", "-o", "same"],
    ))
    .expect_code(2);
    // Both destinations at once is a usage error.
    env.plexctl(&with(
        issue_args(&emu),
        &["--plaintext-file", "x", "--plaintext-fd", "3"],
    ))
    .expect_code(2);
    // A failed issue leaves no plaintext file behind.
    emu.deny(&emu.admin_identity(), true);
    env.plexctl(&with(issue_args(&emu), &["--plaintext-file", "never.psk"]))
        .expect_code(4);
    assert!(!env.dir().join("never.psk").exists());
}

#[test]
fn plaintext_fd_writes_to_the_callers_descriptor() {
    let emu = Emulator::start(Config::fast()).unwrap();
    emu.add_service_identity(plexctl_emulator::ServiceIdentitySpec::ClientCredentials {
        client_id: "svc".into(),
        client_secret: "svc-secret".into(),
    });
    let env = Env::admin(&emu);
    let identity = emu.admin_identity();

    let run = env.sh(&format!(
        "plexctl identity-tokens issue --identity-ref {identity} --env-prefix stage \
         --plaintext-fd 3 --output yaml 3>fd.out"
    ));
    run.expect_code(0);
    assert!(plaintexts(&run.stdout).is_empty() && plaintexts(&run.stderr).is_empty());
    assert!(run.stdout.contains("env_prefix: stage"), "{run:#?}");
    assert!(run.stderr.contains("file descriptor 3"), "{run:#?}");
    let plaintext = std::fs::read_to_string(env.dir().join("fd.out")).unwrap();
    assert!(plaintext.starts_with("psk_stage_"), "{plaintext}");
    authenticates(&emu, plaintext.trim_end());

    // A pipe works too: the access token of a service grant, read by the next process.
    let run = env.sh(
        "plexctl identity-tokens issue-service --client-id svc --grant-type client_credentials \
         --client-secret svc-secret --plaintext-fd 3 3>&1 >/dev/null | wc -c",
    );
    run.expect_code(0);
    assert_eq!(
        run.stdout.trim(),
        "54",
        "psk_prod_ + 44 + newline: {run:#?}"
    );

    // Refused before the wire: the standard descriptors, one not open, one open read-only.
    for (script, says) in [
        ("--plaintext-fd 1", "3 or above"),
        ("--plaintext-fd 2", "3 or above"),
        ("--plaintext-fd 9", "not open"),
        ("--plaintext-fd 3 3<fd.out", "not open for writing"),
    ] {
        let before = emu.requests();
        let run = env.sh(&format!(
            "plexctl identity-tokens issue --identity-ref {identity} --env-prefix prod {script}"
        ));
        run.expect_code(2);
        assert!(run.stderr.contains(says), "{script}: {run:#?}");
        assert_eq!(emu.requests(), before, "{script}");
    }
}

#[test]
fn a_plaintext_in_a_malformed_answer_is_shown_once_not_lost() {
    let emu = Emulator::start(Config::fast()).unwrap();
    let env = Env::admin(&emu);

    // The server minted the token but its answer's expires_at is garbage: exit 1, and the
    // plaintext is on stdout under the banner, exactly once.
    emu.set_fault(Some(Fault::new(FaultKind::IssueBadExpiry).count(1)));
    let run = env.plexctl(&issue_args(&emu));
    run.expect_code(1);
    assert!(run.stderr.contains("did mint the token"), "{run:#?}");
    assert!(
        run.stdout
            .starts_with(plexctl_core::tokens::ONE_TIME_BANNER)
    );
    let [plaintext] = &plaintexts(&run.stdout)[..] else {
        panic!("{run:#?}")
    };
    assert!(plaintexts(&run.stderr).is_empty());
    authenticates(&emu, plaintext);

    // With --plaintext-file it lands in the file instead; the same for a rotation.
    let id = plexctl_core::psk::token_id(plaintext).unwrap().to_string();
    emu.set_fault(Some(Fault::new(FaultKind::RotateBadExpiry).count(1)));
    let run = env.plexctl(&[
        "identity-tokens",
        "rotate",
        "--id",
        &id,
        "--plaintext-file",
        "rescued.psk",
    ]);
    run.expect_code(1);
    assert!(plaintexts(&run.stdout).is_empty() && plaintexts(&run.stderr).is_empty());
    let rescued = std::fs::read_to_string(env.dir().join("rescued.psk")).unwrap();
    assert_ne!(rescued.trim_end(), plaintext);
    authenticates(&emu, rescued.trim_end());
}
