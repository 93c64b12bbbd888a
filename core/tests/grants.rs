//! Service-token grants and the refreshing token source against the emulator.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use plexctl_core::grants::{JWT_BEARER, ServiceTokenRequest, ServiceTokenSource};
use plexctl_core::{Client, Error, Secret};
use plexctl_emulator::{AssertionSpec, Fault, FaultKind, ServiceIdentitySpec};

const SECRET: &str = "s3cr3t-client-secret-value";
const SUBJECT: &str = "spiffe://plexsphere.test/ns/ci/sa/deployer";

fn anonymous(emu: &Emulator) -> Client {
    Client::builder()
        .server(emu.url())
        .use_environment(false)
        .build()
        .unwrap()
}

fn with_identities(emu: &Emulator) {
    emu.add_service_identity(ServiceIdentitySpec::ClientCredentials {
        client_id: "svc-deployer".into(),
        client_secret: SECRET.into(),
    });
    emu.add_service_identity(ServiceIdentitySpec::JwtBearer {
        client_id: "svc-spiffe".into(),
        subject: SUBJECT.into(),
    });
}

fn assertion(emu: &Emulator, f: impl FnOnce(&mut AssertionSpec)) -> Secret {
    let mut spec = AssertionSpec {
        sub: SUBJECT.into(),
        aud: None,
        expires_in: 300,
        forged: false,
    };
    f(&mut spec);
    Secret::from(emu.sign_assertion(&spec))
}

#[test]
fn client_credentials_grant_mints_a_working_token() {
    let emu = emulator();
    with_identities(&emu);
    let req = ServiceTokenRequest::client_credentials("svc-deployer", Secret::from(SECRET))
        .scope("domain:read project:deploy");
    let token = anonymous(&emu).mint_service_token(&req).unwrap();
    assert_eq!(token.token_type, "Bearer");
    assert!(token.expires_in > 0);
    assert_eq!(token.scope.as_deref(), Some("domain:read project:deploy"));
    assert_no_leak(&format!("{token:?}"), token.access_token.expose_secret());
    // The access token authenticates like any other bearer token.
    client_with(&emu, token.access_token.expose_secret())
        .list_tokens()
        .unwrap();
}

#[test]
fn jwt_bearer_grant_mints_a_working_token() {
    let emu = emulator();
    with_identities(&emu);
    let a = assertion(&emu, |_| {});
    let token = anonymous(&emu)
        .mint_service_token(&ServiceTokenRequest::jwt_bearer("svc-spiffe", a))
        .unwrap();
    client_with(&emu, token.access_token.expose_secret())
        .list_tokens()
        .unwrap();
}

#[test]
fn flag_mismatches_are_refused_before_the_wire() {
    let emu = emulator();
    let c = anonymous(&emu);
    let s = || Some(Secret::from(SECRET));
    let e = fails_before_wire(&emu, 1, || {
        ServiceTokenRequest::parse("svc-deployer", JWT_BEARER, s(), None, None)
            .and_then(|r| c.mint_service_token(&r))
    });
    assert_eq!(
        e.to_string(),
        format!("--client-secret must not be set for grant_type={JWT_BEARER}")
    );
    assert!(matches!(e, Error::Refused(_)));
    for (grant, secret, assertion) in [
        ("client_credentials", None, s()),
        ("client_credentials", None, None),
        (JWT_BEARER, None, None),
        ("client_credentials", s(), s()),
    ] {
        fails_before_wire(&emu, 1, || {
            ServiceTokenRequest::parse("svc-deployer", grant, secret, assertion, None)
                .and_then(|r| c.mint_service_token(&r))
        });
    }
    // A request mutated after construction is checked again by the call itself.
    let mut req = ServiceTokenRequest::client_credentials("svc-deployer", Secret::from(SECRET));
    req.client_assertion = s();
    fails_before_wire(&emu, 1, || c.mint_service_token(&req));
    // Malformed inputs are usage errors.
    fails_before_wire(&emu, 2, || {
        ServiceTokenRequest::parse("", "client_credentials", s(), None, None)
            .and_then(|r| c.mint_service_token(&r))
    });
    fails_before_wire(&emu, 2, || {
        ServiceTokenRequest::parse("svc", "password", s(), None, None)
            .and_then(|r| c.mint_service_token(&r))
    });
}

