//! A local, stateful, strict emulator of the plexsphere v1 API: the server every libplexctl test
//! (Rust, C, Go, Python) and benchmark talks to over real HTTP on loopback.
//!
//! It implements the operations libplexctl calls, as the OpenAPI subset in `shared/openapi`
//! describes them: API tokens (psk plaintexts, Argon2id-hashed secrets, expiry, revocation,
//! rotation with a grace period and a `Sunset` header), service-token grants (`client_credentials`
//! and JWT-bearer with EdDSA assertions), and per-Node mesh-key rotation (trigger, preview,
//! idempotent pending rows, both re-trigger behaviours). Faults (a status, a proxy's HTML page, a
//! dropped connection, a malformed or oversized body, latency, a skewed `Sunset`) make failure
//! paths real. A control API under `/_emulator/` drives the same state from other languages.
//!
//! ```
//! use plexctl_emulator::{Config, Emulator};
//! let emu = Emulator::start(Config::fast()).unwrap();
//! assert!(emu.url().starts_with("http://127.0.0.1:"));
//! assert!(emu.admin_token().starts_with("psk_prod_"));
//! ```
#![deny(missing_docs)]
// Request checks return the finished error response; its size does not matter on this path.
#![allow(clippy::result_large_err)]

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use bytes::Bytes;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower::ServiceExt;
use uuid::Uuid;

const SIGNING_KEY: &str = include_str!("../keys/signing.pem");
const VERIFYING_KEY: &str = include_str!("../keys/signing.pub.pem");
/// A second key, unknown to the verifier, for forged assertions.
const FORGER_KEY: &str = include_str!("../keys/forger.pem");

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

/// The emulator's settings; [`Emulator::set_config`] changes them at run time.
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
}

impl Default for Config {
    /// Realistic settings: OWASP's Argon2id parameters (19 MiB, 2 iterations), a 24 h grace,
    /// 30-day tokens, one-hour service tokens.
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

/// A fault injected into the API paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// What goes wrong.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Only requests whose path starts with this; `None` for every API path.
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// How many requests it applies to; `None` until cleared.
    #[serde(default)]
    pub count: Option<u32>,
}

