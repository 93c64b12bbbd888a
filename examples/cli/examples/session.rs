//! A short `plexctl` session against the plexsphere emulator, started in-process on loopback:
//! each command as a user types it, then what the real binary prints.
//!
//! ```text
//! cargo run -p plexctl-cli --example session
//! ```
//!
//! It builds `plexctl` first (the example cannot depend on a binary), or uses `$PLEXCTL_BIN`.
//! `tests/session.rs` runs the same session and checks it.
#![allow(dead_code)] // `main` is unused when the test includes this file as a module.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use plexctl_emulator::{Config, Emulator, ServiceIdentitySpec};

fn main() -> std::process::ExitCode {
    let result = locate_plexctl().and_then(|bin| run(&bin, &mut std::io::stdout()));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("session: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `$PLEXCTL_BIN`, or the `plexctl` cargo builds beside this example.
fn locate_plexctl() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("PLEXCTL_BIN") {
        return Ok(bin.into());
    }
    let cargo = std::env::var_os("CARGO").ok_or("set PLEXCTL_BIN or run through cargo")?;
    let mut build = Command::new(cargo);
    build.args(["build", "-q", "-p", "plexctl-cli", "--bin", "plexctl"]);
    if !cfg!(debug_assertions) {
        build.arg("--release");
    }
    let status = build.status().map_err(|e| format!("cargo build: {e}"))?;
    if !status.success() {
        return Err("cargo build -p plexctl-cli failed".into());
    }
    // target/<profile>/examples/session → target/<profile>/plexctl
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("plexctl"))
        .ok_or("no target directory")?;
    Ok(bin)
}

/// Runs the session with `plexctl`, writing the transcript to `out`.
pub fn run(plexctl: &Path, out: &mut dyn Write) -> Result<(), String> {
    let emu = Emulator::start(Config::fast()).map_err(|e| format!("emulator: {e}"))?;
    emu.add_service_identity(ServiceIdentitySpec::ClientCredentials {
        client_id: "svc-deployer".into(),
        client_secret: "s3cret".into(),
    });
    let node = emu.add_node(3).node_id;
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::write(home.path().join("svc-deployer.secret"), "s3cret").map_err(|e| e.to_string())?;
    let s = Shell {
        plexctl,
        home: home.path(),
        vars: vec![
            ("PLEXSPHERE_URL", emu.url()),
            ("PLEXSPHERE_TOKEN", emu.admin_token().to_owned()),
        ],
    };
    let w =
        |out: &mut dyn Write, text: &str| out.write_all(text.as_bytes()).map_err(|e| e.to_string());
    w(
        out,
        &format!(
            "# A plexsphere emulator listens on {}; PLEXSPHERE_URL and PLEXSPHERE_TOKEN (its admin)\n\
             # are exported, so no command needs --server or a token.\n",
            emu.url()
        ),
    )?;

    let issued = s.run(
        out,
        &format!(
            "plexctl identity-tokens issue --identity-ref {} --env-prefix prod --ttl 24h",
            emu.admin_identity()
        ),
    )?;
    let id = issued
        .lines()
        .find_map(|l| l.strip_prefix("id:"))
        .map(str::trim)
        .ok_or("issue printed no id")?
        .to_owned();
    s.run(out, "plexctl identity-tokens list")?;
    s.run(
        out,
        &format!("plexctl identity-tokens rotate --id {id} --output yaml"),
    )?;
    s.run(
        out,
        "plexctl identity-tokens issue-service --client-id svc-deployer --grant-type client_credentials \\\n    \
         --client-secret \"$(cat svc-deployer.secret)\" --plaintext-file access.psk && ls -l access.psk | cut -c1-10",
    )?;
    s.run(
        out,
        "plexctl identity-tokens issue-service --client-id svc-deployer \\\n    \
         --grant-type urn:ietf:params:oauth:grant-type:jwt-bearer --client-secret hunter2; echo \"exit=$?\"",
    )?;
    s.run(out, &format!("plexctl key rotate --node {node} --dry-run"))?;
    s.run(out, &format!("plexctl key rotate --node {node}"))?;
    s.run(
        out,
        &format!("plexctl key rotate --node {node} --output json"),
    )?;
    s.run(
        out,
        "plexctl key rotate --node 0190a8b8-b1c1-7b1b-8b1b-b1b1b1b1b1b1; echo \"exit=$?\"",
    )?;
    s.run(out, &format!("plexctl identity-tokens delete --id {id}"))?;

    // A stored session, as `plexctl login` leaves one (the emulator has no device flow yet).
    let (_, session) = emu.seed_token(&emu.admin_identity(), "prod", None);
    plexctl_core::Client::builder()
        .config_path(home.path().join(".config/plexctl/config.yaml"))
        .use_environment(false)
        .build()
        .and_then(|c| {
            c.store_session(
                "default",
                &emu.url(),
                &plexctl_core::Secret::from(session),
                true,
            )
        })
        .map_err(|e| e.to_string())?;
    w(
        out,
        "\n# ~/.config/plexctl/config.yaml now holds a session in profile \"default\".\n",
    )?;
    s.run(out, "plexctl logout")?;
    s.run(out, "plexctl logout")?;
    Ok(())
}

/// Runs commands under `/bin/sh` in `home` with `plexctl` on PATH.
struct Shell<'a> {
    plexctl: &'a Path,
    home: &'a Path,
    vars: Vec<(&'static str, String)>,
}

impl Shell<'_> {
    /// Prints `$ script`, runs it, prints what it printed (stdout, then stderr) and returns its
    /// stdout.
    fn run(&self, out: &mut dyn Write, script: &str) -> Result<String, String> {
        let dir = self.plexctl.parent().ok_or("plexctl has no directory")?;
        let path = format!(
            "{}:{}",
            dir.display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
        );
        let output = Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.home)
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .current_dir(self.home)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{script}: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut text = format!("\n$ {script}\n{stdout}{stderr}");
        if !output.status.success() {
            text.push_str(&format!("(exit {})\n", output.status.code().unwrap_or(-1)));
        }
        out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(format!("{script}: exit {:?}", output.status.code()));
        }
        Ok(stdout)
    }
}
