//! The config file's properties: where it is found, the 0600 rule, symlinks, the default pointer,
//! atomic and locked writes across real processes, and a writer killed before its rename.
//!
//! Multi-process tests run the child binary `plexctl-config-child` (tests/support/config_child.rs,
//! its mode selected by `PLEXCTL_TEST_CHILD`), each child with an environment of its own, so no
//! test changes the environment of this process.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use plexctl_core::config::{self, ConfigFile};
use plexctl_core::{Client, Error, Secret};

const CHILD: &str = "PLEXCTL_TEST_CHILD";
const MARK: &str = "child-result: ";

/// A client that reads `path` as its config file and nothing from the environment.
fn with_config(path: &Path) -> Client {
    Client::builder()
        .config_path(path)
        .use_environment(false)
        .build()
        .unwrap()
}

/// A fresh config path in its own temporary directory (kept alive by the returned guard).
fn config_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plexctl").join("config.yaml");
    (dir, path)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Stores a session through a client built on `path`. Building resolves the default profile
/// from the file, so a refused file fails there already, with the same code.
fn add(path: &Path, name: &str, make_default: bool) -> Result<(), Error> {
    Client::builder()
        .config_path(path)
        .use_environment(false)
        .build()?
        .store_session(
            name,
            "https://plexsphere.example",
            &Secret::from(format!("psk_prod_{name}").as_str()),
            make_default,
        )
}

fn read(path: &Path) -> ConfigFile {
    config::read(path).unwrap().expect("the file exists")
}

