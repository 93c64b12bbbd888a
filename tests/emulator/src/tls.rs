//! HTTPS: a certificate chain generated at start (a CA, and a leaf it signs), so tests can check
//! that a client trusts an extra CA, and refuses an expired leaf or one for another host.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// Which leaf certificate an HTTPS emulator presents. Every mode serves the same generated CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// A current leaf for `localhost`, `127.0.0.1`, `::1` and [`crate::PROXIED_HOST`].
    Valid,
    /// The same names, but the leaf's `not_after` was yesterday.
    Expired,
    /// A current leaf for `wrong.example` only.
    WrongHost,
}

/// A generated chain and the acceptor that presents it.
pub(crate) struct Tls {
    pub(crate) ca_pem: String,
    pub(crate) acceptor: TlsAcceptor,
}

impl Tls {
    /// Generates a CA and a leaf for `mode`.
    pub(crate) fn generate(mode: TlsMode) -> Result<Tls, String> {
        let err = |e: rcgen::Error| format!("generating the test certificates: {e}");
        let now = OffsetDateTime::now_utc();

        let mut ca = CertificateParams::default();
        ca.distinguished_name
            .push(DnType::CommonName, "plexsphere emulator test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.not_before = now - Duration::days(2);
        ca.not_after = now + Duration::days(365);
        let ca_key = KeyPair::generate().map_err(err)?;
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
        let issuer = Issuer::new(ca, ca_key);

        let names: Vec<SanType> = match mode {
            TlsMode::Valid | TlsMode::Expired => vec![
                SanType::DnsName("localhost".try_into().map_err(err)?),
                // A name that is not loopback, so a client can reach the emulator through a
                // proxy (clients never proxy loopback); the test's proxy connects it to 127.0.0.1.
                SanType::DnsName(crate::PROXIED_HOST.try_into().map_err(err)?),
                SanType::IpAddress([127, 0, 0, 1].into()),
                SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()),
            ],
            TlsMode::WrongHost => vec![SanType::DnsName("wrong.example".try_into().map_err(err)?)],
        };
        let mut leaf = CertificateParams::default();
        leaf.subject_alt_names = names;
        leaf.distinguished_name
            .push(DnType::CommonName, "plexsphere emulator");
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        (leaf.not_before, leaf.not_after) = match mode {
            TlsMode::Expired => (now - Duration::days(30), now - Duration::days(1)),
            TlsMode::Valid | TlsMode::WrongHost => {
                (now - Duration::days(1), now + Duration::days(30))
            }
        };
        let leaf_key = KeyPair::generate().map_err(err)?;
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(err)?;

        // The provider is named, not taken from rustls's crate features, which the build may unify.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf_cert.der().clone(), ca_cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .map_err(|e| e.to_string())?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            ca_pem: ca_cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}
