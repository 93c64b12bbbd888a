"""The child process of test_memory.py: the flow of tests/memscan through the installed wheel, then
a scan of this process's own memory for every secret the flow saw. Prints ``<label> <count>`` per
secret.

The flow: issue + rotate x5, client_credentials x5, store -> rotate -> logout a session; every
result and client is dropped (``del``, ``gc.collect()``) before the scan. ``reveal()`` is never
called: the only way a secret leaves the library here is ``reveal_bytes()``, whose ``bytearray`` is
masked at once (``bytearray.translate`` writes a new, masked buffer) and then cleared in place, so
the only copies the process keeps are XOR-masked ones (for a psk its last 22 characters, the secret
part; else all of it).

The scan masks each chunk of ``/proc/self/mem`` with the same XOR table before searching it; the
masked chunk is cleared in place after the search (where it covered the masked needles it holds the
secrets unmasked). Two controls stay alive through the scan and must be found, or the scan proves
nothing: ``control``, a token whose plaintext is in the extension's Rust memory, and
``control_python``, a secret held only as a ``bytearray`` in Python's own heap.

Inputs: PLEXCTL_TEST_URL, PLEXCTL_TEST_TOKEN (the admin token: a fixture, not scanned),
PLEXCTL_TEST_IDENTITY, PLEXCTL_MEMSCAN_CONFIG, PLEXCTL_MEMSCAN_CLIENT_ID, and the client secret on
standard input, read with ``os.readv`` straight into a ``bytearray`` that is cleared.
"""

from __future__ import annotations

import gc
import os
import sys

import plexctl

MASK = 0xA5
XOR = bytes(b ^ MASK for b in range(256))
MASKED_PSK_PREFIX = b"psk_".translate(XOR)
PSK_SECRET_LEN = 22
CHUNK = 1 << 20


def clear(buf: bytearray) -> None:
    """Overwrites a bytearray in place (same length: no reallocation, no copy left behind)."""
    buf[:] = bytes(len(buf))


def masked_part(value: bytearray) -> bytes:
    """The masked distinctive part of a secret: for a psk its 22 secret characters, else all of it.
    Clears `value`."""
    masked = value.translate(XOR)
    clear(value)
    if masked.startswith(MASKED_PSK_PREFIX) and len(masked) > PSK_SECRET_LEN:
        return bytes(masked[-PSK_SECRET_LEN:])
    return bytes(masked)


def keep(needles: dict[str, bytes], label: str, secret: plexctl.Secret) -> None:
    needles[label] = masked_part(secret.reveal_bytes())


def read_stdin_secret() -> plexctl.Secret:
    buf = bytearray(256)
    n = 0
    while n < len(buf):
        got = os.readv(0, [memoryview(buf)[n:]])
        if got == 0:
            break
        n += got
    while n > 0 and buf[n - 1] in b" \r\n":
        n -= 1
    if n == 0 or n == len(buf):
        sys.exit("memscan: expected the client secret on standard input")
    value = buf[:n]
    try:
        return plexctl.Secret(value)
    finally:
        clear(value)
        clear(buf)


def flow(needles: dict[str, bytes]) -> plexctl.IssuedToken:
    """Runs the flow; returns the control token, kept alive for the scan."""
    url = os.environ["PLEXCTL_TEST_URL"]
    identity = os.environ["PLEXCTL_TEST_IDENTITY"]
    client_id = os.environ["PLEXCTL_MEMSCAN_CLIENT_ID"]
    client_secret = read_stdin_secret()
    keep(needles, "client_secret", client_secret)
    admin = plexctl.Client(url, token=plexctl.Secret(os.environ["PLEXCTL_TEST_TOKEN"]), use_environment=False)
    for i in range(5):
        issued = admin.issue_token(identity, "prod", "1h")
        keep(needles, f"issued_{i}", issued.plaintext)
        rotated = admin.rotate_token(issued.id)
        keep(needles, f"rotated_{i}", rotated.plaintext)
        del issued, rotated
    anonymous = plexctl.Client(url, use_environment=False)
    for i in range(5):
        minted = anonymous.mint_service_token(client_id, "client_credentials", client_secret=client_secret)
        keep(needles, f"access_token_{i}", minted.access_token)
        del minted
    session = admin.issue_token(identity, "prod", "1h")
    keep(needles, "session", session.plaintext)
    store = plexctl.Client(config_path=os.environ["PLEXCTL_MEMSCAN_CONFIG"], use_environment=False)
    store.store_session("default", url, session.plaintext, make_default=True)
    del session
    session_rotated = store.rotate_session()
    keep(needles, "session_rotated", session_rotated.plaintext)
    del session_rotated
    out = store.logout()
    assert out.revoked, out
    control = admin.issue_token(identity, "prod", "1h")
    del out, store, anonymous, admin, client_secret
    return control


def python_heap_control(needles: dict[str, bytes]) -> bytearray:
    """A second control, in Python's own heap: a secret made for the scan (never sent anywhere),
    kept alive only as a ``reveal_bytes()`` bytearray, so the scan must also reach pymalloc's
    arenas."""
    value = bytearray(b"python-heap-control-")
    value += os.urandom(16).hex().encode()  # the intermediates hold the random part only
    s = plexctl.Secret(value)
    clear(value)
    try:
        keep(needles, "control_python", s)
        return s.reveal_bytes()
    finally:
        s.wipe()


def scan(needles: dict[str, bytes]) -> dict[str, int]:
    """Counts every occurrence of each needle in this process's readable memory."""
    overlap = max(len(n) for n in needles.values())
    buf = bytearray(CHUNK + overlap)
    view = memoryview(buf)
    counts = dict.fromkeys(needles, 0)
    with open("/proc/self/maps") as f:
        maps = f.read().splitlines()
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    try:
        for line in maps:
            fields = line.split()
            if len(fields) < 2 or not fields[1].startswith("r") or "[vvar" in line or "[vsyscall]" in line:
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            at = start
            while at < end:
                want = min(end - at, CHUNK + overlap)
                try:
                    n = os.preadv(fd, [view[:want]], at)
                except OSError:
                    break
                if n == 0:
                    break
                masked = buf.translate(XOR)
                for label, needle in needles.items():
                    # Matches starting in the overlap are counted by the next chunk.
                    counts[label] += masked.count(needle, 0, n) - (masked.count(needle, CHUNK, n) if n > CHUNK else 0)
                clear(masked)
                del masked
                at += CHUNK
    finally:
        os.close(fd)
        view.release()
        clear(buf)
    return counts


def main() -> None:
    needles: dict[str, bytes] = {}
    control = flow(needles)
    keep(needles, "control", control.plaintext)
    control_python = python_heap_control(needles)
    gc.collect()
    counts = scan(needles)
    del control
    clear(control_python)
    for label, count in counts.items():
        print(label, count)


if __name__ == "__main__":
    main()
