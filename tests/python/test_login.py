"""Device-code login, whoami and status from Python, against the emulator's RFC 8628 flow (polled
freely: interval 0 through the config knob): approve, deny, expiry, reuse, cancellation by a
callable and by Ctrl-C, a session that cannot be saved — and the device code never shows."""

from __future__ import annotations

import _thread
import copy
import datetime
import io
import json
import pickle
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import plexctl
from conftest import Emulator


@pytest.fixture()
def device(emu: Emulator) -> Iterator[Emulator]:
    """The emulator, issuing device codes that may be polled freely."""
    with emu.device_flow():
        yield emu


def session_client(emu: Emulator, config: Path, **kw: Any) -> plexctl.Client:
    """A client with no token of its own: it logs in, or reads the profile a login wrote."""
    return plexctl.Client(emu.url, config_path=str(config), use_environment=False, **kw)


def stored(config: Path, profile: str | None = None) -> plexctl.Client:
    """A client reading only the config file (server and token from the profile)."""
    return plexctl.Client(config_path=str(config), profile=profile, use_environment=False)


def test_login_then_status_rotate_session_and_logout(device: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "plexctl" / "config.yaml"
    shown: list[plexctl.DeviceAuthorization] = []

    def on_code(auth: plexctl.DeviceAuthorization) -> None:
        shown.append(auth)
        device.approve_device(auth.user_code)  # the user approves in the browser

    outcome = session_client(device, config).login(
        device.domain_id, profile="work", make_default=True, idp_binding_alias="github", on_code=on_code
    )
    assert isinstance(outcome, plexctl.LoginOutcome)
    (auth,) = shown
    assert isinstance(auth, plexctl.DeviceAuthorization)
    assert auth.verification_uri == device.url + "/device"
    assert auth.verification_uri_complete == f"{device.url}/device?user_code={auth.user_code}"
    assert auth.user_code in auth.text() and str(auth) == auth.text()
    assert device.device_session(auth.user_code)["status"] == "exchanged"

    assert (outcome.profile, outcome.server) == ("work", device.url)
    assert isinstance(outcome.token_id, uuid.UUID)
    assert outcome.expires_at.tzinfo is not None
    assert outcome.text() == f'Logged in to {device.url}. Saved the session in profile "work".'
    assert str(outcome) == outcome.text()
    assert outcome.to_dict() == {
        "profile": "work",
        "server": device.url,
        "token_id": str(outcome.token_id),
        "expires_at": outcome.to_dict()["expires_at"],
    }
    assert datetime.datetime.fromisoformat(outcome.to_dict()["expires_at"]) == outcome.expires_at
    assert repr(outcome).startswith("LoginOutcome(profile='work', ")

    # The profile is the default now: a client that names none reads it.
    status = stored(config).status()
    assert isinstance(status, plexctl.Status)
    assert (status.state, status.credential_source, status.profile) == ("authenticated", "profile", "work")
    assert status.rejection is None
    who = status.principal
    assert isinstance(who, plexctl.Whoami)
    assert status.principal is who  # one object, not a new one per access
    assert (who.principal_type, who.email) == ("user", "admin@plexsphere.test")
    assert f"user:{who.subject}" == device.admin_identity
    assert str(who.domain_id) == device.domain_id
    # The token's own summary, found by the id in the plaintext.
    token = status.token
    assert isinstance(token, plexctl.TokenSummary)
    assert token.id == outcome.token_id
    # The server's expiry, and the one the client computed on receipt from expires_in.
    assert abs(token.expires_at - outcome.expires_at) < datetime.timedelta(seconds=5)
    left = status.expires_in
    assert isinstance(left, datetime.timedelta)
    assert datetime.timedelta(hours=23) < left <= datetime.timedelta(hours=24)
    text = status.text()
    assert str(status) == text
    assert 'profile "work"' in text and "logged in as user" in text and str(token.id) in text
    d = status.to_dict()
    assert d["state"] == "authenticated" and d["principal"]["email"] == "admin@plexsphere.test"
    assert d["token"]["id"] == str(outcome.token_id)
    json.dumps(d)  # JSON-ready: nothing in it is secret
    assert "principal=Whoami(" in repr(status) and "token=TokenSummary(" in repr(status)

    whoami = stored(config).whoami()
    assert whoami.to_dict() == who.to_dict()
    assert whoami.amr == () and str(whoami) == whoami.text() == f"user {who.subject} (admin@plexsphere.test)"

    rotated = stored(config).rotate_session()
    assert rotated.id == outcome.token_id
    out = stored(config).logout()
    assert out.revoked and out.profile == "work"

    # The revoked token is a state, not an error; whoami says why it is refused.
    revoked = plexctl.Client(device.url, token=rotated.plaintext, use_environment=False)
    gone = revoked.status()
    assert (gone.state, gone.rejection, gone.credential_source) == ("rejected", "token_revoked", "explicit")
    assert gone.principal is None and gone.token is None and gone.expires_in is None
    assert "rejected (token_revoked)" in gone.text()
    with pytest.raises(plexctl.APIError) as info:
        revoked.whoami()
    assert (info.value.status, info.value.code, info.value.exit_code) == (401, "token_revoked", 1)


def test_two_steps_and_a_code_exchanged_twice(device: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    client = session_client(device, config)
    auth = client.start_device_login(uuid.UUID(device.domain_id))
    assert (auth.expires_in, auth.interval) == (600, 0)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert now + datetime.timedelta(seconds=590) < auth.expires_at <= now + datetime.timedelta(seconds=600)
    assert device.device_session(auth.user_code)["status"] == "pending"

    # Another thread approves while this one polls: the polling does not hold the GIL.
    approver = threading.Timer(0.3, device.approve_device, (auth.user_code,))
    approver.start()
    try:
        outcome = client.complete_device_login(auth, profile="p")
    finally:
        approver.join()
    assert outcome.profile == "p"
    # The first profile in a new file becomes its default.
    assert stored(config).status().profile == "p"

    with pytest.raises(plexctl.APIError) as info:
        client.complete_device_login(auth, profile="q")
    e = info.value
    assert type(e) is plexctl.APIError
    assert (e.kind, e.exit_code, e.status, e.code) == ("api", 1, 400, "invalid_grant")
    assert stored(config, "q").credential_source == "none"  # nothing was written for it


def test_denied_is_access_denied_exit_4(device: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    client = session_client(device, config)
    auth = client.start_device_login(device.domain_id)
    device.deny_device(auth.user_code)
    with pytest.raises(plexctl.AccessDenied) as info:
        client.complete_device_login(auth)
    e = info.value
    assert (e.kind, e.exit_code, e.status, e.code) == ("access_denied", 4, 400, "access_denied")
    assert isinstance(e, plexctl.APIError)
    assert not config.exists()


def test_expired_on_the_servers_clock(emu: Emulator, tmp_path: Path) -> None:
    client = session_client(emu, tmp_path / "config.yaml")
    with emu.device_flow(code_ttl_seconds=2):
        auth = client.start_device_login(emu.domain_id)
    emu.advance_clock(3)
    with pytest.raises(plexctl.LoginExpired) as info:
        client.complete_device_login(auth)
    e = info.value
    assert (e.kind, e.exit_code, e.status, e.code) == ("login_expired", 1, 400, "expired_token")


def test_expired_while_polling(emu: Emulator, tmp_path: Path) -> None:
    client = session_client(emu, tmp_path / "config.yaml")
    started = time.monotonic()
    with emu.device_flow(code_ttl_seconds=1):
        with pytest.raises(plexctl.LoginExpired) as info:
            client.login(emu.domain_id, on_code=lambda auth: None)
    assert time.monotonic() - started < 5
    e = info.value
    # The code's lifetime ran out on the client's side, before the server said so.
    assert (e.kind, e.exit_code, e.status) == ("login_expired", 1, 0)
    assert not (tmp_path / "config.yaml").exists()


def test_a_cancelled_callable_stops_the_login(device: Emulator, tmp_path: Path) -> None:
    client = session_client(device, tmp_path / "config.yaml")
    auth = client.start_device_login(device.domain_id)
    asked = 0
    started = time.monotonic()

    def cancelled() -> bool:
        nonlocal asked
        asked += 1
        return time.monotonic() - started > 0.3

    with pytest.raises(plexctl.Cancelled) as info:
        client.complete_device_login(auth, cancelled=cancelled)
    assert time.monotonic() - started < 1.5
    assert asked > 1
    e = info.value
    assert (e.kind, e.exit_code) == ("cancelled", 1)
    assert not isinstance(e, plexctl.APIError)
    # Stopped, not spent: the same code can still be completed.
    assert device.device_session(auth.user_code)["status"] == "pending"
    assert not (tmp_path / "config.yaml").exists()

    # A threading.Event is the natural stop switch for a login running on another thread.
    stop = threading.Event()
    stop.set()
    with pytest.raises(plexctl.Cancelled):
        client.complete_device_login(auth, cancelled=stop.is_set)
    device.approve_device(auth.user_code)
    assert client.complete_device_login(auth, cancelled=lambda: False).profile == "default"


def interrupted_within(seconds: float, call: Callable[[], object]) -> None:
    """Sends Ctrl-C (SIGINT, as a terminal does) to this process after 0.3 s: `call` must end with
    KeyboardInterrupt within `seconds`."""
    # interrupt_main() does nothing while SIGINT is ignored (a test run started in the
    # background): Python's own handler, as an interactive program has it, for the duration.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call()
    finally:
        # A call that ended otherwise must not leave a Ctrl-C on its way to the test run.
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < seconds


def test_ctrl_c_stops_the_polling_with_keyboard_interrupt(device: Emulator, tmp_path: Path) -> None:
    client = session_client(device, tmp_path / "config.yaml")
    auth = client.start_device_login(device.domain_id)  # never approved
    interrupted_within(2, lambda: client.complete_device_login(auth))
    # Stopped between polls: the code is still pending, nothing was written.
    assert device.device_session(auth.user_code)["status"] == "pending"
    shown: list[str] = []
    interrupted_within(2, lambda: client.login(device.domain_id, on_code=lambda a: shown.append(a.user_code)))
    assert device.device_session(shown[0])["polls"] > 0
    # A cancelled() callable that never says stop does not hide Ctrl-C either.
    interrupted_within(2, lambda: client.complete_device_login(auth, cancelled=lambda: False))
    assert not (tmp_path / "config.yaml").exists()


def test_exceptions_of_the_callbacks_stop_the_login(device: Emulator, tmp_path: Path) -> None:
    client = session_client(device, tmp_path / "config.yaml")
    seen: list[str] = []

    def broken_ui(auth: plexctl.DeviceAuthorization) -> None:
        seen.append(auth.user_code)
        raise RuntimeError("no terminal")

    with pytest.raises(RuntimeError, match="no terminal"):
        client.login(device.domain_id, on_code=broken_ui)
    # The user was never shown the code, so it is never polled.
    assert device.device_session(seen[0])["polls"] == 0

    auth = client.start_device_login(device.domain_id)

    def broken_check() -> bool:
        raise LookupError("broken")

    with pytest.raises(LookupError, match="broken"):
        client.complete_device_login(auth, cancelled=broken_check)
    assert device.device_session(auth.user_code)["polls"] == 0


def test_the_default_on_code_prints_to_stderr(
    device: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = session_client(device, tmp_path / "config.yaml")

    class Terminal(io.StringIO):
        """sys.stderr, with a user who approves the code as soon as it is shown."""

        def write(self, s: str) -> int:
            found = re.search(r"enter the code ([A-Z2-7]{4}-[A-Z2-7]{4})", s)
            if found:
                device.approve_device(found.group(1))
            return super().write(s)

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    outcome = client.login(device.domain_id)
    assert outcome.profile == "default"
    printed = terminal.getvalue()
    assert re.fullmatch(
        r"To sign in, open \S+/device and enter the code \S+\n\(or open \S+/device\?user_code=\S+\)\n", printed
    ), printed


def test_status_without_credentials_sends_nothing(emu: Emulator, tmp_path: Path) -> None:
    before = emu.requests()
    status = session_client(emu, tmp_path / "config.yaml").status()
    assert (status.state, status.credential_source) == ("no_credentials", "none")
    assert status.server is not None and status.server.rstrip("/") == emu.url
    assert status.principal is None and status.token is None and status.expires_in is None
    assert "not logged in" in status.text()
    nothing = stored(tmp_path / "config.yaml").status()
    assert (nothing.state, nothing.server, nothing.profile) == ("no_credentials", None, None)
    assert nothing.to_dict()["state"] == "no_credentials"
    assert emu.requests() == before


def test_whoami_and_status_of_the_admin(client: plexctl.Client, emu: Emulator) -> None:
    who = client.whoami()
    assert who.principal_type == "user" and f"user:{who.subject}" == emu.admin_identity
    assert set(who.to_dict()) == {"principal_type", "subject", "domain_id", "email", "acr", "amr"}
    status = client.status()
    assert (status.state, status.credential_source, status.profile) == ("authenticated", "explicit", None)
    assert status.principal is not None and status.principal.subject == who.subject
    with pytest.raises(plexctl.MissingCredentialsError):
        plexctl.Client(emu.url, use_environment=False).whoami()


def test_a_login_that_cannot_be_saved_hands_over_the_token(device: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    (tmp_path / "config.yaml.lock").mkdir()  # the config file's lock cannot be taken
    client = session_client(device, config)
    with pytest.raises(plexctl.SessionNotSavedError) as info:
        client.login(device.domain_id, on_code=lambda auth: device.approve_device(auth.user_code))
    e = info.value
    assert (e.kind, e.exit_code, e.rotated) == ("session_not_saved", 1, None)
    assert isinstance(e.plaintext, plexctl.Secret)
    assert repr(e.plaintext) == "Secret('psk_prod_****')"
    assert e.plaintext.reveal() not in str(e)
    # The session is live on the server: the caller can still use (or store) it.
    who = plexctl.Client(device.url, token=e.plaintext, use_environment=False).whoami()
    assert f"user:{who.subject}" == device.admin_identity


def test_inputs_are_checked_before_the_wire(device: Emulator, tmp_path: Path) -> None:
    client = session_client(device, tmp_path / "config.yaml")
    auth = client.start_device_login(device.domain_id)
    before = device.requests()
    usage: list[tuple[Callable[[], object], str]] = [
        (lambda: client.login("not-a-uuid"), "domain_id"),
        (lambda: client.start_device_login(str(uuid.UUID(int=0))), "domain_id"),
        (lambda: client.start_device_login(device.domain_id, idp_binding_id="x"), "idp_binding_id"),
        (lambda: client.start_device_login(device.domain_id, idp_binding_alias=" "), "idp_binding_alias"),
        (
            lambda: client.start_device_login(device.domain_id, idp_binding_id=uuid.uuid4(), idp_binding_alias="github"),
            "idp_binding",
        ),
        (lambda: client.complete_device_login(auth, profile=" "), "profile"),
    ]
    for call, field in usage:
        with pytest.raises(plexctl.UsageError) as info:
            call()
        assert (info.value.field, info.value.exit_code) == (field, 2)
    wrong_types: list[Callable[[], object]] = [
        lambda: client.login(42),  # type: ignore[arg-type]
        lambda: client.login(device.domain_id, on_code="print"),  # type: ignore[arg-type]
        lambda: client.login(device.domain_id, cancelled=True),  # type: ignore[arg-type]
        lambda: client.complete_device_login("ABCD-EFGH"),  # type: ignore[arg-type]
        lambda: client.start_device_login(device.domain_id, idp_binding_id=7),  # type: ignore[arg-type]
    ]
    for bad in wrong_types:
        with pytest.raises(TypeError):
            bad()
    assert device.requests() == before
    # A login with no server to talk to says so before anything is sent.
    with pytest.raises(plexctl.MissingCredentialsError) as missing:
        stored(tmp_path / "none.yaml").start_device_login(device.domain_id)
    assert missing.value.what == "server"


def test_an_unknown_binding_is_an_api_error(device: Emulator, tmp_path: Path) -> None:
    client = session_client(device, tmp_path / "config.yaml")
    with pytest.raises(plexctl.APIError) as info:
        client.start_device_login(device.domain_id, idp_binding_alias="gitlab")
    assert (info.value.status, info.value.code) == (404, "idp_binding_not_found")


DEVICE_CODE = "dc_SECRET_5f1e6a9b0c7d4e2f8a3b1c6d9e0f2a4b"


class FakeDeviceServer(BaseHTTPRequestHandler):
    """A server whose device code the test knows: it answers the start, records each poll's body,
    and denies the poll with a Problem that quotes the device code back."""

    polls: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        base = f"http://{self.headers['Host']}"
        if self.path == "/v1/auth/device-code":
            answer: dict[str, Any] = {
                "device_code": DEVICE_CODE,
                "user_code": "WDJB-MJHT",
                "verification_uri": f"{base}/device",
                "verification_uri_complete": f"{base}/device?user_code=WDJB-MJHT",
                "expires_in": 600,
                "interval": 0,
            }
            self.reply(200, "application/json", answer)
        else:
            FakeDeviceServer.polls.append(body)
            problem = {"status": 400, "code": "access_denied", "detail": f"device code {DEVICE_CODE} was denied"}
            self.reply(400, "application/problem+json", problem)

    def reply(self, status: int, content_type: str, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's signature
        pass


def test_the_device_code_never_shows(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeDeviceServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        client = plexctl.Client(url, config_path=str(tmp_path / "c.yaml"), use_environment=False)
        auth = client.start_device_login(str(uuid.uuid4()))
        assert not hasattr(auth, "device_code")
        assert "device_code" not in dir(auth)
        d = auth.to_dict()
        assert set(d) == {
            "user_code", "verification_uri", "verification_uri_complete", "expires_in", "interval", "expires_at"
        }
        for shown in (repr(auth), str(auth), auth.text(), json.dumps(d)):
            assert DEVICE_CODE not in shown
        for refused in (pickle.dumps, copy.copy, copy.deepcopy):
            with pytest.raises(TypeError):
                refused(auth)
        with pytest.raises(AttributeError):
            auth.user_code = "X"  # type: ignore[misc]
        # The code is still inside, and polls with it; the server's echo of it is redacted.
        with pytest.raises(plexctl.AccessDenied) as info:
            client.complete_device_login(auth)
        assert FakeDeviceServer.polls == [{"device_code": DEVICE_CODE}]
        e = info.value
        assert DEVICE_CODE not in str(e) and DEVICE_CODE not in (e.detail or "")
    finally:
        server.shutdown()
        server.server_close()
