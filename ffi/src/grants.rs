//! Service-token grants and the refreshing token source.

use std::ffi::{CString, c_char};
use std::time::Duration;

use plexctl_core::{ExitCode, ServiceToken, ServiceTokenRequest, ServiceTokenSource};

use crate::client::plexctl_client;
use crate::{
    Failure, arg_opt_secret, arg_opt_str, arg_out, arg_ref, arg_str, c_str, c_time, ffi_fn,
    free_box, opt_ptr, plexctl_secret,
};

/// A minted service access token.
pub struct plexctl_service_token {
    access_token: plexctl_secret,
    token_type: CString,
    expires_in: u64,
    scope: Option<CString>,
    expires_at: CString,
}

impl From<ServiceToken> for plexctl_service_token {
    fn from(t: ServiceToken) -> Self {
        plexctl_service_token {
            access_token: plexctl_secret::new(&t.access_token),
            token_type: c_str(&t.token_type),
            expires_in: t.expires_in,
            scope: t.scope.as_deref().map(c_str),
            expires_at: c_time(t.expires_at),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn request(
    client_id: *const c_char,
    grant_type: *const c_char,
    client_secret: *const u8,
    client_secret_len: usize,
    client_assertion: *const u8,
    client_assertion_len: usize,
    scope: *const c_char,
) -> Result<ServiceTokenRequest, Failure> {
    Ok(ServiceTokenRequest::parse(
        arg_str(client_id, "client_id")?,
        arg_str(grant_type, "grant_type")?,
        arg_opt_secret(client_secret, client_secret_len, "client_secret")?,
        arg_opt_secret(client_assertion, client_assertion_len, "client_assertion")?,
        arg_opt_str(scope, "scope")?,
    )?)
}

/// Mints a service access token (POST /v1/auth/service/token; no bearer token needed) into `*out`
/// (free with plexctl_service_token_free). `grant_type` is "client_credentials" or
/// "urn:ietf:params:oauth:grant-type:jwt-bearer"; the secret and the assertion are
/// `(bytes, len)` pairs, NULL when not given; `scope` may be NULL. Thread-safe.
///
/// Errors: PLEXCTL_STATUS_USAGE (missing client id, unknown grant type); PLEXCTL_STATUS_RUNTIME
/// for a flag mismatch (secret with JWT-bearer, assertion with client_credentials, a required one
/// missing, or both; nothing sent), 400, 401 invalid_client / spiffe_verification_failed, 501 and
/// 502; PLEXCTL_STATUS_DENIED for 403 federation_kind_mismatch.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_mint_service_token(
    client: *const plexctl_client,
    client_id: *const c_char,
    grant_type: *const c_char,
    client_secret: *const u8,
    client_secret_len: usize,
    client_assertion: *const u8,
    client_assertion_len: usize,
    scope: *const c_char,
    out: *mut *mut plexctl_service_token,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let req = request(
            client_id,
            grant_type,
            client_secret,
            client_secret_len,
            client_assertion,
            client_assertion_len,
            scope,
        )?;
        let out = arg_out(out)?;
        out.set(client.inner.mint_service_token(&req)?.into())
    }
}

/// The access token. Borrowed from `token`: valid until plexctl_service_token_free, which wipes
/// it. NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_service_token_access_token(
    token: *const plexctl_service_token,
) -> *const plexctl_secret {
    ffi_fn! { Ok(&arg_ref(token, "token")?.access_token as *const _) }
}

/// The token type ("Bearer"). Borrowed from `token`; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_service_token_token_type(
    token: *const plexctl_service_token,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(token, "token")?.token_type.as_ptr()) }
}

/// The lifetime in seconds; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_service_token_expires_in(token: *const plexctl_service_token) -> u64 {
    ffi_fn! { Ok(arg_ref(token, "token")?.expires_in) }
}

/// When the token expires, RFC 3339: computed on receipt from expires_in, counted from before the
/// request was sent. Borrowed from `token`; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_service_token_expires_at(
    token: *const plexctl_service_token,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(token, "token")?.expires_at.as_ptr()) }
}

/// The granted scope, or NULL when none was granted. Borrowed from `token`.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_service_token_scope(
    token: *const plexctl_service_token,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(token, "token")?.scope)) }
}

/// Frees a service token and wipes it. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_service_token_free(token: *mut plexctl_service_token) {
    free_box(token)
}

/// Holds one service access token and mints a new one shortly before it expires. Thread-safe:
/// many threads may call plexctl_token_source_token at once; one of them mints.
pub struct plexctl_token_source {
    inner: ServiceTokenSource,
}

/// Creates a token source (nothing is minted yet) into `*out`; free it with
/// plexctl_token_source_free. Arguments as plexctl_mint_service_token; the client is shared, not
/// consumed (the caller still frees it, after the source).
///
/// Errors: the input errors of plexctl_mint_service_token, before anything is sent.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_source_new(
    client: *const plexctl_client,
    client_id: *const c_char,
    grant_type: *const c_char,
    client_secret: *const u8,
    client_secret_len: usize,
    client_assertion: *const u8,
    client_assertion_len: usize,
    scope: *const c_char,
    out: *mut *mut plexctl_token_source,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let req = request(
            client_id,
            grant_type,
            client_secret,
            client_secret_len,
            client_assertion,
            client_assertion_len,
            scope,
        )?;
        let out = arg_out(out)?;
        out.set(plexctl_token_source {
            inner: ServiceTokenSource::new(client.inner.clone(), req)?,
        })
    }
}

/// A valid access token into `*out` (the caller's: free with plexctl_secret_free), minting one
/// when none is cached or the cached one is about to expire. Thread-safe.
///
/// Errors: those of plexctl_mint_service_token when a mint is needed and fails with no unexpired token
/// cached.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_source_token(
    source: *const plexctl_token_source,
    out: *mut *mut plexctl_secret,
) -> ExitCode {
    ffi_fn! {
        let source = arg_ref(source, "source")?;
        let out = arg_out(out)?;
        out.set(plexctl_secret::new(&source.inner.token()?))
    }
}

/// A handle on the same token source into `*out` (the same cached token, one mint at a time
/// across both) whose mints each have `timeout_ms` milliseconds as their deadline, in place of
/// the timeout of the client the source was made from (see plexctl_client_with_timeout). A caller
/// with a per-call deadline derives one per call. Free it with plexctl_token_source_free; the
/// handles may be freed in either order, the cached token is wiped with the last. Thread-safe.
///
/// Errors: PLEXCTL_STATUS_USAGE for a NULL argument.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_source_with_timeout(
    source: *const plexctl_token_source,
    timeout_ms: u64,
    out: *mut *mut plexctl_token_source,
) -> ExitCode {
    ffi_fn! {
        let source = arg_ref(source, "source")?;
        let out = arg_out(out)?;
        out.set(plexctl_token_source {
            inner: source.inner.with_timeout(Duration::from_millis(timeout_ms)),
        })
    }
}

/// Forgets the cached token so the next plexctl_token_source_token mints (e.g. after a 401).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_source_invalidate(source: *const plexctl_token_source) -> ExitCode {
    ffi_fn! {
        arg_ref(source, "source")?.inner.invalidate();
        Ok(ExitCode::Ok)
    }
}

/// Frees a token source; the cached token is wiped with the last handle sharing it (see
/// plexctl_token_source_with_timeout). NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_source_free(source: *mut plexctl_token_source) {
    free_box(source)
}
