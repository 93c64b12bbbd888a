//! The API-token family: issue, list, delete, rotate.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use plexctl_core::tokens::parse_token_id;
use plexctl_core::{IssueTokenRequest, IssuedToken, RotatedToken, TokenSummary};

use crate::client::plexctl_client;
use crate::{
    arg_opt_str, arg_out, arg_ref, arg_str, c_str, c_time, ffi_fn, ffi_value, free_box, opt_ptr,
    plexctl_secret, plexctl_status,
};

/// An issued or rotated token: its id, its plaintext (shown exactly once), and its dates.
pub struct plexctl_token {
    id: CString,
    plaintext: plexctl_secret,
    env_prefix: CString,
    expires_at: CString,
    rotation_deadline: Option<CString>,
    sunset: Option<CString>,
    sunset_agrees: bool,
}

impl From<IssuedToken> for plexctl_token {
    fn from(t: IssuedToken) -> Self {
        plexctl_token {
            id: c_str(&t.id.to_string()),
            plaintext: plexctl_secret::new(&t.plaintext),
            env_prefix: c_str(&t.env_prefix),
            expires_at: c_time(t.expires_at),
            rotation_deadline: None,
            sunset: None,
            sunset_agrees: false,
        }
    }
}

impl From<RotatedToken> for plexctl_token {
    fn from(t: RotatedToken) -> Self {
        plexctl_token {
            id: c_str(&t.id.to_string()),
            plaintext: plexctl_secret::new(&t.plaintext),
            env_prefix: c_str(&t.env_prefix),
            expires_at: c_time(t.expires_at),
            rotation_deadline: Some(c_time(t.rotation_deadline)),
            sunset: t.sunset.map(c_time),
            sunset_agrees: t.sunset_agrees(),
        }
    }
}

/// Issues a token (POST /v1/auth/tokens) into `*out` (free with plexctl_token_free).
/// `identity_ref` is "user:<uuid>" or "service:<uuid>", `env_prefix` "dev", "stage" or "prod",
/// `ttl` a duration such as "24h" or "1h30m", or NULL for the server's default. Thread-safe.
///
/// Errors: PLEXCTL_STATUS_USAGE (malformed input; nothing sent), PLEXCTL_STATUS_CREDENTIALS (no
/// token), PLEXCTL_STATUS_DENIED (403), PLEXCTL_STATUS_RUNTIME.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_issue_token(
    client: *const plexctl_client,
    identity_ref: *const c_char,
    env_prefix: *const c_char,
    ttl: *const c_char,
    out: *mut *mut plexctl_token,
) -> plexctl_status {
    ffi_fn(|| {
        let client = arg_ref(client, "client")?;
        let req = IssueTokenRequest::parse(
            arg_str(identity_ref, "identity_ref")?,
            arg_str(env_prefix, "env_prefix")?,
            arg_opt_str(ttl, "ttl")?,
        )?;
        let out = arg_out(out, "out")?;
        let issued = client.inner.issue_token(&req)?;
        *out = Box::into_raw(Box::new(plexctl_token::from(issued)));
        Ok(())
    })
}

/// Rotates a token (POST /v1/auth/tokens/{id}/rotate) into `*out`: the new plaintext, shown
/// exactly once; the old one works until plexctl_token_rotation_deadline. Thread-safe.
///
/// Errors: as plexctl_issue_token; a malformed `id` is PLEXCTL_STATUS_USAGE.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotate_token(
    client: *const plexctl_client,
    id: *const c_char,
    out: *mut *mut plexctl_token,
) -> plexctl_status {
    ffi_fn(|| {
        let client = arg_ref(client, "client")?;
        let id = parse_token_id(arg_str(id, "id")?)?;
        let out = arg_out(out, "out")?;
        let rotated = client.inner.rotate_token(id)?;
        *out = Box::into_raw(Box::new(plexctl_token::from(rotated)));
        Ok(())
    })
}

/// Revokes a token at once (DELETE /v1/auth/tokens/{id}). Thread-safe.
///
/// Errors: as plexctl_issue_token; an unknown id (404) is PLEXCTL_STATUS_RUNTIME.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_delete_token(
    client: *const plexctl_client,
    id: *const c_char,
) -> plexctl_status {
    ffi_fn(|| {
        let client = arg_ref(client, "client")?;
        let id = parse_token_id(arg_str(id, "id")?)?;
        client.inner.delete_token(id)?;
        Ok(())
    })
}

/// The token id (a UUID string). Borrowed from `token`; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_id(token: *const plexctl_token) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(token, "token").map_or(std::ptr::null(), |t| t.id.as_ptr())
    })
}

/// The plaintext. Borrowed from `token`: valid until plexctl_token_free, which wipes it. NULL for
/// NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_plaintext(token: *const plexctl_token) -> *const plexctl_secret {
    ffi_value(std::ptr::null(), || {
        arg_ref(token, "token").map_or(std::ptr::null(), |t| &t.plaintext as *const _)
    })
}

/// The environment segment ("prod", ...). Borrowed from `token`; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_env_prefix(token: *const plexctl_token) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(token, "token").map_or(std::ptr::null(), |t| t.env_prefix.as_ptr())
    })
}

/// When the (new) plaintext expires, RFC 3339. Borrowed from `token`; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_expires_at(token: *const plexctl_token) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(token, "token").map_or(std::ptr::null(), |t| t.expires_at.as_ptr())
    })
}

