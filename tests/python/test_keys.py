"""Node mesh-key rotation (trigger, re-trigger in both deployment modes, preview) and its errors."""

from __future__ import annotations

import json
import uuid

import pytest

import plexctl
from conftest import Emulator


def test_trigger_then_retrigger(client: plexctl.Client, emu: Emulator) -> None:
    node = emu.add_node(2)
    first = client.rotate_node_keys(node["node_id"])
    assert isinstance(first, plexctl.RotationTrigger)
    assert first.already_pending is False
    assert isinstance(first.rotation_id, uuid.UUID)
    assert first.peer_id == uuid.UUID(node["peer_id"])
    assert first.requested_at is None or first.requested_at.tzinfo is not None
    again = client.rotate_node_keys(uuid.UUID(node["node_id"]))
    assert again.already_pending is True
    assert again.rotation_id == first.rotation_id
    d = json.loads(json.dumps(first.to_dict()))
    assert d["rotation_id"] == str(first.rotation_id)
    assert d["already_pending"] is False
    assert repr(again).startswith(f"RotationTrigger(rotation_id='{first.rotation_id}'")
    assert "already_pending=True" in repr(again)


def test_a_409_already_pending_is_success(client: plexctl.Client, emu: Emulator) -> None:
    emu.config(retrigger_mode="conflict")
    try:
        node = emu.add_node(1)
        first = client.rotate_node_keys(node["node_id"])
        again = client.rotate_node_keys(node["node_id"])
        assert again.already_pending is True
        assert again.node_id == uuid.UUID(node["node_id"])
        assert again.rotation_id in (None, first.rotation_id)
    finally:
        emu.config(retrigger_mode="ok")


def test_preview_reports_the_impact_and_changes_nothing(client: plexctl.Client, emu: Emulator) -> None:
    node = emu.add_node(3)
    p = client.preview_node_key_rotation(node["node_id"])
    assert isinstance(p, plexctl.RotationPreview)
    assert p.node_id == uuid.UUID(node["node_id"])
    assert p.peer_id == uuid.UUID(node["peer_id"])
    assert p.affected_peer_count == 3
    assert isinstance(p.affected_edges, tuple) and len(p.affected_edges) == 3
    edge = p.affected_edges[0]
    assert isinstance(edge, plexctl.RotationImpactEdge)
    assert isinstance(edge.peer_node_id, uuid.UUID)
    assert isinstance(edge.current_kid, str)
    assert isinstance(edge.current_wrap_key_version, int)
    assert p.already_pending is False
    assert p.estimated_duration_seconds >= 0
    d = json.loads(json.dumps(p.to_dict()))
    assert len(d["affected_edges"]) == 3
    assert d["affected_edges"][0]["peer_node_id"] == str(edge.peer_node_id)
    assert repr(p).startswith(f"RotationPreview(node_id='{p.node_id}'")
    assert repr(edge).startswith("RotationImpactEdge(peer_node_id='")
    # Nothing was recorded: a trigger now is the first one.
    assert client.rotate_node_keys(node["node_id"]).already_pending is False
    assert client.preview_node_key_rotation(node["node_id"]).already_pending is True


def test_unknown_node_is_node_not_found(client: plexctl.Client) -> None:
    for call in (client.rotate_node_keys, client.preview_node_key_rotation):
        with pytest.raises(plexctl.NodeNotFound) as info:
            call(uuid.uuid4())
        assert info.value.status == 404
        assert info.value.code == "node_not_found"
        assert info.value.exit_code == 4


def test_rebac_denial_is_exit_code_77_with_the_denial_fields(client: plexctl.Client, emu: Emulator) -> None:
    node = emu.add_node(1)
    emu.deny_node(node["node_id"])
    try:
        with pytest.raises(plexctl.RebacDenied) as info:
            client.rotate_node_keys(node["node_id"])
        e = info.value
        assert isinstance(e, plexctl.PermissionDenied)
        assert e.status == 403
        assert e.exit_code == 77
        assert e.reason
        assert e.correlation_id
        assert isinstance(e.relation_path, tuple)
        assert e.correlation_id in str(e)
        with pytest.raises(plexctl.RebacDenied):
            client.preview_node_key_rotation(node["node_id"])
    finally:
        emu.deny_node(node["node_id"], False)


def test_not_provisioned_is_exit_code_1(client: plexctl.Client, emu: Emulator) -> None:
    emu.config(key_rotate_provisioned=False)
    try:
        node = emu.add_node(1)
        with pytest.raises(plexctl.APIError) as info:
            client.rotate_node_keys(node["node_id"])
        assert info.value.status == 501
        assert info.value.exit_code == 1
        assert "not provisioned" in str(info.value)
        assert isinstance(info.value, plexctl.NotProvisioned) and info.value.kind == "not_provisioned"
    finally:
        emu.config(key_rotate_provisioned=True)


def test_bad_node_id_sends_nothing(client: plexctl.Client, emu: Emulator) -> None:
    before = emu.requests()
    with pytest.raises(plexctl.UsageError) as info:
        client.rotate_node_keys("node-1")
    assert info.value.field == "node_id"
    assert emu.requests() == before
