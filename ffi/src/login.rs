//! Device-code login (RFC 8628): start, complete, and both in one call.

use std::ffi::{CString, c_char, c_void};

use plexctl_core::{
    DeviceAuthorization, DeviceLoginRequest, Error, ExitCode, LoginOutcome, LoginTarget,
};

use crate::client::plexctl_client;
use crate::{
    Failure, arg_opt_str, arg_out, arg_ref, arg_str, c_display, c_str, c_time, ffi_fn, free_box,
    opt_ptr,
};

/// Called once by plexctl_login with what to show the user (the user code and the verification
/// URIs; see plexctl_device_authorization_text). `auth` is borrowed for the duration of the call
/// only; `user_data` is what was passed to plexctl_login. It runs on the thread that called
/// plexctl_login, before the first poll, and must return normally (no longjmp, no exception).
pub type plexctl_on_code_callback =
    Option<unsafe extern "C" fn(auth: *const plexctl_device_authorization, user_data: *mut c_void)>;

/// Asked while a device login waits between polls (about every 50 ms; a poll's request in flight
/// finishes first, within the client's timeout) whether to stop; returning true ends the login
/// with PLEXCTL_ERROR_KIND_CANCELLED. `user_data` is what was passed to the login call. It runs on
/// the thread that called it and must return normally. NULL where a plexctl_cancelled_callback is
/// taken means "never cancel".
pub type plexctl_cancelled_callback = Option<unsafe extern "C" fn(user_data: *mut c_void) -> bool>;

/// A started device login: what to show the user, and (inside, never exposed) the device code to
/// poll with. The device code is wiped when the object is freed. Immutable, so it may be read
/// from any thread.
pub struct plexctl_device_authorization {
    inner: DeviceAuthorization,
    user_code: CString,
    verification_uri: CString,
    verification_uri_complete: CString,
    expires_at: CString,
    text: CString,
}

impl From<DeviceAuthorization> for plexctl_device_authorization {
    fn from(a: DeviceAuthorization) -> Self {
        plexctl_device_authorization {
            user_code: c_str(&a.user_code),
            verification_uri: c_str(&a.verification_uri),
            verification_uri_complete: c_str(&a.verification_uri_complete),
            expires_at: c_time(a.expires_at),
            text: c_str(&a.text()),
            inner: a,
        }
    }
}

/// What a completed login stored.
pub struct plexctl_login_outcome {
    profile: CString,
    server: CString,
    token_id: Option<CString>,
    expires_at: CString,
    text: CString,
}

impl From<LoginOutcome> for plexctl_login_outcome {
    fn from(o: LoginOutcome) -> Self {
        plexctl_login_outcome {
            profile: c_str(&o.profile),
            server: c_str(&o.server),
            token_id: o.token_id.map(c_display),
            expires_at: c_time(o.expires_at),
            text: c_str(&o.text()),
        }
    }
}

fn request(
    domain_id: *const c_char,
    idp_binding_id: *const c_char,
    idp_binding_alias: *const c_char,
) -> Result<DeviceLoginRequest, Failure> {
    Ok(DeviceLoginRequest::parse(
        arg_str(domain_id, "domain_id")?,
        arg_opt_str(idp_binding_id, "idp_binding_id")?,
        arg_opt_str(idp_binding_alias, "idp_binding_alias")?,
    )?)
}

fn target(profile: *const c_char, make_default: bool) -> Result<LoginTarget, Failure> {
    Ok(LoginTarget::new(arg_str(profile, "profile")?, make_default))
}

/// The C cancel check as core's `cancelled`: NULL never cancels.
fn cancel_check(
    cancelled: plexctl_cancelled_callback,
    user_data: *mut c_void,
) -> impl Fn() -> bool {
    move || {
        // SAFETY: the caller promises a function that takes its own user_data.
        cancelled.is_some_and(|f| unsafe { f(user_data) })
    }
}

