"""The examples in examples/python run against the emulator and exit with the taxonomy's codes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import plexctl
from conftest import ROOT, Emulator

EXAMPLES = ROOT / "examples" / "python"


def run(emu: Emulator, script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("PLEXSPHERE_", "PLEXCTL_"))}
    full_env.update({"PLEXSPHERE_URL": emu.url, "PLEXSPHERE_TOKEN": emu.admin_token})
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


def test_issue_and_rotate(emu: Emulator) -> None:
    out = run(emu, "issue_and_rotate.py", emu.admin_identity, "--env-prefix", "dev", "--ttl", "1h")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    issued = json.loads(lines[0])["issued"]
    assert issued["plaintext"] == "psk_dev_****"
    plaintexts = [line for line in lines if line.startswith("psk_dev_") and "****" not in line]
    assert len(plaintexts) == 2 and plaintexts[0] != plaintexts[1]
    # The rotated plaintext is a working credential.
    plexctl.Client(emu.url, token=plaintexts[1], use_environment=False).list_tokens()


def test_issue_and_rotate_usage_error_exits_2(emu: Emulator) -> None:
    out = run(emu, "issue_and_rotate.py", "user:not-a-uuid")
    assert out.returncode == 2
    assert "identity_ref" in out.stderr


def test_service_token(emu: Emulator, tmp_path: Path) -> None:
    client_id = f"svc-example-{uuid.uuid4().hex[:8]}"
    emu.add_client_credentials_identity(client_id, "example-secret-value")
    env = {"PLEXCTL_CLIENT_SECRET": "example-secret-value"}
    out = run(emu, "service_token.py", "--client-id", client_id, "--grant-type", "client_credentials", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["access_token"] == "psk_prod_****"  # masked: only the env segment shows
    secret_file = tmp_path / "secret"
    secret_file.write_text("example-secret-value\n")
    out = run(emu, "service_token.py", "--client-id", client_id, "--grant-type", "client_credentials",
              "--client-secret-file", str(secret_file), "--source", "--reveal")
    assert out.returncode == 0, out.stderr
    access = out.stdout.splitlines()[-1]
    plexctl.Client(emu.url, token=access, use_environment=False).list_tokens()
    out = run(emu, "service_token.py", "--client-id", client_id,
              "--grant-type", "urn:ietf:params:oauth:grant-type:jwt-bearer", env=env)
    assert out.returncode == 1
    assert "must not be set" in out.stderr


def test_rotate_node_keys(emu: Emulator) -> None:
    node = emu.add_node(2)
    out = run(emu, "rotate_node_keys.py", node["node_id"], "--dry-run")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["preview"]["affected_peer_count"] == 2
    out = run(emu, "rotate_node_keys.py", node["node_id"])
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[1])["trigger"]["already_pending"] is False
    out = run(emu, "rotate_node_keys.py", str(uuid.uuid4()))
    assert out.returncode == 4


def test_logout(emu: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    issued = emu.client().issue_token(emu.admin_identity, "prod")
    plexctl.Client(config_path=str(config), use_environment=False).store_session(
        "default", emu.url, issued.plaintext, make_default=True
    )
    out = run(emu, "logout.py", "--config", str(config), "--output", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"profile": "default", "server": emu.url, "revoked": True}
    out = run(emu, "logout.py", "--config", str(config))
    assert out.returncode == 0
    assert out.stderr.strip() == "No active session; nothing to do."


def start_login(emu: Emulator, *args: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    """Runs login.py with the emulator's URL and no token; returns the process, the user code it
    showed on stderr, and the stderr lines read so far."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLEXSPHERE_", "PLEXCTL_"))}
    env["PLEXSPHERE_URL"] = emu.url
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "login.py"), emu.domain_id, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # Python installs its Ctrl-C handler only over the default action: a test run started
        # with SIGINT ignored (a background job) must not pass that on.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None
    lines: list[str] = []
    for line in proc.stderr:
        lines.append(line)
        found = re.search(r"enter the code ([A-Z2-7]{4}-[A-Z2-7]{4})", line)
        if found:
            return proc, found.group(1), lines
    proc.kill()
    raise AssertionError("login.py showed no code: " + "".join(lines))


def finish(proc: subprocess.Popen[str], then: Callable[[], object] = lambda: None) -> tuple[int, str, str]:
    """Does `then` while the example waits, then lets it end: (exit code, stdout, all of stderr)."""
    assert proc.stdout is not None and proc.stderr is not None
    try:
        then()
        proc.wait(timeout=30)
    finally:
        proc.kill()
    # Through the same buffered readers start_login used (communicate() would bypass their
    # buffers); the example writes a few lines at most, so no pipe fills while it runs.
    with proc.stdout, proc.stderr:
        return proc.returncode, proc.stdout.read(), proc.stderr.read()


def test_login(emu: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    with emu.device_flow():
        proc, code, shown = start_login(
            emu, "--idp-binding-alias", "github", "--profile", "work", "--config", str(config), "--output", "json"
        )
        # The user approves in the browser while the example polls.
        rc, out, err = finish(proc, lambda: emu.approve_device(code))
    assert rc == 0, err
    assert f"(or open {emu.url}/device?user_code={code})" in "".join(shown) + err
    shown_out = json.loads(out)
    login, status = shown_out["login"], shown_out["status"]
    assert (login["profile"], login["server"]) == ("work", emu.url)
    assert (status["state"], status["credential_source"], status["profile"]) == ("authenticated", "profile", "work")
    assert status["token"]["id"] == login["token_id"]
    assert status["principal"]["email"] == "admin@plexsphere.test"
    # The session is in the file: a client reading only the profile works.
    plexctl.Client(config_path=str(config), profile="work", use_environment=False).list_tokens()


def test_login_denied_cancelled_interrupted(emu: Emulator, tmp_path: Path) -> None:
    config = str(tmp_path / "config.yaml")
    with emu.device_flow():
        proc, code, _ = start_login(emu, "--config", config)
        rc, out, err = finish(proc, lambda: emu.deny_device(code))
        assert rc == 4 and out == "", err
        assert "denied" in err.splitlines()[-1]

        proc, code, _ = start_login(emu, "--config", config, "--give-up-after", "0.3")
        rc, out, err = finish(proc)
        assert rc == 1 and "cancelled" in err, err

        # Ctrl-C in the terminal: SIGINT to the example while it polls.
        proc, code, _ = start_login(emu, "--config", config)
        rc, out, err = finish(proc, lambda: proc.send_signal(signal.SIGINT))
        assert rc == 130 and "interrupted" in err, err
        assert emu.device_session(code)["status"] == "pending"
    assert not (tmp_path / "config.yaml").exists()
