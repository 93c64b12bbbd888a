//! The emulator's state: its settings, its rows (tokens, service identities, Nodes) and the
//! operations on them that both the HTTP handlers and the Rust handle use.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::device::DeviceRow;
use crate::faults::FaultSpec;
use crate::tls::TlsMode;
use crate::users::{ADMIN_EMAIL, DomainRow, SessionRow, UserRow};

/// How a second key-rotate trigger for a Node with a pending rotation is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetriggerMode {
    /// `200 {already_pending: true}` with the pending row's ids (the OpenAPI document).
    #[serde(rename = "ok")]
    Ok200,
    /// `409 Problem{code: already_pending}` carrying `rotation_id` and `peer_id` (plexctl's docs).
    #[serde(rename = "conflict")]
    Conflict409,
}

/// The emulator's settings; [`Emulator::set_config`](crate::Emulator::set_config) changes them at run time.
#[derive(Debug, Clone)]
pub struct Config {
    /// Argon2id memory cost in KiB.
    pub argon2_m_cost: u32,
    /// Argon2id iterations.
    pub argon2_t_cost: u32,
    /// Argon2id parallelism.
    pub argon2_p_cost: u32,
    /// How long a rotated-from plaintext keeps authenticating.
    pub rotation_grace: Duration,
    /// Lifetime of a token issued without `ttl_seconds`.
    pub default_token_ttl: Duration,
    /// Lifetime of a service access token (`expires_in`).
    pub service_token_ttl: Duration,
    /// How a key-rotate re-trigger is answered.
    pub retrigger_mode: RetriggerMode,
    /// When false, both key-rotate endpoints answer 501.
    pub key_rotate_provisioned: bool,
    /// When false, the JWT-bearer grant answers 501 `not_provisioned`.
    pub jwt_bearer_provisioned: bool,
    /// The `aud` a JWT-bearer assertion must carry.
    pub audience: String,
    /// The environment segment of minted service access tokens.
    pub service_token_env: String,
    /// Serve HTTPS with a generated chain presenting this kind of leaf; `None` for plain HTTP.
    /// Read once, at start.
    pub tls: Option<TlsMode>,
    /// Lifetime of a device code (`expires_in` of `POST /v1/auth/device-code`), from its issue.
    pub device_code_ttl: Duration,
    /// The minimum polling interval a device code is issued with (`interval`, whole seconds;
    /// zero lets a test poll as fast as it likes).
    pub device_poll_interval: Duration,
    /// Lifetime of the access token an approved device login mints (`expires_in`).
    pub device_token_ttl: Duration,
}

impl Default for Config {
    /// Realistic settings: OWASP's Argon2id parameters (19 MiB, 2 iterations), a 24 h grace,
    /// 30-day tokens, one-hour service tokens, ten-minute device codes polled every 5 s, and
    /// 24 h device-login tokens.
    fn default() -> Self {
        Config {
            argon2_m_cost: 19 * 1024,
            argon2_t_cost: 2,
            argon2_p_cost: 1,
            rotation_grace: Duration::from_secs(24 * 3600),
            default_token_ttl: Duration::from_secs(30 * 24 * 3600),
            service_token_ttl: Duration::from_secs(3600),
            retrigger_mode: RetriggerMode::Ok200,
            key_rotate_provisioned: true,
            jwt_bearer_provisioned: true,
            audience: "plexsphere".into(),
            service_token_env: "prod".into(),
            tls: None,
            device_code_ttl: Duration::from_secs(600),
            device_poll_interval: Duration::from_secs(5),
            device_token_ttl: Duration::from_secs(24 * 3600),
        }
    }
}

impl Config {
    /// The defaults with the cheapest Argon2id parameters (8 KiB, 1 iteration), for tests and
    /// benchmarks.
    pub fn fast() -> Self {
        Config {
            argon2_m_cost: 8,
            argon2_t_cost: 1,
            argon2_p_cost: 1,
            ..Config::default()
        }
    }
}

/// A service identity to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServiceIdentitySpec {
    /// Authenticates with `client_credentials` and this secret (stored Argon2id-hashed).
    ClientCredentials {
        /// The client id.
        client_id: String,
        /// The client secret.
        client_secret: String,
    },
    /// Authenticates with a JWT-bearer assertion whose `sub` is `subject`.
    JwtBearer {
        /// The client id.
        client_id: String,
        /// The expected assertion subject (a SPIFFE id).
        subject: String,
    },
}

/// A JWT-bearer assertion to sign with [`Emulator::sign_assertion`](crate::Emulator::sign_assertion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionSpec {
    /// The `sub` claim.
    pub sub: String,
    /// The `aud` claim; `None` for the configured audience.
    #[serde(default)]
    pub aud: Option<String>,
    /// Seconds from now until `exp`; negative for an expired assertion.
    #[serde(default = "default_expires_in")]
    pub expires_in: i64,
    /// Sign with a key the verifier does not trust.
    #[serde(default)]
    pub forged: bool,
}

