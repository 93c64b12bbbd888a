//! Node mesh-key rotation: trigger and preview.

use std::ffi::{CString, c_char};

use plexctl_core::keys::parse_node_id;
use plexctl_core::{ExitCode, RotationImpactEdge, RotationPreview, RotationTrigger};

use crate::client::plexctl_client;
use crate::{
    arg_out, arg_ref, arg_str, c_display, c_str, c_time, ffi_fn, free_box, list_get, opt_ptr,
};

/// The handle of a triggered (or already pending) rotation.
pub struct plexctl_rotation_trigger {
    rotation_id: Option<CString>,
    peer_id: Option<CString>,
    already_pending: bool,
    node_id: Option<CString>,
    state: Option<CString>,
    requested_at: Option<CString>,
}

impl From<RotationTrigger> for plexctl_rotation_trigger {
    fn from(t: RotationTrigger) -> Self {
        plexctl_rotation_trigger {
            rotation_id: t.rotation_id.map(c_display),
            peer_id: t.peer_id.map(c_display),
            already_pending: t.already_pending,
            node_id: t.node_id.map(c_display),
            state: t.state.as_deref().map(c_str),
            requested_at: t.requested_at.map(c_time),
        }
    }
}

/// Triggers a mesh-key rotation for a Node (POST /v1/nodes/{id}/keys/rotate) into `*out` (free
/// with plexctl_rotation_trigger_free). A rotation already pending is success with
/// already_pending set, whether the server answers 200 or 409. Thread-safe.
///
/// Errors: PLEXCTL_STATUS_USAGE (malformed node id), PLEXCTL_STATUS_CREDENTIALS (no token),
/// PLEXCTL_STATUS_DENIED (404 node_not_found), PLEXCTL_STATUS_REBAC_DENIED (403; see
/// plexctl_last_error_correlation_id), PLEXCTL_STATUS_RUNTIME (501 not provisioned, others).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotate_node_keys(
    client: *const plexctl_client,
    node_id: *const c_char,
    out: *mut *mut plexctl_rotation_trigger,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let id = parse_node_id(arg_str(node_id, "node_id")?)?;
        let out = arg_out(out)?;
        out.set(client.inner.rotate_node_keys(id)?.into())
    }
}

/// The rotation id, or NULL when the server did not send it (a 409 without it). Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_rotation_id(
    t: *const plexctl_rotation_trigger,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(t, "trigger")?.rotation_id)) }
}

/// The live Peer's id, or NULL when not sent. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_peer_id(
    t: *const plexctl_rotation_trigger,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(t, "trigger")?.peer_id)) }
}

/// The Node's id, or NULL when not sent. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_node_id(
    t: *const plexctl_rotation_trigger,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(t, "trigger")?.node_id)) }
}

/// The rotation state ("pending", ...), or NULL when not sent. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_state(
    t: *const plexctl_rotation_trigger,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(t, "trigger")?.state)) }
}

/// When the rotation was requested, RFC 3339, or NULL when not sent. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_requested_at(
    t: *const plexctl_rotation_trigger,
) -> *const c_char {
    ffi_fn! { Ok(opt_ptr(&arg_ref(t, "trigger")?.requested_at)) }
}

/// Whether a rotation was already pending (the trigger was an idempotent no-op).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_already_pending(
    t: *const plexctl_rotation_trigger,
) -> bool {
    ffi_fn! { Ok(arg_ref(t, "trigger")?.already_pending) }
}

/// Frees a trigger result. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_free(t: *mut plexctl_rotation_trigger) {
    free_box(t)
}

/// One peer edge a rotation would re-key, borrowed from its preview.
pub struct plexctl_rotation_impact_edge {
    peer_node_id: CString,
    current_kid: CString,
    current_wrap_key_version: i64,
}

impl From<RotationImpactEdge> for plexctl_rotation_impact_edge {
    fn from(e: RotationImpactEdge) -> Self {
        plexctl_rotation_impact_edge {
            peer_node_id: c_display(e.peer_node_id),
            current_kid: c_str(&e.current_kid),
            current_wrap_key_version: e.current_wrap_key_version,
        }
    }
}

