//! The client and its builder.

use std::ffi::c_char;
use std::time::Duration;

use plexctl_core::{Client, ClientBuilder, ExitCode};

use crate::{Failure, arg_box, arg_mut, arg_out, arg_ref, arg_secret, arg_str, ffi_fn, free_box};

/// Configures a client. Not thread-safe: use one builder from one thread.
pub struct plexctl_client_builder {
    inner: ClientBuilder,
}

/// A client for the plexsphere v1 API: one connection pool, shared by every thread that uses it.
/// Thread-safe: every operation takes a `const plexctl_client *`.
pub struct plexctl_client {
    pub(crate) inner: Client,
}

/// A new builder with the defaults (30 s timeout, 10 s connect timeout, https or loopback http
/// only, environment variables consulted). Free it with plexctl_client_builder_free, or hand it to
/// plexctl_client_builder_build, which consumes it. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_new() -> *mut plexctl_client_builder {
    Box::into_raw(Box::new(plexctl_client_builder {
        inner: ClientBuilder::new(),
    }))
}

/// Frees a builder that was not built. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_free(builder: *mut plexctl_client_builder) {
    free_box(builder)
}

fn set(
    builder: *mut plexctl_client_builder,
    f: impl FnOnce(ClientBuilder) -> Result<ClientBuilder, Failure>,
) -> ExitCode {
    ffi_fn! {
        let b = arg_mut(builder, "builder")?;
        // Work on a copy: a setter that fails must leave the earlier settings in place.
        b.inner = f(b.inner.clone())?;
        Ok(ExitCode::Ok)
    }
}

/// Sets the server's base URL (checked by plexctl_client_builder_build).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_server(
    builder: *mut plexctl_client_builder,
    url: *const c_char,
) -> ExitCode {
    set(builder, |b| Ok(b.server(arg_str(url, "url")?)))
}

/// Sets the bearer token, copied at once from `(token, len)` into a buffer wiped on free.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_token(
    builder: *mut plexctl_client_builder,
    token: *const u8,
    len: usize,
) -> ExitCode {
    set(builder, |b| Ok(b.token(arg_secret(token, len, "token")?)))
}

/// Sets a file whose content (trimmed) is the bearer token.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_token_file(
    builder: *mut plexctl_client_builder,
    path: *const c_char,
) -> ExitCode {
    set(builder, |b| Ok(b.token_file(arg_str(path, "path")?)))
}

/// Selects a config-file profile instead of the file's default.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_profile(
    builder: *mut plexctl_client_builder,
    name: *const c_char,
) -> ExitCode {
    set(builder, |b| Ok(b.profile(arg_str(name, "name")?)))
}

/// Sets the config file instead of PLEXCTL_CONFIG / the XDG location.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_config_path(
    builder: *mut plexctl_client_builder,
    path: *const c_char,
) -> ExitCode {
    set(builder, |b| Ok(b.config_path(arg_str(path, "path")?)))
}

/// Sets a PEM file of extra CA certificates trusted besides the platform's roots.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_ca_bundle_file(
    builder: *mut plexctl_client_builder,
    path: *const c_char,
) -> ExitCode {
    set(builder, |b| Ok(b.ca_bundle_file(arg_str(path, "path")?)))
}

/// Sets the deadline of one call, in milliseconds (default 30000): connecting, TLS, sending, the
/// headers, the whole body and any retries all happen within it, whatever the server does.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_timeout_ms(
    builder: *mut plexctl_client_builder,
    ms: u64,
) -> ExitCode {
    set(builder, |b| Ok(b.timeout(Duration::from_millis(ms))))
}

/// Sets how many times a failed attempt may be retried within the call's timeout (default 2; 0
/// turns retries off). Only what is safe is retried: a connection that could not be made, and for
/// idempotent operations (list, preview, delete, logout, key-rotate trigger) a broken connection
/// or a 429/502/503/504 answer, honouring Retry-After. Issue, rotate and the service grant are
/// never repeated once the request may have reached the server.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_retries(
    builder: *mut plexctl_client_builder,
    retries: u32,
) -> ExitCode {
    set(builder, |b| Ok(b.retries(retries)))
}

