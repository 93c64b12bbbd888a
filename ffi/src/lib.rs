//! libplexctl: the C ABI of `plexctl-core`.
//!
//! A door, not a room: every export checks its pointers, converts C values into the core's typed
//! inputs, calls the core, and converts the result back. Exit codes, validation, redaction and
//! transport rules all live in the core. The boundary is written once, here: [`ffi_fn`] catches
//! panics and records the thread-local last error; the `arg_*` helpers check every pointer.
#![deny(missing_docs)]
// Exports take raw pointers from C, which Rust cannot check; every one is validated by the
// helpers below before it is dereferenced.
#![allow(clippy::not_unsafe_ptr_arg_deref)]
#![allow(non_camel_case_types)]

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use zeroize::Zeroizing;

pub mod client;
pub mod grants;
pub mod keys;
pub mod session;
pub mod tokens;

/// The status every fallible function returns: the plexctl exit-code taxonomy.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum plexctl_status {
    /// Success.
    Ok = 0,
    /// Runtime or API error: transport failure, timeout, an unlisted non-2xx, an unparsable body,
    /// 501 not provisioned, a service-grant flag mismatch, or a panic caught in the library.
    Runtime = 1,
    /// Usage error: a missing (NULL), non-UTF-8 or malformed argument. Nothing was sent.
    Usage = 2,
    /// Missing or insecure credentials or configuration.
    Credentials = 3,
    /// Permission denied (403), or key rotate's 404 node_not_found.
    Denied = 4,
    /// Key rotate denied by the ReBAC authorizer (403).
    RebacDenied = 77,
}

impl plexctl_status {
    fn from_exit_code(code: i32) -> Self {
        match code {
            0 => plexctl_status::Ok,
            2 => plexctl_status::Usage,
            3 => plexctl_status::Credentials,
            4 => plexctl_status::Denied,
            77 => plexctl_status::RebacDenied,
            _ => plexctl_status::Runtime,
        }
    }
}

/// A failure inside the door: a core error, or a bad argument found before calling the core.
pub(crate) enum Failure {
    Core(plexctl_core::Error),
    Null(&'static str),
    NotUtf8(&'static str),
    Panic,
}

impl From<plexctl_core::Error> for Failure {
    fn from(e: plexctl_core::Error) -> Self {
        Failure::Core(e)
    }
}

struct LastError {
    status: plexctl_status,
    message: CString,
    http_status: i32,
    code: Option<CString>,
    correlation_id: Option<CString>,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).expect("NULs were replaced")
}

fn record(failure: Failure) -> plexctl_status {
    let last = match failure {
        Failure::Core(e) => {
            let problem = e.problem();
            LastError {
                status: plexctl_status::from_exit_code(e.exit_code()),
                // The core's Display never contains a secret.
                message: c_string(&e.to_string()),
                http_status: e.status().map_or(0, i32::from),
                code: problem.and_then(|p| p.code.as_deref()).map(c_string),
                correlation_id: problem
                    .and_then(|p| p.correlation_id.as_deref())
                    .map(c_string),
            }
        }
        Failure::Null(arg) => usage(format!("invalid {arg}: must not be NULL")),
        Failure::NotUtf8(arg) => usage(format!("invalid {arg}: not UTF-8")),
        Failure::Panic => LastError {
            status: plexctl_status::Runtime,
            message: c_string("internal error: the library panicked; please report it"),
            http_status: 0,
            code: None,
            correlation_id: None,
        },
    };
    let status = last.status;
    LAST_ERROR.with(|l| *l.borrow_mut() = Some(last));
    status
}

fn usage(message: String) -> LastError {
    LastError {
        status: plexctl_status::Usage,
        message: c_string(&message),
        http_status: 0,
        code: None,
        correlation_id: None,
    }
}

/// The panic boundary every fallible export goes through: clears the last error, runs `body`,
/// catches a panic, and turns a failure into its status and thread-local detail.
pub(crate) fn ffi_fn(body: impl FnOnce() -> Result<(), Failure>) -> plexctl_status {
    LAST_ERROR.with(|l| *l.borrow_mut() = None);
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => plexctl_status::Ok,
        Ok(Err(f)) => record(f),
        Err(_) => record(Failure::Panic),
    }
}