fn write_private(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

/// The child binary in `mode`, with only the environment given here.
fn child(mode: &str, env: &[(&str, &Path)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plexctl-config-child"));
    cmd.env_clear()
        .env(CHILD, mode)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// The child's result line and exit code.
fn run(mut cmd: Command) -> (String, i32) {
    let Output { status, stdout, .. } = cmd.output().unwrap();
    let stdout = String::from_utf8(stdout).unwrap();
    let line = stdout
        .lines()
        .find_map(|l| l.split_once(MARK).map(|(_, rest)| rest))
        .unwrap_or_default()
        .to_owned();
    (line, status.code().unwrap_or(-1))
}

fn adder(path: &Path, profile: &str, go: &Path) -> Command {
    let mut cmd = child(
        "add",
        &[
            ("PLEXCTL_TEST_CONFIG", path),
            ("PLEXCTL_TEST_PROFILE", Path::new(profile)),
            ("PLEXCTL_TEST_GO", go),
        ],
    );
    cmd.stdout(Stdio::null());
    cmd
}

#[test]
fn the_file_is_located_in_the_contract_order() {
    let d = tempfile::tempdir().unwrap();
    let (explicit, xdg, home) = (
        d.path().join("explicit.yaml"),
        d.path().join("xdg"),
        d.path().join("home"),
    );
    let locate = |env: &[(&str, &Path)]| {
        let (line, code) = run(child("locate", env));
        assert_eq!(code, 0, "{line}");
        PathBuf::from(line)
    };
    let all: [(&str, &Path); 3] = [
        ("PLEXCTL_CONFIG", &explicit),
        ("XDG_CONFIG_HOME", &xdg),
        ("HOME", &home),
    ];
    assert_eq!(locate(&all), explicit);
    assert_eq!(locate(&all[1..]), xdg.join("plexctl/config.yaml"));
    assert_eq!(locate(&all[2..]), home.join(".config/plexctl/config.yaml"));
    // An empty variable counts as unset.
    assert_eq!(
        locate(&[("PLEXCTL_CONFIG", Path::new("")), all[2]]),
        home.join(".config/plexctl/config.yaml")
    );
    // An explicit path beats them all, and use_environment(false) reads none of them.
    assert_eq!(
        config::locate(Some(Path::new("/x/c.yaml")), true).unwrap(),
        Path::new("/x/c.yaml")
    );
    let (line, code) = run(child("locate", &[]));
    assert_eq!(code, 1, "no HOME, nothing to derive a path from: {line}");
}

#[test]
fn a_new_file_is_0600_in_a_0700_directory() {
    let (_d, path) = config_path();
    add(&path, "a", false).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    // Later rewrites keep it private, and leave no temporary file behind.
    add(&path, "b", false).unwrap();
    assert_eq!(mode(&path), 0o600);
    let mut names: Vec<_> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["config.yaml", "config.yaml.lock"]);
}

#[test]
fn a_wider_file_is_refused_before_it_is_read_and_never_rewritten() {
    let (_d, path) = config_path();
    // Not YAML at all: a parse error (exit 1) would mean the file was read before the mode check.
    write_private(&path, "token: psk_prod_secret\n: : :\n\t[");
    for m in [0o640, 0o604, 0o620, 0o602, 0o660, 0o666] {
        fs::set_permissions(&path, fs::Permissions::from_mode(m)).unwrap();
        let before = fs::read(&path).unwrap();
        let e = config::read(&path).unwrap_err();
        assert!(
            matches!(e, Error::InsecureConfig { mode, .. } if mode == m),
            "{e}"
        );
        assert_eq!(e.exit_code(), 3);
        assert!(e.to_string().contains("chmod 600"), "{e}");
        let e = add(&path, "x", true).unwrap_err();
        assert_eq!(e.exit_code(), 3, "{e}");
        assert_eq!(
            fs::read(&path).unwrap(),
            before,
            "a refused file is not rewritten"
        );
        assert_eq!(
            mode(&path),
            m,
            "and its mode is not changed behind the user's back"
        );
    }
    // Narrower than 0600, and the owner's execute bit, grant nothing to anyone else: accepted.
    fs::write(&path, "").unwrap();
    for m in [0o400, 0o600, 0o700] {
        fs::set_permissions(&path, fs::Permissions::from_mode(m)).unwrap();
        config::read(&path).unwrap();
    }
}

#[test]
fn a_parse_error_never_quotes_the_file() {
    let (_d, path) = config_path();
    write_private(
        &path,
        "profiles:\n  a:\n    token: psk_prod_hunter2hunter2\n  - [broken",
    );
    let e = config::read(&path).unwrap_err();
    assert_eq!(e.exit_code(), 1);
    assert_no_leak(&format!("{e} {e:?}"), "hunter2hunter2");
    assert!(e.to_string().contains("line"), "{e}");
}

#[test]
fn the_default_pointer_moves_correctly() {
    let (_d, path) = config_path();
    add(&path, "a", false).unwrap();
    assert_eq!(
        read(&path).default.as_deref(),
        Some("a"),
        "the first session becomes the default"
    );
    add(&path, "b", false).unwrap();
    assert_eq!(read(&path).default.as_deref(), Some("a"), "not moved");
    add(&path, "b", true).unwrap();
    assert_eq!(read(&path).default.as_deref(), Some("b"), "moved");
    add(&path, "a", false).unwrap();
    assert_eq!(
        read(&path).default.as_deref(),
        Some("b"),
        "a re-login keeps it"
    );
    let file = read(&path);
    assert_eq!(file.profiles.len(), 2);
    assert_eq!(
        file.profiles["a"].token.as_ref().unwrap().expose_secret(),
        "psk_prod_a"
    );
    // A client with no profile named resolves the pointer's profile.
    let c = Client::builder()
        .config_path(&path)
        .use_environment(false)
        .build()
        .unwrap();
    assert_eq!(c.token().unwrap().expose_secret(), "psk_prod_b");
    // A pointer to a profile that does not exist resolves nothing, and says where it looked.
    config::update(&path, |f| {
        f.default = Some("gone".into());
        Ok(())
    })
    .unwrap();
    let e = with_config(&path).list_tokens().unwrap_err();
    assert_eq!(e.exit_code(), 3);
    assert!(e.to_string().contains("config.yaml"), "{e}");
}

#[test]
fn unknown_keys_survive_every_rewrite() {
    let (_d, path) = config_path();
    write_private(
        &path,
        "editor: vim\nplugins: [a, b]\ndefault: a\nprofiles:\n  a:\n    server: https://a.example\n    token: psk_prod_a\n    color: blue\n    tags: {team: core}\n",
    );
    add(&path, "b", false).unwrap();
    config::update(&path, |f| {
        f.profiles.remove("b");
        Ok(())
    })
    .unwrap();
    let file = read(&path);
    assert_eq!(file.extra["editor"], serde_norway::Value::from("vim"));
    assert!(file.extra.contains_key("plugins"));
    assert_eq!(
        file.profiles["a"].extra["color"],
        serde_norway::Value::from("blue")
    );
    assert!(file.profiles["a"].extra.contains_key("tags"));
    assert_eq!(file.default.as_deref(), Some("a"));
}

#[test]
fn debug_output_shows_no_token_and_no_unknown_value() {
    let (_d, path) = config_path();
    write_private(
        &path,
        "vault_password: topsecretvalue\nprofiles:\n  a:\n    token: psk_prod_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH\n    api_key: anothersecretvalue\n",
    );
    let file = read(&path);
    let shown = format!("{file:?} {file:#?}");
    assert_no_leak(
        &shown,
        "psk_prod_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH",
    );
    assert_no_leak(&shown, "topsecretvalue");
    assert_no_leak(&shown, "anothersecretvalue");
    assert!(
        shown.contains("vault_password") && shown.contains("psk_prod_****"),
        "{shown}"
    );
}

#[test]
fn a_symlinked_config_is_followed_and_the_link_survives() {
    // Policy: follow the link, check and atomically replace its target, so the link survives.
    let d = tempfile::tempdir().unwrap();
    let real = d.path().join("dotfiles").join("plexctl.yaml");
    let link = d.path().join("plexctl").join("config.yaml");
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    // A dangling link: the first write creates the target, not a file in place of the link.
    symlink("../dotfiles/plexctl.yaml", &link).unwrap();
    add(&link, "a", true).unwrap();
    add(&link, "b", false).unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(mode(&real), 0o600);
    assert_eq!(read(&real).profiles.len(), 2);
    // The lock and the temporary files live beside the target.
    assert!(real.with_file_name("plexctl.yaml.lock").exists());
    assert_eq!(fs::read_dir(link.parent().unwrap()).unwrap().count(), 1);
    // A group-readable target is refused through the link too, even when the link itself is
    // (as links always are) 0777.
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(config::read(&link).unwrap_err().exit_code(), 3);
    assert_eq!(add(&link, "c", false).unwrap_err().exit_code(), 3);
}

#[test]
fn sixteen_processes_adding_profiles_all_survive() {
    let (d, path) = config_path();
    let go = d.path().join("go");
    let mut children: Vec<_> = (0..16)
        .map(|i| adder(&path, &format!("p{i:02}"), &go).spawn().unwrap())
        .collect();
    // Every child is running and polling: start them at once.
    std::thread::sleep(Duration::from_millis(200));
    fs::write(&go, "").unwrap();
    for c in &mut children {
        assert!(c.wait().unwrap().success());
    }
    let file = read(&path);
    let names: Vec<_> = file.profiles.keys().cloned().collect();
    assert_eq!(
        names,
        (0..16).map(|i| format!("p{i:02}")).collect::<Vec<_>>()
    );
    assert!(file.default.is_some());
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_writer_killed_before_the_rename_leaves_the_old_file() {
    // The crash point is the `test-hooks` feature's `PLEXCTL_TEST_CRASH_BEFORE_RENAME`: the child
    // aborts after the temporary file is written and fsynced, before the rename.
    let (d, path) = config_path();
    let go = d.path().join("go");
    fs::write(&go, "").unwrap();
    assert!(adder(&path, "first", &go).status().unwrap().success());
    let before = fs::read(&path).unwrap();
    let mut crashing = adder(&path, "second", &go);
    crashing.env("PLEXCTL_TEST_CRASH_BEFORE_RENAME", "1");
    let status = crashing.status().unwrap();
    assert!(
        !status.success(),
        "the child aborted between write and rename"
    );
    assert_eq!(fs::read(&path).unwrap(), before, "the old file is intact");
    let dir = path.parent().unwrap();
    let leftovers = || {
        fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".config.yaml.tmp.")
            })
            .count()
    };
    assert_eq!(leftovers(), 1, "the crashed writer's temporary file");
    let file = read(&path);
    assert!(file.profiles.contains_key("first") && !file.profiles.contains_key("second"));
    // The crashed writer's lock died with it; the next writer proceeds and removes its leftover,
    // which held a token.
    assert!(adder(&path, "third", &go).status().unwrap().success());
    assert!(read(&path).profiles.contains_key("third"));
    assert_eq!(leftovers(), 0);
}

