//! Node mesh-key rotation: `Client.rotate_node_keys` (trigger) and
//! `Client.preview_node_key_rotation` (dry run), with `RotationTrigger`, `RotationPreview` and
//! `RotationImpactEdge`.

use plexctl_core::keys::parse_node_id;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::client::Client;
use crate::convert::{extract_id, quote, repr_opt, repr_time, rfc3339};

fn repr_id(id: Option<Uuid>) -> String {
    id.map_or_else(|| "None".to_owned(), |id| format!("'{id}'"))
}

/// The rotation handle a trigger returns. A second trigger while one is pending is success with
/// `already_pending=True` (the ids are then present only if the server sent them).
#[pyclass(frozen, module = "plexctl._plexctl")]
pub struct RotationTrigger {
    inner: plexctl_core::RotationTrigger,
}

#[pymethods]
impl RotationTrigger {
    /// The rotation id (fresh, or the in-flight one when `already_pending`), or `None`.
    #[getter]
    fn rotation_id(&self) -> Option<Uuid> {
        self.inner.rotation_id
    }

    /// The live Peer whose mesh key the rotation targets, or `None`.
    #[getter]
    fn peer_id(&self) -> Option<Uuid> {
        self.inner.peer_id
    }

    /// True when a rotation was already pending (an idempotent no-op).
    #[getter]
    fn already_pending(&self) -> bool {
        self.inner.already_pending
    }

    /// The Node, when the server echoes it.
    #[getter]
    fn node_id(&self) -> Option<Uuid> {
        self.inner.node_id
    }

    /// The rotation state (`pending`, ...), when the server sends it.
    #[getter]
    fn state(&self) -> Option<&str> {
        self.inner.state.as_deref()
    }

    /// When the rotation was requested, when the server sends it.
    #[getter]
    fn requested_at(&self) -> Option<OffsetDateTime> {
        self.inner.requested_at
    }

    /// A JSON-ready dict (ids and times as strings).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let t = &self.inner;
        let d = PyDict::new(py);
        d.set_item("rotation_id", t.rotation_id.map(|u| u.to_string()))?;
        d.set_item("peer_id", t.peer_id.map(|u| u.to_string()))?;
        d.set_item("already_pending", t.already_pending)?;
        d.set_item("node_id", t.node_id.map(|u| u.to_string()))?;
        d.set_item("state", t.state.as_deref())?;
        d.set_item("requested_at", t.requested_at.map(rfc3339))?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let t = &self.inner;
        format!(
            "RotationTrigger(rotation_id={}, peer_id={}, already_pending={}, node_id={}, state={}, requested_at={})",
            repr_id(t.rotation_id),
            repr_id(t.peer_id),
            if t.already_pending { "True" } else { "False" },
            repr_id(t.node_id),
            repr_opt(t.state.as_deref()),
            repr_time(t.requested_at),
        )
    }
}

/// One peer edge whose pairwise PSK a rotation would re-issue.
#[pyclass(frozen, module = "plexctl._plexctl")]
pub struct RotationImpactEdge {
    inner: plexctl_core::RotationImpactEdge,
}

impl RotationImpactEdge {
    fn dict<'py>(
        e: &plexctl_core::RotationImpactEdge,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("peer_node_id", e.peer_node_id.to_string())?;
        d.set_item("current_kid", &e.current_kid)?;
        d.set_item("current_wrap_key_version", e.current_wrap_key_version)?;
        Ok(d)
    }

    fn repr(e: &plexctl_core::RotationImpactEdge) -> String {
        format!(
            "RotationImpactEdge(peer_node_id='{}', current_kid={}, current_wrap_key_version={})",
            e.peer_node_id,
            quote(&e.current_kid),
            e.current_wrap_key_version
        )
    }
}

#[pymethods]
impl RotationImpactEdge {
    /// The Node at the other end of the edge.
    #[getter]
    fn peer_node_id(&self) -> Uuid {
        self.inner.peer_node_id
    }

