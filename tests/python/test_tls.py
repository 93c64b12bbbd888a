"""TLS for real, from Python: the emulator serves HTTPS with a chain it generated at start. With its
CA as the extra bundle the call succeeds; without it, with a certificate for another host, or with
an expired one, it fails with exit code 1 and a message naming the certificate problem. Plain http
to a host that is not loopback is refused before the wire."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import plexctl
from conftest import emulator_binary


@contextmanager
def https_emulator(mode: str, tmp: Path) -> Iterator[dict[str, Any]]:
    binary = emulator_binary()
    if binary is None:
        pytest.fail("the emulator binary is not built", pytrace=False)
    ca_file = tmp / f"ca-{mode}.pem"
    proc = subprocess.Popen(
        [str(binary), "--port", "0", "--fast", "--exit-on-stdin-eof", "--tls", mode, "--ca-file", str(ca_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    info: dict[str, Any] = json.loads(proc.stdout.readline())
    try:
        yield info
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


def client(info: dict[str, Any], **kw: Any) -> plexctl.Client:
    return plexctl.Client(info["url"], token=info["admin_token"], use_environment=False, **kw)


def test_the_extra_ca_bundle_is_trusted(tmp_path: Path) -> None:
    with https_emulator("valid", tmp_path) as info:
        assert info["url"].startswith("https://")
        assert client(info, ca_bundle=info["ca_file"]).list_tokens()
        assert client(info, ca_bundle_pem=info["ca_pem"].encode()).list_tokens()


@pytest.mark.parametrize(
    ("mode", "with_ca", "words"),
    [
        ("valid", False, "UnknownIssuer"),
        ("wrong-host", True, "not valid for name"),
        ("expired", True, "certificate expired"),
    ],
)
def test_certificate_problems_are_exit_1_and_say_so(tmp_path: Path, mode: str, with_ca: bool, words: str) -> None:
    with https_emulator(mode, tmp_path) as info:
        kw = {"ca_bundle": info["ca_file"]} if with_ca else {}
        with pytest.raises(plexctl.TransportError) as raised:
            client(info, **kw).list_tokens()
    e = raised.value
    assert (e.kind, e.exit_code) == ("transport", 1)
    assert "certificate" in str(e) and words in str(e), str(e)


def test_plain_http_off_loopback_is_refused_before_the_wire() -> None:
    with pytest.raises(plexctl.InsecureTransportError) as raised:
        plexctl.Client("http://plexsphere.example", token="t0ken", use_environment=False)
    assert raised.value.exit_code == 3


def test_proxy_options(tmp_path: Path) -> None:
    with pytest.raises(plexctl.UsageError) as raised:
        plexctl.Client("https://plexsphere.example", proxy="not a url", use_environment=False)
    assert raised.value.kind == "usage" and raised.value.field == "proxy"
    with https_emulator("valid", tmp_path) as info:
        # Loopback is never proxied: an unreachable proxy changes nothing; no_proxy neither.
        assert client(info, ca_bundle=info["ca_file"], proxy="http://127.0.0.1:1").list_tokens()
        assert client(info, ca_bundle=info["ca_file"], no_proxy=True).list_tokens()
