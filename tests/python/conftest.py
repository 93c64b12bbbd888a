"""Fixtures: the plexsphere emulator as a process for the whole session, and its control API.

tests/python.sh builds the binary and sets PLEXSPHERE_EMULATOR; run by hand, the fixture looks for
plexsphere-emulator under $CARGO_TARGET_DIR/debug (default target/debug). A missing binary fails
every test that needs it: a skipped emulator test would pass while proving nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import plexctl

ROOT = Path(__file__).resolve().parents[2]


def emulator_binary() -> Path | None:
    env = os.environ.get("PLEXSPHERE_EMULATOR")
    target = ROOT / (os.environ.get("CARGO_TARGET_DIR") or "target")
    path = Path(env) if env else target / "debug" / "plexsphere-emulator"
    return path if path.is_file() and os.access(path, os.X_OK) else None


@dataclass
class Emulator:
    """A running emulator: its URL, the admin credentials it printed, and its control API."""

    process: subprocess.Popen[str]
    url: str
    admin_token: str
    admin_identity: str
    audience: str
    info: dict[str, Any] = field(default_factory=dict)

    def control(self, method: str, path: str, body: object | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url.rstrip('/')}/_emulator/{path.lstrip('/')}", data=data, method=method
        )
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", f"Bearer {self.admin_token}")
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def requests(self) -> int:
        """How many API requests the emulator has served (to prove nothing was sent)."""
        stats = self.control("GET", "stats")
        return int(stats["requests"])

    def fault(self, fault: dict[str, Any]) -> None:
        self.control("PUT", "fault", fault)

    def clear_fault(self) -> None:
        self.control("DELETE", "fault")

    def config(self, **settings: Any) -> None:
        self.control("PATCH", "config", settings)

    def deny(self, identity: str, on: bool = True) -> None:
        """Makes the authorizer deny (403) every request of `identity`."""
        self.control("PUT", "deny", {"identity_ref": identity, "denied": on})

    def add_node(self, edges: int) -> dict[str, Any]:
        """A Node with a live Peer and `edges` peer edges: {node_id, peer_id, edges: [...]}."""
        node: dict[str, Any] = self.control("POST", "nodes", {"edges": edges})
        return node

    def deny_node(self, node_id: str, on: bool = True) -> None:
        """Makes the ReBAC authorizer deny key rotation of `node_id`."""
        self.control("PUT", f"nodes/{node_id}/deny", {"denied": on})

    def add_client_credentials_identity(self, client_id: str, client_secret: str) -> None:
        self.control(
            "POST",
            "service-identities",
            {"kind": "client_credentials", "client_id": client_id, "client_secret": client_secret},
        )

    def add_jwt_bearer_identity(self, client_id: str, subject: str) -> None:
        self.control(
            "POST", "service-identities", {"kind": "jwt_bearer", "client_id": client_id, "subject": subject}
        )

    def sign_assertion(
        self, sub: str, aud: str | None = None, expires_in: int = 300, forged: bool = False
    ) -> str:
        """A JWT assertion signed by (or, when `forged`, pretending to be from) the trust domain."""
        body = {"sub": sub, "aud": aud, "expires_in": expires_in, "forged": forged}
        out = self.control("POST", "assertions", body)
        return str(out["assertion"] if isinstance(out, dict) else out)

    def advance_clock(self, seconds: int) -> None:
        self.control("POST", "clock/advance", {"seconds": seconds})

    @property
    def domain_id(self) -> str:
        """The emulator's Domain, the one a device login starts with."""
        return str(self.info["domain_id"])

    @contextmanager
    def device_flow(self, code_ttl_seconds: int = 600) -> Iterator[None]:
        """Device codes issued inside the block may be polled freely (interval 0) and live
        `code_ttl_seconds`; the emulator's defaults (5 s, 600 s) are restored after it."""
        self.config(device_poll_interval_seconds=0, device_code_ttl_seconds=code_ttl_seconds)
        try:
            yield
        finally:
            self.config(device_poll_interval_seconds=5, device_code_ttl_seconds=600)

    def approve_device(self, user_code: str, identity_ref: str | None = None) -> None:
        """Approves a device login as the dashboard would (as the admin by default)."""
        body = {"user_code": user_code}
        if identity_ref is not None:
            body["identity_ref"] = identity_ref
        self.control("POST", "device/approve", body)

    def deny_device(self, user_code: str) -> None:
        self.control("POST", "device/deny", {"user_code": user_code})

    def device_session(self, user_code: str) -> dict[str, Any]:
        """A device login as the emulator sees it: status, polls, ... (never its device code)."""
        session: dict[str, Any] = self.control("GET", f"device/{user_code}")
        return session

    def client(self, token: str | plexctl.Secret | None = None, **kw: Any) -> plexctl.Client:
        return plexctl.Client(
            self.url,
            token=plexctl.Secret(self.admin_token) if token is None else token,
            use_environment=False,
            **kw,
        )


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    binary = emulator_binary()
    if binary is None:
        pytest.fail(
            "the emulator binary is not built (cargo build -p plexctl-emulator, or set PLEXSPHERE_EMULATOR)",
            pytrace=False,
        )
    proc = subprocess.Popen(
        [str(binary), "--port", "0", "--fast", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError("the emulator exited before printing its address")
    info = json.loads(line)
    emu = Emulator(
        process=proc,
        url=info["url"],
        admin_token=info["admin_token"],
        admin_identity=info["admin_identity"],
        audience=info.get("audience", ""),
        info=info,
    )
    try:
        yield emu
    finally:
        # Closing stdin asks it to stop; kill if it does not.
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture()
def emu(emulator: Emulator) -> Iterator[Emulator]:
    """The session emulator, with faults and denials cleared after each test."""
    yield emulator
    try:
        emulator.clear_fault()
    except urllib.error.URLError:
        pass


@pytest.fixture()
def client(emu: Emulator) -> plexctl.Client:
    """A client authenticated as the emulator's admin."""
    return emu.client()