/// The kinds of [`Fault`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status and a Problem body.
    Status {
        /// The HTTP status.
        status: u16,
        /// The Problem `code`.
        #[serde(default)]
        code: Option<String>,
    },
    /// A reverse proxy's `502 Bad Gateway` HTML page.
    HtmlBadGateway,
    /// Close the connection without any response.
    Drop,
    /// A 200 `application/json` answer whose body is truncated JSON.
    MalformedJson,
    /// A 200 answer with a valid-looking JSON body of about this many bytes.
    Oversized {
        /// Body size.
        bytes: usize,
    },
    /// Wait this long, then answer normally.
    Latency {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Rotate answers carry a `Sunset` header this many seconds off `rotation_deadline`.
    SunsetSkew {
        /// The skew.
        seconds: i64,
    },
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

/// A JWT-bearer assertion to sign with [`Emulator::sign_assertion`].
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

/// A Node registered with [`Emulator::add_node`].
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
struct Hash {
    salt: [u8; 16],
    out: [u8; 32],
}

struct TokenRow {
    identity: String,
    owner: String,
    env: String,
    hash: Hash,
    /// The rotated-from secret and the deadline until which it is honoured.
    previous: Option<(Hash, OffsetDateTime)>,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    ttl: time::Duration,
    last_used_at: Option<OffsetDateTime>,
    rotated_at: Option<OffsetDateTime>,
    revoked: bool,
}

enum ServiceRow {
    ClientCredentials { identity: String, hash: Hash },
    JwtBearer { identity: String, subject: String },
}

struct NodeRow {
    fixture: NodeFixture,
    denied: bool,
    pending: Option<(Uuid, OffsetDateTime)>,
}

struct Inner {
    config: Config,
    tokens: HashMap<Uuid, TokenRow>,
    denied: HashSet<String>,
    services: HashMap<String, ServiceRow>,
    nodes: HashMap<Uuid, NodeRow>,
    fault: Option<Fault>,
    clock_offset: time::Duration,
    correlation: u64,
}

struct Shared {
    inner: Mutex<Inner>,
    requests: AtomicU64,
    connections: AtomicU64,
}

type St = Arc<Shared>;

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.lock().clock_offset
    }

    fn argon2(&self) -> argon2::Argon2<'static> {
        let c = &self.lock().config;
        let params =
            argon2::Params::new(c.argon2_m_cost, c.argon2_t_cost, c.argon2_p_cost, Some(32))
                .expect("valid Argon2 parameters");
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
    }

    fn hash(&self, secret: &[u8]) -> Hash {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).expect("randomness");
        let mut out = [0u8; 32];
        self.argon2()
            .hash_password_into(secret, &salt, &mut out)
            .expect("Argon2id hashes");
        Hash { salt, out }
    }

    fn verify(&self, secret: &[u8], hash: &Hash) -> bool {
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
    fn mint(&self, identity: &str, owner: &str, env: &str, ttl: time::Duration) -> (Uuid, String) {
        let id = Uuid::now_v7();
        let mut secret = [0u8; 16];
        getrandom::fill(&mut secret).expect("randomness");
        let plaintext = plexctl_core::psk::format(env, id, &secret)
            .expect("env is lowercase letters")
            .expose_secret()
            .to_owned();
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

    fn add_service_identity(&self, spec: ServiceIdentitySpec) -> String {
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

    fn add_node(&self, edges: usize) -> NodeFixture {
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

    fn deny(&self, identity_ref: &str, denied: bool) {
        let mut inner = self.lock();
        if denied {
            inner.denied.insert(identity_ref.to_owned());
        } else {
            inner.denied.remove(identity_ref);
        }
    }

    fn next_correlation(&self) -> String {
        let mut inner = self.lock();
        inner.correlation += 1;
        format!("rebac-{}", inner.correlation)
    }

    /// Takes one use of the fault that applies to `path`, if any (a `SunsetSkew` is left for the
    /// rotate handler).
    fn take_fault(&self, path: &str, sunset: bool) -> Option<FaultKind> {
        let mut inner = self.lock();
        let fault = inner.fault.as_mut()?;
        if fault
            .path_prefix
            .as_deref()
            .is_some_and(|p| !path.starts_with(p))
        {
            return None;
        }
        if matches!(fault.kind, FaultKind::SunsetSkew { .. }) != sunset {
            return None;
        }
        let kind = fault.kind.clone();
        if let Some(n) = fault.count.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                inner.fault = None;
            }
        }
        Some(kind)
    }
}

/// A running emulator on `127.0.0.1`. Dropping it shuts the server down.
pub struct Emulator {
    shared: St,
    addr: SocketAddr,
    admin_token: String,
    admin_identity: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Emulator {
    /// Starts an emulator on `127.0.0.1` with an ephemeral port, on its own thread and runtime.
    /// Returns once it is listening.
    ///
    /// # Errors
    /// The bind error, if the port cannot be bound.
    pub fn start(config: Config) -> std::io::Result<Emulator> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts an emulator on `addr` (which must be a loopback address).
    ///
    /// # Errors
    /// `InvalidInput` for an address that is not loopback; the bind error.
    pub fn start_on(config: Config, addr: SocketAddr) -> std::io::Result<Emulator> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the emulator serves loopback only",
            ));
        }
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared: St = Arc::new(Shared {
            inner: Mutex::new(Inner {
                config,
                tokens: HashMap::new(),
                denied: HashSet::new(),
                services: HashMap::new(),
                nodes: HashMap::new(),
                fault: None,
                clock_offset: time::Duration::ZERO,
                correlation: 0,
            }),
            requests: AtomicU64::new(0),
            connections: AtomicU64::new(0),
        });
        let admin_identity = format!("user:{}", Uuid::now_v7());
        let (_, admin_token) = shared.mint(
            &admin_identity,
            &admin_identity,
            "prod",
            time::Duration::days(3650),
        );
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let server_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("plexsphere-emulator".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => {
                            let _ = ready_tx.send(Ok(()));
                            l
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    serve(listener, server_shared, rx).await;
                });
            })?;
        ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the emulator thread died"))??;
        Ok(Emulator {
            shared,
            addr,
            admin_token,
            admin_identity,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bootstrap admin token (a psk bound to [`admin_identity`](Self::admin_identity)).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The admin's identity ref, `user:<uuid>`.
    pub fn admin_identity(&self) -> String {
        self.admin_identity.clone()
    }

    /// API requests received (everything but `/_emulator/`), rejected ones included.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// TCP connections accepted.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Sets (or clears) the fault.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.shared.lock().fault = fault;
    }

    /// Moves the emulator's clock forward (expiry and rotation deadlines follow it).
    pub fn advance_clock(&self, by: Duration) {
        let mut inner = self.shared.lock();
        inner.clock_offset += time::Duration::try_from(by).unwrap_or(time::Duration::ZERO);
    }

    /// Mints a token without HTTP, owned by and bound to `identity_ref`; returns (id, plaintext).
    pub fn seed_token(
        &self,
        identity_ref: &str,
        env_prefix: &str,
        ttl: Option<Duration>,
    ) -> (Uuid, String) {
        let ttl = ttl.unwrap_or(self.shared.lock().config.default_token_ttl);
        self.shared.mint(
            identity_ref,
            identity_ref,
            env_prefix,
            time::Duration::try_from(ttl).unwrap_or(time::Duration::days(30)),
        )
    }

    /// Marks a principal denied (403 PermissionDenied on token and key-rotate operations).
    pub fn deny(&self, identity_ref: &str, denied: bool) {
        self.shared.deny(identity_ref, denied);
    }

    /// Registers a service identity; returns its identity ref, `service:<uuid>`.
    pub fn add_service_identity(&self, spec: ServiceIdentitySpec) -> String {
        self.shared.add_service_identity(spec)
    }

    /// Registers a Node with a live Peer and `edges` peer edges.
    pub fn add_node(&self, edges: usize) -> NodeFixture {
        self.shared.add_node(edges)
    }

    /// Makes the ReBAC authorizer deny (or allow) every caller on this Node.
    pub fn deny_node(&self, node_id: Uuid, denied: bool) {
        if let Some(n) = self.shared.lock().nodes.get_mut(&node_id) {
            n.denied = denied;
        }
    }

    /// The pending rotation of a Node, if any.
    pub fn pending_rotation(&self, node_id: Uuid) -> Option<Uuid> {
        self.shared
            .lock()
            .nodes
            .get(&node_id)
            .and_then(|n| n.pending.map(|p| p.0))
    }

    /// Changes the configuration at run time.
    pub fn set_config(&self, f: impl FnOnce(&mut Config)) {
        f(&mut self.shared.lock().config);
    }

    /// Signs a JWT-bearer assertion (EdDSA) with the trusted key, or an untrusted one if forged.
    pub fn sign_assertion(&self, spec: &AssertionSpec) -> String {
        sign_assertion(&self.shared, spec)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn sign_assertion(shared: &Shared, spec: &AssertionSpec) -> String {
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
    let pem = if spec.forged { FORGER_KEY } else { SIGNING_KEY };
    let key = EncodingKey::from_ed_pem(pem.as_bytes()).expect("the test key parses");
    jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &key).expect("JWT signs")
}

async fn serve(
    listener: tokio::net::TcpListener,
    shared: St,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let router = router(Arc::clone(&shared));
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                let router = router.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let shared = Arc::clone(&shared);
                        let router = router.clone();
                        async move { handle(shared, router, req).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

/// Counts API requests and applies faults, then hands the request to the router. Returning `Err`
/// makes hyper close the connection without a response: that is the `Drop` fault.
async fn handle(
    shared: St,
    router: Router,
    req: Request<hyper::body::Incoming>,
) -> Result<Response, std::io::Error> {
    let path = req.uri().path().to_owned();
    if !path.starts_with("/_emulator/") {
        shared.requests.fetch_add(1, Ordering::SeqCst);
        match shared.take_fault(&path, false) {
            None => {}
            Some(FaultKind::Drop) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "fault: drop",
                ));
            }
            Some(FaultKind::Latency { ms }) => tokio::time::sleep(Duration::from_millis(ms)).await,
            Some(FaultKind::Status { status, code }) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let code = code.unwrap_or_else(|| "injected_fault".into());
                return Ok(problem(status, &code, "injected fault", &path));
            }
            Some(FaultKind::HtmlBadGateway) => {
                let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
                return Ok((
                    StatusCode::BAD_GATEWAY,
                    [(header::CONTENT_TYPE, "text/html")],
                    page,
                )
                    .into_response());
            }
            Some(FaultKind::MalformedJson) => {
                return Ok((
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    "[{\"id\": \"0190a8c0-",
                )
                    .into_response());
            }
            Some(FaultKind::Oversized { bytes }) => {
                let entry = r#"{"id":"0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3","env_prefix":"prod","created_at":"2026-01-01T00:00:00Z","expires_at":"2027-01-01T00:00:00Z"}"#;
                let n = bytes / (entry.len() + 1) + 1;
                let body = format!("[{}]", vec![entry; n].join(","));
                return Ok((
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    body,
                )
                    .into_response());
            }
            Some(FaultKind::SunsetSkew { .. }) => {}
        }
    }
    let resp: Result<Response, Infallible> = router.oneshot(req).await;
    Ok(resp.unwrap_or_else(|e| match e {}))
}

