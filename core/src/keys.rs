//! Per-Node mesh-key rotation: trigger (`POST /v1/nodes/{id}/keys/rotate`) and the dry-run
//! impact preview (`GET /v1/nodes/{id}/keys/rotate/preview`).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::client::Client;
use crate::error::{Operation, Result};
use crate::http::{Bearer, Request};

/// The rotation handle returned by a trigger.
///
/// A second trigger for a Node with a pending rotation is success with `already_pending = true`,
/// whether the deployment answers `200 {already_pending: true}` or `409 Problem{code:
/// already_pending}`; in the 409 form the ids are present only if the server includes them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct RotationTrigger {
    /// The `peer_key_rotation` row id (fresh, or the in-flight one when `already_pending`).
    #[serde(default)]
    pub rotation_id: Option<Uuid>,
    /// The live Peer whose mesh key the rotation targets.
    #[serde(default)]
    pub peer_id: Option<Uuid>,
    /// True when the answer reflects a rotation that was already pending (an idempotent no-op).
    pub already_pending: bool,
    /// The Node, when the server echoes it.
    #[serde(default)]
    pub node_id: Option<Uuid>,
    /// The rotation state (`pending`, ...), when the server sends it.
    #[serde(default)]
    pub state: Option<String>,
    /// When the rotation was requested, when the server sends it.
    #[serde(default, with = "crate::timefmt::option")]
    pub requested_at: Option<OffsetDateTime>,
}

/// One peer edge whose pairwise PSK a rotation would re-issue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct RotationImpactEdge {
    /// The Node at the other end of the edge.
    pub peer_node_id: Uuid,
    /// Key id of the PSK currently in force on the edge.
    pub current_kid: String,
    /// Version of the wrap key under which the in-force PSK is wrapped.
    pub current_wrap_key_version: i64,
}

/// The impact a rotation would have; fetching it changes nothing on the server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct RotationPreview {
    /// The Node whose rotation is previewed.
    pub node_id: Uuid,
    /// The live Peer the rotation would target.
    pub peer_id: Uuid,
    /// How many peers' pairwise PSKs would be re-issued.
    pub affected_peer_count: u64,
    /// The edges that would be re-keyed (order is not meaningful).
    pub affected_edges: Vec<RotationImpactEdge>,
    /// Whether a rotation is already pending (a trigger now would be a no-op).
    pub already_pending: bool,
    /// Estimated wall-clock seconds the rotation would take (a hint, not a promise).
    pub estimated_duration_seconds: u64,
}

/// The members of a `409 already_pending` Problem that matter here.
#[derive(Deserialize)]
struct PendingProblem {
    code: Option<String>,
    #[serde(default)]
    rotation_id: Option<Uuid>,
    #[serde(default)]
    peer_id: Option<Uuid>,
}

impl Client {
    /// Triggers a mesh-key rotation for a Node.
    ///
    /// # Errors
    /// [`crate::Error::MissingCredentials`] (3) before the wire without a token; [`crate::Error::Api`]
    /// with exit code 4 for 404 `node_not_found`, 77 for 403 (ReBAC denial; `reason`,
    /// `relation_path` and `correlation_id` are kept on the [`crate::Problem`]), and 1 for 501 (not
    /// provisioned) and any other non-2xx; transport and decode errors (1).
    pub fn rotate_node_keys(&self, node_id: Uuid) -> Result<RotationTrigger> {
        let x = self.send(Request {
            operation: Operation::KeyRotate,
            method: Method::POST,
            path: format!("/v1/nodes/{node_id}/keys/rotate"),
            bearer: Bearer::Client,
            body: None,
            secrets: vec![],
            server: None,
        })?;
        match x.resp.status {
            409 => match serde_json::from_slice::<PendingProblem>(&x.resp.body) {
                Ok(p) if p.code.as_deref() == Some("already_pending") => Ok(RotationTrigger {
                    rotation_id: p.rotation_id,
                    peer_id: p.peer_id,
                    already_pending: true,
                    node_id: Some(node_id),
                    state: None,
                    requested_at: None,
                }),
                _ => Err(x.api_error()),
            },
            _ => x.json(),
        }
    }

    /// Previews the impact of rotating a Node's mesh key without recording anything.
    ///
    /// # Errors
    /// As [`Client::rotate_node_keys`].
    pub fn preview_node_key_rotation(&self, node_id: Uuid) -> Result<RotationPreview> {
        let (preview, _) = self.call::<RotationPreview>(Request {
            operation: Operation::KeyRotatePreview,
            method: Method::GET,
            path: format!("/v1/nodes/{node_id}/keys/rotate/preview"),
            bearer: Bearer::Client,
            body: None,
            secrets: vec![],
            server: None,
        })?;
        Ok(preview)
    }
}

/// Parses a Node id argument.
///
/// # Errors
/// A usage error (exit code 2) when `id` is not a UUID.
pub fn parse_node_id(id: &str) -> Result<Uuid> {
    crate::input::parse_uuid("node_id", id)
}
