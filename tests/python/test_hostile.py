"""Against a hostile server (a raw-socket server the test starts): the call's deadline holds, the
bearer that was sent never reaches an exception, server text is sanitized, retries happen only where
safe, and a minted plaintext rides on the exception instead of being lost."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

import plexctl

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJlLWJ5dGVz"
Answer = Callable[[str, dict[str, str], bytes, socket.socket], None]


def http(status: int, body: str, content_type: str = "application/json", **headers: str) -> bytes:
    head = f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {len(body.encode())}\r\n"
    head += "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode() + body.encode()


@contextmanager
def hostile(answer: Answer) -> Iterator[tuple[str, list[str]]]:
    """Serves `answer(request_line, headers, body, sock)` for every request; yields (url, seen)."""
    seen: list[str] = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            while True:
                line = self.rfile.readline().decode()
                if not line:
                    return
                headers: dict[str, str] = {}
                while (h := self.rfile.readline().decode().strip()) != "":
                    name, _, value = h.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = self.rfile.read(int(headers.get("content-length", "0")))
                seen.append(line.strip())
                try:
                    answer(line, headers, body, self.connection)
                except OSError:
                    return

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def client(url: str, **kw: object) -> plexctl.Client:
    return plexctl.Client(url, token=JWT, use_environment=False, **kw)  # type: ignore[arg-type]


def every_rendering(e: BaseException) -> str:
    return "\n".join([str(e), repr(e), "".join(traceback.format_exception(type(e), e, e.__traceback__)), repr(vars(e))])


def test_a_dripping_body_cannot_outlive_the_deadline() -> None:
    def drip(line: str, headers: dict[str, str], body: bytes, sock: socket.socket) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n[")
        for _ in range(600):
            sock.sendall(b" ")
            time.sleep(0.1)

    with hostile(drip) as (url, _):
        started = time.monotonic()
        with pytest.raises(plexctl.TimeoutError) as info:
            client(url, timeout=1.0).list_tokens()
        assert time.monotonic() - started < 3
        assert info.value.kind == "timeout" and info.value.exit_code == 1


def test_the_sent_bearer_is_redacted_from_every_text() -> None:
    def echo(line: str, headers: dict[str, str], body: bytes, sock: socket.socket) -> None:
        bearer = headers["authorization"].removeprefix("Bearer ")
        problem = {"title": f"bad {bearer}", "status": 401, "detail": f"token {bearer} is not valid", "code": "x"}
        sock.sendall(http(401, json.dumps(problem), "application/problem+json"))

    with hostile(echo) as (url, _):
        with pytest.raises(plexctl.APIError) as info:
            client(url).list_tokens()
    shown = every_rendering(info.value)
    assert JWT not in shown and "c2lnbmF0dXJl" not in shown, shown
    assert info.value.detail is not None and "****" in info.value.detail


def test_server_text_is_sanitized() -> None:
    def escapes(line: str, headers: dict[str, str], body: bytes, sock: socket.socket) -> None:
        problem = {"title": "Bad\u001b[31m request\u001b]0;pwned\u0007", "status": 400, "detail": "a\r\nb\u202ec"}
        sock.sendall(http(400, json.dumps(problem), "application/problem+json"))

    with hostile(escapes) as (url, _):
        with pytest.raises(plexctl.APIError) as info:
            client(url).list_tokens()
    text = str(info.value)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in text), repr(text)
    assert "pwned" not in text and info.value.detail == "a b c"


def test_a_malformed_rotate_answer_hands_over_its_plaintext() -> None:
    token_id = uuid.uuid4()
    plaintext = "psk_prod_" + "0" * 43 + "1"

    def malformed(line: str, headers: dict[str, str], body: bytes, sock: socket.socket) -> None:
        answer = {"id": str(token_id), "plaintext": plaintext, "env_prefix": "prod", "expires_at": "not-a-date"}
        sock.sendall(http(200, json.dumps(answer)))

    with hostile(malformed) as (url, _):
        with pytest.raises(plexctl.ResponseError) as info:
            client(url).rotate_token(token_id)
    e = info.value
    assert e.kind == "decode"
    assert e.token_id == token_id
    assert isinstance(e.plaintext, plexctl.Secret) and e.plaintext.reveal() == plaintext
    assert plaintext[9:] not in every_rendering(e)


def flaky(failures: int, status: int) -> Answer:
    calls = [0]

    def answer(line: str, headers: dict[str, str], body: bytes, sock: socket.socket) -> None:
        calls[0] += 1
        if calls[0] <= failures:
            sock.sendall(http(status, '{"title":"busy"}', "application/problem+json", retry_after="0"))
        else:
            sock.sendall(http(200, "[]"))

    return answer


def test_idempotent_calls_are_retried_and_retries_can_be_turned_off() -> None:
    with hostile(flaky(2, 503)) as (url, seen):
        assert client(url).list_tokens() == []
        assert len(seen) == 3
    with hostile(flaky(2, 503)) as (url, seen):
        with pytest.raises(plexctl.APIError) as info:
            client(url, retries=0).list_tokens()
        assert info.value.status == 503 and len(seen) == 1


def test_issue_is_never_repeated_once_sent() -> None:
    with hostile(flaky(5, 503)) as (url, seen):
        with pytest.raises(plexctl.APIError):
            client(url).issue_token("user:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2", "prod")
        assert len(seen) == 1
