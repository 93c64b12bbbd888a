//! Who am I, and the status a user can print.
//!
//! The C names differ from core's in two places, because a C typedef and a function cannot share
//! a name: core's `Status` is `plexctl_session_status` (`plexctl_status` is the status enum every
//! fallible call returns) and its operation `plexctl_auth_status` (`plexctl auth status`); core's
//! `Whoami` is `plexctl_principal` (the operation keeps the name `plexctl_whoami`).

use std::ffi::{CString, c_char};

use plexctl_core::{ExitCode, Status, Whoami};

use crate::client::plexctl_client;
use crate::tokens::plexctl_token_summary;
use crate::{arg_out, arg_ref, c_display, c_str, ffi_fn, free_box, opt_ptr};

/// The principal a token authenticates as (core's `Whoami`). Immutable, so it may be read from
/// any thread.
pub struct plexctl_principal {
    principal_type: CString,
    subject: CString,
    domain_id: Option<CString>,
    email: Option<CString>,
    acr: Option<CString>,
    amr: Vec<CString>,
    text: CString,
}

impl From<Whoami> for plexctl_principal {
    fn from(w: Whoami) -> Self {
        plexctl_principal {
            principal_type: c_str(w.principal_type.as_str()),
            subject: c_str(&w.subject),
            domain_id: w.domain_id.map(c_display),
            email: w.email.as_deref().map(c_str),
            acr: w.acr.as_deref().map(c_str),
            amr: w.amr.iter().map(|m| c_str(m)).collect(),
            text: c_str(&w.text()),
        }
    }
}

/// What plexctl_auth_status found (core's `Status`; `plexctl_status` is taken by the status
/// enum). Immutable, so it may be read from any thread.
pub struct plexctl_session_status {
    server: Option<CString>,
    credential_source: CString,
    profile: Option<CString>,
    state: CString,
    principal: Option<plexctl_principal>,
    token: Option<plexctl_token_summary>,
    rejection: Option<CString>,
    text: CString,
    json: CString,
}

impl From<Status> for plexctl_session_status {
    fn from(s: Status) -> Self {
        let text = c_str(&s.text());
        // Core's own serialized model: the shape `plexctl auth status -o json` writes.
        let json = c_str(&serde_json::to_string_pretty(&s).expect("a status serializes"));
        plexctl_session_status {
            server: s.server.as_deref().map(c_str),
            credential_source: c_str(&s.credential_source),
            profile: s.profile.as_deref().map(c_str),
            state: c_str(s.state.as_str()),
            principal: s.principal.map(Into::into),
            token: s.token.map(plexctl_token_summary::new),
            rejection: s.rejection.as_deref().map(c_str),
            text,
            json,
        }
    }
}

/// Asks who the client's token authenticates as (GET /v1/auth/whoami) into `*out` (free with
/// plexctl_principal_free). Thread-safe.
///
/// Errors: PLEXCTL_STATUS_CREDENTIALS (no token or server; nothing sent), PLEXCTL_STATUS_RUNTIME
/// (401 for a rejected token, other non-2xx answers, transport failures). plexctl_auth_status
/// reports a missing or rejected token as a state instead.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_whoami(
    client: *const plexctl_client,
    out: *mut *mut plexctl_principal,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let out = arg_out(out)?;
        out.set(client.inner.whoami()?.into())
    }
}

/// "user" or "service". Borrowed from `principal`; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_principal_principal_type(
    principal: *const plexctl_principal,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(principal, "principal")?.principal_type.as_ptr()) }
}

/// The principal's identifier. Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_principal_subject(principal: *const plexctl_principal) -> *const c_char {
    ffi_fn! { Ok(arg_ref(principal, "principal")?.subject.as_ptr()) }
}

/// The Domain the principal belongs to (a UUID string), or NULL when the server did not say.
/// Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_principal_domain_id(
    principal: *const plexctl_principal,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(principal, "principal")?.domain_id)) }
}

/// The principal's primary email, or NULL when the IdP supplied none. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_principal_email(principal: *const plexctl_principal) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(principal, "principal")?.email)) }
}

/// The Authentication Context Class Reference, or NULL when not available. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_principal_acr(principal: *const plexctl_principal) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(principal, "principal")?.acr)) }
}

