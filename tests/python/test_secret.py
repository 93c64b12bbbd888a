"""plexctl.Secret: masking, the explicit ways out, wiping, and no pickling or copying."""

from __future__ import annotations

import copy
import gc
import io
import logging
import pickle
import traceback
import weakref

import pytest

import plexctl

PLAINTEXT = "psk_prod_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"
NEEDLE = "0123456789abcdefghij"


def test_repr_and_str_are_masked() -> None:
    s = plexctl.Secret(PLAINTEXT)
    assert repr(s) == "Secret('psk_prod_****')"
    assert str(s) == "psk_prod_****"
    assert f"{s}" == "psk_prod_****"
    assert "%s %r" % (s, s) == "psk_prod_**** Secret('psk_prod_****')"
    other = plexctl.Secret("hunter2")
    assert str(other) == "****"
    assert "hunter2" not in repr(other)


def test_reveal_is_the_way_out() -> None:
    s = plexctl.Secret(PLAINTEXT)
    assert s.reveal() == PLAINTEXT
    b = s.reveal_bytes()
    assert isinstance(b, bytearray)
    assert bytes(b) == PLAINTEXT.encode()
    b[:] = bytes(len(b))  # the caller can clear its copy
    assert s.reveal() == PLAINTEXT


def test_constructed_from_bytes_and_bytearray_and_secret() -> None:
    assert plexctl.Secret(PLAINTEXT.encode()).reveal() == PLAINTEXT
    ba = bytearray(PLAINTEXT.encode())
    s = plexctl.Secret(ba)
    ba[:] = bytes(len(ba))
    assert s.reveal() == PLAINTEXT
    assert plexctl.Secret(s).reveal() == PLAINTEXT
    with pytest.raises(plexctl.UsageError):
        plexctl.Secret(b"\xff\xfe")
    with pytest.raises(TypeError):
        plexctl.Secret(42)  # type: ignore[arg-type]


def test_context_manager_wipes_on_exit() -> None:
    with plexctl.Secret(PLAINTEXT) as s:
        assert s.reveal() == PLAINTEXT
        assert not s.wiped
    assert s.wiped
    assert repr(s) == "Secret('<wiped>')"
    assert str(s) == "<wiped>"
    with pytest.raises(plexctl.UsageError) as info:
        s.reveal()
    assert info.value.exit_code == 2
    with pytest.raises(plexctl.UsageError):
        s.reveal_bytes()


def test_context_manager_wipes_when_the_block_raises() -> None:
    s = plexctl.Secret(PLAINTEXT)
    with pytest.raises(RuntimeError):
        with s:
            raise RuntimeError("boom")
    assert s.wiped


def test_wipe_is_idempotent_and_a_wiped_secret_is_refused_as_input() -> None:
    s = plexctl.Secret(PLAINTEXT)
    s.wipe()
    s.wipe()
    assert s.wiped
    with pytest.raises(plexctl.UsageError) as info:
        plexctl.Client("http://127.0.0.1:9", token=s, use_environment=False)
    assert info.value.field == "token"
    assert info.value.exit_code == 2


def test_collected_secret_is_freed() -> None:
    # The Rust buffer is zeroized by its Drop when Python frees the object; the library keeps no
    # hidden reference, so dropping the last one frees it (and so wipes it).
    s = plexctl.Secret(PLAINTEXT)
    ref = weakref.ref(s)
    del s
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("attempt", [pickle.dumps, copy.copy, copy.deepcopy])
def test_no_pickling_or_copying(attempt: object) -> None:
    s = plexctl.Secret(PLAINTEXT)
    with pytest.raises(TypeError) as info:
        attempt(s)  # type: ignore[operator]
    assert NEEDLE not in str(info.value)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError):
            pickle.dumps(s, protocol=protocol)


def test_no_equality_or_hash_over_the_value() -> None:
    a = plexctl.Secret(PLAINTEXT)
    b = plexctl.Secret(PLAINTEXT)
    assert a != b  # identity only: comparing secrets is a timing side channel
    assert a == a
    assert hash(a) != hash(b) or a is b


def test_logging_never_shows_the_value() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log = logging.getLogger("plexctl-test-secret")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        s = plexctl.Secret(PLAINTEXT)
        log.info("secret %s %r", s, s)
        log.info("dict %s", {"token": s})
        log.info("list %r", [s])
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert NEEDLE not in out
    assert "psk_prod_****" in out


def _fail_with_a_secret_in_locals(secret: plexctl.Secret) -> None:
    token = secret  # noqa: F841 - the local a traceback would show
    raise RuntimeError("failed while holding a secret")


def test_traceback_locals_are_masked() -> None:
    s = plexctl.Secret(PLAINTEXT)
    try:
        _fail_with_a_secret_in_locals(s)
    except RuntimeError as e:
        te = traceback.TracebackException.from_exception(e, capture_locals=True)
        text = "".join(te.format())
        plain = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    assert "token = Secret('psk_prod_****')" in text
    assert NEEDLE not in text
    assert NEEDLE not in plain