fn router(shared: St) -> Router {
    Router::new()
        .route("/v1/auth/tokens", post(issue_token).get(list_tokens))
        .route("/v1/auth/tokens/{id}", delete(delete_token))
        .route("/v1/auth/tokens/{id}/rotate", post(rotate_token))
        .route("/v1/auth/service/token", post(service_token))
        .route("/v1/nodes/{id}/keys/rotate", post(key_rotate))
        .route(
            "/v1/nodes/{id}/keys/rotate/preview",
            get(key_rotate_preview),
        )
        .route("/_emulator/stats", get(ctl_stats))
        .route(
            "/_emulator/fault",
            put(ctl_set_fault).delete(ctl_clear_fault),
        )
        .route("/_emulator/clock/advance", post(ctl_advance_clock))
        .route("/_emulator/tokens", post(ctl_seed_token))
        .route("/_emulator/deny", put(ctl_deny))
        .route(
            "/_emulator/service-identities",
            post(ctl_add_service_identity),
        )
        .route("/_emulator/nodes", post(ctl_add_node))
        .route("/_emulator/nodes/{id}/deny", put(ctl_deny_node))
        .route("/_emulator/nodes/{id}/pending", get(ctl_pending))
        .route("/_emulator/config", axum::routing::patch(ctl_config))
        .route("/_emulator/assertions", post(ctl_sign_assertion))
        .fallback(not_found)
        .with_state(shared)
}

