//! Node mesh-key rotation: `Client.rotate_node_keys` (trigger) and
//! `Client.preview_node_key_rotation` (dry run), with `RotationTrigger`, `RotationPreview` and
//! `RotationImpactEdge`.

use plexctl_core::keys::parse_node_id;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::client::Client;
use crate::convert::ToDoor;
use crate::input;
use crate::results::result_class;

result_class! {
    /// The rotation handle a trigger returns. A second trigger while one is pending is success
    /// with `already_pending=True` (the ids are then present only if the server sent them).
    pub struct RotationTrigger from plexctl_core::RotationTrigger {
        /// The rotation id (fresh, or the in-flight one when `already_pending`), or `None`.
        rotation_id: Option<Uuid>,
        /// The live Peer whose mesh key the rotation targets, or `None`.
        peer_id: Option<Uuid>,
        /// True when a rotation was already pending (an idempotent no-op).
        already_pending: bool,
        /// The Node, when the server echoes it.
        node_id: Option<Uuid>,
        /// The rotation state (`pending`, ...), when the server sends it.
        state: Option<String>,
        /// When the rotation was requested, when the server sends it.
        requested_at: Option<OffsetDateTime>,
    }
}

result_class! {
    /// One peer edge whose pairwise PSK a rotation would re-issue.
    pub struct RotationImpactEdge from plexctl_core::RotationImpactEdge {
        /// The Node at the other end of the edge.
        peer_node_id: Uuid,
        /// Key id of the PSK currently in force on the edge.
        current_kid: String,
        /// Version of the wrap key under which the in-force PSK is wrapped.
        current_wrap_key_version: i64,
    }
}

result_class! {
    /// The impact a rotation would have; fetching it changes nothing on the server.
    pub struct RotationPreview from plexctl_core::RotationPreview {
        /// The Node whose rotation is previewed.
        node_id: Uuid,
        /// The live Peer the rotation would target.
        peer_id: Uuid,
        /// How many peers' pairwise PSKs would be re-issued.
        affected_peer_count: u64,
        /// The edges that would be re-keyed, as a tuple of `RotationImpactEdge` (order is not
        /// meaningful).
        affected_edges: Py<PyTuple>,
        /// Whether a rotation is already pending (a trigger now would be a no-op).
        already_pending: bool,
        /// Estimated wall-clock seconds the rotation would take (a hint, not a promise).
        estimated_duration_seconds: u64,
    }
}

#[pymethods]
impl Client {
    /// Triggers a mesh-key rotation for a Node (`POST /v1/nodes/{id}/keys/rotate`).
    fn rotate_node_keys(
        &self,
        py: Python<'_>,
        node_id: &Bound<'_, PyAny>,
    ) -> PyResult<RotationTrigger> {
        let node_id = input::id(node_id, "node_id", parse_node_id)?;
        self.call(py, |c| c.rotate_node_keys(node_id))?.to_door(py)
    }

    /// Previews a Node's mesh-key rotation without recording anything
    /// (`GET /v1/nodes/{id}/keys/rotate/preview`).
    fn preview_node_key_rotation(
        &self,
        py: Python<'_>,
        node_id: &Bound<'_, PyAny>,
    ) -> PyResult<RotationPreview> {
        let node_id = input::id(node_id, "node_id", parse_node_id)?;
        self.call(py, |c| c.preview_node_key_rotation(node_id))?
            .to_door(py)
    }
}