/// The number of Authentication Methods References ("pwd", "mfa", ...); 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_principal_amr_len(principal: *const plexctl_principal) -> usize {
    ffi_fn! { Ok(arg_ref(principal, "principal")?.amr.len()) }
}

/// The Authentication Methods Reference at `index`, borrowed from `principal`; NULL when out of
/// range or for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_principal_amr_get(
    principal: *const plexctl_principal,
    index: usize,
) -> *const c_char {
    ffi_fn! {
        let amr = &arg_ref(principal, "principal")?.amr;
        Ok(amr.get(index).map_or(std::ptr::null(), |m| m.as_ptr()))
    }
}

/// One line for people: "user <subject> (<email>)". Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_principal_text(principal: *const plexctl_principal) -> *const c_char {
    ffi_fn! { Ok(arg_ref(principal, "principal")?.text.as_ptr()) }
}

/// Frees a principal returned by plexctl_whoami. NULL is a no-op. Never call it on the principal
/// borrowed from a plexctl_session_status.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_principal_free(principal: *mut plexctl_principal) {
    free_box(principal)
}

/// Finds the status a user can print (`plexctl auth status`) into `*out` (free with
/// plexctl_session_status_free): the resolved server, where the token came from, who it
/// authenticates as, and for a psk its own summary. No credential and a rejected token (401) are
/// states, not errors. Thread-safe.
///
/// Named for `plexctl auth status` because plexctl_status is the status enum type.
///
/// Errors: only what keeps the status from being known: PLEXCTL_STATUS_RUNTIME (transport
/// failures, a non-2xx other than 401, a malformed answer).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_auth_status(
    client: *const plexctl_client,
    out: *mut *mut plexctl_session_status,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let out = arg_out(out)?;
        out.set(client.inner.status()?.into())
    }
}

/// The resolved server, or NULL when none was. Borrowed from `status`.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_session_status_server(
    status: *const plexctl_session_status,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(status, "status")?.server)) }
}

/// Where the token came from: "explicit", "token_file", "environment", "profile" or "none".
/// Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_session_status_credential_source(
    status: *const plexctl_session_status,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(status, "status")?.credential_source.as_ptr()) }
}

/// The profile the token came from, or NULL when it did not come from one. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_session_status_profile(
    status: *const plexctl_session_status,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(status, "status")?.profile)) }
}

/// Whether the token authenticates: "authenticated", "no_credentials" or "rejected". Borrowed;
/// NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_session_status_state(
    status: *const plexctl_session_status,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(status, "status")?.state.as_ptr()) }
}

/// Who the token authenticates as, or NULL unless the state is "authenticated". Borrowed from
/// `status`: valid until plexctl_session_status_free; never free it yourself.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_session_status_principal(
    status: *const plexctl_session_status,
) -> *const plexctl_principal {
    ffi_fn! { Ok(arg_ref(status, "status")?.principal.as_ref().map_or(std::ptr::null(), |p| p as *const _)) }
}

/// The token's own summary (expiry, last use, rotation), or NULL when the token is not a psk the
/// server lists. Borrowed from `status`: valid until plexctl_session_status_free.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_session_status_token(
    status: *const plexctl_session_status,
) -> *const plexctl_token_summary {
    ffi_fn! { Ok(arg_ref(status, "status")?.token.as_ref().map_or(std::ptr::null(), |t| t as *const _)) }
}

/// Why the server refused the token (its Problem code or title), or NULL unless the state is
/// "rejected". Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_session_status_rejection(
    status: *const plexctl_session_status,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(status, "status")?.rejection)) }
}

/// The lines plexctl prints (server, credentials, status, and the token's expiry). Borrowed; NULL
/// for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_session_status_text(
    status: *const plexctl_session_status,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(status, "status")?.text.as_ptr()) }
}

/// The JSON form {"server", "credential_source", "profile", "state", "principal", "token",
/// "rejection"}. Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_session_status_json(
    status: *const plexctl_session_status,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(status, "status")?.json.as_ptr()) }
}

/// Frees a status and the principal and token summary borrowed from it. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_session_status_free(status: *mut plexctl_session_status) {
    free_box(status)
}