/// The boundary for infallible accessors: a panic yields `fallback` instead of unwinding into C.
pub(crate) fn ffi_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A reference to a handle; NULL is a usage error naming `arg`.
pub(crate) fn arg_ref<'a, T>(ptr: *const T, arg: &'static str) -> Result<&'a T, Failure> {
    // SAFETY: the caller passes a pointer it got from this library, or NULL (checked).
    unsafe { ptr.as_ref() }.ok_or(Failure::Null(arg))
}

/// A mutable reference to a handle; NULL is a usage error naming `arg`.
pub(crate) fn arg_mut<'a, T>(ptr: *mut T, arg: &'static str) -> Result<&'a mut T, Failure> {
    // SAFETY: as for arg_ref, and the caller does not share a builder between threads.
    unsafe { ptr.as_mut() }.ok_or(Failure::Null(arg))
}

/// A NUL-terminated UTF-8 string argument; NULL or invalid UTF-8 is a usage error.
pub(crate) fn arg_str<'a>(ptr: *const c_char, arg: &'static str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::Null(arg));
    }
    // SAFETY: non-NULL, and the caller promises a NUL-terminated string.
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map_err(|_| Failure::NotUtf8(arg))
}

/// An optional string argument: NULL means absent.
pub(crate) fn arg_opt_str<'a>(
    ptr: *const c_char,
    arg: &'static str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        Ok(None)
    } else {
        arg_str(ptr, arg).map(Some)
    }
}

/// A secret input `(bytes, len)`, copied into a buffer wiped on drop; NULL means absent.
pub(crate) fn arg_opt_secret(
    ptr: *const u8,
    len: usize,
    arg: &'static str,
) -> Result<Option<plexctl_core::Secret>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, and the caller promises `len` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    plexctl_core::Secret::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Failure::NotUtf8(arg))
}

/// A required secret input.
pub(crate) fn arg_secret(
    ptr: *const u8,
    len: usize,
    arg: &'static str,
) -> Result<plexctl_core::Secret, Failure> {
    arg_opt_secret(ptr, len, arg)?.ok_or(Failure::Null(arg))
}

/// Checks an out pointer before any work is done; NULL is a usage error.
pub(crate) fn arg_out<'a, T>(
    ptr: *mut *mut T,
    arg: &'static str,
) -> Result<&'a mut *mut T, Failure> {
    // SAFETY: the caller passes the address of a pointer variable, or NULL (checked).
    unsafe { ptr.as_mut() }.ok_or(Failure::Null(arg))
}

/// Frees a Boxed handle; NULL is a no-op.
pub(crate) fn free_box<T>(ptr: *mut T) {
    if !ptr.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the pointer came from Box::into_raw in this library and is freed once.
            drop(unsafe { Box::from_raw(ptr) });
        }));
    }
}

/// Borrowed C string of an optional owned one; NULL when absent.
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Converts a timestamp for the C side (RFC 3339).
pub(crate) fn c_time(t: time::OffsetDateTime) -> CString {
    c_string(
        &t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    )
}

pub(crate) fn c_str(s: &str) -> CString {
    c_string(s)
}

/// A secret owned by the library: its bytes (plus a trailing NUL not counted in its length) are
/// wiped when it is freed.
pub struct plexctl_secret {
    bytes: Zeroizing<Vec<u8>>,
}

impl plexctl_secret {
    pub(crate) fn new(secret: &plexctl_core::Secret) -> Self {
        let value = secret.expose_secret().as_bytes();
        let mut bytes = Zeroizing::new(Vec::with_capacity(value.len() + 1));
        bytes.extend_from_slice(value);
        bytes.push(0);
        plexctl_secret { bytes }
    }
}

/// The secret's bytes, NUL-terminated (the NUL is not counted by plexctl_secret_len). Borrowed:
/// valid until the secret (or the object it was borrowed from) is freed. NULL for a NULL secret.
/// Copies the caller makes are the caller's to wipe.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_secret_expose(secret: *const plexctl_secret) -> *const u8 {
    ffi_value(std::ptr::null(), || {
        arg_ref(secret, "secret").map_or(std::ptr::null(), |s| s.bytes.as_ptr())
    })
}

