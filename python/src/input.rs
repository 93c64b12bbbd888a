//! Python arguments into the core's typed inputs, as core's `input.rs` parses text: ids, the TTL,
//! and durations in seconds. The core validates every value; this module only moves it across
//! (a wrong Python *type* is a `TypeError`, as PyO3's own argument conversion raises).

use std::time::Duration;

use plexctl_core::{Error as CoreError, Ttl};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDelta, PyInt, PyString};
use uuid::Uuid;

use crate::errors::Error;

/// An id argument: a `uuid.UUID`, or a `str` the core parses (a malformed one is a usage error
/// naming `field`, exit code 2).
pub(crate) fn id(
    obj: &Bound<'_, PyAny>,
    field: &'static str,
    parse: fn(&str) -> plexctl_core::Result<Uuid>,
) -> PyResult<Uuid> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(parse(&s.to_cow()?).map_err(Error)?);
    }
    obj.extract::<Uuid>()
        .map_err(|_| PyTypeError::new_err(format!("{field} must be a str or uuid.UUID")))
}

/// An id argument the core parses itself (with the rest of a request): a `str` as given, or a
/// `uuid.UUID` as its hyphenated text.
pub(crate) fn id_text(obj: &Bound<'_, PyAny>, field: &'static str) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    obj.extract::<Uuid>()
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| PyTypeError::new_err(format!("{field} must be a str or uuid.UUID")))
}

/// A lifetime: a duration string (`1h`, `30m`, `90s`) for `Ttl::from_str`, an `int` number of
/// seconds for `Ttl::from_secs`, or a `datetime.timedelta` for `Ttl::try_from(Duration)`.
pub(crate) fn ttl(obj: &Bound<'_, PyAny>) -> PyResult<Ttl> {
    let ttl = if let Ok(s) = obj.cast::<PyString>() {
        s.to_cow()?.parse::<Ttl>()
    } else if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() {
        Ttl::from_secs(saturating_u64(obj)?)
    } else if obj.is_instance_of::<PyDelta>() {
        // The one timedelta that is no `Duration` is a negative one; as zero, the core refuses it.
        Ttl::try_from(obj.extract::<Duration>().unwrap_or(Duration::ZERO))
    } else {
        return Err(PyTypeError::new_err(
            "ttl must be a str, int or datetime.timedelta",
        ));
    };
    Ok(ttl.map_err(Error)?)
}

/// An `int` as a `u64`, saturating: a negative one becomes 0 and a huge one `u64::MAX`, both of
/// which the core refuses as it refuses any other out-of-range value.
fn saturating_u64(n: &Bound<'_, PyAny>) -> PyResult<u64> {
    match n.extract::<u64>() {
        Ok(v) => Ok(v),
        Err(_) if n.lt(0)? => Ok(0),
        Err(_) => Ok(u64::MAX),
    }
}

/// A duration in seconds (`timeout`, `refresh_margin`); a negative or non-finite one is a usage
/// error naming `field`.
pub(crate) fn seconds(value: Option<f64>, field: &'static str) -> Result<Option<Duration>, Error> {
    value
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                Error(CoreError::usage(
                    field,
                    "expected a non-negative number of seconds",
                ))
            })
        })
        .transpose()
}