fn code(e: &Error) -> Option<&str> {
    e.problem().and_then(|p| p.code.as_deref())
}

#[test]
fn every_documented_error_branch_is_decoded() {
    let emu = emulator();
    with_identities(&emu);
    let c = anonymous(&emu);

    let wrong =
        ServiceTokenRequest::client_credentials("svc-deployer", Secret::from("wrong-secret-value"));
    let e = c.mint_service_token(&wrong).unwrap_err();
    assert_eq!(
        (e.status(), code(&e), e.exit_code()),
        (Some(401), Some("invalid_client"), 1)
    );
    assert_no_leak(&format!("{e} {e:?}"), "wrong-secret-value");

    let unknown = ServiceTokenRequest::client_credentials("svc-nobody", Secret::from(SECRET));
    assert_eq!(
        code(&c.mint_service_token(&unknown).unwrap_err()),
        Some("invalid_client")
    );

    // Grant kind does not match the identity's federation kind.
    let mismatch = ServiceTokenRequest::client_credentials("svc-spiffe", Secret::from(SECRET));
    let e = c.mint_service_token(&mismatch).unwrap_err();
    assert_eq!(
        (e.status(), code(&e)),
        (Some(403), Some("federation_kind_mismatch"))
    );
    let a = assertion(&emu, |_| {});
    let e = c
        .mint_service_token(&ServiceTokenRequest::jwt_bearer("svc-deployer", a))
        .unwrap_err();
    assert_eq!(code(&e), Some("federation_kind_mismatch"));
    // A verified assertion whose subject is another identity's.
    let a = assertion(&emu, |s| {
        s.sub = "spiffe://plexsphere.test/ns/ci/sa/other".into()
    });
    let e = c
        .mint_service_token(&ServiceTokenRequest::jwt_bearer("svc-spiffe", a))
        .unwrap_err();
    assert_eq!(
        (e.status(), code(&e)),
        (Some(403), Some("federation_kind_mismatch"))
    );

    // Forged, expired and wrong-audience assertions fail verification.
    for spec in [
        (|s: &mut AssertionSpec| s.forged = true) as fn(&mut AssertionSpec),
        |s| s.expires_in = -120,
        |s| s.aud = Some("someone-else".into()),
    ] {
        let a = assertion(&emu, spec);
        let raw = a.expose_secret().to_owned();
        let e = c
            .mint_service_token(&ServiceTokenRequest::jwt_bearer("svc-spiffe", a))
            .unwrap_err();
        assert_eq!(
            (e.status(), code(&e), e.exit_code()),
            (Some(401), Some("spiffe_verification_failed"), 1),
            "{e}"
        );
        assert_no_leak(&format!("{e} {e:?}"), &raw);
    }

    emu.set_config(|cfg| cfg.jwt_bearer_provisioned = false);
    let a = assertion(&emu, |_| {});
    let e = c
        .mint_service_token(&ServiceTokenRequest::jwt_bearer("svc-spiffe", a))
        .unwrap_err();
    assert_eq!(
        (e.status(), code(&e), e.exit_code()),
        (Some(501), Some("not_provisioned"), 1)
    );
    assert!(e.to_string().contains("not provisioned"), "{e}");

    emu.set_fault(Some(Fault {
        kind: FaultKind::Status {
            status: 502,
            code: Some("spiffe_bundle_unreachable".into()),
        },
        path_prefix: None,
        count: Some(1),
    }));
    let ok = ServiceTokenRequest::client_credentials("svc-deployer", Secret::from(SECRET));
    let e = c.mint_service_token(&ok).unwrap_err();
    assert_eq!(
        (e.status(), code(&e), e.exit_code()),
        (Some(502), Some("spiffe_bundle_unreachable"), 1)
    );
}