// ---------------------------------------------------------------------------------------------
// Responses

fn slug(code: &str) -> String {
    code.replace('_', "-")
}

fn problem_value(status: StatusCode, code: &str, detail: &str, instance: &str) -> Value {
    json!({
        "type": format!("https://plexsphere.com/errors/{}", slug(code)),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "instance": instance,
        "code": code,
    })
}

fn problem_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        )],
        body.to_string(),
    )
        .into_response()
}

fn problem(status: StatusCode, code: &str, detail: &str, instance: &str) -> Response {
    problem_json(status, problem_value(status, code, detail, instance))
}

fn permission_denied(
    shared: &Shared,
    code: &str,
    detail: &str,
    instance: &str,
    object: &str,
) -> Response {
    let mut body = problem_value(StatusCode::FORBIDDEN, code, detail, instance);
    body["type"] = json!("https://plexsphere.com/errors/insufficient-relation");
    body["reason"] = json!("insufficient_relation");
    body["relation_path"] = json!([format!("{object}#operator"), format!("{object}#owner")]);
    body["correlation_id"] = json!(shared.next_correlation());
    problem_json(StatusCode::FORBIDDEN, body)
}

fn ok_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("RFC 3339 formats")
}

async fn not_found(req: Request<Body>) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not_found",
        "No route matched the request.",
        req.uri().path(),
    )
}

// ---------------------------------------------------------------------------------------------
// Request checks

/// Parses a JSON body strictly: the content type must be JSON and the shape must match.
fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
    instance: &str,
) -> Result<T, Response> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != "application/json" {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "the request body must be application/json",
            instance,
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            &format!(
                "the request body is not a valid document: {}",
                e.classify_str()
            ),
            instance,
        )
    })
}

trait Classify {
    fn classify_str(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_str(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Data => "unknown, missing or mistyped field",
            _ => "malformed JSON",
        }
    }
}

/// An optional body (rotate, key-rotate trigger): empty, or `{}` as JSON.
fn empty_body(headers: &HeaderMap, body: &Bytes, instance: &str) -> Result<(), Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Empty {}
    json_body::<Empty>(headers, body, instance).map(|_| ())
}

