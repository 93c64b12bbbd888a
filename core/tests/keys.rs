//! Node mesh-key rotation: trigger, re-trigger in both deployment modes, preview, and the error
//! branches with their exit codes.

mod common;

use common::*;
use plexctl_core::Error;
use plexctl_emulator::RetriggerMode;
use uuid::Uuid;

#[test]
fn trigger_then_retrigger_returns_the_pending_rotation() {
    let emu = emulator();
    let admin = admin(&emu);
    let node = emu.add_node(2);
    let first = admin.rotate_node_keys(node.node_id).unwrap();
    assert!(!first.already_pending);
    assert_eq!(first.peer_id, Some(node.peer_id));
    assert!(first.rotation_id.is_some());
    assert_eq!(emu.pending_rotation(node.node_id), first.rotation_id);

    let again = admin.rotate_node_keys(node.node_id).unwrap();
    assert!(again.already_pending);
    assert_eq!(again.rotation_id, first.rotation_id);
}

#[test]
fn a_409_already_pending_is_success() {
    let emu = emulator();
    emu.set_config(|c| c.retrigger_mode = RetriggerMode::Conflict409);
    let admin = admin(&emu);
    let node = emu.add_node(1);
    let first = admin.rotate_node_keys(node.node_id).unwrap();
    assert!(!first.already_pending);
    let again = admin
        .rotate_node_keys(node.node_id)
        .expect("409 already_pending is success");
    assert!(again.already_pending);
    assert_eq!(again.node_id, Some(node.node_id));
    assert_eq!(again.rotation_id, first.rotation_id);
}

#[test]
fn preview_reports_the_impact_and_changes_nothing() {
    let emu = emulator();
    let admin = admin(&emu);
    let node = emu.add_node(3);
    let p1 = admin.preview_node_key_rotation(node.node_id).unwrap();
    let p2 = admin.preview_node_key_rotation(node.node_id).unwrap();
    assert_eq!(p1, p2);
    assert_eq!(
        emu.pending_rotation(node.node_id),
        None,
        "a preview records nothing"
    );
    assert_eq!((p1.node_id, p1.peer_id), (node.node_id, node.peer_id));
    assert_eq!(p1.affected_peer_count, 3);
    assert_eq!(p1.affected_edges.len(), 3);
    assert!(!p1.already_pending);
    let mut expected: Vec<Uuid> = node.edges.iter().map(|e| e.peer_node_id).collect();
    let mut got: Vec<Uuid> = p1.affected_edges.iter().map(|e| e.peer_node_id).collect();
    expected.sort();
    got.sort();
    assert_eq!(expected, got);

    admin.rotate_node_keys(node.node_id).unwrap();
    assert!(
        admin
            .preview_node_key_rotation(node.node_id)
            .unwrap()
            .already_pending
    );
}

#[test]
fn unknown_node_is_exit_4() {
    let emu = emulator();
    let admin = admin(&emu);
    for e in [
        admin
            .rotate_node_keys(Uuid::now_v7())
            .map(|_| ())
            .unwrap_err(),
        admin
            .preview_node_key_rotation(Uuid::now_v7())
            .map(|_| ())
            .unwrap_err(),
    ] {
        assert_eq!((e.status(), e.exit_code()), (Some(404), 4), "{e}");
        assert_eq!(
            e.problem().and_then(|p| p.code.as_deref()),
            Some("node_not_found")
        );
    }
}

#[test]
fn rebac_denial_is_exit_77_with_the_denial_details() {
    let emu = emulator();
    let admin = admin(&emu);
    let node = emu.add_node(1);
    emu.deny_node(node.node_id, true);
    for e in [
        admin
            .rotate_node_keys(node.node_id)
            .map(|_| ())
            .unwrap_err(),
        admin
            .preview_node_key_rotation(node.node_id)
            .map(|_| ())
            .unwrap_err(),
    ] {
        assert_eq!((e.status(), e.exit_code()), (Some(403), 77), "{e}");
        let p = e.problem().unwrap();
        assert_eq!(p.reason.as_deref(), Some("insufficient_relation"));
        assert!(p.correlation_id.is_some());
        assert!(
            e.to_string().contains(p.correlation_id.as_deref().unwrap()),
            "{e}"
        );
    }
    // The authorizer answers before the existence check: an unknown node denied to this caller is 403 too.
    emu.deny(&emu.admin_identity(), true);
    assert_eq!(
        admin
            .rotate_node_keys(Uuid::now_v7())
            .unwrap_err()
            .exit_code(),
        77
    );
}

#[test]
fn not_provisioned_is_exit_1_and_says_so() {
    let emu = emulator();
    emu.set_config(|c| c.key_rotate_provisioned = false);
    let admin = admin(&emu);
    let node = emu.add_node(1);
    let e = admin.rotate_node_keys(node.node_id).unwrap_err();
    assert_eq!((e.status(), e.exit_code()), (Some(501), 1));
    assert!(e.to_string().contains("not provisioned"), "{e}");
    let e = admin.preview_node_key_rotation(node.node_id).unwrap_err();
    assert_eq!(
        e.problem().and_then(|p| p.code.as_deref()),
        Some("node_keys_rotate_preview_not_provisioned")
    );
}

#[test]
fn bad_node_id_and_missing_token_never_reach_the_wire() {
    let emu = emulator();
    let admin = admin(&emu);
    fails_before_wire(&emu, 2, || {
        plexctl_core::keys::parse_node_id("node-1").and_then(|id| admin.rotate_node_keys(id))
    });
    let anonymous = plexctl_core::Client::builder()
        .server(emu.url())
        .use_environment(false)
        .build()
        .unwrap();
    let e = fails_before_wire(&emu, 3, || anonymous.rotate_node_keys(Uuid::now_v7()));
    assert!(matches!(e, Error::MissingCredentials { .. }));
}
