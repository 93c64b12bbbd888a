"""Result conversions and error mapping against canned answers from a local stub server.

The emulator tests cover behaviour; these pin the door's translation of every result type and
every API error class to exact wire bodies, and run even without the emulator binary.
"""

from __future__ import annotations

import datetime
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import plexctl

NODE = "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3"
PEER = "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a4"
ROT = "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a5"
TOK = "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a6"
MISSING = "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a7"
DENIED = "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a8"
PLAINTEXT = "psk_stage_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"
ACCESS = "eyJhbGciOiJFZERTQSJ9.access-token-value.sig"

ROUTES: dict[tuple[str, str], tuple[int, dict[str, str], Any]] = {
    ("POST", f"/v1/nodes/{NODE}/keys/rotate"): (
        200, {}, {"rotation_id": ROT, "peer_id": PEER, "already_pending": False,
                  "node_id": NODE, "state": "pending", "requested_at": "2026-11-24T00:00:00Z"},
    ),
    ("GET", f"/v1/nodes/{NODE}/keys/rotate/preview"): (
        200, {}, {"node_id": NODE, "peer_id": PEER, "affected_peer_count": 1,
                  "affected_edges": [{"peer_node_id": PEER, "current_kid": "kid-1",
                                      "current_wrap_key_version": 3}],
                  "already_pending": False, "estimated_duration_seconds": 12},
    ),
    ("POST", f"/v1/nodes/{MISSING}/keys/rotate"): (
        404, {}, {"title": "Not Found", "status": 404, "code": "node_not_found"},
    ),
    ("POST", f"/v1/nodes/{DENIED}/keys/rotate"): (
        403, {}, {"title": "Forbidden", "status": 403, "code": "rebac_denied",
                  "reason": "insufficient_relation", "relation_path": ["node#owner", "org#admin"],
                  "correlation_id": "corr-123"},
    ),
    ("POST", "/v1/auth/service/token"): (
        200, {}, {"access_token": ACCESS, "token_type": "Bearer", "expires_in": 900, "scope": "domain:read"},
    ),
    ("POST", f"/v1/auth/tokens/{TOK}/rotate"): (
        200, {"Sunset": "Tue, 24 Nov 2026 01:00:00 GMT"},
        {"id": TOK, "plaintext": PLAINTEXT, "env_prefix": "stage",
         "expires_at": "2026-12-24T00:00:00Z", "rotation_deadline": "2026-11-24T01:00:00Z"},
    ),
    ("GET", "/v1/auth/tokens"): (
        200, {}, [{"id": TOK, "env_prefix": "stage", "created_at": "2026-11-01T00:00:00Z",
                   "expires_at": "2026-12-24T00:00:00+00:00", "last_used_at": "2026-11-23T12:30:00Z",
                   "rotated_at": None, "new_field": "ignored"}],
    ),
    ("DELETE", f"/v1/auth/tokens/{TOK}"): (403, {}, {"title": "Forbidden", "status": 403, "detail": "nope"}),
}


