//! Service-token grants (`client_credentials`, JWT-bearer) and the test assertions they verify.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::faults::{FaultKind, Taken};
use crate::http::{json_body, ok_json, problem, tri};
use crate::state::{AssertionSpec, Hash, ServiceRow, Shared, St};

/// The `expires_in` of the `grant_huge_expires_in` fault: about 31,700 years.
pub(crate) const HUGE_EXPIRES_IN: u64 = 1_000_000_000_000;

/// An Ed25519 key pair made for this process: no private key is committed or shipped anywhere.
struct TestKey {
    private_pem: String,
    public_pem: String,
}

impl TestKey {
    fn generate() -> TestKey {
        let pair =
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("Ed25519 key generation");
        TestKey {
            private_pem: pair.serialize_pem(),
            public_pem: pair.public_key_pem(),
        }
    }
}

/// The key the verifier trusts, and a second one, unknown to it, for forged assertions.
fn keys() -> &'static (TestKey, TestKey) {
    static KEYS: std::sync::OnceLock<(TestKey, TestKey)> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| (TestKey::generate(), TestKey::generate()))
}
pub(crate) fn sign_assertion(shared: &Shared, spec: &AssertionSpec) -> String {
    let aud = spec
        .aud
        .clone()
        .unwrap_or_else(|| shared.lock().config.audience.clone());
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({
        "iss": "spiffe://plexsphere.test",
        "sub": spec.sub,
        "aud": aud,
        "iat": now,
        "exp": now + spec.expires_in,
    });
    let (signing, forger) = keys();
    let pem = if spec.forged {
        &forger.private_pem
    } else {
        &signing.private_pem
    };
    let key = EncodingKey::from_ed_pem(pem.as_bytes()).expect("the test key parses");
    jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &key).expect("JWT signs")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    grant_type: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    client_assertion: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
struct AssertionClaims {
    sub: String,
}

pub(crate) async fn service_token(
    State(s): State<St>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = "/v1/auth/service/token";
    let req: GrantBody = tri!(json_body(&headers, &body, path));
    let bad = |detail: &str| problem(StatusCode::BAD_REQUEST, "invalid_request", detail, path);
    let jwt = match req.grant_type.as_str() {
        "client_credentials" => false,
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => true,
        _ => {
            return problem(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "unsupported grant_type",
                path,
            );
        }
    };
    let Some(client_id) = req.client_id.filter(|c| !c.is_empty()) else {
        return bad("client_id is required");
    };
    if jwt && req.client_secret.is_some() {
        return bad("client_secret is rejected for the jwt-bearer grant");
    }
    if !jwt && req.client_assertion.is_some() {
        return bad("client_assertion is rejected for the client_credentials grant");
    }
    let invalid_client = || {
        problem(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
            path,
        )
    };
    let mismatch = || {
        problem(
            StatusCode::FORBIDDEN,
            "federation_kind_mismatch",
            "the grant does not match the ServiceIdentity's federation kind",
            path,
        )
    };
    enum Kind {
        Secret(Hash, String),
        Jwt(String, String),
    }
    let kind = match s.lock().services.get(&client_id) {
        None => None,
        Some(ServiceRow::ClientCredentials { identity, hash }) => {
            Some(Kind::Secret(hash.clone(), identity.clone()))
        }
        Some(ServiceRow::JwtBearer { identity, subject }) => {
            Some(Kind::Jwt(subject.clone(), identity.clone()))
        }
    };
    let identity = if jwt {
        let Some(assertion) = req.client_assertion else {
            return bad("client_assertion is required for the jwt-bearer grant");
        };
        let (subject, identity) = match kind {
            None => return invalid_client(),
            Some(Kind::Secret(..)) => return mismatch(),
            Some(Kind::Jwt(subject, identity)) => (subject, identity),
        };
        let (provisioned, audience) = {
            let inner = s.lock();
            (
                inner.config.jwt_bearer_provisioned,
                inner.config.audience.clone(),
            )
        };
        if !provisioned {
            return problem(
                StatusCode::NOT_IMPLEMENTED,
                "not_provisioned",
                "no SPIFFE verifier is wired in this deployment",
                path,
            );
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = 0;
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        let key =
            DecodingKey::from_ed_pem(keys().0.public_pem.as_bytes()).expect("the test key parses");
        let claims = match jsonwebtoken::decode::<AssertionClaims>(&assertion, &key, &validation) {
            Ok(data) => data.claims,
            Err(_) => {
                return problem(
                    StatusCode::UNAUTHORIZED,
                    "spiffe_verification_failed",
                    "the SPIFFE JWT-SVID signature, expiry, issuer or audience did not validate",
                    path,
                );
            }
        };
        if claims.sub != subject {
            return mismatch();
        }
        identity
    } else {
        let Some(secret) = req.client_secret else {
            return bad("client_secret is required for the client_credentials grant");
        };
        match kind {
            None => return invalid_client(),
            Some(Kind::Jwt(..)) => return mismatch(),
            Some(Kind::Secret(hash, identity)) => {
                if !s.verify(secret.as_bytes(), &hash) {
                    return invalid_client();
                }
                identity
            }
        }
    };
    let (ttl, env) = {
        let inner = s.lock();
        (
            inner.config.service_token_ttl,
            inner.config.service_token_env.clone(),
        )
    };
    let (_, access_token) = s.mint(
        &identity,
        &identity,
        &env,
        time::Duration::try_from(ttl).unwrap_or(time::Duration::HOUR),
    );
    let mut body =
        json!({"access_token": access_token, "token_type": "Bearer", "expires_in": ttl.as_secs()});
    if let Some(scope) = req.scope {
        body["scope"] = json!(scope);
    }
    let late = s.take_late_fault(path, |k| matches!(k, FaultKind::GrantHugeExpiresIn));
    if late.is_some() {
        body["expires_in"] = json!(HUGE_EXPIRES_IN);
    }
    let resp = ok_json(StatusCode::OK, body);
    Taken::decorate_late(late, resp)
}