fn default_expires_in() -> i64 {
    300
}

/// One peer edge of a Node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// The Node at the other end.
    pub peer_node_id: Uuid,
    /// Key id of the PSK in force.
    pub current_kid: String,
    /// Wrap-key version of the PSK in force.
    pub current_wrap_key_version: i64,
}

/// A Node registered with [`Emulator::add_node`](crate::Emulator::add_node).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeFixture {
    /// The Node.
    pub node_id: Uuid,
    /// Its live Peer.
    pub peer_id: Uuid,
    /// Its peer edges.
    pub edges: Vec<Edge>,
}

#[derive(Clone)]
pub(crate) struct Hash {
    salt: [u8; 16],
    out: [u8; 32],
}

pub(crate) struct TokenRow {
    pub(crate) identity: String,
    pub(crate) owner: String,
    pub(crate) env: String,
    pub(crate) hash: Hash,
    /// The rotated-from secret and the deadline until which it is honoured.
    pub(crate) previous: Option<(Hash, OffsetDateTime)>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) ttl: time::Duration,
    pub(crate) last_used_at: Option<OffsetDateTime>,
    pub(crate) rotated_at: Option<OffsetDateTime>,
    pub(crate) revoked: bool,
}

pub(crate) enum ServiceRow {
    ClientCredentials { identity: String, hash: Hash },
    JwtBearer { identity: String, subject: String },
}

pub(crate) struct NodeRow {
    pub(crate) fixture: NodeFixture,
    pub(crate) denied: bool,
    pub(crate) pending: Option<(Uuid, OffsetDateTime)>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) tokens: HashMap<Uuid, TokenRow>,
    pub(crate) denied: HashSet<String>,
    pub(crate) services: HashMap<String, ServiceRow>,
    pub(crate) nodes: HashMap<Uuid, NodeRow>,
    pub(crate) fault: Option<FaultSpec>,
    pub(crate) clock_offset: time::Duration,
    pub(crate) correlation: u64,
    /// The Domain (one) and its IdP bindings.
    pub(crate) domain: DomainRow,
    /// Registered users by identity ref.
    pub(crate) users: HashMap<String, UserRow>,
    /// Browser sessions by `plexsphere_session` cookie value.
    pub(crate) sessions: HashMap<String, SessionRow>,
    /// Device-authorization sessions by id (the first half of the device code).
    pub(crate) devices: HashMap<Uuid, DeviceRow>,
    /// Device-session ids by user code (normalized: eight characters, no dash).
    pub(crate) user_codes: HashMap<String, Uuid>,
}

pub(crate) struct Shared {
    pub(crate) inner: Mutex<Inner>,
    /// The emulator's own origin, `http(s)://127.0.0.1:PORT` (verification URIs, `Origin` checks).
    pub(crate) base_url: String,
    /// The bootstrap admin user, `user:<uuid>`.
    pub(crate) admin_identity: String,
    pub(crate) requests: AtomicU64,
    pub(crate) connections: AtomicU64,
    /// API requests per path and per `METHOD path`.
    counts: Mutex<(BTreeMap<String, u64>, BTreeMap<String, u64>)>,
}

/// What the emulator has seen since it started (or since the last reset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// API requests received (everything but `/_emulator/`), rejected and faulted ones included.
    pub requests: u64,
    /// TCP connections accepted.
    pub connections: u64,
    /// API requests per path, e.g. `"/v1/auth/tokens": 3`.
    pub paths: BTreeMap<String, u64>,
    /// API requests per method and path, e.g. `"GET /v1/auth/tokens": 2`.
    pub routes: BTreeMap<String, u64>,
}

/// The state as the handlers hold it.
pub(crate) type St = Arc<Shared>;

impl Shared {
    /// Fresh state: one Domain with one IdP binding (`github`) and one user, the admin (with
    /// [`ADMIN_EMAIL`]); no other rows.
    pub(crate) fn new(config: Config, base_url: String) -> Shared {
        let domain = DomainRow::generate();
        let admin_identity = format!("user:{}", Uuid::now_v7());
        let admin = UserRow {
            domain_id: domain.id,
            email: ADMIN_EMAIL.into(),
            env: "prod".into(),
            acr: None,
            amr: Vec::new(),
        };
        Shared {
            base_url,
            admin_identity: admin_identity.clone(),
            inner: Mutex::new(Inner {
                config,
                tokens: HashMap::new(),
                denied: HashSet::new(),
                services: HashMap::new(),
                nodes: HashMap::new(),
                fault: None,
                clock_offset: time::Duration::ZERO,
                correlation: 0,
                domain,
                users: HashMap::from([(admin_identity, admin)]),
                sessions: HashMap::new(),
                devices: HashMap::new(),
                user_codes: HashMap::new(),
            }),
            requests: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            counts: Mutex::new(Default::default()),
        }
    }