/// The secret's length in bytes, without the trailing NUL; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_secret_len(secret: *const plexctl_secret) -> usize {
    ffi_value(0, || {
        arg_ref(secret, "secret").map_or(0, |s| s.bytes.len() - 1)
    })
}

/// Wipes and frees a secret the caller owns. NULL is a no-op. Never call it on a secret borrowed
/// from another object.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_secret_free(secret: *mut plexctl_secret) {
    free_box(secret)
}

/// The library version, e.g. "0.1.0" (static storage). Compare with PLEXCTL_VERSION_STRING to
/// detect a header/library mismatch.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Sets the Problem-code slot of the last error (for library-side codes such as
/// `session_not_saved`).
pub(crate) fn set_last_error_code(code: &str) {
    LAST_ERROR.with(|l| {
        if let Some(e) = l.borrow_mut().as_mut() {
            e.code = Some(c_string(code));
        }
    });
}

fn with_last<T>(fallback: T, f: impl FnOnce(&LastError) -> T) -> T {
    LAST_ERROR.with(|l| l.borrow().as_ref().map_or(fallback, f))
}

/// The message of the last failure on the calling thread, or "" when the last call succeeded.
/// Borrowed until the next fallible call on this thread. Never contains a secret.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_last_error_message() -> *const c_char {
    with_last(c"".as_ptr(), |e| e.message.as_ptr())
}

/// The status of the last failure on the calling thread (PLEXCTL_STATUS_OK after a success).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_last_error_status() -> plexctl_status {
    with_last(plexctl_status::Ok, |e| e.status)
}

/// The HTTP status of the last failure on the calling thread, or 0 when it was not an HTTP answer.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_last_error_http_status() -> i32 {
    with_last(0, |e| e.http_status)
}

/// The Problem `code` of the last failure on the calling thread (e.g. "node_not_found"), or
/// NULL. Borrowed until the next fallible call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_last_error_code() -> *const c_char {
    with_last(std::ptr::null(), |e| opt_ptr(&e.code))
}

/// The PermissionDenied correlation id of the last failure on the calling thread, or NULL.
/// Borrowed until the next fallible call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_last_error_correlation_id() -> *const c_char {
    with_last(std::ptr::null(), |e| opt_ptr(&e.correlation_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_runtime_errors() {
        let status = ffi_fn(|| panic!("boom"));
        assert_eq!(status, plexctl_status::Runtime);
        let msg = unsafe { CStr::from_ptr(plexctl_last_error_message()) };
        assert!(msg.to_str().unwrap().contains("panicked"));
        assert!(
            !msg.to_str().unwrap().contains("boom"),
            "no panic payload in messages"
        );
    }

    #[test]
    fn null_and_bad_utf8_are_usage_errors() {
        let status = ffi_fn(|| arg_str(std::ptr::null(), "server").map(|_| ()));
        assert_eq!(status, plexctl_status::Usage);
        let bad = [0xffu8, 0];
        let status = ffi_fn(|| arg_str(bad.as_ptr().cast(), "server").map(|_| ()));
        assert_eq!(status, plexctl_status::Usage);
        assert_eq!(plexctl_last_error_status(), plexctl_status::Usage);
        // A success clears the detail.
        assert_eq!(ffi_fn(|| Ok(())), plexctl_status::Ok);
        assert_eq!(
            unsafe { CStr::from_ptr(plexctl_last_error_message()) }.to_bytes(),
            b""
        );
    }

    #[test]
    fn secrets_are_nul_terminated_and_free_accepts_null() {
        let s = Box::into_raw(Box::new(plexctl_secret::new(&plexctl_core::Secret::from(
            "abc",
        ))));
        assert_eq!(plexctl_secret_len(s), 3);
        let bytes = unsafe { std::slice::from_raw_parts(plexctl_secret_expose(s), 4) };
        assert_eq!(bytes, b"abc\0");
        plexctl_secret_free(s);
        plexctl_secret_free(std::ptr::null_mut());
        assert_eq!(plexctl_secret_len(std::ptr::null()), 0);
        assert!(plexctl_secret_expose(std::ptr::null()).is_null());
    }
}
