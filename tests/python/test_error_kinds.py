"""Every error kind of the core, end to end: the kind → class table is one-to-one and complete, and
an error of each kind, raised for real, is its table class with the core's kind and exit code."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import plexctl
import plexctl._plexctl as ext
import plexctl.errors as errors
from conftest import Emulator

KINDS = ext._error_kinds()
CLASS = {name: cls for name, _, cls in KINDS}
EXIT_CODE = {name: code for name, code, _ in KINDS}


def test_the_table_is_one_to_one_over_every_core_kind() -> None:
    names = [name for name, _, _ in KINDS]
    classes = [cls for _, _, cls in KINDS]
    assert len(set(names)) == len(names) == len(set(classes)) == len(classes)
    for name, code, cls in KINDS:
        assert issubclass(cls, plexctl.Error) and cls is not plexctl.Error, name
        assert getattr(plexctl, cls.__name__) is cls and cls.__name__ in plexctl.__all__
        e = cls("message", kind=name, exit_code=code)
        assert (e.kind, e.exit_code) == (name, code)
    # Only the two grouping classes stand for no kind of their own.
    assert set(errors.__all__) - {cls.__name__ for cls in classes} == {"Error", "CredentialsError"}
    # The exit codes are the core's; a few, against the contract's table.
    assert (EXIT_CODE["usage"], EXIT_CODE["missing_credentials"], EXIT_CODE["node_not_found"]) == (2, 3, 4)
    assert (EXIT_CODE["rebac_denied"], EXIT_CODE["not_provisioned"], EXIT_CODE["refused"]) == (77, 1, 1)


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def timeout(emu: Emulator, tmp: Path) -> None:
    with silent_server() as url:
        plexctl.Client(url, token="psk_dev_x", use_environment=False, timeout=0.3).list_tokens()


def config_file(tmp: Path, text: str, mode: int) -> Path:
    path = tmp / "config.yaml"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def stored_session(emu: Emulator, tmp: Path) -> Path:
    config = tmp / "config.yaml"
    issued = emu.client().issue_token(emu.admin_identity, "dev")
    plexctl.Client(config_path=str(config), use_environment=False).store_session(
        "default", emu.url, issued.plaintext, make_default=True
    )
    return config


def session_not_saved(emu: Emulator, tmp: Path) -> None:
    config = stored_session(emu, tmp)
    lock = tmp / "config.yaml.lock"
    lock.unlink()
    lock.mkdir()  # the config file's lock cannot be taken, so the rotation cannot be saved
    plexctl.Client(config_path=str(config), use_environment=False).rotate_session()


def with_fault(fault: dict[str, object], call: Callable[[Emulator], object]) -> Callable[[Emulator, Path], object]:
    def run(emu: Emulator, tmp: Path) -> object:
        emu.fault(fault)
        return call(emu)

    return run


def permission_denied(emu: Emulator, tmp: Path) -> None:
    emu.deny(emu.admin_identity)
    try:
        emu.client().list_tokens()
    finally:
        emu.deny(emu.admin_identity, False)


def rebac_denied(emu: Emulator, tmp: Path) -> None:
    node = emu.add_node(1)
    emu.deny_node(node["node_id"])
    try:
        emu.client().rotate_node_keys(node["node_id"])
    finally:
        emu.deny_node(node["node_id"], False)


def not_provisioned(emu: Emulator, tmp: Path) -> None:
    emu.config(key_rotate_provisioned=False)
    try:
        emu.client().rotate_node_keys(emu.add_node(1)["node_id"])
    finally:
        emu.config(key_rotate_provisioned=True)


def login_client(emu: Emulator, tmp: Path) -> plexctl.Client:
    return plexctl.Client(emu.url, config_path=str(tmp / "config.yaml"), use_environment=False)


def access_denied(emu: Emulator, tmp: Path) -> None:
    with emu.device_flow():
        client = login_client(emu, tmp)
        auth = client.start_device_login(emu.domain_id)
        emu.deny_device(auth.user_code)
        client.complete_device_login(auth)


def login_expired(emu: Emulator, tmp: Path) -> None:
    with emu.device_flow(code_ttl_seconds=1):
        login_client(emu, tmp).login(emu.domain_id, on_code=lambda auth: None)


def cancelled(emu: Emulator, tmp: Path) -> None:
    with emu.device_flow():
        login_client(emu, tmp).login(emu.domain_id, on_code=lambda auth: None, cancelled=lambda: True)


# One way to raise each kind for real, offline where possible.
TRIGGERS: dict[str, Callable[[Emulator, Path], object]] = {
    "usage": lambda emu, tmp: emu.client().delete_token("not-a-uuid"),
    "missing_credentials": lambda emu, tmp: plexctl.Client(emu.url, use_environment=False).list_tokens(),
    "insecure_transport": lambda emu, tmp: plexctl.Client("http://example.com", token="psk_dev_x", use_environment=False),
    "insecure_config": lambda emu, tmp: plexctl.Client(
        config_path=config_file(tmp, "profiles: {}\n", 0o644), use_environment=False
    ),
    "config": lambda emu, tmp: plexctl.Client(
        config_path=config_file(tmp, "profiles: [not, a, map\n", 0o600), use_environment=False
    ),
    "setup": lambda emu, tmp: plexctl.Client("https://example.com", ca_bundle_pem=b"not pem", use_environment=False),
    "transport": lambda emu, tmp: plexctl.Client(
        f"http://127.0.0.1:{refused_port()}", token="psk_dev_x", use_environment=False
    ).list_tokens(),
    "timeout": timeout,
    "refused": lambda emu, tmp: emu.client().mint_service_token("svc", "client_credentials"),
    "decode": with_fault({"kind": "malformed_json"}, lambda emu: emu.client().list_tokens()),
    "api": lambda emu, tmp: emu.client().delete_token(uuid.uuid4()),
    "permission_denied": permission_denied,
    "rebac_denied": rebac_denied,
    "node_not_found": lambda emu, tmp: emu.client().rotate_node_keys(uuid.uuid4()),
    "not_provisioned": not_provisioned,
    "session_not_saved": session_not_saved,
    # The device-login kinds, against the emulator's device flow (test_login.py has the rest).
    "access_denied": access_denied,
    "login_expired": login_expired,
    "cancelled": cancelled,
}


# A panic caught at the boundary: no input can cause one, so it has no trigger here (the Rust unit
# tests of the extension raise it).
UNTRIGGERABLE = {"internal"}


def test_every_kind_has_a_trigger() -> None:
    assert set(TRIGGERS) | UNTRIGGERABLE == set(CLASS)


@pytest.mark.parametrize("kind", sorted(TRIGGERS))
def test_a_raised_error_is_its_kinds_class(emu: Emulator, tmp_path: Path, kind: str) -> None:
    with pytest.raises(plexctl.Error) as info:
        TRIGGERS[kind](emu, tmp_path)
    e = info.value
    assert e.kind == kind, f"{type(e).__name__}: {e}"
    assert type(e) is CLASS[kind]
    assert e.exit_code == EXIT_CODE[kind]

