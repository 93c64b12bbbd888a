"""Service-token grants and ServiceTokenSource against the emulator."""

from __future__ import annotations

import datetime
import json
import threading
import traceback
import uuid

import pytest

import plexctl
from conftest import Emulator

SECRET = "s3cr3t-client-secret-value"
SUBJECT = "spiffe://plexsphere.test/ns/ci/sa/deployer"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture()
def ids(emu: Emulator) -> tuple[str, str]:
    """A client_credentials identity and a jwt-bearer identity, with fresh client ids."""
    cc, jwt = f"svc-cc-{uuid.uuid4().hex[:8]}", f"svc-jwt-{uuid.uuid4().hex[:8]}"
    emu.add_client_credentials_identity(cc, SECRET)
    emu.add_jwt_bearer_identity(jwt, SUBJECT)
    return cc, jwt


def anonymous(emu: Emulator) -> plexctl.Client:
    return plexctl.Client(emu.url, use_environment=False)


def test_client_credentials_mints_a_working_token(emu: Emulator, ids: tuple[str, str]) -> None:
    minted = anonymous(emu).mint_service_token(
        ids[0], "client_credentials", client_secret=plexctl.Secret(SECRET), scope="domain:read"
    )
    assert isinstance(minted, plexctl.ServiceToken)
    assert isinstance(minted.access_token, plexctl.Secret)
    assert minted.token_type == "Bearer"
    assert minted.expires_in > 0
    assert minted.scope == "domain:read"
    now = datetime.datetime.now(datetime.timezone.utc)
    assert minted.expires_at.tzinfo is not None
    assert now < minted.expires_at <= now + datetime.timedelta(seconds=minted.expires_in + 5)
    value = minted.access_token.reveal()
    for text in (repr(minted), str(minted), json.dumps(minted.to_dict(), default=str)):
        assert value not in text
    assert minted.to_dict()["access_token"] is minted.access_token
    emu.client(token=minted.access_token).list_tokens()


def test_jwt_bearer_mints_a_working_token(emu: Emulator, ids: tuple[str, str]) -> None:
    assertion = emu.sign_assertion(SUBJECT, aud=emu.audience or None)
    minted = anonymous(emu).mint_service_token(ids[1], JWT_BEARER, client_assertion=assertion)
    emu.client(token=minted.access_token).list_tokens()


def test_wrong_secret_is_an_api_error_without_the_secret(emu: Emulator, ids: tuple[str, str]) -> None:
    wrong = "hunter2-wrong-secret"
    with pytest.raises(plexctl.APIError) as info:
        anonymous(emu).mint_service_token(ids[0], "client_credentials", client_secret=wrong)
    e = info.value
    assert e.status == 401
    assert e.code == "invalid_client"
    assert e.exit_code == 1
    assert e.operation == "service token"
    text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    assert wrong not in text and wrong not in repr(e.__dict__)


def test_forged_assertion_is_refused(emu: Emulator, ids: tuple[str, str]) -> None:
    forged = emu.sign_assertion(SUBJECT, aud=emu.audience or None, forged=True)
    with pytest.raises(plexctl.APIError) as info:
        anonymous(emu).mint_service_token(ids[1], JWT_BEARER, client_assertion=plexctl.Secret(forged))
    assert info.value.status == 401
    assert info.value.exit_code == 1
    assert forged not in str(info.value)


def test_not_provisioned_is_exit_code_1(emu: Emulator, ids: tuple[str, str]) -> None:
    emu.config(jwt_bearer_provisioned=False)
    try:
        assertion = emu.sign_assertion(SUBJECT, aud=emu.audience or None)
        with pytest.raises(plexctl.APIError) as info:
            anonymous(emu).mint_service_token(ids[1], JWT_BEARER, client_assertion=assertion)
        assert info.value.status == 501
        assert info.value.exit_code == 1
        assert "not provisioned" in str(info.value)
        assert isinstance(info.value, plexctl.NotProvisioned) and info.value.kind == "not_provisioned"
    finally:
        emu.config(jwt_bearer_provisioned=True)


def test_flag_mismatch_sends_nothing(emu: Emulator, ids: tuple[str, str]) -> None:
    before = emu.requests()
    with pytest.raises(plexctl.GrantRefused) as info:
        anonymous(emu).mint_service_token(ids[1], JWT_BEARER, client_secret=SECRET)
    assert str(info.value) == f"--client-secret must not be set for grant_type={JWT_BEARER}"
    assert SECRET not in str(info.value)
    assert emu.requests() == before


def test_source_caches_and_refreshes(emu: Emulator, ids: tuple[str, str]) -> None:
    emu.config(service_token_ttl_seconds=4)
    try:
        source = plexctl.ServiceTokenSource(
            anonymous(emu), ids[0], "client_credentials", client_secret=SECRET, refresh_margin=1.0
        )
        assert repr(source) == f"ServiceTokenSource(client_id='{ids[0]}', grant_type='client_credentials')"
        before = emu.requests()
        first = source.token()
        assert isinstance(first, plexctl.Secret)
        assert source.token().reveal() == first.reveal()  # cached
        assert emu.requests() == before + 1
        source.invalidate()
        second = source.token()
        assert emu.requests() == before + 2
        emu.client(token=second).list_tokens()
    finally:
        emu.config(service_token_ttl_seconds=3600)


def test_source_threads_share_one_mint(emu: Emulator, ids: tuple[str, str]) -> None:
    source = plexctl.ServiceTokenSource(anonymous(emu), ids[0], "client_credentials", client_secret=SECRET)
    before = emu.requests()
    got: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        value = source.token().reveal()
        with lock:
            got.append(value)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and len(set(got)) == 1
    assert emu.requests() == before + 1


def test_source_errors_are_plexctl_errors(emu: Emulator, ids: tuple[str, str]) -> None:
    source = plexctl.ServiceTokenSource(anonymous(emu), ids[0], "client_credentials", client_secret="wrong")
    with pytest.raises(plexctl.APIError) as info:
        source.token()
    assert info.value.status == 401
    with pytest.raises(plexctl.UsageError):
        plexctl.ServiceTokenSource(anonymous(emu), ids[0], "client_credentials", client_secret=SECRET, refresh_margin=-1)


def test_a_source_with_a_timeout_mints_within_it_and_shares_the_cache(emu: Emulator, ids: tuple[str, str]) -> None:
    source = plexctl.ServiceTokenSource(anonymous(emu), ids[0], "client_credentials", client_secret=SECRET)
    quick = source.with_timeout(0.3)
    assert repr(quick) == repr(source)
    emu.fault({"kind": "latency", "ms": 1500})
    try:
        with pytest.raises(plexctl.TimeoutError) as info:
            quick.token()
        assert info.value.exit_code == 1
    finally:
        emu.clear_fault()
    minted = source.token().reveal()
    # The cache is shared: the quick source hands out what the other one minted, sending nothing.
    before = emu.requests()
    assert quick.token().reveal() == minted
    assert emu.requests() == before
