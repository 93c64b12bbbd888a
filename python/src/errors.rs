//! The one translation of `plexctl_core::Error` into the Python exceptions of `plexctl.errors`.
//!
//! The exceptions are plain Python classes (below 3.12 an abi3 pyclass cannot extend `Exception`
//! and carry fields), imported with `import_exception!`. The exit code is the core's
//! `Error::exit_code()`; this module only picks the class that names the error's meaning.

use plexctl_core::Error as CoreError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The Python classes, imported from `plexctl.errors` on first use.
mod exc {
    pyo3::import_exception!(plexctl.errors, Error);
    pyo3::import_exception!(plexctl.errors, UsageError);
    pyo3::import_exception!(plexctl.errors, GrantRefused);
    pyo3::import_exception!(plexctl.errors, CredentialsError);
    pyo3::import_exception!(plexctl.errors, MissingCredentialsError);
    pyo3::import_exception!(plexctl.errors, InsecureTransportError);
    pyo3::import_exception!(plexctl.errors, InsecureConfigError);
    pyo3::import_exception!(plexctl.errors, ConfigError);
    pyo3::import_exception!(plexctl.errors, SetupError);
    pyo3::import_exception!(plexctl.errors, TransportError);
    pyo3::import_exception!(plexctl.errors, ResponseError);
    pyo3::import_exception!(plexctl.errors, APIError);
    pyo3::import_exception!(plexctl.errors, PermissionDenied);
    pyo3::import_exception!(plexctl.errors, RebacDenied);
    pyo3::import_exception!(plexctl.errors, NodeNotFound);
    pyo3::import_exception!(plexctl.errors, SessionNotSavedError);
}

/// A core error on its way to Python. Every fallible method of the extension returns
/// `Result<T, Error>`, so `?` on a core result and the conversion to `PyErr` happen in one place.
#[derive(Debug)]
pub struct Error(pub CoreError);

impl From<CoreError> for Error {
    fn from(e: CoreError) -> Self {
        Error(e)
    }
}

/// The Python class an error is raised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Error,
    UsageError,
    GrantRefused,
    CredentialsError,
    MissingCredentialsError,
    InsecureTransportError,
    InsecureConfigError,
    ConfigError,
    SetupError,
    TransportError,
    ResponseError,
    APIError,
    PermissionDenied,
    RebacDenied,
    NodeNotFound,
    SessionNotSavedError,
}

/// The class of an [`CoreError::Api`], from its status and the exit code the core gave it.
pub(crate) fn api_class(status: u16, exit_code: i32) -> Class {
    match (exit_code, status) {
        (77, _) => Class::RebacDenied,
        (4, 403) => Class::PermissionDenied,
        (4, 404) => Class::NodeNotFound,
        // A 403 the core left at exit code 1 is still a permission denial to a reader.
        (_, 403) => Class::PermissionDenied,
        _ => Class::APIError,
    }
}

/// The class of any core error.
pub(crate) fn class_of(e: &CoreError) -> Class {
    match e {
        CoreError::Usage { .. } | CoreError::InvalidPsk { .. } => Class::UsageError,
        CoreError::Refused(_) => Class::GrantRefused,
        CoreError::MissingCredentials { .. } => Class::MissingCredentialsError,
        CoreError::InsecureTransport { .. } => Class::InsecureTransportError,
        CoreError::InsecureConfig { .. } => Class::InsecureConfigError,
        CoreError::Config { .. } => Class::ConfigError,
        CoreError::Setup(_) => Class::SetupError,
        CoreError::Transport { .. } => Class::TransportError,
        CoreError::Decode { .. } => Class::ResponseError,
        CoreError::SessionNotSaved { .. } => Class::SessionNotSavedError,
        CoreError::Api(api) => api_class(api.status, e.exit_code()),
        // A variant added to the core later still reaches Python with its exit code; the
        // fallback keeps `except plexctl.Error` complete.
        _ => match e.exit_code() {
            2 => Class::UsageError,
            3 => Class::CredentialsError,
            _ => Class::Error,
        },
    }
}

fn class_type<'py>(py: Python<'py>, class: Class) -> Bound<'py, pyo3::types::PyType> {
    match class {
        Class::Error => py.get_type::<exc::Error>(),
        Class::UsageError => py.get_type::<exc::UsageError>(),
        Class::GrantRefused => py.get_type::<exc::GrantRefused>(),
        Class::CredentialsError => py.get_type::<exc::CredentialsError>(),
        Class::MissingCredentialsError => py.get_type::<exc::MissingCredentialsError>(),
        Class::InsecureTransportError => py.get_type::<exc::InsecureTransportError>(),
        Class::InsecureConfigError => py.get_type::<exc::InsecureConfigError>(),
        Class::ConfigError => py.get_type::<exc::ConfigError>(),
        Class::SetupError => py.get_type::<exc::SetupError>(),
        Class::TransportError => py.get_type::<exc::TransportError>(),
        Class::ResponseError => py.get_type::<exc::ResponseError>(),
        Class::APIError => py.get_type::<exc::APIError>(),
        Class::PermissionDenied => py.get_type::<exc::PermissionDenied>(),
        Class::RebacDenied => py.get_type::<exc::RebacDenied>(),
        Class::NodeNotFound => py.get_type::<exc::NodeNotFound>(),
        Class::SessionNotSavedError => py.get_type::<exc::SessionNotSavedError>(),
    }
}

