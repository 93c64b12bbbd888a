//! The crate features choose rustls's crypto provider: the first client installs aws-lc-rs (the
//! default feature) or ring (only `ring`) as the process default, and a TLS call works with it;
//! with neither, building a client is a setup error that names the fix. The suite runs this file
//! with the default features, with only `ring`, and with none.

use plexctl_core::Client;

#[cfg(any(feature = "aws-lc-rs", feature = "ring"))]
#[test]
fn the_crate_feature_chooses_the_crypto_provider() {
    use plexctl_core::Secret;
    use plexctl_emulator::{Config, Emulator, TlsMode};
    let emu = Emulator::start(Config {
        tls: Some(TlsMode::Valid),
        ..Config::fast()
    })
    .unwrap();
    let client = Client::builder()
        .server(emu.url())
        .token(Secret::from(emu.admin_token()))
        .use_environment(false)
        .ca_bundle_pem(emu.ca_pem().unwrap().as_bytes().to_vec())
        .build()
        .unwrap();
    client.list_tokens().unwrap();
    // Installed as the process default by the first client (nothing else in this process does).
    let provider = rustls::crypto::CryptoProvider::get_default().expect("a provider is installed");
    let name = format!("{:?}", provider.secure_random);
    #[cfg(feature = "aws-lc-rs")]
    assert!(name.contains("AwsLcRs"), "{name}");
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    assert!(name.contains("Ring"), "{name}");
}

#[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
#[test]
fn without_a_provider_building_a_client_is_a_setup_error() {
    use plexctl_core::{ErrorKind, ExitCode};
    let e = Client::builder()
        .server("https://plexsphere.test")
        .use_environment(false)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Setup, "{e}");
    assert_eq!(e.exit_code(), ExitCode::Runtime as i32);
    let text = e.to_string();
    assert!(
        text.contains("`aws-lc-rs`") && text.contains("`ring`"),
        "{text}"
    );
}
