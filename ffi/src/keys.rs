//! Node mesh-key rotation: trigger and preview.

use std::ffi::{CString, c_char};

use plexctl_core::keys::parse_node_id;
use plexctl_core::{RotationPreview, RotationTrigger};

use crate::client::plexctl_client;
use crate::{
    arg_out, arg_ref, arg_str, c_str, c_time, ffi_fn, ffi_value, free_box, opt_ptr, plexctl_status,
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
            rotation_id: t.rotation_id.map(|u| c_str(&u.to_string())),
            peer_id: t.peer_id.map(|u| c_str(&u.to_string())),
            already_pending: t.already_pending,
            node_id: t.node_id.map(|u| c_str(&u.to_string())),
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
) -> plexctl_status {
    ffi_fn(|| {
        let client = arg_ref(client, "client")?;
        let id = parse_node_id(arg_str(node_id, "node_id")?)?;
        let out = arg_out(out, "out")?;
        let t = client.inner.rotate_node_keys(id)?;
        *out = Box::into_raw(Box::new(plexctl_rotation_trigger::from(t)));
        Ok(())
    })
}

/// The rotation id, or NULL when the server did not send it (a 409 without it). Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_rotation_id(
    t: *const plexctl_rotation_trigger,
) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(t, "trigger").map_or(std::ptr::null(), |t| opt_ptr(&t.rotation_id))
    })
}

/// The live Peer's id, or NULL when not sent. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_peer_id(
    t: *const plexctl_rotation_trigger,
) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(t, "trigger").map_or(std::ptr::null(), |t| opt_ptr(&t.peer_id))
    })
}

/// The Node's id, or NULL when not sent. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_node_id(
    t: *const plexctl_rotation_trigger,
) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(t, "trigger").map_or(std::ptr::null(), |t| opt_ptr(&t.node_id))
    })
}

/// The rotation state ("pending", ...), or NULL when not sent. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_state(
    t: *const plexctl_rotation_trigger,
) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(t, "trigger").map_or(std::ptr::null(), |t| opt_ptr(&t.state))
    })
}

/// When the rotation was requested, RFC 3339, or NULL when not sent. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_requested_at(
    t: *const plexctl_rotation_trigger,
) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(t, "trigger").map_or(std::ptr::null(), |t| opt_ptr(&t.requested_at))
    })
}

/// Whether a rotation was already pending (the trigger was an idempotent no-op).
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_already_pending(
    t: *const plexctl_rotation_trigger,
) -> bool {
    ffi_value(false, || {
        arg_ref(t, "trigger").is_ok_and(|t| t.already_pending)
    })
}

/// Frees a trigger result. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_trigger_free(t: *mut plexctl_rotation_trigger) {
    free_box(t)
}

struct Edge {
    peer_node_id: CString,
    current_kid: CString,
    current_wrap_key_version: i64,
}

/// The impact a rotation would have.
pub struct plexctl_rotation_preview {
    node_id: CString,
    peer_id: CString,
    affected_peer_count: u64,
    already_pending: bool,
    estimated_duration_seconds: u64,
    edges: Vec<Edge>,
}

impl From<RotationPreview> for plexctl_rotation_preview {
    fn from(p: RotationPreview) -> Self {
        plexctl_rotation_preview {
            node_id: c_str(&p.node_id.to_string()),
            peer_id: c_str(&p.peer_id.to_string()),
            affected_peer_count: p.affected_peer_count,
            already_pending: p.already_pending,
            estimated_duration_seconds: p.estimated_duration_seconds,
            edges: p
                .affected_edges
                .into_iter()
                .map(|e| Edge {
                    peer_node_id: c_str(&e.peer_node_id.to_string()),
                    current_kid: c_str(&e.current_kid),
                    current_wrap_key_version: e.current_wrap_key_version,
                })
                .collect(),
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
) -> plexctl_status {
    ffi_fn(|| {
        let client = arg_ref(client, "client")?;
        let id = parse_node_id(arg_str(node_id, "node_id")?)?;
        let out = arg_out(out, "out")?;
        let p = client.inner.preview_node_key_rotation(id)?;
        *out = Box::into_raw(Box::new(plexctl_rotation_preview::from(p)));
        Ok(())
    })
}

/// The Node's id. Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_node_id(
    p: *const plexctl_rotation_preview,
) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(p, "preview").map_or(std::ptr::null(), |p| p.node_id.as_ptr())
    })
}

/// The id of the Peer the rotation would target. Borrowed; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_peer_id(
    p: *const plexctl_rotation_preview,
) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(p, "preview").map_or(std::ptr::null(), |p| p.peer_id.as_ptr())
    })
}

/// How many peers' pairwise PSKs would be re-issued; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_affected_peer_count(
    p: *const plexctl_rotation_preview,
) -> u64 {
    ffi_value(0, || {
        arg_ref(p, "preview").map_or(0, |p| p.affected_peer_count)
    })
}

/// Whether a rotation is already pending.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_already_pending(
    p: *const plexctl_rotation_preview,
) -> bool {
    ffi_value(false, || {
        arg_ref(p, "preview").is_ok_and(|p| p.already_pending)
    })
}

/// The estimated duration in seconds (a hint); 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_estimated_duration_seconds(
    p: *const plexctl_rotation_preview,
) -> u64 {
    ffi_value(0, || {
        arg_ref(p, "preview").map_or(0, |p| p.estimated_duration_seconds)
    })
}

/// The number of affected edges; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_edge_count(p: *const plexctl_rotation_preview) -> usize {
    ffi_value(0, || arg_ref(p, "preview").map_or(0, |p| p.edges.len()))
}

/// The peer Node at the other end of edge `index`; NULL when out of range. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_edge_peer_node_id(
    p: *const plexctl_rotation_preview,
    index: usize,
) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(p, "preview")
            .ok()
            .and_then(|p| p.edges.get(index))
            .map_or(std::ptr::null(), |e| e.peer_node_id.as_ptr())
    })
}

/// The key id of the PSK in force on edge `index`; NULL when out of range. Borrowed.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_edge_current_kid(
    p: *const plexctl_rotation_preview,
    index: usize,
) -> *const c_char {
    ffi_value(std::ptr::null(), || {
        arg_ref(p, "preview")
            .ok()
            .and_then(|p| p.edges.get(index))
            .map_or(std::ptr::null(), |e| e.current_kid.as_ptr())
    })
}

/// The wrap-key version of the PSK in force on edge `index`; -1 when out of range.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_edge_current_wrap_key_version(
    p: *const plexctl_rotation_preview,
    index: usize,
) -> i64 {
    ffi_value(-1, || {
        arg_ref(p, "preview")
            .ok()
            .and_then(|p| p.edges.get(index))
            .map_or(-1, |e| e.current_wrap_key_version)
    })
}

/// Frees a preview. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn plexctl_rotation_preview_free(p: *mut plexctl_rotation_preview) {
    free_box(p)
}
