"""The API-token family against the emulator: issue, list, delete, rotate, and their errors."""

from __future__ import annotations

import datetime
import json
import logging
import pickle
import threading
import traceback
import uuid

import pytest

import plexctl
from conftest import Emulator

ENV = "dev"


def identity(emu: Emulator) -> str:
    return emu.admin_identity


def assert_masked(text: str, secret: plexctl.Secret) -> None:
    value = secret.reveal()
    assert value not in text, text
    # Not even the secret half of a psk plaintext.
    assert value[-22:] not in text, text


def test_issue_returns_typed_fields_and_a_masked_secret(client: plexctl.Client, emu: Emulator) -> None:
    issued = client.issue_token(identity(emu), ENV, ttl="1h")
    assert isinstance(issued, plexctl.IssuedToken)
    assert isinstance(issued.id, uuid.UUID)
    assert isinstance(issued.plaintext, plexctl.Secret)
    assert issued.plaintext.reveal().startswith("psk_dev_")
    assert issued.env_prefix == ENV
    assert isinstance(issued.expires_at, datetime.datetime)
    assert issued.expires_at.tzinfo is not None
    assert issued.expires_at.utcoffset() == datetime.timedelta(0)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert now < issued.expires_at <= now + datetime.timedelta(hours=1, minutes=5)
    # The same Secret object each time, so wiping it is effective.
    assert issued.plaintext is issued.plaintext
    r = repr(issued)
    assert r.startswith(f"IssuedToken(id='{issued.id}', plaintext=Secret('psk_dev_****')")
    assert_masked(r, issued.plaintext)
    assert_masked(str(issued), issued.plaintext)


def test_issue_to_dict_keeps_the_secret_a_secret(client: plexctl.Client, emu: Emulator) -> None:
    issued = client.issue_token(identity(emu), ENV)
    d = issued.to_dict()
    assert d["id"] == str(issued.id)
    assert d["plaintext"] is issued.plaintext
    assert d["env_prefix"] == ENV
    assert datetime.datetime.fromisoformat(d["expires_at"].replace("Z", "+00:00")) == issued.expires_at
    with pytest.raises(TypeError):
        json.dumps(d)
    text = json.dumps(d, default=str)
    assert '"plaintext": "psk_dev_****"' in text
    assert_masked(text, issued.plaintext)


def test_issued_plaintext_authenticates(client: plexctl.Client, emu: Emulator) -> None:
    issued = client.issue_token(identity(emu), ENV)
    own = emu.client(token=issued.plaintext)
    assert issued.id in {t.id for t in own.list_tokens()}


@pytest.mark.parametrize("ttl", ["90m", 5400, datetime.timedelta(minutes=90)])
def test_ttl_forms(client: plexctl.Client, emu: Emulator, ttl: str | int | datetime.timedelta) -> None:
    issued = client.issue_token(identity(emu), ENV, ttl=ttl)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert now + datetime.timedelta(minutes=85) < issued.expires_at
    assert issued.expires_at <= now + datetime.timedelta(minutes=95)


def test_bad_ttl_values_send_nothing(client: plexctl.Client, emu: Emulator) -> None:
    before = emu.requests()
    for ttl in ("soon", "500ms", 0, -1, datetime.timedelta(seconds=1.5)):
        with pytest.raises(plexctl.UsageError) as info:
            client.issue_token(identity(emu), ENV, ttl=ttl)
        assert info.value.field == "ttl"
    with pytest.raises(TypeError):
        client.issue_token(identity(emu), ENV, ttl=True)
    assert emu.requests() == before


def test_list_returns_summaries_without_plaintexts(client: plexctl.Client, emu: Emulator) -> None:
    issued = client.issue_token(identity(emu), ENV)
    tokens = client.list_tokens()
    assert isinstance(tokens, list)
    (summary,) = [t for t in tokens if t.id == issued.id]
    assert isinstance(summary, plexctl.TokenSummary)
    assert summary.env_prefix == ENV
    assert summary.created_at.tzinfo is not None
    assert summary.expires_at == issued.expires_at
    assert summary.rotated_at is None
    assert summary.last_used_at is None or summary.last_used_at.tzinfo is not None
    d = summary.to_dict()
    assert json.loads(json.dumps(d))["id"] == str(issued.id)
    assert set(d) == {"id", "env_prefix", "created_at", "expires_at", "last_used_at", "rotated_at"}
    assert repr(summary).startswith(f"TokenSummary(id='{issued.id}', env_prefix='dev', created_at='")


