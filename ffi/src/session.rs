//! Stored sessions: store, logout, rotate in place.

use std::ffi::{CString, c_char};

use plexctl_core::{ExitCode, LogoutOutcome};

use crate::client::plexctl_client;
use crate::tokens::plexctl_token;
use crate::{Failure, arg_out, arg_ref, arg_secret, arg_str, c_str, ffi_fn, free_box, opt_ptr};

/// Saves `server` and the token `(token, len)` under `profile` in the client's config file
/// (created 0600 in a 0700 directory), making it the default when `make_default` is true or there
/// is no default yet. What a login command calls. Thread-safe.
///
/// Errors: PLEXCTL_STATUS_USAGE (empty profile, malformed URL), PLEXCTL_STATUS_CREDENTIALS (plain
/// http to a host that is not loopback, a config file wider than 0600), PLEXCTL_STATUS_RUNTIME.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_store_session(
    client: *const plexctl_client,
    profile: *const c_char,
    server: *const c_char,
    token: *const u8,
    token_len: usize,
    make_default: bool,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let token = arg_secret(token, token_len, "token")?;
        client.inner.store_session(
            arg_str(profile, "profile")?,
            arg_str(server, "server")?,
            &token,
            make_default,
        )?;
        Ok(ExitCode::Ok)
    }
}

/// What logout did.
pub struct plexctl_logout_outcome {
    profile: Option<CString>,
    server: Option<CString>,
    revoked: bool,
    text: CString,
    json: CString,
}

impl From<LogoutOutcome> for plexctl_logout_outcome {
    fn from(o: LogoutOutcome) -> Self {
        plexctl_logout_outcome {
            profile: o.profile.as_deref().map(c_str),
            server: o.server.as_deref().map(c_str),
            revoked: o.revoked,
            text: c_str(&o.text()),
            json: c_str(&o.to_json()),
        }
    }
}

/// Ends the active session (the client's profile, else the file's default): revokes its token
/// on its server, then removes the profile; into `*out` (free with plexctl_logout_outcome_free).
/// No session is a no-op success; a 401/404 (already gone) is success and clears the profile.
/// Token files and PLEXSPHERE_TOKEN are never touched. Thread-safe.
///
/// Errors keep the stored credential: PLEXCTL_STATUS_USAGE (the stored token is not a psk),
/// PLEXCTL_STATUS_CREDENTIALS (config wider than 0600), PLEXCTL_STATUS_DENIED (403),
/// PLEXCTL_STATUS_RUNTIME (5xx, transport failure).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_logout(
    client: *const plexctl_client,
    out: *mut *mut plexctl_logout_outcome,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let out = arg_out(out)?;
        out.set(client.inner.logout()?.into())
    }
}

/// The cleared profile, or NULL when there was no active session. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_logout_outcome_profile(
    o: *const plexctl_logout_outcome,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(o, "outcome")?.profile)) }
}

/// The session's server, or NULL when there was none. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_logout_outcome_server(o: *const plexctl_logout_outcome) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(o, "outcome")?.server)) }
}

/// Whether the server revoked the token now (false: already gone, or no session).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_logout_outcome_revoked(o: *const plexctl_logout_outcome) -> bool {
    ffi_fn! { Ok(arg_ref(o, "outcome")?.revoked) }
}

/// The line plexctl prints ("Logged out. Cleared profile \"default\"." or "No active session;
/// nothing to do."). Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_logout_outcome_text(o: *const plexctl_logout_outcome) -> *const c_char {
    ffi_fn! { Ok(arg_ref(o, "outcome")?.text.as_ptr()) }
}

/// The JSON summary {"profile", "server", "revoked"}. Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_logout_outcome_json(o: *const plexctl_logout_outcome) -> *const c_char {
    ffi_fn! { Ok(arg_ref(o, "outcome")?.json.as_ptr()) }
}

/// Frees a logout outcome. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_logout_outcome_free(o: *mut plexctl_logout_outcome) {
    free_box(o)
}

/// Rotates the token the active profile holds and writes the new plaintext into the profile
/// before returning; the rotation goes into `*out` (free with plexctl_token_free). Thread-safe.
///
/// The one exception to "outputs only on success": when the rotation succeeded but the config
/// file could not be written, this returns PLEXCTL_STATUS_RUNTIME with plexctl_last_error_kind()
/// == PLEXCTL_ERROR_KIND_SESSION_NOT_SAVED AND writes the rotation into `*out`, so the new
/// plaintext is not lost (the old one keeps working until the rotation deadline). Initialise
/// `*out` to NULL and free it if set.
///
/// Errors: PLEXCTL_STATUS_CREDENTIALS (no stored session), PLEXCTL_STATUS_USAGE (the stored token
/// is not a psk), and those of plexctl_rotate_token.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotate_session(
    client: *const plexctl_client,
    out: *mut *mut plexctl_token,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let out = arg_out(out)?;
        match client.inner.rotate_session() {
            Ok(rotated) => out.set(plexctl_token::from(&rotated)),
            Err(e) => {
                if let Some(rotated) = e.rotated_token() {
                    // The plaintext must reach the caller even though the call failed.
                    let _ = out.set(plexctl_token::from(rotated));
                }
                Err(Failure::Core(e))
            }
        }
    }
}