/// Starts a device login (POST /v1/auth/device-code; no bearer token needed) into `*out` (free
/// with plexctl_device_authorization_free): show plexctl_device_authorization_text (or the user
/// code and the URIs) to the user, then call plexctl_complete_device_login. `domain_id` is the
/// Domain's UUID; `idp_binding_id` (a UUID) or `idp_binding_alias` (e.g. "github") picks the IdP
/// binding, both NULL for the Domain's primary or only one. Thread-safe.
///
/// Errors: PLEXCTL_STATUS_USAGE (malformed or nil domain or binding id, empty alias, both a
/// binding id and an alias; nothing sent), PLEXCTL_STATUS_CREDENTIALS (no server),
/// PLEXCTL_STATUS_RUNTIME (404 domain or binding not found, a reply whose user code or URIs are
/// not safe to show, transport failures).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_start_device_login(
    client: *const plexctl_client,
    domain_id: *const c_char,
    idp_binding_id: *const c_char,
    idp_binding_alias: *const c_char,
    out: *mut *mut plexctl_device_authorization,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let req = request(domain_id, idp_binding_id, idp_binding_alias)?;
        let out = arg_out(out)?;
        out.set(client.inner.start_device_login(&req)?.into())
    }
}

/// Polls a started device login until the user approves it in a browser, then stores the session
/// token as `profile` of the client's config file (created 0600, under its lock, atomically), made
/// the default when `make_default` is true or the file has none; what was stored goes into `*out`
/// (free with plexctl_login_outcome_free). Blocks the calling thread while polling (at the
/// server's interval); `cancelled` (NULL: never) is asked between polls with `user_data`, and
/// returning true stops it. `auth` stays the caller's. Thread-safe.
///
/// Errors: PLEXCTL_STATUS_USAGE (empty profile; before the first poll), PLEXCTL_STATUS_DENIED
/// (PLEXCTL_ERROR_KIND_ACCESS_DENIED: the user denied it), PLEXCTL_STATUS_RUNTIME with
/// PLEXCTL_ERROR_KIND_LOGIN_EXPIRED (the code expired), PLEXCTL_ERROR_KIND_CANCELLED (`cancelled`
/// said stop), PLEXCTL_ERROR_KIND_API (another answer, e.g. invalid_grant for a code already
/// exchanged) or PLEXCTL_ERROR_KIND_SESSION_NOT_SAVED: the login succeeded but the config file
/// could not be written; the session token is then plexctl_last_error_plaintext(), not lost.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_complete_device_login(
    client: *const plexctl_client,
    auth: *const plexctl_device_authorization,
    profile: *const c_char,
    make_default: bool,
    cancelled: plexctl_cancelled_callback,
    user_data: *mut c_void,
    out: *mut *mut plexctl_login_outcome,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let auth = arg_ref(auth, "auth")?;
        let target = target(profile, make_default)?;
        let out = arg_out(out)?;
        let cancelled = cancel_check(cancelled, user_data);
        out.set(client.inner.complete_device_login(&auth.inner, &target, &cancelled)?.into())
    }
}

/// Logs in with a device code in one call: starts the login (as plexctl_start_device_login),
/// calls `on_code` once with what to show the user, then completes it (as
/// plexctl_complete_device_login, asking `cancelled` between polls). `user_data` is passed to
/// both callbacks. `on_code` is required (the user cannot approve a code nobody showed);
/// `cancelled` may be NULL. What was stored goes into `*out` (free with
/// plexctl_login_outcome_free). Thread-safe; the callbacks run on the calling thread.
///
/// Errors: those of plexctl_start_device_login and plexctl_complete_device_login.
#[allow(clippy::too_many_arguments)]
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_login(
    client: *const plexctl_client,
    domain_id: *const c_char,
    idp_binding_id: *const c_char,
    idp_binding_alias: *const c_char,
    profile: *const c_char,
    make_default: bool,
    on_code: plexctl_on_code_callback,
    cancelled: plexctl_cancelled_callback,
    user_data: *mut c_void,
    out: *mut *mut plexctl_login_outcome,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let req = request(domain_id, idp_binding_id, idp_binding_alias)?;
        let target = target(profile, make_default)?;
        let on_code = on_code.ok_or_else(|| Failure::from(Error::usage("on_code", "must not be NULL")))?;
        let out = arg_out(out)?;
        let cancelled = cancel_check(cancelled, user_data);
        let mut show = |auth: &DeviceAuthorization| {
            let shown = plexctl_device_authorization::from(auth.clone());
            // SAFETY: the caller promises a function that takes its own user_data; `shown`
            // outlives the call.
            unsafe { on_code(&shown, user_data) }
        };
        out.set(client.inner.login(&req, &target, &mut show, &cancelled)?.into())
    }
}

