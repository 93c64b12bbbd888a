//! Small conversions shared by the result classes: RFC 3339 text for `to_dict()` and `repr()`,
//! and id arguments that may be a `uuid.UUID` or a `str`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::errors::Error;

/// RFC 3339 text of a timestamp, as the wire and the CLI's JSON output write it.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// `'text'` or `None`, for a `repr()`.
pub(crate) fn repr_opt(value: Option<&str>) -> String {
    value.map_or_else(|| "None".to_owned(), quote)
}

/// A Python-style single-quoted literal.
pub(crate) fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `'2026-01-01T00:00:00Z'` or `None`, for a `repr()`.
pub(crate) fn repr_time(value: Option<OffsetDateTime>) -> String {
    value.map_or_else(|| "None".to_owned(), |t| format!("'{}'", rfc3339(t)))
}

/// An id argument: a `uuid.UUID`, or a `str` the core parses (a malformed one is a usage error
/// naming `field`, exit code 2).
pub(crate) fn extract_id(
    obj: &Bound<'_, PyAny>,
    field: &'static str,
    parse: fn(&str) -> plexctl_core::Result<Uuid>,
) -> PyResult<Uuid> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(parse(&s.to_cow()?).map_err(Error::from)?);
    }
    obj.extract::<Uuid>()
        .map_err(|_| PyTypeError::new_err(format!("{field} must be a str or uuid.UUID")))
}
