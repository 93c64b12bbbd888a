//! The one translation of `plexctl_core::Error` into the exceptions of `plexctl.errors`.
//!
//! The core says what an error means (`Error::kind()`) and what it exits with
//! (`Error::exit_code()`); this module looks the kind up in one table to pick the Python class,
//! and passes `kind`, `exit_code` and the error's fields as keyword arguments. It never looks at
//! an HTTP status or an exit number to choose.
//!
//! The exceptions are plain Python classes (below 3.12 an abi3 pyclass cannot extend `Exception`
//! and carry fields), imported with `import_exception!`.

use plexctl_core::{Error as CoreError, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::convert::ToDoor;

/// A core error on its way to Python. Every fallible method of the extension returns
/// `Result<T, Error>` or `PyResult<T>`, so `?` on a core result and the conversion to `PyErr`
/// happen in one place.
#[derive(Debug)]
pub struct Error(pub CoreError);

impl From<CoreError> for Error {
    fn from(e: CoreError) -> Self {
        Error(e)
    }
}

/// Writes the kind → class table once: the imports, the class of a kind, and its name (for tests).
macro_rules! kind_table {
    ($($kind:ident => $class:ident,)*) => {
        /// The Python classes, imported from `plexctl.errors` on first use.
        mod exc {
            pyo3::import_exception!(plexctl.errors, Error);
            $(pyo3::import_exception!(plexctl.errors, $class);)*
        }

        /// The class a kind is raised as.
        fn class<'py>(py: Python<'py>, kind: ErrorKind) -> Bound<'py, PyType> {
            match kind {
                $(ErrorKind::$kind => py.get_type::<exc::$class>(),)*
                // `ErrorKind` is non-exhaustive. A kind added to the core later still reaches
                // Python as `plexctl.Error` with the core's kind and exit code, and fails the
                // tests below until it has a row.
                _ => py.get_type::<exc::Error>(),
            }
        }

        /// The name of the class a kind is raised as; `None` for a kind without a row.
        #[cfg_attr(not(test), allow(dead_code))]
        fn class_name(kind: ErrorKind) -> Option<&'static str> {
            match kind {
                $(ErrorKind::$kind => Some(stringify!($class)),)*
                _ => None,
            }
        }
    };
}

kind_table! {
    Usage => UsageError,
    MissingCredentials => MissingCredentialsError,
    InsecureTransport => InsecureTransportError,
    InsecureConfig => InsecureConfigError,
    PermissionDenied => PermissionDenied,
    RebacDenied => RebacDenied,
    NodeNotFound => NodeNotFound,
    NotProvisioned => NotProvisioned,
    Api => APIError,
    Decode => ResponseError,
    Transport => TransportError,
    Timeout => TimeoutError,
    Refused => GrantRefused,
    SessionNotSaved => SessionNotSavedError,
    Config => ConfigError,
    Setup => SetupError,
    Internal => InternalError,
    AccessDenied => AccessDenied,
    LoginExpired => LoginExpired,
    Cancelled => Cancelled,
}

/// `_plexctl._error_kinds()`: every kind the core has, as `(name, exit_code, class)`, from the
/// core's `ErrorKind::ALL` and the table above. For the tests that hold the table to the core.
#[pyfunction(name = "_error_kinds")]
pub(crate) fn error_kinds(py: Python<'_>) -> Vec<(&'static str, i32, Bound<'_, PyType>)> {
    ErrorKind::ALL
        .iter()
        .copied()
        .map(|k| (k.as_str(), k.exit_code().code(), class(py, k)))
        .collect()
}

/// The keyword arguments of the exception besides `kind` and `exit_code`: the fields a caller can
/// act on. Takes the error by value, so the new plaintext a `SessionNotSaved` holds moves into
/// its `RotatedToken` without a copy.
fn fields(py: Python<'_>, e: CoreError, kw: &Bound<'_, PyDict>) -> PyResult<()> {
    match e {
        CoreError::Usage { field, .. } => kw.set_item("field", field)?,
        CoreError::MissingCredentials { what, .. } => kw.set_item("what", what)?,
        CoreError::Transport {
            operation, timeout, ..
        } => {
            kw.set_item("operation", operation.name())?;
            kw.set_item("timeout", timeout)?;
        }
        CoreError::Decode {
            operation,
            recovered,
            ..
        } => {
            kw.set_item("operation", operation.name())?;
            // A minted plaintext must reach the caller: it rides on the exception as a Secret.
            if let Some(recovered) = recovered {
                let recovered = *recovered;
                kw.set_item("token_id", recovered.id)?;
                let plaintext = Py::new(py, crate::secret::Secret::wrap(recovered.plaintext))?;
                kw.set_item("plaintext", plaintext)?;
            }
        }
        CoreError::Api(api) => {
            kw.set_item("operation", api.operation.name())?;
            kw.set_item("status", api.status)?;
            kw.set_item("body_excerpt", api.body_excerpt.as_deref())?;
            if let Some(p) = &api.problem {
                kw.set_item("code", p.code.as_deref())?;
                kw.set_item("title", p.title.as_deref())?;
                kw.set_item("detail", p.detail.as_deref())?;
                kw.set_item("problem_type", p.type_uri.as_deref())?;
                kw.set_item("instance", p.instance.as_deref())?;
                kw.set_item("correlation_id", p.correlation_id.as_deref())?;
                kw.set_item("reason", p.reason.as_deref())?;
                kw.set_item("relation_path", &p.relation_path)?;
            }
        }
        // The new plaintext must reach the caller: it rides on the exception as a RotatedToken
        // whose plaintext is a masked Secret.
        CoreError::SessionNotSaved { rotated, .. } => {
            kw.set_item("rotated", (*rotated).to_door(py)?)?;
        }
        // A login's access token, likewise, as a masked Secret.
        CoreError::LoginNotSaved { token, .. } => {
            kw.set_item(
                "plaintext",
                Py::new(py, crate::secret::Secret::wrap(token))?,
            )?;
        }
        _ => {}
    }
    Ok(())
}