/// The keyword arguments of the exception: the fields a caller can act on.
fn fields<'py>(py: Python<'py>, e: &CoreError) -> PyResult<Bound<'py, PyDict>> {
    let kw = PyDict::new(py);
    kw.set_item("exit_code", e.exit_code())?;
    match e {
        CoreError::Usage { field, .. } => kw.set_item("field", *field)?,
        CoreError::MissingCredentials { what, .. } => kw.set_item("what", *what)?,
        CoreError::Transport {
            operation, timeout, ..
        } => {
            kw.set_item("operation", operation.name())?;
            kw.set_item("timeout", *timeout)?;
        }
        CoreError::Decode { operation, .. } => kw.set_item("operation", operation.name())?,
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
                kw.set_item("relation_path", p.relation_path.clone())?;
            }
        }
        CoreError::SessionNotSaved { rotated, .. } => {
            // The new plaintext must reach the caller: it rides on the exception as a
            // RotatedToken whose plaintext is a masked Secret.
            let rotated = crate::tokens::RotatedToken::from_core(py, (**rotated).clone())?;
            kw.set_item("rotated", Py::new(py, rotated)?)?;
        }
        _ => {}
    }
    Ok(kw)
}

fn to_pyerr(py: Python<'_>, e: &CoreError) -> PyResult<PyErr> {
    // The message is the core's Display, which never contains a secret.
    let message = e.to_string();
    let instance = class_type(py, class_of(e)).call((message,), Some(&fields(py, e)?))?;
    Ok(PyErr::from_value(instance))
}

impl From<Error> for PyErr {
    fn from(Error(e): Error) -> PyErr {
        // Raised from methods that hold the GIL, so attaching is free; if `plexctl.errors` cannot
        // be imported, that failure is what the caller sees.
        Python::attach(|py| to_pyerr(py, &e).unwrap_or_else(|import_failure| import_failure))
    }
}

/// A usage error built here for an argument the core never sees in its typed form (a wiped
/// `Secret`, a negative timeout); its exit code is still the core's.
pub(crate) fn usage(field: &'static str, reason: impl Into<String>) -> Error {
    Error(CoreError::Usage {
        field,
        reason: reason.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexctl_core::Operation;

    #[test]
    fn every_variant_has_its_class() {
        let cases: Vec<(CoreError, Class, i32)> = vec![
            (
                CoreError::Usage {
                    field: "id",
                    reason: "expected a UUID".into(),
                },
                Class::UsageError,
                2,
            ),
            (
                CoreError::InvalidPsk {
                    context: "stored token".into(),
                    source: plexctl_core::psk::Psk::parse("nope").err().unwrap(),
                },
                Class::UsageError,
                2,
            ),
            (
                CoreError::Refused("--client-secret must not be set".into()),
                Class::GrantRefused,
                1,
            ),
            (
                CoreError::MissingCredentials {
                    what: "token",
                    looked_for: "an explicit token".into(),
                },
                Class::MissingCredentialsError,
                3,
            ),
            (
                CoreError::InsecureTransport {
                    host: "example.com".into(),
                },
                Class::InsecureTransportError,
                3,
            ),
            (
                CoreError::InsecureConfig {
                    path: "/tmp/c.yaml".into(),
                    mode: 0o644,
                },
                Class::InsecureConfigError,
                3,
            ),
            (
                CoreError::Config {
                    path: "/tmp/c.yaml".into(),
                    message: "unreadable".into(),
                    source: None,
                },
                Class::ConfigError,
                1,
            ),
            (CoreError::Setup("bad PEM".into()), Class::SetupError, 1),
            (
                CoreError::Transport {
                    operation: Operation::ListTokens,
                    message: "timed out".into(),
                    timeout: true,
                    source: None,
                },
                Class::TransportError,
                1,
            ),
            (
                CoreError::Decode {
                    operation: Operation::IssueToken,
                    message: "not valid JSON".into(),
                    recovered: None,
                },
                Class::ResponseError,
                1,
            ),
        ];
        for (e, class, code) in cases {
            assert_eq!(class_of(&e), class, "{e}");
            // The door never re-decides the code: the Python exception gets exactly this one.
            assert_eq!(e.exit_code(), code, "{e}");
        }
    }

    #[test]
    fn api_errors_are_classed_by_status_and_core_exit_code() {
        assert_eq!(api_class(403, 4), Class::PermissionDenied);
        assert_eq!(api_class(403, 77), Class::RebacDenied);
        assert_eq!(api_class(404, 4), Class::NodeNotFound);
        assert_eq!(api_class(404, 1), Class::APIError);
        assert_eq!(api_class(500, 1), Class::APIError);
        assert_eq!(api_class(501, 1), Class::APIError);
        assert_eq!(api_class(409, 1), Class::APIError);
        assert_eq!(api_class(401, 1), Class::APIError);
        assert_eq!(api_class(403, 1), Class::PermissionDenied);
    }
}
