//! libplexctl: the C ABI of `plexctl-core`.
//!
//! A door, not a room: every export checks its pointers, converts C values into the core's typed
//! inputs, calls the core, and converts the result back. Exit codes, error kinds, validation,
//! redaction and transport rules all live in the core.
//!
//! The boundary is written once, here, in rustls-ffi's manner: [`ffi_fn!`] sits inside each
//! exported function (so cbindgen still sees a plain `extern "C" fn`), catches panics, and turns a
//! failure into the value the return type says ([`FfiReturn`]): a status with the thread-local
//! last error for fallible calls, NULL / 0 / false for accessors. The `arg_*` helpers check every
//! pointer; [`Out`] writes boxed out-parameters; [`list_get`] is the one list pattern.
#![deny(missing_docs)]
// Exports take raw pointers from C, which Rust cannot check; every one is validated by the
// helpers below before it is dereferenced.
#![allow(clippy::not_unsafe_ptr_arg_deref)]
#![allow(non_camel_case_types)]

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use plexctl_core::{Error, ErrorKind, ExitCode};
use zeroize::Zeroizing;

/// Every Rust allocation inside libplexctl — the HTTP stack's and the TLS layer's buffers
/// included — is wiped when freed, so no secret survives in freed memory.
#[global_allocator]
static ALLOC: plexctl_core::alloc::ZeroizingAllocator = plexctl_core::alloc::ZeroizingAllocator;

pub mod client;
pub mod grants;
pub mod keys;
pub mod login;
pub mod session;
pub mod status;
pub mod tokens;

/// Runs an export's body inside the boundary: see [`boundary`].
macro_rules! ffi_fn {
    ($($body:tt)*) => {
        $crate::boundary(move || { $($body)* })
    };
}
pub(crate) use ffi_fn;

/// A failure inside the door: a core error (the door's own argument checks use
/// [`Error::usage`]), or a panic.
pub(crate) enum Failure {
    Core(Error),
    Panic,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

/// What an export returns when its body fails or panics, chosen by its return type.
pub(crate) trait FfiReturn: Sized {
    /// Runs before the body: fallible calls clear the thread's last error.
    fn enter() {}
    /// The value returned for `failure`.
    fn fail(failure: Failure) -> Self;
}

impl FfiReturn for ExitCode {
    fn enter() {
        LAST_ERROR.with(|l| *l.borrow_mut() = None);
    }
    fn fail(failure: Failure) -> Self {
        record(failure)
    }
}

impl<T> FfiReturn for *const T {
    fn fail(_: Failure) -> Self {
        std::ptr::null()
    }
}

impl<T> FfiReturn for *mut T {
    fn fail(_: Failure) -> Self {
        std::ptr::null_mut()
    }
}

macro_rules! fallback {
    ($($t:ty => $v:expr),* $(,)?) => {
        $(impl FfiReturn for $t {
            fn fail(_: Failure) -> Self {
                $v
            }
        })*
    };
}
fallback!(bool => false, usize => 0, u32 => 0, u64 => 0, i64 => -1, () => ());

/// The panic boundary of every export: clears the last error (fallible calls), runs `body`,
/// catches a panic, and turns a failure into the return type's fallback.
pub(crate) fn boundary<R: FfiReturn>(body: impl FnOnce() -> Result<R, Failure>) -> R {
    R::enter();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(f)) => R::fail(f),
        Err(_) => R::fail(Failure::Panic),
    }
}

struct LastError {
    kind: ErrorKind,
    message: CString,
    http_status: i32,
    code: Option<CString>,
    correlation_id: Option<CString>,
    /// A plaintext the failed call must not lose (wiped when the next fallible call clears it).
    plaintext: Option<plexctl_secret>,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).expect("NULs were replaced")
}

fn record(failure: Failure) -> ExitCode {
    let last = match failure {
        Failure::Core(e) => {
            let problem = e.problem();
            LastError {
                kind: e.kind(),
                // The core's Display never contains a secret.
                message: c_string(&e.to_string()),
                http_status: e.status().map_or(0, i32::from),
                code: problem.and_then(|p| p.code.as_deref()).map(c_string),
                correlation_id: problem
                    .and_then(|p| p.correlation_id.as_deref())
                    .map(c_string),
                plaintext: e.recovered_plaintext().map(plexctl_secret::new),
            }
        }
        Failure::Panic => LastError {
            kind: ErrorKind::Internal,
            message: c_string("internal error: the library panicked; please report it"),
            http_status: 0,
            code: None,
            correlation_id: None,
            plaintext: None,
        },
    };
    let status = last.kind.exit_code();
    LAST_ERROR.with(|l| *l.borrow_mut() = Some(last));
    status
}