class _Stub(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, headers, body = ROUTES.get((self.command, self.path), (404, {}, {"status": 404}))
        raw = json.dumps(body).encode()
        self.send_response(status)
        ctype = "application/json" if status < 300 else "application/problem+json"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_DELETE = _answer  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def stub() -> Iterator[plexctl.Client]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield plexctl.Client(f"http://127.0.0.1:{server.server_address[1]}", token="psk_dev_x", use_environment=False)
    server.shutdown()
    server.server_close()


UTC = datetime.timezone.utc


def test_rotation_trigger(stub: plexctl.Client) -> None:
    t = stub.rotate_node_keys(NODE)
    assert (t.rotation_id, t.peer_id, t.node_id) == (uuid.UUID(ROT), uuid.UUID(PEER), uuid.UUID(NODE))
    assert t.already_pending is False and t.state == "pending"
    assert t.requested_at == datetime.datetime(2026, 11, 24, tzinfo=UTC)
    assert t.to_dict() == {"rotation_id": ROT, "peer_id": PEER, "already_pending": False, "node_id": NODE,
                           "state": "pending", "requested_at": "2026-11-24T00:00:00+00:00"}
    assert repr(t) == (f"RotationTrigger(rotation_id='{ROT}', peer_id='{PEER}', already_pending=False, "
                       f"node_id='{NODE}', state='pending', requested_at='2026-11-24T00:00:00+00:00')")


def test_rotation_preview(stub: plexctl.Client) -> None:
    p = stub.preview_node_key_rotation(uuid.UUID(NODE))
    (edge,) = p.affected_edges
    assert (edge.peer_node_id, edge.current_kid, edge.current_wrap_key_version) == (uuid.UUID(PEER), "kid-1", 3)
    assert (p.affected_peer_count, p.estimated_duration_seconds, p.already_pending) == (1, 12, False)
    assert p.to_dict()["affected_edges"] == [{"peer_node_id": PEER, "current_kid": "kid-1",
                                              "current_wrap_key_version": 3}]
    assert repr(p).endswith("current_wrap_key_version=3),), already_pending=False, estimated_duration_seconds=12)")


def test_key_rotate_errors(stub: plexctl.Client) -> None:
    with pytest.raises(plexctl.NodeNotFound) as nf:
        stub.rotate_node_keys(MISSING)
    assert (nf.value.status, nf.value.code, nf.value.exit_code) == (404, "node_not_found", 4)
    assert nf.value.kind == "node_not_found"
    with pytest.raises(plexctl.RebacDenied) as denied:
        stub.rotate_node_keys(DENIED)
    e = denied.value
    assert (e.status, e.exit_code, e.code, e.reason) == (403, 77, "rebac_denied", "insufficient_relation")
    assert e.relation_path == ("node#owner", "org#admin")
    assert e.correlation_id == "corr-123" and "corr-123" in str(e)
    assert e.title == "Forbidden" and e.operation == "key rotate"
    assert e.kind == "rebac_denied"


def test_service_token(stub: plexctl.Client) -> None:
    before = datetime.datetime.now(UTC)
    t = stub.mint_service_token("svc", "client_credentials", client_secret=plexctl.Secret("hunter2"))
    assert t.access_token.reveal() == ACCESS
    assert (t.token_type, t.expires_in, t.scope) == ("Bearer", 900, "domain:read")
    assert before + datetime.timedelta(seconds=895) < t.expires_at < before + datetime.timedelta(seconds=905)
    assert str(t.access_token) == "****"
    assert ACCESS not in repr(t)
    assert repr(t).startswith("ServiceToken(access_token=Secret('****'), token_type='Bearer', expires_in=900")
    source = plexctl.ServiceTokenSource(stub, "svc", "client_credentials", client_secret="hunter2")
    with source.token() as s:
        assert s.reveal() == ACCESS


def test_rotated_token_and_sunset(stub: plexctl.Client) -> None:
    r = stub.rotate_token(TOK)
    assert r.plaintext.reveal() == PLAINTEXT
    assert r.rotation_deadline == datetime.datetime(2026, 11, 24, 1, tzinfo=UTC)
    assert r.sunset == r.rotation_deadline and r.sunset_agrees
    assert repr(r) == (f"RotatedToken(id='{TOK}', plaintext=Secret('psk_stage_****'), env_prefix='stage', "
                       "expires_at='2026-12-24T00:00:00+00:00', rotation_deadline='2026-11-24T01:00:00+00:00', "
                       "sunset='2026-11-24T01:00:00+00:00')")


def test_token_summary(stub: plexctl.Client) -> None:
    (s,) = stub.list_tokens()
    assert s.last_used_at == datetime.datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
    assert s.rotated_at is None
    assert s.to_dict() == {"id": TOK, "env_prefix": "stage", "created_at": "2026-11-01T00:00:00+00:00",
                           "expires_at": "2026-12-24T00:00:00+00:00", "last_used_at": "2026-11-23T12:30:00+00:00",
                           "rotated_at": None}


def test_token_permission_denied(stub: plexctl.Client) -> None:
    with pytest.raises(plexctl.PermissionDenied) as info:
        stub.delete_token(TOK)
    e = info.value
    assert type(e) is plexctl.PermissionDenied
    assert (e.status, e.exit_code, e.detail, e.operation) == (403, 4, "nope", "delete token")
    assert e.kind == "permission_denied"


def test_to_dict_is_the_core_serialization_with_secrets_as_objects(stub: plexctl.Client) -> None:
    """Every timestamp parses with datetime.fromisoformat (Python 3.9's too), ids are strings,
    and a secret is its Secret object, never its value."""
    r = stub.rotate_token(TOK)
    d = r.to_dict()
    assert list(d) == ["id", "plaintext", "env_prefix", "expires_at", "rotation_deadline", "sunset"]
    assert d["plaintext"] is r.plaintext
    for key in ("expires_at", "rotation_deadline", "sunset"):
        assert datetime.datetime.fromisoformat(d[key]) == getattr(r, key)
    assert PLAINTEXT not in json.dumps(d, default=str)
    t = stub.mint_service_token("svc", "client_credentials", client_secret="hunter2")
    d = t.to_dict()
    assert list(d) == ["access_token", "token_type", "expires_in", "scope", "expires_at"]
    assert d["access_token"] is t.access_token
    assert datetime.datetime.fromisoformat(d["expires_at"]) == t.expires_at
    assert ACCESS not in json.dumps(d, default=str) and ACCESS not in repr(t)
