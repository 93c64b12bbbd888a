"""Client construction, usage errors before the wire, and the GIL being released during I/O.

These need no emulator: a tiny local HTTP server stands in where a slow or silent peer is needed.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import plexctl

TOKEN = "psk_dev_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"
NEEDLE = "0123456789abcdefghij"
SLOW_SECONDS = 0.4


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        time.sleep(SLOW_SECONDS)
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def slow_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture()
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def client(server: str, **kw: object) -> plexctl.Client:
    return plexctl.Client(server, token=plexctl.Secret(TOKEN), use_environment=False, **kw)  # type: ignore[arg-type]


def test_repr_masks_the_token_and_names_the_source() -> None:
    c = client("http://127.0.0.1:9")
    assert repr(c) == "Client(server='http://127.0.0.1:9/', token=Secret('psk_dev_****'), credential_source='explicit')"
    assert c.server == "http://127.0.0.1:9/"
    assert c.credential_source == "explicit"


def test_token_may_be_str_bytes_or_secret() -> None:
    for token in (TOKEN, TOKEN.encode(), bytearray(TOKEN.encode()), plexctl.Secret(TOKEN)):
        c = plexctl.Client("http://127.0.0.1:9", token=token, use_environment=False)
        assert NEEDLE not in repr(c)
        assert c.credential_source == "explicit"


def test_resolution_order_token_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEXSPHERE_TOKEN", TOKEN)
    monkeypatch.setenv("PLEXSPHERE_URL", "http://127.0.0.1:7")
    monkeypatch.setenv("PLEXCTL_CONFIG", str(tmp_path / "none.yaml"))
    c = plexctl.Client()
    assert c.credential_source == "environment"
    assert c.server == "http://127.0.0.1:7/"
    f = tmp_path / "token"
    f.write_text(TOKEN + "\n")
    c = plexctl.Client(token_file=f)
    assert c.credential_source == "token_file"
    c = plexctl.Client("http://127.0.0.1:8", token=TOKEN, token_file=f)
    assert c.credential_source == "explicit"
    assert c.server == "http://127.0.0.1:8/"
    c = plexctl.Client(use_environment=False)
    assert c.credential_source == "none"
    assert c.server is None


def test_insecure_http_is_refused_unless_allowed() -> None:
    with pytest.raises(plexctl.InsecureTransportError) as info:
        client("http://example.com")
    assert info.value.exit_code == 3
    assert isinstance(info.value, plexctl.CredentialsError)
    assert NEEDLE not in str(info.value)
    c = client("http://example.com", allow_insecure_http=True)
    assert c.server == "http://example.com/"


def test_malformed_server_is_a_usage_error() -> None:
    with pytest.raises(plexctl.UsageError) as info:
        client("not a url")
    assert info.value.exit_code == 2
    assert info.value.field == "server"
    assert isinstance(info.value, ValueError)


def test_bad_ca_bundle_is_a_setup_error(tmp_path: Path) -> None:
    with pytest.raises(plexctl.SetupError) as info:
        client("https://example.com", ca_bundle_pem=b"not pem")
    assert info.value.exit_code == 1
    with pytest.raises(plexctl.SetupError):
        client("https://example.com", ca_bundle=tmp_path / "missing.pem")


def test_negative_timeout_is_a_usage_error() -> None:
    with pytest.raises(plexctl.UsageError) as info:
        client("http://127.0.0.1:9", timeout=-1.0)
    assert info.value.field == "timeout"


def test_missing_token_and_server() -> None:
    c = plexctl.Client("http://127.0.0.1:9", use_environment=False)
    with pytest.raises(plexctl.MissingCredentialsError) as info:
        c.list_tokens()
    assert info.value.exit_code == 3
    assert info.value.what == "token"
    c = plexctl.Client(token=TOKEN, use_environment=False)
    with pytest.raises(plexctl.MissingCredentialsError) as info:
        c.list_tokens()
    assert info.value.what == "server"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.issue_token("user:nope", "prod"), "identity_ref"),
        (lambda c: c.issue_token(f"user:{uuid.uuid4()}", "qa"), "env_prefix"),
        (lambda c: c.issue_token(f"user:{uuid.uuid4()}", "prod", ttl="soon"), "ttl"),
        (lambda c: c.issue_token(f"user:{uuid.uuid4()}", "prod", ttl=0), "ttl"),
        (lambda c: c.issue_token(f"user:{uuid.uuid4()}", "prod", ttl=-5), "ttl"),
        (lambda c: c.delete_token("not-a-uuid"), "id"),
        (lambda c: c.rotate_token("not-a-uuid"), "id"),
        (lambda c: c.rotate_node_keys("not-a-uuid"), "node_id"),
        (lambda c: c.preview_node_key_rotation("x"), "node_id"),
        (lambda c: c.mint_service_token("svc", "password", client_secret="s"), "grant_type"),
        (lambda c: c.mint_service_token("", "client_credentials", client_secret="s"), "client_id"),
    ],
)
def test_usage_errors_send_nothing(silent_server: str, call: object, field: str) -> None:
    # A silent server would make any request hang until the timeout; usage errors come at once.
    c = client(silent_server, timeout=5.0)
    start = time.monotonic()
    with pytest.raises(plexctl.UsageError) as info:
        call(c)  # type: ignore[operator]
    assert time.monotonic() - start < 1.0
    assert info.value.exit_code == 2
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("secret", "assertion", "grant"),
    [
        ("hunter2-secret", None, "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        (None, "eyJhbGciOi.hunter2.sig", "client_credentials"),
        ("hunter2-secret", "eyJhbGciOi.hunter2.sig", "client_credentials"),
        (None, None, "client_credentials"),
        (None, None, "urn:ietf:params:oauth:grant-type:jwt-bearer"),
    ],
)
def test_grant_flag_mismatch_is_refused_before_the_wire(
    silent_server: str, secret: str | None, assertion: str | None, grant: str
) -> None:
    c = client(silent_server, timeout=5.0)
    with pytest.raises(plexctl.GrantRefused) as info:
        c.mint_service_token("svc", grant, client_secret=secret, client_assertion=assertion)
    assert info.value.exit_code == 1
    assert "hunter2" not in str(info.value)
    with pytest.raises(plexctl.GrantRefused):
        plexctl.ServiceTokenSource(c, "svc", grant, client_secret=secret, client_assertion=assertion)


def test_timeout_is_a_transport_error_and_releases_the_gil(silent_server: str) -> None:
    c = client(silent_server, timeout=1.0)
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.01)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        with pytest.raises(plexctl.TransportError) as info:
            c.list_tokens()
    finally:
        stop.set()
        counter.join()
    assert info.value.timeout is True
    assert isinstance(info.value, plexctl.TimeoutError)
    assert info.value.kind == "timeout"
    assert info.value.exit_code == 1
    assert info.value.operation == "list tokens"
    # The counter thread ran while the call waited: the GIL was released.
    assert ticks > 20, ticks


def test_connection_refused_is_a_transport_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(plexctl.TransportError) as info:
        client(f"http://127.0.0.1:{port}").list_tokens()
    assert info.value.timeout is False
    assert type(info.value) is plexctl.TransportError and info.value.kind == "transport"


def test_threads_sharing_one_client_run_in_parallel(slow_server: str) -> None:
    c = client(slow_server, timeout=10.0)
    n = 8
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(len(c.list_tokens()))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(n)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    assert not errors, errors
    assert results == [0] * n
    # Serialized, n calls would take n * SLOW_SECONDS; in parallel, a little over one.
    assert elapsed < n * SLOW_SECONDS / 2, elapsed