fn null(arg: &'static str) -> Failure {
    Failure::Core(Error::usage(arg, "must not be NULL"))
}

/// A reference to a handle; NULL is a usage error naming `arg`.
pub(crate) fn arg_ref<'a, T>(ptr: *const T, arg: &'static str) -> Result<&'a T, Failure> {
    // SAFETY: the caller passes a pointer it got from this library, or NULL (checked).
    unsafe { ptr.as_ref() }.ok_or_else(|| null(arg))
}

/// A mutable reference to a handle; NULL is a usage error naming `arg`.
pub(crate) fn arg_mut<'a, T>(ptr: *mut T, arg: &'static str) -> Result<&'a mut T, Failure> {
    // SAFETY: as for arg_ref, and the caller does not share a builder between threads.
    unsafe { ptr.as_mut() }.ok_or_else(|| null(arg))
}

/// Takes back ownership of a handle the caller hands over; NULL is a usage error.
pub(crate) fn arg_box<T>(ptr: *mut T, arg: &'static str) -> Result<Box<T>, Failure> {
    if ptr.is_null() {
        return Err(null(arg));
    }
    // SAFETY: non-NULL and from Box::into_raw in this library; the caller gives it up here.
    Ok(unsafe { Box::from_raw(ptr) })
}

/// A NUL-terminated UTF-8 string argument; NULL or invalid UTF-8 is a usage error.
pub(crate) fn arg_str<'a>(ptr: *const c_char, arg: &'static str) -> Result<&'a str, Failure> {
    arg_opt_str(ptr, arg)?.ok_or_else(|| null(arg))
}

/// An optional string argument: NULL means absent.
pub(crate) fn arg_opt_str<'a>(
    ptr: *const c_char,
    arg: &'static str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, and the caller promises a NUL-terminated string.
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map(Some)
        .map_err(|_| Failure::Core(Error::usage(arg, "not UTF-8")))
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
        .map_err(|_| Failure::Core(Error::usage(arg, "not UTF-8")))
}

/// A required secret input.
pub(crate) fn arg_secret(
    ptr: *const u8,
    len: usize,
    arg: &'static str,
) -> Result<plexctl_core::Secret, Failure> {
    arg_opt_secret(ptr, len, arg)?.ok_or_else(|| null(arg))
}

/// A checked out-parameter, written only on success.
pub(crate) struct Out<'a, T>(&'a mut *mut T);

/// Checks an out pointer before any work is done; NULL is a usage error.
pub(crate) fn arg_out<'a, T>(ptr: *mut *mut T) -> Result<Out<'a, T>, Failure> {
    // SAFETY: the caller passes the address of a pointer variable, or NULL (checked).
    unsafe { ptr.as_mut() }.map(Out).ok_or_else(|| null("out"))
}

impl<T> Out<'_, T> {
    /// Hands `value` to the caller (who frees it with its `_free`) and reports success.
    pub(crate) fn set(self, value: T) -> Result<ExitCode, Failure> {
        *self.0 = Box::into_raw(Box::new(value));
        Ok(ExitCode::Ok)
    }
}

/// The one list pattern: the item at `index`, borrowed from its list; NULL when out of range.
pub(crate) fn list_get<T>(items: &[T], index: usize) -> *const T {
    items
        .get(index)
        .map_or(std::ptr::null(), |item| item as *const T)
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

/// A timestamp for the C side (RFC 3339, as core writes it).
pub(crate) fn c_time(t: time::OffsetDateTime) -> CString {
    c_string(&plexctl_core::timefmt::format(t))
}

/// A C string of `s` (a NUL inside becomes a space).
pub(crate) fn c_str(s: &str) -> CString {
    c_string(s)
}

/// A C string of anything displayable (ids).
pub(crate) fn c_display(v: impl std::fmt::Display) -> CString {
    c_string(&v.to_string())
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
    ffi_fn! { Ok(arg_ref(secret, "secret")?.bytes.as_ptr()) }
}

/// The secret's length in bytes, without the trailing NUL; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_secret_len(secret: *const plexctl_secret) -> usize {
    ffi_fn! { Ok(arg_ref(secret, "secret")?.bytes.len() - 1) }
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
pub extern "C" fn plexctl_last_error_status() -> ExitCode {
    with_last(ExitCode::Ok, |e| e.kind.exit_code())
}

/// What the last failure on the calling thread means: a PLEXCTL_ERROR_KIND_* value, or 0 when the
/// last call succeeded. The status follows from the kind; plexctl_error_kind_name names it.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_last_error_kind() -> u32 {
    with_last(0, |e| e.kind as u32)
}

