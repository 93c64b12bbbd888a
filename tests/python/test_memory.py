"""No secret left behind in a Python process: memscan_child.py runs the flow of tests/memscan
(issue + rotate x5, client_credentials x5, store -> rotate -> logout a session) with the installed
wheel in a fresh interpreter, drops every object, scans its own memory and reports a count per
secret; every count must be 0, and the live controls must be found (one in the extension's Rust
memory, one in Python's own heap).

The flow never calls ``reveal()``, so no copy is out of the library's reach: the extension installs
core's zeroing allocator (every Rust allocation is wiped when freed), the secrets cross into Python
only as ``plexctl.Secret`` objects over Rust buffers, and the child's own copies (the client secret
it reads, the ``reveal_bytes()`` buffers it masks) are ``bytearray``s it clears. The copies the
library cannot wipe are the caller's, and none is made here: a ``str`` from ``reveal()``, or a
``str``/``bytes`` the caller passes in (immutable Python objects).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from conftest import Emulator

CHILD = Path(__file__).with_name("memscan_child.py")


def test_no_secret_survives_a_flow_in_a_python_process(emu: Emulator, tmp_path: Path) -> None:
    client_id = "svc-memscan-py"
    client_secret = "memscan-py-" + secrets.token_hex(24)
    emu.add_client_credentials_identity(client_id, client_secret)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLEXSPHERE_", "PLEXCTL_"))}
    env.update(
        {
            "PLEXCTL_TEST_URL": emu.url,
            "PLEXCTL_TEST_TOKEN": emu.admin_token,
            "PLEXCTL_TEST_IDENTITY": emu.admin_identity,
            "PLEXCTL_MEMSCAN_CONFIG": str(tmp_path / "config" / "plexctl.yaml"),
            "PLEXCTL_MEMSCAN_CLIENT_ID": client_id,
        }
    )
    # -I: the installed wheel, never the source tree (and no PYTHON* variables).
    out = subprocess.run(
        [sys.executable, "-I", str(CHILD)],
        input=client_secret.encode(),
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    report = out.stdout.decode()
    assert out.returncode == 0, f"the flow ran:\n{report}\n{out.stderr.decode()}"
    counts = {label: int(n) for label, n in (line.rsplit(" ", 1) for line in report.splitlines())}
    assert len(counts) == 20, f"every secret of the flow and both controls were scanned:\n{report}"
    controls = ("control", "control_python")
    assert all(counts[c] >= 1 for c in controls), f"the live control secrets must be found:\n{report}"
    survivors = {label: n for label, n in counts.items() if label not in controls and n > 0}
    assert not survivors, f"copies survive: {survivors}"
