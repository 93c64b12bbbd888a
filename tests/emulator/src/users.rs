//! Principals beyond their tokens: the Domain and its IdP bindings, registered users, and
//! `GET /v1/auth/whoami`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::http::{Rejection, ok_json, problem, resolve, tri, unauthenticated};
use crate::state::{Shared, St};

/// The alias of the Domain's IdP binding.
pub const GITHUB_ALIAS: &str = "github";
/// The email of the bootstrap admin user.
pub const ADMIN_EMAIL: &str = "admin@plexsphere.test";

pub(crate) struct DomainRow {
    pub(crate) id: Uuid,
    /// Active bindings; the first is the primary.
    pub(crate) bindings: Vec<BindingRow>,
}

pub(crate) struct BindingRow {
    pub(crate) id: Uuid,
    pub(crate) alias: String,
}

impl DomainRow {
    pub(crate) fn generate() -> DomainRow {
        DomainRow {
            id: Uuid::now_v7(),
            bindings: vec![BindingRow {
                id: Uuid::now_v7(),
                alias: GITHUB_ALIAS.into(),
            }],
        }
    }
}

pub(crate) struct UserRow {
    pub(crate) domain_id: Uuid,
    pub(crate) email: String,
    pub(crate) acr: Option<String>,
    pub(crate) amr: Vec<String>,
}

/// A user to register with [`Emulator::add_user`](crate::Emulator::add_user) (or
/// `POST /_emulator/users`). Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// The primary email; `None` for `user-<12 hex>@plexsphere.test`.
    #[serde(default)]
    pub email: Option<String>,
    /// The `acr` whoami reports, if any.
    #[serde(default)]
    pub acr: Option<String>,
    /// The `amr` whoami reports (omitted when empty).
    #[serde(default)]
    pub amr: Vec<String>,
}

impl Shared {
    /// Registers a user in the Domain.
    pub(crate) fn add_user(&self, spec: UserSpec) -> String {
        let id = Uuid::now_v7();
        let email = spec
            .email
            .unwrap_or_else(|| format!("user-{}@plexsphere.test", &id.simple().to_string()[20..]));
        let identity = format!("user:{id}");
        let mut inner = self.lock();
        let row = UserRow {
            domain_id: inner.domain.id,
            email,
            acr: spec.acr,
            amr: spec.amr,
        };
        inner.users.insert(identity.clone(), row);
        identity
    }
}

/// `GET /v1/auth/whoami`. A refused bearer says why when the token itself is known and its secret
/// right: `token_expired` (past `expires_at`, or a rotated-from plaintext past its grace),
/// `token_revoked`; anything else is `unauthenticated`.
pub(crate) async fn whoami(State(s): State<St>, headers: HeaderMap) -> Response {
    let path = "/v1/auth/whoami";
    let p = tri!(resolve(&s, &headers).map_err(|why| {
        let (code, detail) = match why {
            Rejection::Expired => ("token_expired", "the token has expired"),
            Rejection::Revoked => ("token_revoked", "the token has been revoked"),
            Rejection::Unknown => return unauthenticated(path),
        };
        problem(StatusCode::UNAUTHORIZED, code, detail, path)
    }));
    let internal = || {
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the token's principal is neither a user nor a service identity",
            path,
        )
    };
    let Some((kind, subject)) = p.identity.split_once(':') else {
        return internal();
    };
    if !matches!(kind, "user" | "service") || Uuid::try_parse(subject).is_err() {
        return internal();
    }
    let mut body = json!({"principal_type": kind, "subject": subject});
    if kind == "user" {
        let inner = s.lock();
        if let Some(u) = inner.users.get(&p.identity) {
            body["domain_id"] = json!(u.domain_id);
            body["email"] = json!(u.email);
            if let Some(acr) = &u.acr {
                body["acr"] = json!(acr);
            }
            if !u.amr.is_empty() {
                body["amr"] = json!(u.amr);
            }
        }
    } else if s.is_registered_service(&p.identity) {
        body["domain_id"] = json!(s.lock().domain.id);
    }
    ok_json(StatusCode::OK, body)
}
