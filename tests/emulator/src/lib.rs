//! A local, stateful, strict emulator of the plexsphere v1 API: the server every libplexctl test
//! (Rust, C, Go, Python) and benchmark talks to over real HTTP on loopback.
//!
//! It implements the operations libplexctl calls, as the OpenAPI subset in `shared/openapi`
//! describes them: API tokens (psk plaintexts, Argon2id-hashed secrets, expiry, revocation,
//! rotation with a grace period and a `Sunset` header), service-token grants (`client_credentials`
//! and JWT-bearer with EdDSA assertions), per-Node mesh-key rotation (trigger, preview,
//! idempotent pending rows, both re-trigger behaviours), `whoami` for users (with their Domain and
//! email) and service identities, and the RFC 8628 device login (device codes, every poll answer,
//! approval by the dashboard endpoint with a session cookie and CSRF token, or by the control API
//! and [`Emulator::approve_device`]). Faults (a status with an optional
//! `Retry-After`, a proxy's HTML page, a dropped connection, a malformed, oversized or canned body,
//! latency, a body dripped a byte at a time, answers that echo the caller's secrets or carry
//! terminal escapes, a skewed `Sunset`, a bad `expires_at` or `expires_in` on a real operation) make
//! failure paths real; [`Stats`] counts what arrived. A control API under `/_emulator/` drives the
//! same state from other languages.
//!
//! The emulator does not depend on `plexctl-core`: its [`psk`] codec and its input checks are
//! written from the contract, so a test that passes against it checks the client against an
//! independent reading of the API, not against itself.
//!
//! With [`Config::tls`] it serves HTTPS with a certificate chain it generates at start (valid,
//! expired, or for another host; see [`TlsMode`]) and hands out the CA through
//! [`Emulator::ca_pem`].
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

mod control;
mod device;
mod faults;
mod grants;
mod http;
mod keys;
/// A host name the HTTPS emulator's certificate also names, for reaching it through a proxy:
/// clients never proxy loopback, so a proxied test asks for `https://plexsphere.test:<port>` and
/// the test's proxy connects that to the emulator on 127.0.0.1.
pub const PROXIED_HOST: &str = "plexsphere.test";

pub mod psk;
mod state;
mod tls;
mod tokens;
mod users;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use uuid::Uuid;

pub use device::{DeviceError, DeviceSession, DeviceStatus};
pub use faults::{Fault, FaultKind, FaultSpec, HTML_ECHO_OFFSET, RetryAfter};
pub use state::{
    AssertionSpec, Config, Edge, NodeFixture, RetriggerMode, ServiceIdentitySpec, Stats,
};
pub use tls::TlsMode;
pub use users::{
    ADMIN_EMAIL, CSRF_COOKIE, CSRF_HEADER, GITHUB_ALIAS, SESSION_COOKIE, SessionCookie, UserSpec,
};

use state::{Shared, St};

/// A running emulator on `127.0.0.1`. Dropping it shuts the server down.
pub struct Emulator {
    shared: St,
    addr: SocketAddr,
    admin_token: String,
    admin_identity: String,
    ca_pem: Option<String>,
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
        let tls = config
            .tls
            .map(tls::Tls::generate)
            .transpose()
            .map_err(std::io::Error::other)?;
        let (ca_pem, acceptor) = match tls {
            Some(t) => (Some(t.ca_pem), Some(t.acceptor)),
            None => (None, None),
        };
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let scheme = if ca_pem.is_some() { "https" } else { "http" };
        let shared: St = Arc::new(Shared::new(config, format!("{scheme}://{addr}")));
        let admin_identity = shared.admin_identity.clone();
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
                    http::serve(listener, server_shared, acceptor, rx).await;
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
            ca_pem,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The base URL: `http://127.0.0.1:PORT`, or `https://127.0.0.1:PORT` when [`Config::tls`]
    /// is set (the leaf names `127.0.0.1`, `::1` and `localhost`, so `https://localhost:PORT` works
    /// as well).
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The PEM of the CA that signed the HTTPS leaf; `None` when serving plain HTTP.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bootstrap admin token (a psk bound to [`admin_identity`](Self::admin_identity)).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The admin's identity ref, `user:<uuid>`: a registered user of the Domain, with the email
    /// [`ADMIN_EMAIL`].
    pub fn admin_identity(&self) -> String {
        self.admin_identity.clone()
    }