#[test]
fn logout_from_the_environment_never_touches_plexsphere_token() {
    // PLEXSPHERE_TOKEN (and PLEXSPHERE_URL) are not a stored session: logout is a no-op, sends
    // nothing, and the token stays live.
    let emu = emulator();
    let (d, path) = config_path();
    let (_, token) = emu.seed_token(&emu.admin_identity(), "prod", None);
    let url = emu.url();
    let before = emu.requests();
    let (line, code) = run(child(
        "logout",
        &[
            ("PLEXSPHERE_TOKEN", Path::new(&token)),
            ("PLEXSPHERE_URL", Path::new(&url)),
            ("PLEXCTL_CONFIG", &path),
            ("HOME", d.path()),
        ],
    ));
    assert_eq!(
        (line.as_str(), code),
        ("No active session; nothing to do.", 0)
    );
    assert_eq!(emu.requests(), before);
    client_with(&emu, &token).list_tokens().unwrap();
    // No HOME and nothing else to find a file with: no file, so no session either.
    let (line, code) = run(child("logout", &[("PLEXSPHERE_TOKEN", Path::new(&token))]));
    assert_eq!(
        (line.as_str(), code),
        ("No active session; nothing to do.", 0)
    );
    // With the environment naming a file that holds a session, logout ends that one.
    with_config(&path)
        .store_session("default", &url, &Secret::from(token.as_str()), true)
        .unwrap();
    let (line, code) = run(child(
        "logout",
        &[
            ("PLEXCTL_CONFIG", path.as_path()),
            ("PLEXSPHERE_TOKEN", Path::new("psk_prod_notthesession")),
        ],
    ));
    assert_eq!(
        (line.as_str(), code),
        ("Logged out. Cleared profile \"default\".", 0)
    );
    assert_eq!(
        client_with(&emu, &token)
            .list_tokens()
            .unwrap_err()
            .status(),
        Some(401)
    );
}

