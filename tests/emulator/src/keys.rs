//! Per-Node mesh-key rotation: trigger and preview, behind one gate.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde_json::json;
use uuid::Uuid;

use crate::http::{
    authenticate, empty_body, ok_json, path_uuid, permission_denied, problem, problem_json,
    problem_value, tri, ts,
};
use crate::state::{RetriggerMode, Shared, St};

/// The shared gate of both key-rotate endpoints: authenticate → provisioned → ReBAC → existence.
fn key_gate(
    s: &Shared,
    headers: &HeaderMap,
    id: &str,
    path: &str,
    preview: bool,
) -> Result<Uuid, Response> {
    let p = authenticate(s, headers, path)?;
    if !s.lock().config.key_rotate_provisioned {
        let code = if preview {
            "node_keys_rotate_preview_not_provisioned"
        } else {
            "node_keys_rotate_not_provisioned"
        };
        return Err(problem(
            StatusCode::NOT_IMPLEMENTED,
            code,
            "the key-rotation surface is not yet provisioned in this build",
            path,
        ));
    }
    let id = path_uuid(id, path)?;
    let denied = {
        let inner = s.lock();
        inner.denied.contains(&p.identity) || inner.nodes.get(&id).is_some_and(|n| n.denied)
    };
    if denied {
        return Err(permission_denied(
            s,
            "rebac_denied",
            "principal lacks the operator-action relation on the addressed Node.",
            path,
            &format!("node:{id}"),
        ));
    }
    if !s.lock().nodes.contains_key(&id) {
        return Err(problem(
            StatusCode::NOT_FOUND,
            "node_not_found",
            "node id does not match any Node in this Domain.",
            path,
        ));
    }
    Ok(id)
}

pub(crate) async fn key_rotate(
    State(s): State<St>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/v1/nodes/{id}/keys/rotate");
    let id = tri!(key_gate(&s, &headers, &id, &path, false));
    tri!(empty_body(&headers, &body, &path));
    let now = s.now();
    let mut inner = s.lock();
    let mode = inner.config.retrigger_mode;
    let node = inner
        .nodes
        .get_mut(&id)
        .expect("the gate checked existence");
    let peer_id = node.fixture.peer_id;
    if let Some((rotation_id, requested_at)) = node.pending {
        return match mode {
            RetriggerMode::Ok200 => ok_json(
                StatusCode::OK,
                json!({"rotation_id": rotation_id, "peer_id": peer_id, "already_pending": true,
                       "node_id": id, "state": "pending", "requested_at": ts(requested_at)}),
            ),
            RetriggerMode::Conflict409 => {
                let mut body = problem_value(
                    StatusCode::CONFLICT,
                    "already_pending",
                    "a rotation is already pending for this Node",
                    &path,
                );
                body["rotation_id"] = json!(rotation_id);
                body["peer_id"] = json!(peer_id);
                problem_json(StatusCode::CONFLICT, body)
            }
        };
    }
    let rotation_id = Uuid::now_v7();
    node.pending = Some((rotation_id, now));
    ok_json(
        StatusCode::OK,
        json!({"rotation_id": rotation_id, "peer_id": peer_id, "already_pending": false,
               "node_id": id, "state": "pending", "requested_at": ts(now)}),
    )
}

pub(crate) async fn key_rotate_preview(
    State(s): State<St>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/nodes/{id}/keys/rotate/preview");
    let id = tri!(key_gate(&s, &headers, &id, &path, true));
    let inner = s.lock();
    let node = &inner.nodes[&id];
    let n = node.fixture.edges.len();
    ok_json(
        StatusCode::OK,
        json!({
            "node_id": id,
            "peer_id": node.fixture.peer_id,
            "affected_peer_count": n,
            "affected_edges": node.fixture.edges,
            "already_pending": node.pending.is_some(),
            "estimated_duration_seconds": 2 + 5 * n,
        }),
    )
}