    /// The id of the emulator's Domain (the binary's start line prints it as `domain_id`).
    pub fn domain_id(&self) -> Uuid {
        self.shared.lock().domain.id
    }

    /// The id of the Domain's IdP binding, whose alias is [`GITHUB_ALIAS`] (`github`).
    pub fn idp_binding_id(&self) -> Uuid {
        self.shared.lock().domain.bindings[0].id
    }

    /// Registers a user in the Domain (whoami shows its domain and email; it can approve device
    /// logins); returns its identity ref, `user:<uuid>`.
    ///
    /// # Panics
    /// When `spec.env_prefix` is not lowercase ASCII letters.
    pub fn add_user(&self, spec: UserSpec) -> String {
        self.shared.add_user(spec).expect("a valid env_prefix")
    }

    /// The email of a registered user.
    pub fn user_email(&self, identity_ref: &str) -> Option<String> {
        self.shared
            .lock()
            .users
            .get(identity_ref)
            .map(|u| u.email.clone())
    }

    /// Approves the device session with this user code (`ABCD-EFGH` or `ABCDEFGH`) as the admin
    /// user, as `POST /v1/auth/device/approve` would; the next poll gets a token bound to the admin.
    ///
    /// # Errors
    /// A malformed code; no such session; expired, already approved, or denied.
    pub fn approve_device(&self, user_code: &str) -> Result<(), DeviceError> {
        self.shared.approve_device(user_code, &self.admin_identity)
    }

    /// Approves the device session with this user code as `identity_ref`, a registered user.
    ///
    /// # Errors
    /// As [`approve_device`](Self::approve_device), and [`DeviceError::UnknownUser`].
    pub fn approve_device_as(
        &self,
        user_code: &str,
        identity_ref: &str,
    ) -> Result<(), DeviceError> {
        self.shared.approve_device(user_code, identity_ref)
    }

    /// Denies the device session with this user code; its next poll gets `access_denied`.
    ///
    /// # Errors
    /// A malformed code; no such session; expired, already approved, or already denied.
    pub fn deny_device(&self, user_code: &str) -> Result<(), DeviceError> {
        self.shared.deny_device(user_code)
    }

    /// The device session with this user code, if any.
    pub fn device_session(&self, user_code: &str) -> Option<DeviceSession> {
        self.shared.device_session(user_code).ok()
    }

    /// Mints a browser session (the `plexsphere_session` cookie and its CSRF token) for a
    /// registered user, as the OIDC callback would; `None` for anyone else.
    pub fn session_cookie(&self, identity_ref: &str) -> Option<SessionCookie> {
        self.shared.session_cookie(identity_ref)
    }

    /// API requests received (everything but `/_emulator/`), rejected ones included.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// TCP connections accepted.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// API requests received on exactly this path (rejected and faulted ones included).
    pub fn requests_to(&self, path: &str) -> u64 {
        self.shared.stats().paths.get(path).copied().unwrap_or(0)
    }

    /// Every counter: requests, connections, requests per path and per `METHOD path`.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Sets every counter of [`stats`](Self::stats) back to zero.
    pub fn reset_stats(&self) {
        self.shared.reset_stats();
    }

    /// Sets (or clears) the fault.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.set_fault_spec(fault.map(FaultSpec::from));
    }

    /// Sets (or clears) the fault with its answer's knobs (`Retry-After`).
    pub fn set_fault_spec(&self, spec: Option<FaultSpec>) {
        self.shared.lock().fault = spec;
    }

    /// The fault in force, with what is left of its `count`.
    pub fn fault(&self) -> Option<FaultSpec> {
        self.shared.lock().fault.clone()
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
        grants::sign_assertion(&self.shared, spec)
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