    /// Counts one API request.
    pub(crate) fn count_request(&self, method: &str, path: &str) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.0.entry(path.to_owned()).or_default() += 1;
        *counts.1.entry(format!("{method} {path}")).or_default() += 1;
    }

    /// The counters.
    pub(crate) fn stats(&self) -> Stats {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        Stats {
            requests: self.requests.load(Ordering::SeqCst),
            connections: self.connections.load(Ordering::SeqCst),
            paths: counts.0.clone(),
            routes: counts.1.clone(),
        }
    }

    /// Sets every counter back to zero.
    pub(crate) fn reset_stats(&self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        self.requests.store(0, Ordering::SeqCst);
        self.connections.store(0, Ordering::SeqCst);
        *counts = Default::default();
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.lock().clock_offset
    }

    fn argon2(&self) -> argon2::Argon2<'static> {
        let c = &self.lock().config;
        let params =
            argon2::Params::new(c.argon2_m_cost, c.argon2_t_cost, c.argon2_p_cost, Some(32))
                .expect("valid Argon2 parameters");
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
    }

    pub(crate) fn hash(&self, secret: &[u8]) -> Hash {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).expect("randomness");
        let mut out = [0u8; 32];
        self.argon2()
            .hash_password_into(secret, &salt, &mut out)
            .expect("Argon2id hashes");
        Hash { salt, out }
    }

    pub(crate) fn verify(&self, secret: &[u8], hash: &Hash) -> bool {
        let mut out = [0u8; 32];
        if self
            .argon2()
            .hash_password_into(secret, &hash.salt, &mut out)
            .is_err()
        {
            return false;
        }
        // Constant-time comparison: fold every byte difference.
        out.iter()
            .zip(hash.out.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }

    /// Mints a token row and returns (id, plaintext).
    pub(crate) fn mint(
        &self,
        identity: &str,
        owner: &str,
        env: &str,
        ttl: time::Duration,
    ) -> (Uuid, String) {
        let id = Uuid::now_v7();
        let mut secret = [0u8; 16];
        getrandom::fill(&mut secret).expect("randomness");
        let plaintext = crate::psk::format(env, id, &secret).expect("env is lowercase letters");
        let hash = self.hash(&secret);
        let now = self.now();
        self.lock().tokens.insert(
            id,
            TokenRow {
                identity: identity.to_owned(),
                owner: owner.to_owned(),
                env: env.to_owned(),
                hash,
                previous: None,
                created_at: now,
                expires_at: now + ttl,
                ttl,
                last_used_at: None,
                rotated_at: None,
                revoked: false,
            },
        );
        (id, plaintext)
    }

    pub(crate) fn add_service_identity(&self, spec: ServiceIdentitySpec) -> String {
        let identity = format!("service:{}", Uuid::now_v7());
        let (client_id, row) = match spec {
            ServiceIdentitySpec::ClientCredentials {
                client_id,
                client_secret,
            } => (
                client_id,
                ServiceRow::ClientCredentials {
                    identity: identity.clone(),
                    hash: self.hash(client_secret.as_bytes()),
                },
            ),
            ServiceIdentitySpec::JwtBearer { client_id, subject } => (
                client_id,
                ServiceRow::JwtBearer {
                    identity: identity.clone(),
                    subject,
                },
            ),
        };
        self.lock().services.insert(client_id, row);
        identity
    }

    pub(crate) fn add_node(&self, edges: usize) -> NodeFixture {
        let fixture = NodeFixture {
            node_id: Uuid::now_v7(),
            peer_id: Uuid::now_v7(),
            edges: (0..edges)
                .map(|_| Edge {
                    peer_node_id: Uuid::now_v7(),
                    current_kid: "did:web:plexsphere.com#psk-2026-04".into(),
                    current_wrap_key_version: 7,
                })
                .collect(),
        };
        let row = NodeRow {
            fixture: fixture.clone(),
            denied: false,
            pending: None,
        };
        self.lock().nodes.insert(fixture.node_id, row);
        fixture
    }

    pub(crate) fn deny(&self, identity_ref: &str, denied: bool) {
        let mut inner = self.lock();
        if denied {
            inner.denied.insert(identity_ref.to_owned());
        } else {
            inner.denied.remove(identity_ref);
        }
    }

    /// Whether `identity_ref` names a registered service identity.
    pub(crate) fn is_registered_service(&self, identity_ref: &str) -> bool {
        self.lock().services.values().any(|r| match r {
            ServiceRow::ClientCredentials { identity, .. }
            | ServiceRow::JwtBearer { identity, .. } => identity == identity_ref,
        })
    }

    pub(crate) fn next_correlation(&self) -> String {
        let mut inner = self.lock();
        inner.correlation += 1;
        format!("rebac-{}", inner.correlation)
    }
}

/// `N` random bytes.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).expect("randomness");
    out
}

/// `N` random bytes as lowercase hex: an opaque value (a session cookie, a CSRF token).
pub(crate) fn random_hex<const N: usize>() -> String {
    random_bytes::<N>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
