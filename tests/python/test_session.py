"""Stored sessions from Python: store, rotate in place, log out — and every failure keeps the
credential."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import plexctl
from conftest import Emulator


def session_client(config: Path, profile: str | None = None) -> plexctl.Client:
    return plexctl.Client(config_path=str(config), profile=profile, use_environment=False)


def store(emu: Emulator, config: Path, name: str = "default") -> plexctl.Secret:
    issued = emu.client().issue_token(emu.admin_identity, "prod")
    plexctl.Client(config_path=str(config), use_environment=False).store_session(
        name, emu.url, issued.plaintext, make_default=True
    )
    return issued.plaintext


def test_store_then_logout(emu: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "plexctl" / "config.yaml"
    token = store(emu, config)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    client = session_client(config)
    assert client.credential_source == "profile"
    client.list_tokens()
    out = client.logout()
    assert out.text() == 'Logged out. Cleared profile "default".'
    assert str(out) == out.text()
    assert out.to_dict() == {"profile": "default", "server": emu.url, "revoked": True}
    assert out.revoked and out.had_session
    with pytest.raises(plexctl.APIError) as info:
        plexctl.Client(emu.url, token=token, use_environment=False).list_tokens()
    assert info.value.status == 401
    again = session_client(config).logout()
    assert not again.had_session
    assert again.text() == "No active session; nothing to do."


def test_failures_keep_the_file(emu: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    store(emu, config)
    before = config.read_bytes()
    # Persistent through the first attempt and both retries: a transient 503 is retried.
    emu.fault({"kind": "status", "status": 503, "count": 3})
    with pytest.raises(plexctl.APIError) as info:
        session_client(config).logout()
    assert info.value.exit_code == 1
    assert config.read_bytes() == before
    emu.deny(emu.admin_identity)
    try:
        with pytest.raises(plexctl.PermissionDenied) as denied:
            session_client(config).logout()
        assert denied.value.exit_code == 4
    finally:
        emu.deny(emu.admin_identity, False)
    assert config.read_bytes() == before


def test_bad_stored_token_and_insecure_file(emu: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    plexctl.Client(config_path=str(config), use_environment=False).store_session(
        "default", emu.url, "not-a-psk", make_default=True
    )
    before = emu.requests()
    with pytest.raises(plexctl.UsageError) as info:
        session_client(config).logout()
    assert info.value.exit_code == 2
    assert "not-a-psk" not in str(info.value)
    assert emu.requests() == before
    os.chmod(config, 0o644)
    with pytest.raises(plexctl.InsecureConfigError) as insecure:
        session_client(config).logout()
    assert insecure.value.exit_code == 3


def test_rotate_session_saves_the_new_plaintext(emu: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    old = store(emu, config)
    rotated = session_client(config).rotate_session()
    assert rotated.plaintext.reveal() != old.reveal()
    assert rotated.plaintext.reveal() in config.read_text()
    session_client(config).list_tokens()


def test_rotate_session_that_cannot_save_raises_with_the_plaintext(emu: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    store(emu, config)
    lock = tmp_path / "config.yaml.lock"
    lock.unlink()
    lock.mkdir()
    with pytest.raises(plexctl.SessionNotSavedError) as info:
        session_client(config).rotate_session()
    err = info.value
    assert err.exit_code == 1
    assert isinstance(err.rotated, plexctl.RotatedToken)
    secret = err.rotated.plaintext.reveal()
    assert secret not in str(err) and secret not in repr(err) and secret not in repr(err.rotated)
    plexctl.Client(emu.url, token=err.rotated.plaintext, use_environment=False).list_tokens()