    /// Key id of the PSK currently in force on the edge.
    #[getter]
    fn current_kid(&self) -> &str {
        &self.inner.current_kid
    }

    /// Version of the wrap key under which the in-force PSK is wrapped.
    #[getter]
    fn current_wrap_key_version(&self) -> i64 {
        self.inner.current_wrap_key_version
    }

    /// A JSON-ready dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        Self::dict(&self.inner, py)
    }

    fn __repr__(&self) -> String {
        Self::repr(&self.inner)
    }
}

/// The impact a rotation would have; fetching it changes nothing on the server.
#[pyclass(frozen, module = "plexctl._plexctl")]
pub struct RotationPreview {
    inner: plexctl_core::RotationPreview,
}

#[pymethods]
impl RotationPreview {
    /// The Node whose rotation is previewed.
    #[getter]
    fn node_id(&self) -> Uuid {
        self.inner.node_id
    }

    /// The live Peer the rotation would target.
    #[getter]
    fn peer_id(&self) -> Uuid {
        self.inner.peer_id
    }

    /// How many peers' pairwise PSKs would be re-issued.
    #[getter]
    fn affected_peer_count(&self) -> u64 {
        self.inner.affected_peer_count
    }

    /// The edges that would be re-keyed, as a tuple (order is not meaningful).
    #[getter]
    fn affected_edges<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let edges = self
            .inner
            .affected_edges
            .iter()
            .map(|e| Py::new(py, RotationImpactEdge { inner: e.clone() }))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, edges)
    }

    /// Whether a rotation is already pending (a trigger now would be a no-op).
    #[getter]
    fn already_pending(&self) -> bool {
        self.inner.already_pending
    }

    /// Estimated wall-clock seconds the rotation would take (a hint, not a promise).
    #[getter]
    fn estimated_duration_seconds(&self) -> u64 {
        self.inner.estimated_duration_seconds
    }

    /// A JSON-ready dict (ids as strings, edges as a list of dicts).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = &self.inner;
        let d = PyDict::new(py);
        d.set_item("node_id", p.node_id.to_string())?;
        d.set_item("peer_id", p.peer_id.to_string())?;
        d.set_item("affected_peer_count", p.affected_peer_count)?;
        let edges = PyList::empty(py);
        for e in &p.affected_edges {
            edges.append(RotationImpactEdge::dict(e, py)?)?;
        }
        d.set_item("affected_edges", edges)?;
        d.set_item("already_pending", p.already_pending)?;
        d.set_item("estimated_duration_seconds", p.estimated_duration_seconds)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let p = &self.inner;
        let edges: Vec<String> = p
            .affected_edges
            .iter()
            .map(RotationImpactEdge::repr)
            .collect();
        format!(
            "RotationPreview(node_id='{}', peer_id='{}', affected_peer_count={}, affected_edges=({}{}), already_pending={}, estimated_duration_seconds={})",
            p.node_id,
            p.peer_id,
            p.affected_peer_count,
            edges.join(", "),
            if edges.len() == 1 { "," } else { "" },
            if p.already_pending { "True" } else { "False" },
            p.estimated_duration_seconds,
        )
    }
}

pub(crate) fn rotate_node_keys(
    client: &Client,
    py: Python<'_>,
    node_id: &Bound<'_, PyAny>,
) -> PyResult<RotationTrigger> {
    let node_id = extract_id(node_id, "node_id", parse_node_id)?;
    let inner = client.call(py, |c| c.rotate_node_keys(node_id))?;
    Ok(RotationTrigger { inner })
}

pub(crate) fn preview_node_key_rotation(
    client: &Client,
    py: Python<'_>,
    node_id: &Bound<'_, PyAny>,
) -> PyResult<RotationPreview> {
    let node_id = extract_id(node_id, "node_id", parse_node_id)?;
    let inner = client.call(py, |c| c.preview_node_key_rotation(node_id))?;
    Ok(RotationPreview { inner })
}