#[test]
fn token_source_refreshes_before_expiry() {
    let emu = emulator();
    with_identities(&emu);
    emu.set_config(|cfg| cfg.service_token_ttl = Duration::from_secs(2));
    let req = ServiceTokenRequest::client_credentials("svc-deployer", Secret::from(SECRET));
    let source = ServiceTokenSource::new(anonymous(&emu), req).unwrap();
    let before = emu.requests();
    let first = source.token().unwrap();
    let again = source.token().unwrap();
    assert_eq!(
        first.expose_secret(),
        again.expose_secret(),
        "cached within its lifetime"
    );
    assert_eq!(emu.requests(), before + 1);
    // With a 2 s lifetime the refresh point is at 1 s (the margin is capped at half the lifetime).
    std::thread::sleep(Duration::from_millis(1100));
    let refreshed = source.token().unwrap();
    assert_ne!(
        first.expose_secret(),
        refreshed.expose_secret(),
        "minted anew before expiry"
    );
    assert_eq!(emu.requests(), before + 2);
    client_with(&emu, refreshed.expose_secret())
        .list_tokens()
        .unwrap();
    assert!(!format!("{source:?}").contains(SECRET));
}

#[test]
fn token_source_is_safe_from_many_threads() {
    let emu = emulator();
    with_identities(&emu);
    let req = ServiceTokenRequest::client_credentials("svc-deployer", Secret::from(SECRET));
    let source = Arc::new(ServiceTokenSource::new(anonymous(&emu), req).unwrap());
    let before = emu.requests();
    let tokens: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let source = Arc::clone(&source);
                s.spawn(move || source.token().unwrap().expose_secret().to_owned())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        tokens.windows(2).all(|w| w[0] == w[1]),
        "every thread got the same token"
    );
    assert_eq!(emu.requests(), before + 1, "one mint for sixteen threads");
}

#[test]
fn token_source_keeps_an_unexpired_token_when_a_refresh_fails() {
    let emu = emulator();
    with_identities(&emu);
    emu.set_config(|cfg| cfg.service_token_ttl = Duration::from_secs(4));
    let req = ServiceTokenRequest::client_credentials("svc-deployer", Secret::from(SECRET));
    let source =
        ServiceTokenSource::with_margin(anonymous(&emu), req, Duration::from_secs(3)).unwrap();
    let first = source.token().unwrap();
    // Refresh point: 4 s - min(3 s, 2 s) = 2 s.
    std::thread::sleep(Duration::from_millis(2100));
    emu.set_fault(Some(Fault {
        kind: FaultKind::Status {
            status: 503,
            code: None,
        },
        path_prefix: None,
        count: Some(1),
    }));
    assert_eq!(
        source.token().unwrap().expose_secret(),
        first.expose_secret()
    );
    assert_ne!(
        source.token().unwrap().expose_secret(),
        first.expose_secret(),
        "the next call refreshes"
    );
    source.invalidate();
    source.token().unwrap();
}

#[test]
fn a_derived_token_source_mints_within_its_own_timeout_and_shares_the_cache() {
    use plexctl_core::ErrorKind;
    let emu = emulator();
    with_identities(&emu);
    let req = ServiceTokenRequest::client_credentials("svc-deployer", Secret::from(SECRET));
    let source = ServiceTokenSource::new(anonymous(&emu), req).unwrap();
    let quick = source.with_timeout(Duration::from_millis(300));

    emu.set_fault(Some(Fault::new(FaultKind::Latency { ms: 1500 })));
    let started = std::time::Instant::now();
    let e = quick.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(started.elapsed() < Duration::from_millis(1200));
    // The source itself has the client's 30 s: it waits the answer out, and the derived handle
    // then sees the token it cached without a request of its own.
    let minted = source.token().unwrap();
    emu.set_fault(None);
    let before = emu.requests();
    assert_eq!(
        quick.token().unwrap().expose_secret(),
        minted.expose_secret()
    );
    assert_eq!(emu.requests(), before);
}