/// The code the user enters in the browser (e.g. "ABCD-EFGH": letters, digits and dashes only).
/// Borrowed from `auth`; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_device_authorization_user_code(
    auth: *const plexctl_device_authorization,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(auth, "auth")?.user_code.as_ptr()) }
}

/// The page where the user enters the code (an absolute http(s) URL). Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_device_authorization_verification_uri(
    auth: *const plexctl_device_authorization,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(auth, "auth")?.verification_uri.as_ptr()) }
}

/// The same page with the code filled in (RFC 8628 suggests showing it as a QR code). Borrowed;
/// NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_device_authorization_verification_uri_complete(
    auth: *const plexctl_device_authorization,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(auth, "auth")?.verification_uri_complete.as_ptr()) }
}

/// The device code's lifetime in seconds, as the server gave it; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_device_authorization_expires_in(
    auth: *const plexctl_device_authorization,
) -> u64 {
    ffi_fn! { Ok(arg_ref(auth, "auth")?.inner.expires_in) }
}

/// The minimum number of seconds between polls, as the server gave it; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_device_authorization_interval(
    auth: *const plexctl_device_authorization,
) -> u64 {
    ffi_fn! { Ok(arg_ref(auth, "auth")?.inner.interval) }
}

/// When the device code expires, RFC 3339 (computed on receipt). Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_device_authorization_expires_at(
    auth: *const plexctl_device_authorization,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(auth, "auth")?.expires_at.as_ptr()) }
}

/// The lines a command-line program shows: where to go and which code to enter. Borrowed; NULL
/// for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_device_authorization_text(
    auth: *const plexctl_device_authorization,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(auth, "auth")?.text.as_ptr()) }
}

/// Frees a device authorization and wipes its device code. NULL is a no-op. Never call it on the
/// authorization lent to a plexctl_on_code_callback.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_device_authorization_free(auth: *mut plexctl_device_authorization) {
    free_box(auth)
}

/// The profile that now holds the session. Borrowed from `outcome`; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_login_outcome_profile(
    outcome: *const plexctl_login_outcome,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(outcome, "outcome")?.profile.as_ptr()) }
}

/// The server the session authenticates to. Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_login_outcome_server(
    outcome: *const plexctl_login_outcome,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(outcome, "outcome")?.server.as_ptr()) }
}

/// The session token's id (a UUID string), or NULL when the token is not a psk. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_login_outcome_token_id(
    outcome: *const plexctl_login_outcome,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(outcome, "outcome")?.token_id)) }
}

/// When the session token expires, RFC 3339. Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_login_outcome_expires_at(
    outcome: *const plexctl_login_outcome,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(outcome, "outcome")?.expires_at.as_ptr()) }
}

/// The line plexctl prints ("Logged in to <server>. Saved the session in profile \"<name>\".").
/// Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_login_outcome_text(
    outcome: *const plexctl_login_outcome,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(outcome, "outcome")?.text.as_ptr()) }
}

/// Frees a login outcome. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_login_outcome_free(outcome: *mut plexctl_login_outcome) {
    free_box(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    #[test]
    fn nulls_are_usage_errors_before_anything_is_sent() {
        let domain = c"0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2".as_ptr();
        let mut out = null_mut();
        let status = plexctl_login(
            null(),
            domain,
            null(),
            null(),
            c"p".as_ptr(),
            false,
            None,
            None,
            null_mut(),
            &mut out,
        );
        assert_eq!(status, ExitCode::Usage);
        let mut auth = null_mut();
        assert_eq!(
            plexctl_start_device_login(null(), domain, null(), null(), &mut auth),
            ExitCode::Usage
        );
        assert_eq!(
            plexctl_complete_device_login(
                null(),
                null(),
                null(),
                false,
                None,
                null_mut(),
                &mut out
            ),
            ExitCode::Usage
        );
        assert!(out.is_null() && auth.is_null());
        assert!(plexctl_device_authorization_user_code(null()).is_null());
        assert_eq!(plexctl_device_authorization_interval(null()), 0);
        assert!(plexctl_login_outcome_token_id(null()).is_null());
        plexctl_device_authorization_free(null_mut());
        plexctl_login_outcome_free(null_mut());
    }

    #[test]
    fn a_null_cancel_check_never_cancels() {
        assert!(!cancel_check(None, null_mut())());
        unsafe extern "C" fn yes(_: *mut c_void) -> bool {
            true
        }
        assert!(cancel_check(Some(yes), null_mut())());
    }
}