fn path_uuid(id: &str, instance: &str) -> Result<Uuid, Response> {
    Uuid::try_parse(id).map_err(|_| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_id",
            "path {id} is not a UUID",
            instance,
        )
    })
}

/// The authenticated principal: its identity ref and the id of the token it used.
struct Principal {
    identity: String,
}

fn unauthenticated(instance: &str) -> Response {
    problem(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "no resolved principal on the request",
        instance,
    )
}

fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    instance: &str,
) -> Result<Principal, Response> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| unauthenticated(instance))?;
    let psk = plexctl_core::psk::Psk::parse(value.trim()).map_err(|_| unauthenticated(instance))?;
    let now = shared.now();
    let (hash, previous) = {
        let inner = shared.lock();
        let row = inner
            .tokens
            .get(&psk.id())
            .ok_or_else(|| unauthenticated(instance))?;
        if row.revoked || row.expires_at <= now || row.env != psk.env() {
            return Err(unauthenticated(instance));
        }
        (row.hash.clone(), row.previous.clone())
    };
    // Hash outside the lock so concurrent requests verify in parallel.
    let secret = psk.expose_secret_bytes();
    let ok = shared.verify(secret, &hash)
        || previous.is_some_and(|(h, deadline)| now < deadline && shared.verify(secret, &h));
    if !ok {
        return Err(unauthenticated(instance));
    }
    let mut inner = shared.lock();
    let row = inner
        .tokens
        .get_mut(&psk.id())
        .ok_or_else(|| unauthenticated(instance))?;
    if row.revoked {
        return Err(unauthenticated(instance));
    }
    row.last_used_at = Some(now);
    Ok(Principal {
        identity: row.identity.clone(),
    })
}

fn check_denied(shared: &Shared, p: &Principal, instance: &str) -> Result<(), Response> {
    if shared.lock().denied.contains(&p.identity) {
        return Err(permission_denied(
            shared,
            "permission_denied",
            "principal lacks the relation needed for this token operation",
            instance,
            &p.identity,
        ));
    }
    Ok(())
}

fn visible(row: &TokenRow, p: &Principal) -> bool {
    !row.revoked && (row.owner == p.identity || row.identity == p.identity)
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(resp) => return resp,
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    identity_ref: String,
    env_prefix: String,
    #[serde(default)]
    ttl_seconds: Option<i64>,
}

async fn issue_token(State(s): State<St>, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/v1/auth/tokens";
    let p = tri!(authenticate(&s, &headers, path));
    tri!(check_denied(&s, &p, path));
    let req: IssueBody = tri!(json_body(&headers, &body, path));
    if req
        .identity_ref
        .parse::<plexctl_core::IdentityRef>()
        .is_err()
    {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "identity_ref must be user:<uuid> or service:<uuid>",
            path,
        );
    }
    if req.env_prefix.parse::<plexctl_core::EnvPrefix>().is_err() {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "env_prefix must be dev, stage or prod",
            path,
        );
    }
    let ttl = match req.ttl_seconds {
        None => time::Duration::try_from(s.lock().config.default_token_ttl)
            .unwrap_or(time::Duration::days(30)),
        Some(n) if n >= 1 => time::Duration::seconds(n),
        Some(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "ttl_seconds must be at least 1",
                path,
            );
        }
    };
    let (id, plaintext) = s.mint(&req.identity_ref, &p.identity, &req.env_prefix, ttl);
    let expires_at = s.lock().tokens[&id].expires_at;
    ok_json(
        StatusCode::CREATED,
        json!({"id": id, "plaintext": plaintext, "env_prefix": req.env_prefix, "expires_at": ts(expires_at)}),
    )
}