/// The stable snake_case name of a PLEXCTL_ERROR_KIND_* value ("usage", "rebac_denied", ...),
/// static storage; NULL for 0 or an unknown value.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_error_kind_name(kind: u32) -> *const c_char {
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    let names = NAMES.get_or_init(|| ErrorKind::ALL.iter().map(|k| c_str(k.as_str())).collect());
    ErrorKind::ALL
        .iter()
        .position(|k| *k as u32 == kind)
        .map_or(std::ptr::null(), |i| names[i].as_ptr())
}

/// The HTTP status of the last failure on the calling thread, or 0 when it was not an HTTP answer.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_last_error_http_status() -> i32 {
    with_last(0, |e| e.http_status)
}

/// The server's Problem `code` of the last failure on the calling thread (e.g.
/// "node_not_found"), or NULL when the server sent none. Borrowed until the next fallible call on
/// this thread.
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

/// A plaintext the server minted that the last failure on the calling thread must not lose:
/// the new plaintext of an issue or rotate whose answer was otherwise malformed
/// (PLEXCTL_ERROR_KIND_DECODE; the token is live on the server), or of a rotated session or a
/// device login that could not be saved (PLEXCTL_ERROR_KIND_SESSION_NOT_SAVED). NULL otherwise.
/// Borrowed: valid until the next fallible call on this thread, which wipes it; copy it out to
/// keep it.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_last_error_plaintext() -> *const plexctl_secret {
    with_last(std::ptr::null(), |e| {
        e.plaintext
            .as_ref()
            .map_or(std::ptr::null(), |s| s as *const plexctl_secret)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> String {
        unsafe { CStr::from_ptr(plexctl_last_error_message()) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn panics_become_internal_runtime_errors() {
        let status: ExitCode = ffi_fn! { panic!("boom") };
        assert_eq!(status, ExitCode::Runtime);
        assert_eq!(plexctl_last_error_kind(), ErrorKind::Internal as u32);
        assert!(message().contains("panicked"));
        assert!(!message().contains("boom"), "no panic payload in messages");
        let p: *const c_char = ffi_fn! { panic!("boom") };
        assert!(p.is_null());
    }

    #[test]
    fn null_and_bad_utf8_are_usage_errors() {
        let status: ExitCode =
            ffi_fn! { arg_str(std::ptr::null(), "server").map(|_| ExitCode::Ok) };
        assert_eq!(status, ExitCode::Usage);
        assert_eq!(plexctl_last_error_kind(), ErrorKind::Usage as u32);
        assert_eq!(message(), "invalid server: must not be NULL");
        let bad = [0xffu8, 0];
        let status: ExitCode =
            ffi_fn! { arg_str(bad.as_ptr().cast(), "server").map(|_| ExitCode::Ok) };
        assert_eq!(status, ExitCode::Usage);
        assert_eq!(plexctl_last_error_status(), ExitCode::Usage);
        // A success clears the detail.
        assert_eq!(ffi_fn! { Ok(ExitCode::Ok) }, ExitCode::Ok);
        assert_eq!(message(), "");
        assert_eq!(plexctl_last_error_kind(), 0);
    }

    #[test]
    fn every_kind_round_trips_through_the_c_names() {
        assert!(plexctl_error_kind_name(0).is_null());
        assert!(plexctl_error_kind_name(9999).is_null());
        for &kind in ErrorKind::ALL {
            let name = unsafe { CStr::from_ptr(plexctl_error_kind_name(kind as u32)) };
            assert_eq!(name.to_str().unwrap(), kind.as_str());
        }
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
