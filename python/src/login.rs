//! Device-code login (RFC 8628): `Client.login`, `Client.start_device_login`,
//! `Client.complete_device_login`, with `DeviceAuthorization` and `LoginOutcome`.
//!
//! The polling runs in the core with the GIL released. Between waits the core asks whether to
//! stop; the door answers by re-acquiring the GIL for a moment to run Python's signal handlers
//! (Ctrl-C raises `KeyboardInterrupt` there) and the caller's `cancelled()` callable. A Python
//! exception raised by either (or by `on_code`) stops the login and is what the caller gets; a
//! `cancelled()` that returns true stops it with the core's `cancelled` kind (`plexctl.Cancelled`).

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use plexctl_core::{DeviceLoginRequest, LoginTarget};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::client::Client;
use crate::convert::ToDoor;
use crate::errors::Error;
use crate::input;
use crate::results::result_class;

result_class! {
    /// A started device login: what to show the user. The device code it polls with stays inside
    /// (a secret: whoever holds it gets the session once approved); it is no attribute and never
    /// in `repr()` or `to_dict()`. Pass the object to `Client.complete_device_login()`.
    pub struct DeviceAuthorization from plexctl_core::DeviceAuthorization {
        /// The short code the user enters in the browser (e.g. `"ABCD-EFGH"`).
        user_code: String,
        /// The page where the user enters the code.
        verification_uri: String,
        /// The same page with the code filled in (show it as a link or a QR code).
        verification_uri_complete: String,
        /// The device code's lifetime in seconds, as the server gave it.
        expires_in: u64,
        /// The minimum number of seconds between polls, as the server gave it.
        interval: u64,
        /// When the device code expires (timezone-aware), computed on receipt.
        expires_at: OffsetDateTime,
    }
    computed from m {
        /// The core value, device code included, for `complete_device_login`.
        core: plexctl_core::DeviceAuthorization = m.clone(),
        /// The core's lines, returned by `text()` and `str()`.
        text: String = m.text(),
    }
}

#[pymethods]
impl DeviceAuthorization {
    /// The lines to show the user: where to go and which code to enter.
    fn text(&self) -> &str {
        &self.text
    }

    fn __str__(&self) -> &str {
        &self.text
    }
}

result_class! {
    /// What a completed login stored.
    pub struct LoginOutcome from plexctl_core::LoginOutcome {
        /// The profile that now holds the session.
        profile: String,
        /// The server the session authenticates to.
        server: String,
        /// The session token's id (a psk's), or `None`.
        token_id: Option<Uuid>,
        /// When the session token expires (timezone-aware).
        expires_at: OffsetDateTime,
    }
    computed from m {
        /// The core's line, returned by `text()` and `str()`.
        text: String = m.text(),
    }
}

#[pymethods]
impl LoginOutcome {
    /// The line plexctl prints: `Logged in to <server>. Saved the session in profile "default".`
    fn text(&self) -> &str {
        &self.text
    }

    fn __str__(&self) -> &str {
        &self.text
    }
}

/// The caller's hooks into a login the core runs with the GIL released. Each is called with the
/// GIL re-acquired for the moment; the first Python exception is kept, and from then on the
/// login is told to stop.
struct Hooks<'a> {
    on_code: Option<&'a Py<PyAny>>,
    cancelled: Option<&'a Py<PyAny>>,
    raised: RefCell<Option<PyErr>>,
}

impl<'a> Hooks<'a> {
    fn new(on_code: Option<&'a Py<PyAny>>, cancelled: Option<&'a Py<PyAny>>) -> Self {
        Hooks {
            on_code,
            cancelled,
            raised: RefCell::new(None),
        }
    }

