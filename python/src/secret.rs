//! `plexctl.Secret`: the core's zeroizing `Secret` behind a lock, so Python can wipe it.

use std::sync::{RwLock, RwLockReadGuard};

use plexctl_core::{Error as CoreError, Secret as CoreSecret};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use zeroize::Zeroizing;

use crate::convert::ToDoor;
use crate::errors::Error;

const NO_COPY: &str = "plexctl.Secret cannot be pickled or copied; call reveal() if you really \
                       need the value outside the library";

/// A secret value (token plaintext, access token, client secret, assertion) kept in a Rust buffer
/// that is wiped on `wipe()`, on leaving a `with` block, and when the object is collected.
///
/// `repr()` and `str()` are masked (`psk_prod_****`); `reveal()` is the one way to the value.
#[pyclass(frozen, weakref, module = "plexctl._plexctl")]
pub struct Secret {
    // `None` once wiped; dropping the core `Secret` zeroizes its buffer.
    value: RwLock<Option<CoreSecret>>,
}

impl Secret {
    /// Wraps a core secret (no copy).
    pub(crate) fn wrap(value: CoreSecret) -> Self {
        Secret {
            value: RwLock::new(Some(value)),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Option<CoreSecret>> {
        // A poisoned lock means a panic elsewhere while holding it; the value itself is intact.
        self.value.read().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the core secret (for passing to the core), or a usage error naming `field`
    /// when this secret has been wiped.
    pub(crate) fn to_core(&self, field: &'static str) -> Result<CoreSecret, Error> {
        self.read()
            .clone()
            .ok_or_else(|| Error(CoreError::usage(field, "the Secret has been wiped")))
    }

    fn with_value<T>(&self, f: impl FnOnce(&CoreSecret) -> T) -> Result<T, Error> {
        match self.read().as_ref() {
            Some(s) => Ok(f(s)),
            None => Err(Error(CoreError::usage(
                "secret",
                "the Secret has been wiped",
            ))),
        }
    }

    /// The redaction: `psk_<env>_****` for a psk plaintext, `****` otherwise, `<wiped>` once wiped.
    fn masked(&self) -> String {
        masked(self.read().as_ref())
    }
}

/// The core's redaction of a secret, or `<wiped>`.
fn masked(value: Option<&CoreSecret>) -> String {
    value.map_or_else(|| "<wiped>".to_owned(), CoreSecret::redacted)
}

/// `Secret('psk_prod_****')`: how a secret shows in any `repr()`, the client's included.
pub(crate) fn repr(value: Option<&CoreSecret>) -> String {
    format!("Secret('{}')", masked(value))
}

/// A core secret crosses into Python as a `plexctl.Secret`: moved, not copied.
impl ToDoor for CoreSecret {
    type Door = Py<Secret>;
    fn to_door(self, py: Python<'_>) -> PyResult<Py<Secret>> {
        Py::new(py, Secret::wrap(self))
    }
}

/// Converts a secret argument (`str`, `bytes`, `bytearray` or `Secret`) into a core `Secret`.
///
/// A Python `str` or `bytes` the caller passed stays in Python's memory (it cannot be wiped); a
/// `bytearray` can be cleared by the caller afterwards; a `Secret` is copied Rust to Rust.
pub(crate) fn extract_secret(obj: &Bound<'_, PyAny>, field: &'static str) -> PyResult<CoreSecret> {
    if let Ok(s) = obj.cast::<Secret>() {
        return Ok(s.get().to_core(field)?);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        // `to_cow` borrows the UTF-8 buffer where the stable ABI allows (3.10+), else owns a copy
        // that the core `Secret` takes over without another copy.
        return Ok(CoreSecret::new(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return CoreSecret::from_utf8(b.as_bytes())
            .map_err(|_| Error(CoreError::usage(field, "expected UTF-8 text")).into());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        let bytes = Zeroizing::new(b.to_vec());
        return CoreSecret::from_utf8(&bytes)
            .map_err(|_| Error(CoreError::usage(field, "expected UTF-8 text")).into());
    }
    Err(PyTypeError::new_err(format!(
        "{field} must be a str, bytes, bytearray or plexctl.Secret"
    )))
}

#[pymethods]
impl Secret {
    /// Wraps `value` (`str`, `bytes` or `bytearray`). A `str` or `bytes` stays in Python's memory
    /// as well; clear a `bytearray` yourself after wrapping it.
    #[new]
    fn py_new(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Secret::wrap(extract_secret(value, "value")?))
    }

    /// Returns the value as a `str`. That `str` is a Python copy the library cannot wipe: keep
    /// it short-lived, or use `reveal_bytes()` and clear the result.
    fn reveal<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyString>, Error> {
        self.with_value(|s| PyString::new(py, s.expose_secret()))
    }

    /// Returns the value as a new UTF-8 `bytearray`, which the caller can clear (`b[:] = bytes(len(b))`).
    fn reveal_bytes<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyByteArray>, Error> {
        self.with_value(|s| PyByteArray::new(py, s.expose_secret().as_bytes()))
    }

    /// Wipes the value now; later `reveal()` calls raise `UsageError`. Idempotent.
    fn wipe(&self) {
        let taken = self.value.write().unwrap_or_else(|p| p.into_inner()).take();
        // Dropping the core Secret zeroizes its buffer.
        drop(taken);
    }

    /// Whether the value has been wiped.
    #[getter]
    fn wiped(&self) -> bool {
        self.read().is_none()
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    #[pyo3(signature = (_exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        self.wipe();
        false
    }

    fn __repr__(&self) -> String {
        repr(self.read().as_ref())
    }

    fn __str__(&self) -> String {
        self.masked()
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(NO_COPY))
    }

    fn __reduce_ex__(&self, _protocol: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(NO_COPY))
    }

    fn __getstate__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(NO_COPY))
    }

    fn __copy__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(NO_COPY))
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(NO_COPY))
    }
}
