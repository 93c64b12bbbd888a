"""The suite proves something or fails: an emulator test without its emulator is an error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_an_emulator_test_fails_without_the_emulator(tmp_path: Path) -> None:
    """Never a skip that passes: tests/python.sh and CI would report green while proving nothing."""
    env = {**os.environ, "PLEXSPHERE_EMULATOR": str(tmp_path / "no-such-emulator")}
    test = Path(__file__).with_name("test_keys.py")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{test}::test_bad_node_id_sends_nothing"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 error" in out.stdout and "skipped" not in out.stdout, out.stdout