#[test]
fn a_fifo_at_the_path_is_refused_at_once_never_read() {
    let (_dir, path) = config_path();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let started = Instant::now();
    let e = config::read(&path).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no hang on a FIFO"
    );
    assert_eq!(e.exit_code(), 3, "{e}");
    assert!(e.to_string().contains("not a regular file"), "{e}");
}

#[test]
fn a_file_owned_by_someone_else_is_refused() {
    let (_dir, path) = config_path();
    write_private(&path, "profiles: {}\n");
    let me = rustix::process::geteuid();
    let other = if me.is_root() {
        // Root can hand the file to nobody.
        rustix::fs::chown(&path, Some(rustix::process::Uid::from_raw(65534)), None).unwrap();
        path.clone()
    } else {
        // Anyone else can point at a file root owns.
        PathBuf::from("/etc/hostname")
    };
    let e = config::read(&other).unwrap_err();
    assert_eq!(e.exit_code(), 3, "{e}");
    assert!(e.to_string().contains("owned by uid"), "{e}");
}

#[test]
fn a_directory_others_can_write_is_refused_with_the_fix() {
    let (_dir, path) = config_path();
    write_private(&path, "profiles: {}\n");
    let dir = path.parent().unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o777)).unwrap();
    let e = config::read(&path).unwrap_err();
    assert_eq!(e.exit_code(), 3, "{e}");
    assert!(e.to_string().contains("chmod go-w"), "{e}");
    let e = add(&path, "x", false).unwrap_err();
    assert_eq!(e.exit_code(), 3, "{e}");
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    assert!(config::read(&path).unwrap().is_some());
}

