//! The child process of the multi-process config-file tests (tests/config_file.rs): one mode per
//! run, chosen by `PLEXCTL_TEST_CHILD`, with an environment the parent sets from scratch. It prints
//! one `child-result: ` line and exits with the error's exit code on failure. Built only with the
//! `test-hooks` feature, which the crate's own tests turn on; no normal build has it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use plexctl_core::config;
use plexctl_core::{Client, Secret};

const MARK: &str = "child-result: ";

fn main() {
    let mode = std::env::var("PLEXCTL_TEST_CHILD").expect("run by tests/config_file.rs");
    let var = |name: &str| std::env::var(name).unwrap();
    let result = match mode.as_str() {
        // Waits for the parent's start signal so that every child writes at once.
        "add" => {
            let go = PathBuf::from(var("PLEXCTL_TEST_GO"));
            let deadline = Instant::now() + Duration::from_secs(30);
            while !go.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            let name = var("PLEXCTL_TEST_PROFILE");
            Client::builder()
                .config_path(Path::new(&var("PLEXCTL_TEST_CONFIG")))
                .use_environment(false)
                .build()
                .and_then(|c| {
                    c.store_session(
                        &name,
                        "https://plexsphere.example",
                        &Secret::from(format!("psk_prod_{name}").as_str()),
                        false,
                    )
                })
                .map(|()| "added".to_owned())
        }
        "locate" => config::locate(None, true).map(|p| p.display().to_string()),
        // Token and server from the environment, as a CLI would run.
        "list" => {
            let mut b = Client::builder();
            // Test-only: the HTTPS emulator's CA (the library reads no CA from the environment).
            if let Ok(ca) = std::env::var("PLEXCTL_TEST_CA_FILE") {
                b = b.ca_bundle_file(ca);
            }
            b.build()
                .and_then(|c| c.list_tokens())
                .map(|l| format!("{} tokens", l.len()))
        }
        // `plexctl auth status` from the environment: the state and where the token came from.
        "status" => Client::builder()
            .build()
            .and_then(|c| c.status())
            .map(|s| format!("{} {}", s.state.as_str(), s.credential_source)),
        // Everything from the environment, as a CLI would run.
        "logout" => Client::builder()
            .build()
            .and_then(|c| c.logout())
            .map(|o| o.text()),
        _ => panic!("unknown child mode {mode}"),
    };
    match result {
        Ok(line) => println!("{MARK}{line}"),
        Err(e) => {
            println!("{MARK}{e}");
            std::process::exit(e.exit_code());
        }
    }
}
