//! The API-token family: issue, list, delete, rotate.

use std::ffi::{CString, c_char};
use std::sync::{Mutex, OnceLock};

use plexctl_core::tokens::parse_token_id;
use plexctl_core::{ExitCode, IssueTokenRequest, IssuedToken, RotatedToken, TokenSummary};

use crate::client::plexctl_client;
use crate::{
    arg_opt_str, arg_out, arg_ref, arg_str, c_display, c_str, c_time, ffi_fn, free_box, list_get,
    opt_ptr, plexctl_secret,
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

impl From<&IssuedToken> for plexctl_token {
    fn from(t: &IssuedToken) -> Self {
        plexctl_token {
            id: c_display(t.id),
            plaintext: plexctl_secret::new(&t.plaintext),
            env_prefix: c_str(&t.env_prefix),
            expires_at: c_time(t.expires_at),
            rotation_deadline: None,
            sunset: None,
            sunset_agrees: false,
        }
    }
}

impl From<&RotatedToken> for plexctl_token {
    fn from(t: &RotatedToken) -> Self {
        plexctl_token {
            id: c_display(t.id),
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
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let req = IssueTokenRequest::parse(
            arg_str(identity_ref, "identity_ref")?,
            arg_str(env_prefix, "env_prefix")?,
            arg_opt_str(ttl, "ttl")?,
        )?;
        let out = arg_out(out)?;
        out.set(plexctl_token::from(&client.inner.issue_token(&req)?))
    }
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
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let id = parse_token_id(arg_str(id, "id")?)?;
        let out = arg_out(out)?;
        out.set(plexctl_token::from(&client.inner.rotate_token(id)?))
    }
}

/// Revokes a token at once (DELETE /v1/auth/tokens/{id}). Thread-safe.
///
/// Errors: as plexctl_issue_token; an unknown id (404) is PLEXCTL_STATUS_RUNTIME.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_delete_token(
    client: *const plexctl_client,
    id: *const c_char,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        client.inner.delete_token(parse_token_id(arg_str(id, "id")?)?)?;
        Ok(ExitCode::Ok)
    }
}

/// The token id (a UUID string). Borrowed from `token`; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_id(token: *const plexctl_token) -> *const c_char {
    ffi_fn! { Ok(arg_ref(token, "token")?.id.as_ptr()) }
}

/// The plaintext. Borrowed from `token`: valid until plexctl_token_free, which wipes it. NULL for
/// NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_plaintext(token: *const plexctl_token) -> *const plexctl_secret {
    ffi_fn! { Ok(&arg_ref(token, "token")?.plaintext as *const _) }
}

/// The environment segment ("prod", ...). Borrowed from `token`; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_env_prefix(token: *const plexctl_token) -> *const c_char {
    ffi_fn! { Ok(arg_ref(token, "token")?.env_prefix.as_ptr()) }
}

/// When the (new) plaintext expires, RFC 3339. Borrowed from `token`; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_expires_at(token: *const plexctl_token) -> *const c_char {
    ffi_fn! { Ok(arg_ref(token, "token")?.expires_at.as_ptr()) }
}

/// For a rotated token: until when the rotated-from plaintext is honoured, RFC 3339. NULL for an
/// issued token or NULL. Borrowed from `token`.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_rotation_deadline(token: *const plexctl_token) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(token, "token")?.rotation_deadline)) }
}

/// For a rotated token: the Sunset header's timestamp, RFC 3339, or NULL when absent. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_sunset(token: *const plexctl_token) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(token, "token")?.sunset)) }
}

/// For a rotated token: whether the Sunset header names the same second as the rotation deadline.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_sunset_agrees(token: *const plexctl_token) -> bool {
    ffi_fn! { Ok(arg_ref(token, "token")?.sunset_agrees) }
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
    strings: [OnceLock<Option<CString>>; 6],
}

impl plexctl_token_summary {
    pub(crate) fn new(inner: TokenSummary) -> Self {
        plexctl_token_summary {
            inner,
            strings: Default::default(),
        }
    }

    /// The lazily built C string of field `i` (in declaration order of the accessors below).
    fn field(&self, i: usize) -> *const c_char {
        let t = &self.inner;
        opt_ptr(self.strings[i].get_or_init(|| match i {
            0 => Some(c_display(t.id)),
            1 => Some(c_str(&t.env_prefix)),
            2 => Some(c_time(t.created_at)),
            3 => Some(c_time(t.expires_at)),
            4 => t.last_used_at.map(c_time),
            _ => t.rotated_at.map(c_time),
        }))
    }
}

/// The caller's token summaries. They stay the core's values until a caller first takes one
/// out: a 10,000-entry list then costs what the core's costs, and one that is only counted or
/// freed never builds the per-summary handles.
pub struct plexctl_token_list {
    len: usize,
    /// The core's summaries, moved into `items` on the first `plexctl_token_list_get`.
    core: Mutex<Vec<TokenSummary>>,
    items: OnceLock<Vec<plexctl_token_summary>>,
}

impl plexctl_token_list {
    fn items(&self) -> &[plexctl_token_summary] {
        self.items.get_or_init(|| {
            // A poisoned lock still holds the summaries: nothing panics while it is held.
            let core = std::mem::take(&mut *self.core.lock().unwrap_or_else(|e| e.into_inner()));
            core.into_iter().map(plexctl_token_summary::new).collect()
        })
    }
}

/// Lists the caller's tokens (GET /v1/auth/tokens) into `*out` (free with
/// plexctl_token_list_free). Thread-safe.
///
/// Errors: as plexctl_issue_token.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_list_tokens(
    client: *const plexctl_client,
    out: *mut *mut plexctl_token_list,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let out = arg_out(out)?;
        let core = client.inner.list_tokens()?;
        out.set(plexctl_token_list {
            len: core.len(),
            core: Mutex::new(core),
            items: OnceLock::new(),
        })
    }
}

/// The number of summaries; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_list_len(list: *const plexctl_token_list) -> usize {
    ffi_fn! { Ok(arg_ref(list, "list")?.len) }
}

/// The summary at `index`, borrowed from `list`; NULL when out of range or for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_list_get(
    list: *const plexctl_token_list,
    index: usize,
) -> *const plexctl_token_summary {
    ffi_fn! { Ok(list_get(arg_ref(list, "list")?.items(), index)) }
}

/// Frees a list and every summary borrowed from it. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_list_free(list: *mut plexctl_token_list) {
    free_box(list)
}

/// The token id. Borrowed from the list; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_id(summary: *const plexctl_token_summary) -> *const c_char {
    ffi_fn! { Ok(arg_ref(summary, "summary")?.field(0)) }
}

/// The environment segment. Borrowed from the list; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_env_prefix(
    summary: *const plexctl_token_summary,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(summary, "summary")?.field(1)) }
}

/// When it was issued, RFC 3339. Borrowed from the list; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_created_at(
    summary: *const plexctl_token_summary,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(summary, "summary")?.field(2)) }
}

/// When it expires, RFC 3339. Borrowed from the list; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_expires_at(
    summary: *const plexctl_token_summary,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(summary, "summary")?.field(3)) }
}

/// When it last authenticated, RFC 3339, or NULL if never. Borrowed from the list.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_last_used_at(
    summary: *const plexctl_token_summary,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(summary, "summary")?.field(4)) }
}

/// When it was last rotated, RFC 3339, or NULL if never. Borrowed from the list.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_token_summary_rotated_at(
    summary: *const plexctl_token_summary,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(summary, "summary")?.field(5)) }
}