#[test]
fn the_lock_file_is_never_opened_through_a_symlink() {
    let (dir, path) = config_path();
    write_private(&path, "profiles: {}\n");
    let elsewhere = dir.path().join("elsewhere");
    symlink(&elsewhere, path.with_file_name("config.yaml.lock")).unwrap();
    let e = add(&path, "x", false).unwrap_err();
    assert_eq!(e.exit_code(), 1, "{e}");
    assert!(e.to_string().contains("lock file"), "{e}");
    assert!(!elsewhere.exists(), "nothing was created through the link");
}

#[test]
fn an_oversized_file_is_refused_before_it_is_parsed() {
    let (_dir, path) = config_path();
    let big = format!("profiles: {{}}\n#{}\n", "x".repeat(2 << 20));
    write_private(&path, &big);
    let e = config::read(&path).unwrap_err();
    assert_eq!(e.exit_code(), 1, "{e}");
    assert!(e.to_string().contains("larger than 1024 KiB"), "{e}");
}

#[test]
fn a_blank_plexsphere_token_is_refused_and_a_padded_one_trimmed() {
    let emu = emulator();
    let url = PathBuf::from(emu.url());
    let before = emu.requests();
    let blank = PathBuf::from(" \n\t");
    let (line, code) = run(child(
        "list",
        &[("PLEXSPHERE_URL", &url), ("PLEXSPHERE_TOKEN", &blank)],
    ));
    assert_eq!(code, 3, "{line}");
    assert!(line.contains("PLEXSPHERE_TOKEN is empty"), "{line}");
    assert_eq!(emu.requests(), before, "a blank bearer is never sent");
    let padded = PathBuf::from(format!("  {}\n", emu.admin_token()));
    let (line, code) = run(child(
        "list",
        &[("PLEXSPHERE_URL", &url), ("PLEXSPHERE_TOKEN", &padded)],
    ));
    assert_eq!((code, line.ends_with("tokens")), (0, true), "{line}");
}

#[test]
fn unknown_content_survives_a_rewrite_to_the_value() {
    let (_dir, path) = config_path();
    let original = "\
team: {name: platform, ids: [1, 2, 3], ratio: 0.5, on: true, none: ~, 7: nested numeric key}
profiles:
  old:
    server: https://a.example
    token: psk_prod_old
    note: keep me
";
    write_private(&path, original);
    add(&path, "new", false).unwrap();
    let before: serde_norway::Value = serde_norway::from_str(original).unwrap();
    let after: serde_norway::Value =
        serde_norway::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(after["team"], before["team"]);
    assert_eq!(after["profiles"]["old"]["note"], "keep me");
}

#[test]
fn content_a_rewrite_would_change_is_refused_and_left_untouched() {
    for (text, what) in [
        (
            "mode: 0o600\n",
            "\"0o600\", which would be rewritten as \"384\"",
        ),
        ("mask: 0x1F\n", "rewritten as \"31\""),
        ("flag: True\n", "rewritten as \"true\""),
        ("big: 1e3\n", "rewritten as"),
        ("base: &b {x: 1}\nother: *b\n", "an anchor"),
        ("1: numeric key\n", "rewritten as the string"),
        ("profiles:\n  p:\n    true: x\n", "rewritten as the string"),
    ] {
        let (_dir, path) = config_path();
        write_private(&path, text);
        let e = add(&path, "p", false).unwrap_err();
        assert_eq!(e.exit_code(), 1, "{text}: {e}");
        let shown = e.to_string();
        assert!(
            shown.contains("refusing to rewrite") && shown.contains(what),
            "{text}: {shown}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "left untouched");
    }
    // What the YAML layer cannot even hold is refused when read, and never written.
    for text in [
        "big: 123456789012345678901234567890\n",
        "custom: !thing {a: 1}\n",
    ] {
        let (_dir, path) = config_path();
        write_private(&path, text);
        let e = add(&path, "p", false).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("are not read"), "{e}");
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }
}
