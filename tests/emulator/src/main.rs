//! `plexsphere-emulator`: serves the plexsphere emulator on loopback for the C, Go and Python tests
//! and the benchmarks. Prints one JSON line (`url`, `admin_token`, `admin_identity`, `audience`,
//! `domain_id`, and with `--tls` also `ca_pem` and `ca_file`), then serves until killed, or until
//! standard input closes with `--exit-on-stdin-eof`.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use plexctl_emulator::{Config, Emulator, RetriggerMode, TlsMode};

#[derive(Parser)]
#[command(about = "A local plexsphere v1 API emulator (loopback only)")]
struct Args {
    /// Address to bind; must be loopback.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to bind; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Cheapest Argon2id parameters (for tests and benchmarks).
    #[arg(long)]
    fast: bool,
    /// Grace period of a rotated-from plaintext, in seconds.
    #[arg(long)]
    rotation_grace_seconds: Option<u64>,
    /// Lifetime of service access tokens, in seconds.
    #[arg(long)]
    service_token_ttl_seconds: Option<u64>,
    /// Lifetime of a device code (`expires_in` of `POST /v1/auth/device-code`), in seconds.
    #[arg(long)]
    device_code_ttl_seconds: Option<u64>,
    /// Minimum polling interval a device code is issued with, in seconds.
    #[arg(long)]
    device_poll_interval_seconds: Option<u64>,
    /// Lifetime of the access token a device login mints, in seconds.
    #[arg(long)]
    device_token_ttl_seconds: Option<u64>,
    /// How a key-rotate re-trigger is answered: `ok` (200) or `conflict` (409).
    #[arg(long, value_parser = ["ok", "conflict"])]
    retrigger_mode: Option<String>,
    /// Exit when standard input reaches end of file (so a harness that dies takes the server along).
    #[arg(long)]
    exit_on_stdin_eof: bool,
    /// Serve HTTPS with a generated CA and a leaf that is `valid`, `expired` or for `wrong-host`.
    #[arg(long, value_parser = ["valid", "expired", "wrong-host"])]
    tls: Option<String>,
    /// Where to write the CA certificate (PEM) with `--tls`; default: a file in the temporary
    /// directory named after the process.
    #[arg(long, requires = "tls")]
    ca_file: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    if !args.host.is_loopback() {
        eprintln!(
            "plexsphere-emulator: refusing non-loopback host {}",
            args.host
        );
        std::process::exit(2);
    }
    let mut config = if args.fast {
        Config::fast()
    } else {
        Config::default()
    };
    if let Some(s) = args.rotation_grace_seconds {
        config.rotation_grace = Duration::from_secs(s);
    }
    if let Some(s) = args.service_token_ttl_seconds {
        config.service_token_ttl = Duration::from_secs(s);
    }
    if let Some(s) = args.device_code_ttl_seconds {
        config.device_code_ttl = Duration::from_secs(s);
    }
    if let Some(s) = args.device_poll_interval_seconds {
        config.device_poll_interval = Duration::from_secs(s);
    }
    if let Some(s) = args.device_token_ttl_seconds {
        config.device_token_ttl = Duration::from_secs(s);
    }
    if let Some(m) = args.retrigger_mode.as_deref() {
        config.retrigger_mode = if m == "conflict" {
            RetriggerMode::Conflict409
        } else {
            RetriggerMode::Ok200
        };
    }
    config.tls = args.tls.as_deref().map(|m| match m {
        "expired" => TlsMode::Expired,
        "wrong-host" => TlsMode::WrongHost,
        _ => TlsMode::Valid,
    });
    let audience = config.audience.clone();
    let emu = match Emulator::start_on(config, SocketAddr::new(args.host, args.port)) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("plexsphere-emulator: {e}");
            std::process::exit(1);
        }
    };
    let mut line = serde_json::json!({
        "url": emu.url(),
        "admin_token": emu.admin_token(),
        "admin_identity": emu.admin_identity(),
        "audience": audience,
        "domain_id": emu.domain_id(),
    });
    let ca_file = emu.ca_pem().map(|pem| {
        let path = args.ca_file.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("plexsphere-emulator-{}-ca.pem", std::process::id()))
        });
        if let Err(e) = std::fs::write(&path, pem) {
            eprintln!("plexsphere-emulator: writing {}: {e}", path.display());
            std::process::exit(1);
        }
        line["ca_pem"] = pem.into();
        line["ca_file"] = path.display().to_string().into();
        path
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|_| out.flush())
        .expect("stdout");
    drop(out);
    if args.exit_on_stdin_eof {
        let _ = std::io::copy(
            &mut std::io::stdin().lock().take(u64::MAX),
            &mut std::io::sink(),
        );
        if let Some(path) = ca_file {
            let _ = std::fs::remove_file(path);
        }
    } else {
        loop {
            std::thread::park();
        }
    }
}