def test_rotate_returns_a_new_plaintext_and_the_deadline(client: plexctl.Client, emu: Emulator) -> None:
    issued = client.issue_token(identity(emu), ENV)
    rotated = client.rotate_token(issued.id)
    assert isinstance(rotated, plexctl.RotatedToken)
    assert rotated.id == issued.id
    assert rotated.plaintext.reveal() != issued.plaintext.reveal()
    assert rotated.plaintext.reveal().startswith("psk_dev_")
    assert rotated.rotation_deadline.tzinfo is not None
    assert rotated.sunset is not None
    assert rotated.sunset_agrees
    assert int(rotated.sunset.timestamp()) == int(rotated.rotation_deadline.timestamp())
    # Both plaintexts authenticate until the deadline.
    emu.client(token=rotated.plaintext).list_tokens()
    emu.client(token=issued.plaintext).list_tokens()
    d = rotated.to_dict()
    assert d["plaintext"] is rotated.plaintext
    assert set(d) == {"id", "plaintext", "env_prefix", "expires_at", "rotation_deadline", "sunset"}
    assert_masked(repr(rotated), rotated.plaintext)
    (summary,) = [t for t in client.list_tokens() if t.id == issued.id]
    assert summary.rotated_at is not None


def test_ids_may_be_uuid_objects_or_strings(client: plexctl.Client, emu: Emulator) -> None:
    a = client.issue_token(identity(emu), ENV)
    b = client.issue_token(identity(emu), ENV)
    client.rotate_token(str(a.id))
    client.delete_token(a.id)
    client.delete_token(str(b.id))
    ids = {t.id for t in client.list_tokens()}
    assert a.id not in ids and b.id not in ids
    with pytest.raises(TypeError):
        client.delete_token(42)  # type: ignore[arg-type]


def test_delete_revokes_at_once(client: plexctl.Client, emu: Emulator) -> None:
    issued = client.issue_token(identity(emu), ENV)
    client.delete_token(issued.id)
    assert issued.id not in {t.id for t in client.list_tokens()}
    with pytest.raises(plexctl.APIError) as info:
        emu.client(token=issued.plaintext).list_tokens()
    e = info.value
    assert e.status == 401
    assert e.exit_code == 1
    assert type(e) is plexctl.APIError
    assert_masked(str(e), issued.plaintext)
    assert_masked(repr(e), issued.plaintext)


def test_delete_unknown_token_is_a_plain_api_error(client: plexctl.Client) -> None:
    with pytest.raises(plexctl.APIError) as info:
        client.delete_token(uuid.uuid4())
    assert info.value.status == 404
    assert info.value.exit_code == 1
    assert not isinstance(info.value, plexctl.NodeNotFound)
    assert info.value.operation == "delete token"


def test_secret_never_leaks_into_errors_tracebacks_logs_or_pickles(
    client: plexctl.Client, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    issued = client.issue_token(identity(emu), ENV)
    client.delete_token(issued.id)

    def use_revoked(token: plexctl.Secret) -> None:
        held = issued  # noqa: F841 - a local holding a result with a secret
        emu.client(token=token).list_tokens()

    try:
        use_revoked(issued.plaintext)
    except plexctl.Error as e:
        err = e
        with_locals = "".join(traceback.TracebackException.from_exception(e, capture_locals=True).format())
        plain = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    else:  # pragma: no cover
        pytest.fail("a revoked token authenticated")
    for text in (str(err), repr(err), with_locals, plain, repr(err.__dict__)):
        assert_masked(text, issued.plaintext)
    assert "Secret('psk_dev_****')" in with_locals

    with caplog.at_level(logging.DEBUG):
        logging.getLogger("app").error("failed: %s %r %r", err, err, issued)
        logging.getLogger("app").exception("with exc_info", exc_info=err)
    assert_masked(caplog.text, issued.plaintext)

    for obj in (issued, issued.plaintext):
        with pytest.raises(TypeError) as pinfo:
            pickle.dumps(obj)
        assert_masked(str(pinfo.value), issued.plaintext)
    # Errors pickle (they hold no secret) and keep their fields.
    again = pickle.loads(pickle.dumps(err))
    assert isinstance(again, plexctl.APIError)
    assert (again.status, again.exit_code) == (401, 1)


def test_many_threads_share_one_client(client: plexctl.Client, emu: Emulator) -> None:
    n, per = 8, 5
    ids: list[uuid.UUID] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            for _ in range(per):
                t = client.issue_token(identity(emu), ENV)
                client.list_tokens()
                with t.plaintext:
                    pass
                with lock:
                    ids.append(t.id)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(set(ids)) == n * per