async fn list_tokens(State(s): State<St>, headers: HeaderMap) -> Response {
    let path = "/v1/auth/tokens";
    let p = tri!(authenticate(&s, &headers, path));
    tri!(check_denied(&s, &p, path));
    let inner = s.lock();
    let mut rows: Vec<(&Uuid, &TokenRow)> = inner
        .tokens
        .iter()
        .filter(|(_, r)| visible(r, &p))
        .collect();
    rows.sort_by_key(|(id, _)| **id);
    let list: Vec<Value> = rows
        .into_iter()
        .map(|(id, r)| {
            let mut v = json!({"id": id, "env_prefix": r.env, "created_at": ts(r.created_at), "expires_at": ts(r.expires_at)});
            if let Some(t) = r.last_used_at {
                v["last_used_at"] = json!(ts(t));
            }
            if let Some(t) = r.rotated_at {
                v["rotated_at"] = json!(ts(t));
            }
            v
        })
        .collect();
    ok_json(StatusCode::OK, Value::Array(list))
}

async fn delete_token(State(s): State<St>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let path = format!("/v1/auth/tokens/{id}");
    let p = tri!(authenticate(&s, &headers, &path));
    tri!(check_denied(&s, &p, &path));
    let id = tri!(path_uuid(&id, &path));
    let mut inner = s.lock();
    match inner.tokens.get_mut(&id) {
        Some(row) if visible(row, &p) => {
            row.revoked = true;
            StatusCode::NO_CONTENT.into_response()
        }
        _ => problem(
            StatusCode::NOT_FOUND,
            "token_not_found",
            "token not found",
            &path,
        ),
    }
}

async fn rotate_token(
    State(s): State<St>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/v1/auth/tokens/{id}/rotate");
    let p = tri!(authenticate(&s, &headers, &path));
    tri!(check_denied(&s, &p, &path));
    let id = tri!(path_uuid(&id, &path));
    tri!(empty_body(&headers, &body, &path));
    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).expect("randomness");
    let hash = s.hash(&secret);
    let now = s.now();
    let grace =
        time::Duration::try_from(s.lock().config.rotation_grace).unwrap_or(time::Duration::DAY);
    // Whole seconds, so the HTTP-date Sunset header names exactly the same instant.
    let deadline = (now + grace)
        .replace_nanosecond(0)
        .expect("zero is a valid nanosecond");
    let mut inner = s.lock();
    let Some(row) = inner.tokens.get_mut(&id).filter(|r| visible(r, &p)) else {
        return problem(
            StatusCode::NOT_FOUND,
            "token_not_found",
            "token not found",
            &path,
        );
    };
    row.previous = Some((std::mem::replace(&mut row.hash, hash), deadline));
    row.rotated_at = Some(now);
    row.expires_at = now + row.ttl;
    let plaintext = plexctl_core::psk::format(&row.env, id, &secret)
        .expect("env is lowercase letters")
        .expose_secret()
        .to_owned();
    let body = json!({
        "id": id, "plaintext": plaintext, "env_prefix": row.env,
        "expires_at": ts(row.expires_at), "rotation_deadline": ts(deadline),
    });
    drop(inner);
    let skew = match s.take_fault(&path, true) {
        Some(FaultKind::SunsetSkew { seconds }) => time::Duration::seconds(seconds),
        _ => time::Duration::ZERO,
    };
    let sunset = httpdate::fmt_http_date((deadline + skew).into());
    let mut resp = ok_json(StatusCode::OK, body);
    resp.headers_mut().insert(
        "sunset",
        HeaderValue::from_str(&sunset).expect("HTTP-date is ASCII"),
    );
    resp
}

// ---------------------------------------------------------------------------------------------
// Service tokens

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

async fn service_token(State(s): State<St>, headers: HeaderMap, body: Bytes) -> Response {
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
        let key = DecodingKey::from_ed_pem(VERIFYING_KEY.as_bytes()).expect("the test key parses");
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
    ok_json(StatusCode::OK, body)
}

// ---------------------------------------------------------------------------------------------
// Key rotation

/// The shared gate of both key-rotate endpoints: authenticate → provisioned → ReBAC → existence.
fn key_gate(
    s: &Shared,
    headers: &HeaderMap,
    id: &str,
    path: &str,
    preview: bool,
) -> Result<Uuid, Response> {
    let p = authenticate(s, headers, path)?;
    if !s.lock().config.key_rotate_provisioned {
        let code = if preview {
            "node_keys_rotate_preview_not_provisioned"
        } else {
            "node_keys_rotate_not_provisioned"
        };
        return Err(problem(
            StatusCode::NOT_IMPLEMENTED,
            code,
            "the key-rotation surface is not yet provisioned in this build",
            path,
        ));
    }
    let id = path_uuid(id, path)?;
    let denied = {
        let inner = s.lock();
        inner.denied.contains(&p.identity) || inner.nodes.get(&id).is_some_and(|n| n.denied)
    };
    if denied {
        return Err(permission_denied(
            s,
            "rebac_denied",
            "principal lacks the operator-action relation on the addressed Node.",
            path,
            &format!("node:{id}"),
        ));
    }
    if !s.lock().nodes.contains_key(&id) {
        return Err(problem(
            StatusCode::NOT_FOUND,
            "node_not_found",
            "node id does not match any Node in this Domain.",
            path,
        ));
    }
    Ok(id)
}

