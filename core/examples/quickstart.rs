//! The quickstart: starts the plexsphere emulator in-process on loopback and walks every family,
//! then a session's whole life (login → status → rotate in place → logout), printing what a user
//! sees.
//!
//! ```text
//! cargo run -p plexctl-core --example quickstart
//! ```

use std::process::ExitCode;

use std::time::Duration;

use plexctl_core::{
    Client, DeviceLoginRequest, Error, IssueTokenRequest, LoginTarget, Secret, ServiceTokenRequest,
    grants::JWT_BEARER,
};
use plexctl_emulator::{Config, Emulator, ServiceIdentitySpec};
use time::format_description::well_known::Rfc3339;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plexctl: {e}");
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}

fn run() -> Result<(), Error> {
    // A one-second poll interval keeps the device login short.
    let emu = Emulator::start(Config {
        device_poll_interval: Duration::from_secs(1),
        ..Config::fast()
    })
    .expect("the emulator starts on loopback");
    println!("plexsphere emulator listening on {}\n", emu.url());
    let admin = Client::builder()
        .server(emu.url())
        .token(Secret::from(emu.admin_token()))
        .use_environment(false)
        .build()?;

    // Issue: the plaintext is shown exactly once, under the banner.
    let identity = emu.admin_identity();
    println!(
        "$ plexctl identity-tokens issue --identity-ref {identity} --env-prefix prod --ttl 24h"
    );
    let issued = admin.issue_token(&IssueTokenRequest::parse(&identity, "prod", Some("24h"))?)?;
    println!("{}", issued.render_text().expose_secret());

    println!("$ plexctl identity-tokens list");
    for t in admin.list_tokens()? {
        let expires = t.expires_at.format(&Rfc3339).unwrap_or_default();
        println!("{}  {:<5}  expires {expires}", t.id, t.env_prefix);
    }

    println!("\n$ plexctl identity-tokens rotate --id {}", issued.id);
    let rotated = admin.rotate_token(issued.id)?;
    println!("{}", rotated.render_text().expose_secret());
    println!(
        "Sunset header {} rotation_deadline",
        if rotated.sunset_agrees() {
            "matches"
        } else {
            "DISAGREES with"
        }
    );

    // Until the deadline both plaintexts authenticate.
    for (name, token) in [
        ("rotated-from", &issued.plaintext),
        ("rotated-to", &rotated.plaintext),
    ] {
        let c = Client::builder()
            .server(emu.url())
            .token(token.clone())
            .use_environment(false)
            .build()?;
        println!(
            "{name} plaintext {} authenticates: {} token(s) visible",
            token,
            c.list_tokens()?.len()
        );
    }

    println!("\n$ plexctl identity-tokens delete --id {}", issued.id);
    admin.delete_token(issued.id)?;
    let revoked = Client::builder()
        .server(emu.url())
        .token(rotated.plaintext.clone())
        .use_environment(false)
        .build()?;
    match revoked.list_tokens() {
        Err(e) => println!("revoked at once: {e} (exit code {})", e.exit_code()),
        Ok(_) => println!("unexpected: the revoked token still works"),
    }

    // Service-token grant (client_credentials), and the flag rules refusing a mismatch.
    emu.add_service_identity(ServiceIdentitySpec::ClientCredentials {
        client_id: "svc-deployer".into(),
        client_secret: "quickstart-client-secret".into(),
    });
    println!(
        "\n$ plexctl identity-tokens issue-service --client-id svc-deployer --grant-type client_credentials --client-secret **** --scope \"domain:read project:deploy\""
    );
    let grant = ServiceTokenRequest::client_credentials(
        "svc-deployer",
        Secret::from("quickstart-client-secret"),
    )
    .scope("domain:read project:deploy");
    let minted = admin.mint_service_token(&grant)?;
    println!(
        "access_token: {}  token_type: {}  expires_in: {}s  scope: {}",
        minted.access_token,
        minted.token_type,
        minted.expires_in,
        minted.scope.as_deref().unwrap_or("")
    );
    println!(
        "\n$ plexctl identity-tokens issue-service --client-id svc-deployer --grant-type {JWT_BEARER} --client-secret ****"
    );
    match ServiceTokenRequest::parse(
        "svc-deployer",
        JWT_BEARER,
        Some(Secret::from("hunter2")),
        None,
        None,
    ) {
        Err(e) => println!("plexctl: {e}\nexit={}", e.exit_code()),
        Ok(_) => println!("unexpected: the mismatch was accepted"),
    }

    // Node mesh-key rotation: preview, trigger, re-trigger.
    let node = emu.add_node(2);
    println!("\n$ plexctl key rotate --node {} --dry-run", node.node_id);
    let preview = admin.preview_node_key_rotation(node.node_id)?;
    println!(
        "node {}  peer {}  affected peers {}  already pending {}  estimated {}s",
        preview.node_id,
        preview.peer_id,
        preview.affected_peer_count,
        preview.already_pending,
        preview.estimated_duration_seconds
    );
    println!("\n$ plexctl key rotate --node {}", node.node_id);
    let trigger = admin.rotate_node_keys(node.node_id)?;
    println!(
        "rotation {:?}  peer {:?}  already pending {}",
        trigger.rotation_id, trigger.peer_id, trigger.already_pending
    );
    let again = admin.rotate_node_keys(node.node_id)?;
    println!(
        "again: rotation {:?}  already pending {} (exit 0)",
        again.rotation_id, again.already_pending
    );

    session(&emu)
}

/// The session lifecycle: log in with a device code (the emulator's dashboard approves it as a
/// browser would), see the status, rotate the stored session in place, log out.
fn session(emu: &Emulator) -> Result<(), Error> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = dir.path().join("plexctl").join("config.yaml");
    let client = || {
        Client::builder()
            .server(emu.url())
            .config_path(&config)
            .use_environment(false)
            .build()
    };
    println!("\n$ plexctl login --domain {}", emu.domain_id());
    let req = DeviceLoginRequest::parse(&emu.domain_id().to_string(), None, None)?;
    let outcome = client()?.login(
        &req,
        &LoginTarget::new("default", true),
        &mut |auth| {
            println!("{}", auth.text());
            // The user opens the URL and approves; here the emulator's dashboard does.
            emu.approve_device(&auth.user_code)
                .expect("the emulator approves");
        },
        &|| false,
    )?;
    println!("{}", outcome.text());

    println!("\n$ plexctl auth status");
    println!("{}", client()?.status()?.text());

    println!("\n# Client::rotate_session: the stored session's token, rotated in place");
    let rotated = client()?.rotate_session()?;
    println!(
        "the profile now holds the new plaintext; the old one works until {}",
        plexctl_core::timefmt::text(rotated.rotation_deadline)
    );

    println!("\n$ plexctl logout");
    println!("{}", client()?.logout()?.text());
    println!("\n$ plexctl auth status");
    println!("{}", client()?.status()?.text());
    Ok(())
}
