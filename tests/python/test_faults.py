"""Error branches the server (or a proxy in front of it) produces: 403, 5xx, HTML, bad JSON, drops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import plexctl
from conftest import Emulator

ENV = "dev"

CALLS: list[tuple[str, Callable[[plexctl.Client, Emulator], Any]]] = [
    ("issue", lambda c, e: c.issue_token(e.admin_identity, ENV)),
    ("list", lambda c, e: c.list_tokens()),
]


def test_permission_denied_is_exit_code_4(emu: Emulator) -> None:
    c = emu.client()
    issued = c.issue_token(emu.admin_identity, ENV)
    emu.deny(emu.admin_identity)
    try:
        for call in (
            lambda: c.issue_token(emu.admin_identity, ENV),
            c.list_tokens,
            lambda: c.rotate_token(issued.id),
            lambda: c.delete_token(issued.id),
        ):
            with pytest.raises(plexctl.PermissionDenied) as info:
                call()
            e = info.value
            assert type(e) is plexctl.PermissionDenied
            assert e.status == 403
            assert e.exit_code == 4
    finally:
        emu.deny(emu.admin_identity, False)


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[n for n, _ in CALLS])
def test_5xx_problem_is_an_api_error(emu: Emulator, name: str, call: Callable[[plexctl.Client, Emulator], Any]) -> None:
    emu.fault({"kind": "status", "status": 503})
    with pytest.raises(plexctl.APIError) as info:
        call(emu.client(), emu)
    assert type(info.value) is plexctl.APIError
    assert info.value.status == 503
    assert info.value.exit_code == 1


def test_html_bad_gateway_is_explained(emu: Emulator) -> None:
    emu.fault({"kind": "html_bad_gateway"})
    with pytest.raises(plexctl.APIError) as info:
        emu.client().list_tokens()
    e = info.value
    assert e.status == 502
    assert e.exit_code == 1
    assert e.code is None
    assert e.body_excerpt is not None and "Bad Gateway" in e.body_excerpt
    assert "<html" not in str(e).lower()


def test_malformed_json_is_a_response_error(emu: Emulator) -> None:
    emu.fault({"kind": "malformed_json"})
    with pytest.raises(plexctl.ResponseError) as info:
        emu.client().list_tokens()
    assert info.value.exit_code == 1
    assert info.value.operation == "list tokens"


def test_dropped_connection_is_a_transport_error(emu: Emulator) -> None:
    emu.fault({"kind": "drop"})
    with pytest.raises(plexctl.TransportError) as info:
        emu.client(timeout=5.0).list_tokens()
    assert info.value.exit_code == 1
    assert info.value.timeout is False


def test_with_timeout_bounds_its_calls_on_the_same_client(emu: Emulator) -> None:
    c = emu.client()
    quick = c.with_timeout(0.3)
    assert quick.timeout == pytest.approx(0.3)
    assert c.timeout == pytest.approx(30.0)
    assert quick.server == c.server and quick.credential_source == c.credential_source
    emu.fault({"kind": "latency", "ms": 1500})
    with pytest.raises(plexctl.TimeoutError) as info:
        quick.list_tokens()
    assert info.value.kind == "timeout"
    assert info.value.exit_code == 1
    # The client it came from keeps its own deadline and waits the answer out.
    assert isinstance(c.list_tokens(), list)
    emu.clear_fault()
    with pytest.raises(plexctl.UsageError):
        c.with_timeout(-1)