fn to_pyerr(py: Python<'_>, e: CoreError) -> PyResult<PyErr> {
    // The message is the core's Display, which never contains a secret.
    let message = e.to_string();
    let kind = e.kind();
    let kw = PyDict::new(py);
    kw.set_item("kind", kind.as_str())?;
    kw.set_item("exit_code", e.exit_code())?;
    fields(py, e, &kw)?;
    let instance = class(py, kind).call((message,), Some(&kw))?;
    Ok(PyErr::from_value(instance))
}

/// The exception for a panic caught at the door's boundary: kind `internal`, never a panic
/// payload in the message.
pub(crate) fn internal(py: Python<'_>) -> PyErr {
    let kind = ErrorKind::Internal;
    let raised = (|| {
        let kw = PyDict::new(py);
        kw.set_item("kind", kind.as_str())?;
        kw.set_item("exit_code", kind.exit_code().code())?;
        class(py, kind).call(
            ("internal error: the library panicked; please report it",),
            Some(&kw),
        )
    })();
    match raised {
        Ok(instance) => PyErr::from_value(instance),
        Err(import_failure) => import_failure,
    }
}

impl From<Error> for PyErr {
    fn from(Error(e): Error) -> PyErr {
        // Raised from methods that hold the GIL, so attaching is free; if `plexctl.errors` cannot
        // be imported, that failure is what the caller sees.
        Python::attach(|py| to_pyerr(py, e).unwrap_or_else(|import_failure| import_failure))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;
    use plexctl_core::Operation;

    #[test]
    fn every_kind_has_a_class_of_its_own() {
        let names: Vec<_> = ErrorKind::ALL
            .iter()
            .copied()
            .map(|k| class_name(k).unwrap_or_else(|| panic!("no class for kind {k}")))
            .collect();
        let distinct: HashSet<_> = names.iter().collect();
        assert_eq!(distinct.len(), names.len(), "one class per kind: {names:?}");
    }

    /// One core error of every kind that can be built outside the core (an `ApiError` cannot: its
    /// kinds are raised for real in tests/python/test_error_kinds.py), and the class it becomes.
    #[test]
    fn core_errors_are_raised_by_their_kind() {
        let cases: Vec<(CoreError, &str)> = vec![
            (CoreError::usage("id", "expected a UUID"), "UsageError"),
            (
                CoreError::InvalidPsk {
                    context: "stored token".into(),
                    source: plexctl_core::psk::Psk::parse("nope").err().unwrap(),
                },
                "UsageError",
            ),
            (
                CoreError::Refused("--client-secret must not be set".into()),
                "GrantRefused",
            ),
            (
                CoreError::MissingCredentials {
                    what: "token",
                    looked_for: "an explicit token".into(),
                },
                "MissingCredentialsError",
            ),
            (
                CoreError::InsecureTransport {
                    host: "example.com".into(),
                },
                "InsecureTransportError",
            ),
            (
                CoreError::InsecureConfig {
                    path: "/tmp/c.yaml".into(),
                    mode: 0o644,
                },
                "InsecureConfigError",
            ),
            (
                CoreError::Config {
                    path: "/tmp/c.yaml".into(),
                    message: "unreadable".into(),
                    source: None,
                },
                "ConfigError",
            ),
            (CoreError::Setup("bad PEM".into()), "SetupError"),
            (
                CoreError::Transport {
                    operation: Operation::ListTokens,
                    message: "connection refused".into(),
                    timeout: false,
                    source: None,
                },
                "TransportError",
            ),
            (
                CoreError::Transport {
                    operation: Operation::ListTokens,
                    message: "timed out".into(),
                    timeout: true,
                    source: None,
                },
                "TimeoutError",
            ),
            (
                CoreError::Decode {
                    operation: Operation::IssueToken,
                    message: "not valid JSON".into(),
                    recovered: None,
                },
                "ResponseError",
            ),
        ];
        let mut kinds = BTreeSet::new();
        for (e, class) in &cases {
            assert_eq!(class_name(e.kind()), Some(*class), "{e}");
            // The exception gets exactly the core's code; the door has none of its own.
            assert_eq!(e.exit_code(), e.kind().exit_code().code(), "{e}");
            kinds.insert(e.kind().as_str());
        }
        // The kinds only an API answer (or a real rotation) produces, by their table rows.
        let answered = [
            (ErrorKind::PermissionDenied, "PermissionDenied"),
            (ErrorKind::RebacDenied, "RebacDenied"),
            (ErrorKind::NodeNotFound, "NodeNotFound"),
            (ErrorKind::NotProvisioned, "NotProvisioned"),
            (ErrorKind::Api, "APIError"),
            (ErrorKind::SessionNotSaved, "SessionNotSavedError"),
            // Only a panic caught at the boundary (client.rs `call`) produces it.
            (ErrorKind::Internal, "InternalError"),
            (ErrorKind::AccessDenied, "AccessDenied"),
            (ErrorKind::LoginExpired, "LoginExpired"),
            (ErrorKind::Cancelled, "Cancelled"),
        ];
        for (kind, class) in answered {
            assert_eq!(class_name(kind), Some(class));
            kinds.insert(kind.as_str());
        }
        let all: BTreeSet<_> = ErrorKind::ALL
            .iter()
            .copied()
            .map(ErrorKind::as_str)
            .collect();
        assert_eq!(kinds, all, "every kind is covered");
    }
}