/// The impact a rotation would have.
pub struct plexctl_rotation_preview {
    node_id: CString,
    peer_id: CString,
    affected_peer_count: u64,
    already_pending: bool,
    estimated_duration_seconds: u64,
    edges: Vec<plexctl_rotation_impact_edge>,
}

impl From<RotationPreview> for plexctl_rotation_preview {
    fn from(p: RotationPreview) -> Self {
        plexctl_rotation_preview {
            node_id: c_display(p.node_id),
            peer_id: c_display(p.peer_id),
            affected_peer_count: p.affected_peer_count,
            already_pending: p.already_pending,
            estimated_duration_seconds: p.estimated_duration_seconds,
            edges: p.affected_edges.into_iter().map(Into::into).collect(),
        }
    }
}

/// Previews a Node's mesh-key rotation (GET /v1/nodes/{id}/keys/rotate/preview) into `*out`
/// (free with plexctl_rotation_preview_free). Records nothing on the server. Thread-safe.
///
/// Errors: as plexctl_rotate_node_keys.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_preview_node_key_rotation(
    client: *const plexctl_client,
    node_id: *const c_char,
    out: *mut *mut plexctl_rotation_preview,
) -> ExitCode {
    ffi_fn! {
        let client = arg_ref(client, "client")?;
        let id = parse_node_id(arg_str(node_id, "node_id")?)?;
        let out = arg_out(out)?;
        out.set(client.inner.preview_node_key_rotation(id)?.into())
    }
}

/// The Node's id. Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_node_id(
    p: *const plexctl_rotation_preview,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(p, "preview")?.node_id.as_ptr()) }
}

/// The id of the Peer the rotation would target. Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_peer_id(
    p: *const plexctl_rotation_preview,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(p, "preview")?.peer_id.as_ptr()) }
}

/// How many peers' pairwise PSKs would be re-issued; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_affected_peer_count(
    p: *const plexctl_rotation_preview,
) -> u64 {
    ffi_fn! { Ok(arg_ref(p, "preview")?.affected_peer_count) }
}

/// Whether a rotation is already pending.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_already_pending(
    p: *const plexctl_rotation_preview,
) -> bool {
    ffi_fn! { Ok(arg_ref(p, "preview")?.already_pending) }
}

/// The estimated duration in seconds (a hint); 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_estimated_duration_seconds(
    p: *const plexctl_rotation_preview,
) -> u64 {
    ffi_fn! { Ok(arg_ref(p, "preview")?.estimated_duration_seconds) }
}

/// The number of affected edges; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_affected_edges_len(
    p: *const plexctl_rotation_preview,
) -> usize {
    ffi_fn! { Ok(arg_ref(p, "preview")?.edges.len()) }
}

/// The affected edge at `index`, borrowed from the preview; NULL when out of range or for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_affected_edges_get(
    p: *const plexctl_rotation_preview,
    index: usize,
) -> *const plexctl_rotation_impact_edge {
    ffi_fn! { Ok(list_get(&arg_ref(p, "preview")?.edges, index)) }
}

/// The Node at the other end of the edge. Borrowed from the preview; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_impact_edge_peer_node_id(
    e: *const plexctl_rotation_impact_edge,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(e, "edge")?.peer_node_id.as_ptr()) }
}

/// The key id of the PSK in force on the edge. Borrowed from the preview; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_impact_edge_current_kid(
    e: *const plexctl_rotation_impact_edge,
) -> *const c_char {
    ffi_fn! { Ok(arg_ref(e, "edge")?.current_kid.as_ptr()) }
}

/// The wrap-key version of the PSK in force on the edge; -1 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_impact_edge_current_wrap_key_version(
    e: *const plexctl_rotation_impact_edge,
) -> i64 {
    ffi_fn! { Ok(arg_ref(e, "edge")?.current_wrap_key_version) }
}

/// Frees a preview and every edge borrowed from it. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_free(p: *mut plexctl_rotation_preview) {
    free_box(p)
}
