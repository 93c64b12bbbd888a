//! Result classes, derived: each field is written once (its `///` line becomes the attribute's
//! docstring), `to_dict()` is the core's `Serialize` with the secrets put back as `Secret`
//! objects, and `repr()` shows the same items. A field the core adds reaches `to_dict()` and
//! `repr()` by itself; a typed attribute for it is one line in the family's `result_class!`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::secret::Secret;

/// Declares the Python class of a core result: a frozen pyclass whose declared fields are
/// read-only attributes converted by [`ToDoor`](crate::convert::ToDoor) from the core field of the
/// same name (a nested result declared `Py<Class>` or `Option<Py<Class>>` becomes its result
/// object, through [`IntoField`](crate::convert::IntoField)), the `ToDoor` impl of the core type, and the shared methods (`to_dict`, `__repr__`,
/// and refusals to pickle or copy). `computed from m { ... }` adds fields computed from the core
/// value `m` before it is taken apart (give them `#[pyo3(get)]` to make them attributes).
/// `pub lazy struct` keeps the core value and converts on read instead (for results listed by
/// the thousand).
///
/// Not `#[pyclass(get_all)]`: the class also keeps the core's serialization, which is no
/// attribute, so each declared field gets its `#[pyo3(get)]` here instead.
macro_rules! result_class {
    (
        $(#[$meta:meta])*
        pub struct $name:ident from $core:ty {
            $( $(#[$fmeta:meta])* $field:ident: $ty:ty, )*
        }
        $( computed from $m:ident {
            $( $(#[$cmeta:meta])* $cfield:ident: $cty:ty = $cexpr:expr, )*
        } )?
    ) => {
        $(#[$meta])*
        #[::pyo3::pyclass(frozen, module = "plexctl._plexctl")]
        pub struct $name {
            $( $(#[$fmeta])* #[pyo3(get)] $field: $ty, )*
            $($( $(#[$cmeta])* $cfield: $cty, )*)?
            /// The core's `Serialize` of the result, taken on arrival (secrets are never in it).
            serialized: Box<str>,
        }

        impl $crate::convert::ToDoor for $core {
            type Door = $name;
            fn to_door(self, py: ::pyo3::Python<'_>) -> ::pyo3::PyResult<$name> {
                let serialized = ::serde_json::to_string(&self)
                    .expect("core results serialize")
                    .into_boxed_str();
                $( let $m = &self; $( let $cfield: $cty = $cexpr; )* )?
                Ok($name {
                    $( $field: $crate::convert::IntoField::into_field(
                        $crate::convert::ToDoor::to_door(self.$field, py)?,
                        py,
                    )?, )*
                    $($( $cfield, )*)?
                    serialized,
                })
            }
        }

        $crate::results::result_class!(@methods $name, |slf| ::std::borrow::Cow::Borrowed(&*slf.get().serialized), [$($field),*]);
    };

    // A lazy result: the object keeps the core value and converts a field when it is read (as
    // `#[pyo3(get)]` converts a stored field on every read, so nothing a caller sees changes), and
    // serializes on `to_dict()`. Creating one costs one allocation, so a list of 10,000 is cheap
    // to build. Only for results without secrets or nested results (a secret is moved into its
    // `Secret` on arrival, never kept in the core value).
    (
        $(#[$meta:meta])*
        pub lazy struct $name:ident from $core:ty {
            $( $(#[$fmeta:meta])* $field:ident: $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[::pyo3::pyclass(frozen, module = "plexctl._plexctl")]
        pub struct $name {
            inner: $core,
        }

        impl $crate::convert::ToDoor for $core {
            type Door = $name;
            fn to_door(self, _py: ::pyo3::Python<'_>) -> ::pyo3::PyResult<$name> {
                Ok($name { inner: self })
            }
        }

        impl $name {
            /// The result object, left out of the cycle collector: it holds a core value and no
            /// Python object, so it can be in no cycle. Building 10,000 tracked ones spent a
            /// quarter of `list_tokens()` in collections that traversed them.
            pub(crate) fn new_untracked(
                py: ::pyo3::Python<'_>,
                inner: $core,
            ) -> ::pyo3::PyResult<::pyo3::Bound<'_, $name>> {
                let obj = ::pyo3::Bound::new(py, $name { inner })?;
                // SAFETY: `obj` is a live object of a GC type (every pyclass is); untracking an
                // object that references no Python object cannot hide a cycle, and dealloc
                // untracks again harmlessly.
                unsafe { ::pyo3::ffi::PyObject_GC_UnTrack(obj.as_ptr().cast()) };
                Ok(obj)
            }
        }

        #[::pyo3::pymethods]
        impl $name {
            $(
                $(#[$fmeta])*
                #[getter]
                fn $field(&self, py: ::pyo3::Python<'_>) -> ::pyo3::PyResult<$ty> {
                    $crate::convert::ToDoor::to_door(self.inner.$field.clone(), py)
                }
            )*
        }

        $crate::results::result_class!(@methods $name, |slf| ::std::borrow::Cow::Owned(
            ::serde_json::to_string(&slf.get().inner).expect("core results serialize")
        ), [$($field),*]);
    };

    // The methods every result class shares; `$serialized` gives the core's serialization.
    (@methods $name:ident, |$slf:ident| $serialized:expr, [$($field:ident),*]) => {
        #[::pyo3::pymethods]
        impl $name {
            /// A JSON-ready dict: the core's serialization (ids and times as strings, nested
            /// results as dicts), with each secret as its `Secret` object, never its value.
            fn to_dict<'py>(
                $slf: &::pyo3::Bound<'py, Self>,
            ) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::types::PyDict>> {
                let serialized: ::std::borrow::Cow<'_, str> = $serialized;
                $crate::results::to_dict(
                    $slf.as_any(),
                    &serialized,
                    &[$(stringify!($field)),*],
                )
            }

            fn __repr__(slf: &::pyo3::Bound<'_, Self>) -> ::pyo3::PyResult<String> {
                $crate::results::repr(slf.as_any(), &Self::to_dict(slf)?)
            }

            fn __reduce__(&self) -> ::pyo3::PyResult<()> {
                Err($crate::results::refuse_copy())
            }

            fn __copy__(&self) -> ::pyo3::PyResult<()> {
                Err($crate::results::refuse_copy())
            }

            fn __deepcopy__(&self, _memo: &::pyo3::Bound<'_, ::pyo3::PyAny>) -> ::pyo3::PyResult<()> {
                Err($crate::results::refuse_copy())
            }
        }
    };
}

pub(crate) use result_class;

/// `to_dict()`: the core's serialization in the declared field order. A declared field the core
/// does not serialize is a secret (put back as its `Secret` object) or a door convenience such as
/// `sunset_agrees` (left out); a field the core serializes but the door does not declare yet
/// follows at the end.
pub(crate) fn to_dict<'py>(
    obj: &Bound<'py, PyAny>,
    serialized: &str,
    fields: &[&str],
) -> PyResult<Bound<'py, PyDict>> {
    let py = obj.py();
    let core = py
        .import("json")?
        .call_method1("loads", (serialized,))?
        .cast_into::<PyDict>()?;
    let out = PyDict::new(py);
    for &name in fields {
        if let Some(value) = core.get_item(name)? {
            out.set_item(name, value)?;
            core.del_item(name)?;
        } else {
            let value = obj.getattr(name)?;
            if value.is_instance_of::<Secret>() {
                out.set_item(name, value)?;
            }
        }
    }
    out.update(core.as_mapping())?;
    Ok(out)
}

/// `Name(key=value, ...)` over the items of `to_dict()`: strings quoted, secrets masked by their
/// own repr, and a nested result (or a list of them) shown as the attribute (the result object,
/// or a tuple of them).
pub(crate) fn repr(obj: &Bound<'_, PyAny>, items: &Bound<'_, PyDict>) -> PyResult<String> {
    let mut parts = Vec::with_capacity(items.len());
    for (key, value) in items.iter() {
        let key = key.cast_into::<PyString>()?;
        let shown = if value.is_instance_of::<PyList>() || value.is_instance_of::<PyDict>() {
            obj.getattr(&key).unwrap_or(value)
        } else {
            value
        };
        parts.push(format!("{key}={}", shown.repr()?));
    }
    Ok(format!("{}({})", obj.get_type().name()?, parts.join(", ")))
}

/// Results may hold a `Secret`, which must not reach a pickle; none of them is copied or pickled.
pub(crate) fn refuse_copy() -> PyErr {
    PyTypeError::new_err(
        "plexctl results cannot be pickled or copied; use to_dict() (secrets stay Secret objects) \
         and reveal() explicitly",
    )
}