    /// Runs `f` with the GIL, keeping its exception (if none is kept yet).
    fn attached(&self, f: impl FnOnce(Python<'_>) -> PyResult<()>) {
        Python::attach(|py| {
            if let Err(e) = f(py) {
                self.raised.borrow_mut().get_or_insert(e);
            }
        });
    }

    /// Hands what to show to `on_code`, or prints it to `sys.stderr`.
    fn show(&self, auth: &plexctl_core::DeviceAuthorization) {
        if self.raised.borrow().is_some() {
            return;
        }
        self.attached(|py| match self.on_code {
            Some(on_code) => {
                let auth = Py::new(py, auth.clone().to_door(py)?)?;
                on_code.bind(py).call1((auth,)).map(drop)
            }
            None => {
                let kw = PyDict::new(py);
                kw.set_item("file", py.import("sys")?.getattr("stderr")?)?;
                kw.set_item("flush", true)?;
                let print = py.import("builtins")?.getattr("print")?;
                print.call((auth.text(),), Some(&kw)).map(drop)
            }
        });
    }

    /// The core's question between waits: stop? Yes on a pending signal whose handler raised
    /// (Ctrl-C), on a true `cancelled()`, or once any hook has raised.
    fn stop(&self) -> bool {
        if self.raised.borrow().is_some() {
            return true;
        }
        let mut stop = false;
        self.attached(|py| {
            // Only the main thread runs signal handlers; elsewhere this is a no-op.
            py.check_signals()?;
            if let Some(cancelled) = self.cancelled {
                stop = cancelled.bind(py).call0()?.is_truthy()?;
            }
            Ok(())
        });
        stop || self.raised.borrow().is_some()
    }
}

/// A callable argument, or a `TypeError` naming it.
fn callable(obj: Option<Bound<'_, PyAny>>, name: &str) -> PyResult<Option<Py<PyAny>>> {
    match obj {
        Some(f) if f.is_none() => Ok(None),
        Some(f) if f.is_callable() => Ok(Some(f.unbind())),
        Some(_) => Err(PyTypeError::new_err(format!(
            "{name} must be a callable or None"
        ))),
        None => Ok(None),
    }
}

/// The core request from Python arguments; the core parses and validates them.
fn request(
    domain: &Bound<'_, PyAny>,
    idp_binding_id: Option<&Bound<'_, PyAny>>,
    idp_binding_alias: Option<&str>,
) -> PyResult<DeviceLoginRequest> {
    let domain = input::id_text(domain, "domain")?;
    let binding = idp_binding_id
        .map(|b| input::id_text(b, "idp_binding_id"))
        .transpose()?;
    Ok(DeviceLoginRequest::parse(&domain, binding.as_deref(), idp_binding_alias).map_err(Error)?)
}

impl Client {
    /// Runs a login step in the core with the GIL released and `hooks` answering it, then turns
    /// the outcome into Python's: a hook's exception first (`KeyboardInterrupt`, an exception of
    /// `on_code` or `cancelled`), then a signal that arrived meanwhile, then the core's result.
    fn login_call<F>(
        &self,
        py: Python<'_>,
        on_code: Option<&Py<PyAny>>,
        cancelled: Option<&Py<PyAny>>,
        f: F,
    ) -> PyResult<plexctl_core::LoginOutcome>
    where
        F: FnOnce(
                &plexctl_core::Client,
                &Hooks<'_>,
            ) -> plexctl_core::Result<plexctl_core::LoginOutcome>
            + Send,
    {
        let inner = &self.inner;
        let (result, raised) = py.detach(|| {
            let hooks = Hooks::new(on_code, cancelled);
            let result = catch_unwind(AssertUnwindSafe(|| f(inner, &hooks)));
            (result, hooks.raised.into_inner())
        });
        if let Some(e) = raised {
            // Whatever the core returned (it stopped because of this), the exception wins; a
            // session already stored stays stored.
            return Err(e);
        }
        self.finish(py, result)
    }
}

#[pymethods]
impl Client {
    /// Logs in with a device code, in one call: starts the login for `domain`, hands what to show
    /// to `on_code(auth)` (default: prints `auth.text()` to `sys.stderr`), polls until the user
    /// approves in a browser, then saves the session under `profile` (0600, atomically) and
    /// returns what was stored. Ctrl-C raises `KeyboardInterrupt` within a moment; a
    /// `cancelled()` that returns true raises `plexctl.Cancelled`.
    #[pyo3(signature = (
        domain,
        *,
        profile="default",
        make_default=false,
        idp_binding_id=None,
        idp_binding_alias=None,
        on_code=None,
        cancelled=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn login(
        &self,
        py: Python<'_>,
        domain: &Bound<'_, PyAny>,
        profile: &str,
        make_default: bool,
        idp_binding_id: Option<&Bound<'_, PyAny>>,
        idp_binding_alias: Option<&str>,
        on_code: Option<Bound<'_, PyAny>>,
        cancelled: Option<Bound<'_, PyAny>>,
    ) -> PyResult<LoginOutcome> {
        let req = request(domain, idp_binding_id, idp_binding_alias)?;
        let target = LoginTarget::new(profile, make_default);
        let on_code = callable(on_code, "on_code")?;
        let cancelled = callable(cancelled, "cancelled")?;
        self.login_call(py, on_code.as_ref(), cancelled.as_ref(), |c, hooks| {
            c.login(&req, &target, &mut |auth| hooks.show(auth), &|| {
                hooks.stop()
            })
        })?
        .to_door(py)
    }

    /// Starts a device login (`POST /v1/auth/device-code`, no bearer token needed) for `domain`
    /// (a `str` or `uuid.UUID`), optionally naming the IdP binding by id or by alias (not both).
    /// Show the result's `text()`, then call `complete_device_login()` with it.
    #[pyo3(signature = (domain, *, idp_binding_id=None, idp_binding_alias=None))]
    fn start_device_login(
        &self,
        py: Python<'_>,
        domain: &Bound<'_, PyAny>,
        idp_binding_id: Option<&Bound<'_, PyAny>>,
        idp_binding_alias: Option<&str>,
    ) -> PyResult<DeviceAuthorization> {
        let req = request(domain, idp_binding_id, idp_binding_alias)?;
        self.call(py, |c| c.start_device_login(&req))?.to_door(py)
    }

    /// Polls a started device login until the user approves it, then saves the session under
    /// `profile` and returns what was stored. Denied: `AccessDenied` (exit code 4); the code
    /// expired: `LoginExpired`; already exchanged: `APIError` (`code` `invalid_grant`); the
    /// session could not be saved: `SessionNotSavedError` (its `plaintext` holds the token).
    /// Ctrl-C raises `KeyboardInterrupt`; a `cancelled()` that returns true raises `Cancelled`.
    #[pyo3(signature = (auth, *, profile="default", make_default=false, cancelled=None))]
    fn complete_device_login(
        &self,
        py: Python<'_>,
        auth: &Bound<'_, DeviceAuthorization>,
        profile: &str,
        make_default: bool,
        cancelled: Option<Bound<'_, PyAny>>,
    ) -> PyResult<LoginOutcome> {
        let auth = &auth.get().core;
        let target = LoginTarget::new(profile, make_default);
        let cancelled = callable(cancelled, "cancelled")?;
        self.login_call(py, None, cancelled.as_ref(), |c, hooks| {
            c.complete_device_login(auth, &target, &|| hooks.stop())
        })?
        .to_door(py)
    }
}