/// For a rotated token: until when the rotated-from plaintext is honoured, RFC 3339. NULL for an
/// issued token or NULL. Borrowed from `token`.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_rotation_deadline(token: *const plexctl_token) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(token, "token").map_or(std::ptr::null(), |t| opt_ptr(&t.rotation_deadline))
    })
}

/// For a rotated token: the Sunset header's timestamp, RFC 3339, or NULL when absent. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_sunset(token: *const plexctl_token) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(token, "token").map_or(std::ptr::null(), |t| opt_ptr(&t.sunset))
    })
}

/// For a rotated token: whether the Sunset header names the same second as the rotation deadline.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_sunset_agrees(token: *const plexctl_token) -> bool {
    ffi_value(false, || {
        arg_ref(token, "token").is_ok_and(|t| t.sunset_agrees)
    })
}

/// Frees a token and wipes its plaintext. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_free(token: *mut plexctl_token) {
    free_box(token)
}

/// A token's plaintext-free summary. Its strings are built on first access (a 10,000-entry list
/// costs nothing for the fields nobody reads) and then live as long as the list.
pub struct plexctl_token_summary {
    inner: TokenSummary,
    id: OnceLock<CString>,
    env_prefix: OnceLock<CString>,
    created_at: OnceLock<CString>,
    expires_at: OnceLock<CString>,
    last_used_at: OnceLock<Option<CString>>,
    rotated_at: OnceLock<Option<CString>>,
}

impl From<TokenSummary> for plexctl_token_summary {
    fn from(inner: TokenSummary) -> Self {
        plexctl_token_summary {
            inner,
            id: OnceLock::new(),
            env_prefix: OnceLock::new(),
            created_at: OnceLock::new(),
            expires_at: OnceLock::new(),
            last_used_at: OnceLock::new(),
            rotated_at: OnceLock::new(),
        }
    }
}

/// A borrowed pointer to a lazily built field of a summary; NULL for a NULL summary.
fn summary_field(
    summary: *const plexctl_token_summary,
    field: impl FnOnce(&plexctl_token_summary) -> *const c_char,
) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(summary, "summary").map_or(std::ptr::null(), field)
    })
}

/// The caller's token summaries.
pub struct plexctl_token_list {
    items: Vec<plexctl_token_summary>,
}

/// Lists the caller's tokens (GET /v1/auth/tokens) into `*out` (free with
/// plexctl_token_list_free). Thread-safe.
///
/// Errors: as plexctl_issue_token.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_list_tokens(
    client: *const plexctl_client,
    out: *mut *mut plexctl_token_list,
) -> plexctl_status {
    ffi_fn(|| {
        let client = arg_ref(client, "client")?;
        let out = arg_out(out, "out")?;
        let items = client
            .inner
            .list_tokens()?
            .into_iter()
            .map(Into::into)
            .collect();
        *out = Box::into_raw(Box::new(plexctl_token_list { items }));
        Ok(())
    })
}

/// The number of summaries; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_list_len(list: *const plexctl_token_list) -> usize {
    ffi_value(0, || arg_ref(list, "list").map_or(0, |l| l.items.len()))
}

/// The summary at `index`, borrowed from `list`; NULL when out of range or for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_list_get(
    list: *const plexctl_token_list,
    index: usize,
) -> *const plexctl_token_summary {
    ffi_value(std::ptr::null(), || {
        arg_ref(list, "list")
            .ok()
            .and_then(|l| l.items.get(index))
            .map_or(std::ptr::null(), |s| s as *const _)
    })
}

/// Frees a list and every summary borrowed from it. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_list_free(list: *mut plexctl_token_list) {
    free_box(list)
}

/// The token id. Borrowed from the list; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_id(summary: *const plexctl_token_summary) -> *const c_char {
    summary_field(summary, |s| {
        s.id.get_or_init(|| c_str(&s.inner.id.to_string())).as_ptr()
    })
}

/// The environment segment. Borrowed from the list; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_env_prefix(
    summary: *const plexctl_token_summary,
) -> *const c_char {
    summary_field(summary, |s| {
        s.env_prefix
            .get_or_init(|| c_str(&s.inner.env_prefix))
            .as_ptr()
    })
}

/// When it was issued, RFC 3339. Borrowed from the list; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_created_at(
    summary: *const plexctl_token_summary,
) -> *const c_char {
    summary_field(summary, |s| {
        s.created_at
            .get_or_init(|| c_time(s.inner.created_at))
            .as_ptr()
    })
}

/// When it expires, RFC 3339. Borrowed from the list; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_expires_at(
    summary: *const plexctl_token_summary,
) -> *const c_char {
    summary_field(summary, |s| {
        s.expires_at
            .get_or_init(|| c_time(s.inner.expires_at))
            .as_ptr()
    })
}

/// When it last authenticated, RFC 3339, or NULL if never. Borrowed from the list.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_last_used_at(
    summary: *const plexctl_token_summary,
) -> *const c_char {
    summary_field(summary, |s| {
        opt_ptr(
            s.last_used_at
                .get_or_init(|| s.inner.last_used_at.map(c_time)),
        )
    })
}

/// When it was last rotated, RFC 3339, or NULL if never. Borrowed from the list.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_rotated_at(
    summary: *const plexctl_token_summary,
) -> *const c_char {
    summary_field(summary, |s| {
        opt_ptr(s.rotated_at.get_or_init(|| s.inner.rotated_at.map(c_time)))
    })
}