async fn key_rotate(
    State(s): State<St>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/v1/nodes/{id}/keys/rotate");
    let id = tri!(key_gate(&s, &headers, &id, &path, false));
    tri!(empty_body(&headers, &body, &path));
    let now = s.now();
    let mut inner = s.lock();
    let mode = inner.config.retrigger_mode;
    let node = inner
        .nodes
        .get_mut(&id)
        .expect("the gate checked existence");
    let peer_id = node.fixture.peer_id;
    if let Some((rotation_id, requested_at)) = node.pending {
        return match mode {
            RetriggerMode::Ok200 => ok_json(
                StatusCode::OK,
                json!({"rotation_id": rotation_id, "peer_id": peer_id, "already_pending": true,
                       "node_id": id, "state": "pending", "requested_at": ts(requested_at)}),
            ),
            RetriggerMode::Conflict409 => {
                let mut body = problem_value(
                    StatusCode::CONFLICT,
                    "already_pending",
                    "a rotation is already pending for this Node",
                    &path,
                );
                body["rotation_id"] = json!(rotation_id);
                body["peer_id"] = json!(peer_id);
                problem_json(StatusCode::CONFLICT, body)
            }
        };
    }
    let rotation_id = Uuid::now_v7();
    node.pending = Some((rotation_id, now));
    ok_json(
        StatusCode::OK,
        json!({"rotation_id": rotation_id, "peer_id": peer_id, "already_pending": false,
               "node_id": id, "state": "pending", "requested_at": ts(now)}),
    )
}

async fn key_rotate_preview(
    State(s): State<St>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/nodes/{id}/keys/rotate/preview");
    let id = tri!(key_gate(&s, &headers, &id, &path, true));
    let inner = s.lock();
    let node = &inner.nodes[&id];
    let n = node.fixture.edges.len();
    ok_json(
        StatusCode::OK,
        json!({
            "node_id": id,
            "peer_id": node.fixture.peer_id,
            "affected_peer_count": n,
            "affected_edges": node.fixture.edges,
            "already_pending": node.pending.is_some(),
            "estimated_duration_seconds": 2 + 5 * n,
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// Control API: thin wrappers over the same state methods the library API uses.

fn ctl_error(detail: &str) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        "invalid_control_request",
        detail,
        "/_emulator/",
    )
}

fn ctl_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| ctl_error(&e.to_string()))
}

async fn ctl_stats(State(s): State<St>) -> Response {
    ok_json(
        StatusCode::OK,
        json!({"requests": s.requests.load(Ordering::SeqCst), "connections": s.connections.load(Ordering::SeqCst)}),
    )
}

async fn ctl_set_fault(State(s): State<St>, body: Bytes) -> Response {
    let fault: Fault = tri!(ctl_body(&body));
    s.lock().fault = Some(fault);
    StatusCode::NO_CONTENT.into_response()
}