/// Sends HTTPS requests through the proxy at `url` (e.g. "http://proxy:3128", credentials in the
/// URL if it needs them) instead of the one HTTPS_PROXY names. Only https:// requests are
/// proxied, through a CONNECT tunnel, so the bearer never leaves TLS; loopback never is. A
/// malformed URL is reported by plexctl_client_builder_build (PLEXCTL_STATUS_USAGE).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_proxy(
    builder: *mut plexctl_client_builder,
    url: *const c_char,
) -> ExitCode {
    set(builder, |b| Ok(b.proxy(arg_str(url, "url")?)))
}

/// Uses no proxy, whatever HTTPS_PROXY says. By default HTTPS_PROXY / https_proxy is honoured for
/// https:// requests except for the hosts NO_PROXY / no_proxy lists and loopback, as Go's net/http
/// does (and not at all with plexctl_client_builder_set_use_environment(b, false)).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_no_proxy(
    builder: *mut plexctl_client_builder,
) -> ExitCode {
    set(builder, |b| Ok(b.no_proxy()))
}

/// Sets the connect timeout, in milliseconds.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_connect_timeout_ms(
    builder: *mut plexctl_client_builder,
    ms: u64,
) -> ExitCode {
    set(
        builder,
        |b| Ok(b.connect_timeout(Duration::from_millis(ms))),
    )
}

/// Whether PLEXSPHERE_TOKEN, PLEXSPHERE_URL, PLEXCTL_CONFIG, XDG_CONFIG_HOME and HOME are read
/// (default true).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_use_environment(
    builder: *mut plexctl_client_builder,
    yes: bool,
) -> ExitCode {
    set(builder, |b| Ok(b.use_environment(yes)))
}

/// Allows plain http:// to hosts that are not loopback (default false: a bearer token over plain
/// http can be read on the path).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_set_allow_insecure_http(
    builder: *mut plexctl_client_builder,
    yes: bool,
) -> ExitCode {
    set(builder, |b| Ok(b.allow_insecure_http(yes)))
}

/// Resolves credentials and builds the client into `*out`. Consumes `builder` whether or not it
/// succeeds. Free the client with plexctl_client_free.
///
/// Errors: PLEXCTL_STATUS_USAGE for a malformed URL; PLEXCTL_STATUS_CREDENTIALS for http:// to a
/// host that is not loopback or an insecure config file; PLEXCTL_STATUS_RUNTIME for a bad CA
/// bundle. A missing token is not an error here: operations that need one fail with
/// PLEXCTL_STATUS_CREDENTIALS before sending anything.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_builder_build(
    builder: *mut plexctl_client_builder,
    out: *mut *mut plexctl_client,
) -> ExitCode {
    ffi_fn! {
        // Consumed here, whatever happens next.
        let b = arg_box(builder, "builder")?;
        let out = arg_out(out)?;
        out.set(plexctl_client { inner: b.inner.build()? })
    }
}

/// A handle on the same client into `*out` whose calls each have `timeout_ms` milliseconds as
/// their one deadline (connecting, TLS, sending, the headers, the whole body and any retries), in
/// place of `client`'s timeout. Everything else is shared: the connection pool, the credentials
/// and every other setting. Deriving is cheap, so a caller with a per-call deadline derives one
/// handle per call. Free it with plexctl_client_free; the two handles may be freed in either
/// order. A timeout of 0 is taken as plexctl_client_builder_set_timeout_ms takes it: every call
/// times out at once. Thread-safe.
///
/// Errors: PLEXCTL_STATUS_USAGE for a NULL argument.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_with_timeout(
    client: *const plexctl_client,
    timeout_ms: u64,
    out: *mut *mut plexctl_client,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let out = arg_out(out)?;
        out.set(plexctl_client {
            inner: client.inner.with_timeout(Duration::from_millis(timeout_ms)),
        })
    }
}

/// The deadline of one call on `client`, in milliseconds: the builder's timeout (30000 by
/// default), or the one given to plexctl_client_with_timeout. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_timeout_ms(client: *const plexctl_client) -> u64 {
    ffi_fn! {
        let ms = arg_ref(client, "client")?.inner.timeout().as_millis();
        Ok(u64::try_from(ms).unwrap_or(u64::MAX))
    }
}

/// Frees a client. NULL is a no-op. No other thread may be using it.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_client_free(client: *mut plexctl_client) {
    free_box(client)
}
