//! `plexctl._plexctl`: the private Rust module behind the `plexctl` Python package.
//!
//! A door into `plexctl-core`: it converts Python arguments into the core's typed inputs, releases
//! the GIL around every network call, and converts results and errors back. It decides nothing:
//! validation, exit codes, error kinds, redaction and transport rules all live in the core.
//!
//! One Rust module per core module, under the same name: `client`, `tokens` (with its `model`),
//! `grants`, `keys`, `session`, `login`, `status`, `secret`, `errors`, `input`. Each family keeps
//! its own `#[pymethods] impl Client` block (PyO3's `multiple-pymethods`). Two door-only modules
//! carry the machinery: `convert` (a core value → its Python-ready form) and `results` (result
//! classes derived from one field list).

use pyo3::prelude::*;

/// Every Rust allocation inside the extension — the HTTP stack's and the TLS layer's buffers
/// included — is wiped when freed, so no secret survives in freed memory.
#[global_allocator]
static ALLOC: plexctl_core::alloc::ZeroizingAllocator = plexctl_core::alloc::ZeroizingAllocator;

mod client;
mod convert;
mod errors;
mod grants;
mod input;
mod keys;
mod login;
mod results;
mod secret;
mod session;
mod status;
mod tokens;

#[pymodule]
fn _plexctl(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<secret::Secret>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<tokens::IssuedToken>()?;
    m.add_class::<tokens::TokenSummary>()?;
    m.add_class::<tokens::RotatedToken>()?;
    m.add_class::<grants::ServiceToken>()?;
    m.add_class::<grants::ServiceTokenSource>()?;
    m.add_class::<keys::RotationTrigger>()?;
    m.add_class::<keys::RotationPreview>()?;
    m.add_class::<keys::RotationImpactEdge>()?;
    m.add_class::<session::LogoutOutcome>()?;
    m.add_class::<login::DeviceAuthorization>()?;
    m.add_class::<login::LoginOutcome>()?;
    m.add_class::<status::Whoami>()?;
    m.add_class::<status::Status>()?;
    // Private (for the tests that hold the error table to the core): set, not added, so it stays
    // out of `__all__`.
    m.setattr("_error_kinds", wrap_pyfunction!(errors::error_kinds, m)?)?;
    Ok(())
}