async fn ctl_clear_fault(State(s): State<St>) -> Response {
    s.lock().fault = None;
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

async fn ctl_advance_clock(State(s): State<St>, body: Bytes) -> Response {
    let a: Advance = tri!(ctl_body(&body));
    s.lock().clock_offset += time::Duration::seconds(a.seconds as i64);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct SeedToken {
    identity_ref: String,
    env_prefix: String,
    #[serde(default)]
    ttl_seconds: Option<u64>,
    /// Mint this many (for large lists in benchmarks); the answer names the last one.
    #[serde(default)]
    count: Option<u32>,
}

async fn ctl_seed_token(State(s): State<St>, body: Bytes) -> Response {
    let t: SeedToken = tri!(ctl_body(&body));
    if t.env_prefix.is_empty() || !t.env_prefix.bytes().all(|b| b.is_ascii_lowercase()) {
        return ctl_error("env_prefix must be lowercase letters");
    }
    let ttl = match t.ttl_seconds {
        Some(n) => time::Duration::seconds(n as i64),
        None => time::Duration::try_from(s.lock().config.default_token_ttl)
            .unwrap_or(time::Duration::days(30)),
    };
    let mut last = s.mint(&t.identity_ref, &t.identity_ref, &t.env_prefix, ttl);
    for _ in 1..t.count.unwrap_or(1).max(1) {
        last = s.mint(&t.identity_ref, &t.identity_ref, &t.env_prefix, ttl);
    }
    let (id, plaintext) = last;
    ok_json(
        StatusCode::CREATED,
        json!({"id": id, "plaintext": plaintext}),
    )
}

#[derive(Deserialize)]
struct Deny {
    #[serde(default)]
    identity_ref: Option<String>,
    denied: bool,
}

async fn ctl_deny(State(s): State<St>, body: Bytes) -> Response {
    let d: Deny = tri!(ctl_body(&body));
    let Some(who) = d.identity_ref else {
        return ctl_error("identity_ref is required");
    };
    s.deny(&who, d.denied);
    StatusCode::NO_CONTENT.into_response()
}

async fn ctl_add_service_identity(State(s): State<St>, body: Bytes) -> Response {
    let spec: ServiceIdentitySpec = tri!(ctl_body(&body));
    ok_json(
        StatusCode::CREATED,
        json!({"identity_ref": s.add_service_identity(spec)}),
    )
}

#[derive(Deserialize)]
struct AddNode {
    #[serde(default)]
    edges: usize,
}

async fn ctl_add_node(State(s): State<St>, body: Bytes) -> Response {
    let n: AddNode = tri!(ctl_body(&body));
    ok_json(
        StatusCode::CREATED,
        serde_json::to_value(s.add_node(n.edges)).expect("fixtures serialize"),
    )
}

async fn ctl_deny_node(State(s): State<St>, Path(id): Path<String>, body: Bytes) -> Response {
    let d: Deny = tri!(ctl_body(&body));
    let Ok(id) = Uuid::try_parse(&id) else {
        return ctl_error("node id is not a UUID");
    };
    match s.lock().nodes.get_mut(&id) {
        Some(n) => {
            n.denied = d.denied;
            StatusCode::NO_CONTENT.into_response()
        }
        None => problem(
            StatusCode::NOT_FOUND,
            "node_not_found",
            "no such node",
            "/_emulator/nodes",
        ),
    }
}

async fn ctl_pending(State(s): State<St>, Path(id): Path<String>) -> Response {
    let Ok(id) = Uuid::try_parse(&id) else {
        return ctl_error("node id is not a UUID");
    };
    let pending = s.lock().nodes.get(&id).and_then(|n| n.pending.map(|p| p.0));
    ok_json(StatusCode::OK, json!({"rotation_id": pending}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigPatch {
    retrigger_mode: Option<RetriggerMode>,
    key_rotate_provisioned: Option<bool>,
    jwt_bearer_provisioned: Option<bool>,
    service_token_ttl_seconds: Option<u64>,
    rotation_grace_seconds: Option<u64>,
}

async fn ctl_config(State(s): State<St>, body: Bytes) -> Response {
    let p: ConfigPatch = tri!(ctl_body(&body));
    let mut inner = s.lock();
    let c = &mut inner.config;
    if let Some(v) = p.retrigger_mode {
        c.retrigger_mode = v;
    }
    if let Some(v) = p.key_rotate_provisioned {
        c.key_rotate_provisioned = v;
    }
    if let Some(v) = p.jwt_bearer_provisioned {
        c.jwt_bearer_provisioned = v;
    }
    if let Some(v) = p.service_token_ttl_seconds {
        c.service_token_ttl = Duration::from_secs(v);
    }
    if let Some(v) = p.rotation_grace_seconds {
        c.rotation_grace = Duration::from_secs(v);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn ctl_sign_assertion(State(s): State<St>, body: Bytes) -> Response {
    let spec: AssertionSpec = tri!(ctl_body(&body));
    ok_json(
        StatusCode::OK,
        json!({"assertion": sign_assertion(&s, &spec)}),
    )
}
