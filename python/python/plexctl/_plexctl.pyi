"""Type stubs for the private Rust extension ``plexctl._plexctl``; import from ``plexctl``."""

import datetime
import os
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal, NoReturn, final

from typing_extensions import Self

from plexctl.errors import Error

__version__: str
__all__ = [
    "Client",
    "DeviceAuthorization",
    "IssuedToken",
    "LoginOutcome",
    "LogoutOutcome",
    "RotatedToken",
    "RotationImpactEdge",
    "RotationPreview",
    "RotationTrigger",
    "Secret",
    "ServiceToken",
    "ServiceTokenSource",
    "Status",
    "TokenSummary",
    "Whoami",
    "__version__",
]

_SecretInput = str | bytes | bytearray | Secret
_Path = str | os.PathLike[str]
_Id = str | uuid.UUID

@final
class Secret:
    """A secret value kept in a Rust buffer that is wiped on ``wipe()``, on leaving a ``with``
    block, and when the object is collected. ``repr()``/``str()`` are masked (``psk_prod_****``).

    Not picklable or copyable; no ``==``/``hash()`` over the value (identity only).
    """

    def __new__(cls, value: str | bytes | bytearray | Secret) -> Self:
        """Wraps ``value``. A ``str``/``bytes`` argument stays in Python's memory as well."""
    def reveal(self) -> str:
        """The value as a ``str``: a Python copy the library cannot wipe. Raises ``UsageError``
        once wiped."""
    def reveal_bytes(self) -> bytearray:
        """The value as a new UTF-8 ``bytearray`` the caller can clear."""
    def wipe(self) -> None:
        """Wipes the value now (idempotent)."""
    @property
    def wiped(self) -> bool:
        """Whether the value has been wiped."""
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        _exc_type: type[BaseException] | None = None,
        _exc_value: BaseException | None = None,
        _traceback: TracebackType | None = None,
    ) -> bool: ...
    def __reduce__(self) -> NoReturn: ...
    def __reduce_ex__(self, _protocol: Any, /) -> NoReturn: ...  # type: ignore[override]
    def __getstate__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class Client:
    """A client for the plexsphere v1 API: immutable, thread-safe, one connection pool.

    Credentials resolve in this order, first match wins: ``token`` → ``token_file`` →
    ``PLEXSPHERE_TOKEN`` → the selected profile; ``server`` → ``PLEXSPHERE_URL`` → the profile's
    server. Timeouts are in seconds.
    """

    def __new__(
        cls,
        server: str | None = None,
        *,
        token: _SecretInput | None = None,
        token_file: _Path | None = None,
        profile: str | None = None,
        config_path: _Path | None = None,
        use_environment: bool = True,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        ca_bundle: _Path | None = None,
        ca_bundle_pem: bytes | None = None,
        user_agent: str | None = None,
        allow_insecure_http: bool = False,
        max_response_bytes: int | None = None,
        retries: int | None = None,
        proxy: str | None = None,
        no_proxy: bool = False,
    ) -> Self: ...
    def with_timeout(self, timeout: float) -> Client:
        """A client on the same connection pool, credentials and settings whose calls each end
        within ``timeout`` seconds."""
    @property
    def timeout(self) -> float:
        """The deadline of one call on this client, in seconds."""
    @property
    def server(self) -> str | None:
        """The resolved server URL, or ``None``."""
    @property
    def credential_source(self) -> str:
        """``"explicit"``, ``"token_file"``, ``"environment"``, ``"profile"`` or ``"none"``."""
    def issue_token(
        self,
        identity_ref: str,
        env_prefix: str,
        ttl: str | int | datetime.timedelta | None = None,
    ) -> IssuedToken:
        """Issues an API token; ``identity_ref`` is ``user:<uuid>`` or ``service:<uuid>``,
        ``env_prefix`` ``dev``/``stage``/``prod``, ``ttl`` e.g. ``"24h"`` or seconds."""
    def list_tokens(self) -> list[TokenSummary]:
        """Lists the caller's tokens (never with a plaintext)."""
    def delete_token(self, id: str | uuid.UUID) -> None:
        """Revokes a token at once."""
    def rotate_token(self, id: str | uuid.UUID) -> RotatedToken:
        """Rotates a token: the new plaintext, shown exactly once."""
    def mint_service_token(
        self,
        client_id: str,
        grant_type: str,
        *,
        client_secret: _SecretInput | None = None,
        client_assertion: _SecretInput | None = None,
        scope: str | None = None,
    ) -> ServiceToken:
        """Mints a service access token (``client_credentials`` or
        ``urn:ietf:params:oauth:grant-type:jwt-bearer``); needs no bearer token."""
    def rotate_node_keys(self, node_id: str | uuid.UUID) -> RotationTrigger:
        """Triggers a mesh-key rotation for a Node (``already_pending`` if one is in flight)."""
    def preview_node_key_rotation(self, node_id: str | uuid.UUID) -> RotationPreview:
        """Previews a Node's mesh-key rotation; changes nothing."""
    def store_session(
        self, profile: str, server: str, token: _SecretInput, *, make_default: bool = False
    ) -> None:
        """Saves server and token under profile in the config file (what a login calls)."""
    def logout(self) -> LogoutOutcome:
        """Revokes the active profile's token, then clears the profile; no session is a no-op."""
    def rotate_session(self) -> RotatedToken:
        """Rotates the active profile's token and saves the new plaintext before returning."""
    def login(
        self,
        domain: _Id,
        *,
        profile: str = "default",
        make_default: bool = False,
        idp_binding_id: _Id | None = None,
        idp_binding_alias: str | None = None,
        on_code: Callable[[DeviceAuthorization], object] | None = None,
        cancelled: Callable[[], object] | None = None,
    ) -> LoginOutcome:
        """Device-code login in one call: shows the code (``on_code``, default: ``auth.text()``
        to stderr), polls until approved, saves the session under ``profile``. Ctrl-C raises
        ``KeyboardInterrupt``; a true ``cancelled()`` raises ``Cancelled``."""
    def start_device_login(
        self,
        domain: _Id,
        *,
        idp_binding_id: _Id | None = None,
        idp_binding_alias: str | None = None,
    ) -> DeviceAuthorization:
        """Starts a device login; show the result's ``text()``, then ``complete_device_login``."""
    def complete_device_login(
        self,
        auth: DeviceAuthorization,
        *,
        profile: str = "default",
        make_default: bool = False,
        cancelled: Callable[[], object] | None = None,
    ) -> LoginOutcome:
        """Polls until the user approves, then saves the session under ``profile``."""
    def whoami(self) -> Whoami:
        """Who the client's token authenticates as."""
    def status(self) -> Status:
        """The server, the credential's source, whether it authenticates and who as; no
        credential and a refused token are states, not errors."""

@final
class IssuedToken:
    """A freshly issued API token; ``plaintext`` is shown exactly once."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def plaintext(self) -> Secret: ...
    @property
    def env_prefix(self) -> str: ...
    @property
    def expires_at(self) -> datetime.datetime: ...
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ids and times as strings); ``plaintext`` stays a ``Secret``."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class TokenSummary:
    """A token's summary, as listed; never carries a plaintext."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def env_prefix(self) -> str: ...
    @property
    def created_at(self) -> datetime.datetime: ...
    @property
    def expires_at(self) -> datetime.datetime: ...
    @property
    def last_used_at(self) -> datetime.datetime | None: ...
    @property
    def rotated_at(self) -> datetime.datetime | None: ...
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ids and times as strings)."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class RotatedToken:
    """A rotated token: the new plaintext (shown once) and the rotated-from token's deadline."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def plaintext(self) -> Secret: ...
    @property
    def env_prefix(self) -> str: ...
    @property
    def expires_at(self) -> datetime.datetime: ...
    @property
    def rotation_deadline(self) -> datetime.datetime: ...
    @property
    def sunset(self) -> datetime.datetime | None: ...
    @property
    def sunset_agrees(self) -> bool: ...
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ids and times as strings); ``plaintext`` stays a ``Secret``."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class ServiceToken:
    """A minted service access token."""

    @property
    def access_token(self) -> Secret: ...
    @property
    def token_type(self) -> str: ...
    @property
    def expires_in(self) -> int: ...
    @property
    def scope(self) -> str | None: ...
    @property
    def expires_at(self) -> datetime.datetime: ...
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times as strings); ``access_token`` stays a ``Secret``."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class ServiceTokenSource:
    """Keeps one service access token fresh; thread-safe, concurrent callers share one mint."""

    def __new__(
        cls,
        client: Client,
        client_id: str,
        grant_type: str,
        *,
        client_secret: _SecretInput | None = None,
        client_assertion: _SecretInput | None = None,
        scope: str | None = None,
        refresh_margin: float | None = None,
    ) -> Self: ...
    def token(self) -> Secret:
        """The cached access token, or a freshly minted one near expiry."""
    def with_timeout(self, timeout: float) -> ServiceTokenSource:
        """A source sharing this one's cached token whose mints each end within ``timeout``
        seconds."""
    def invalidate(self) -> None:
        """Forgets the cached token so the next ``token()`` mints."""

@final
class RotationTrigger:
    """The handle a key-rotate trigger returns."""

    @property
    def rotation_id(self) -> uuid.UUID | None: ...
    @property
    def peer_id(self) -> uuid.UUID | None: ...
    @property
    def already_pending(self) -> bool: ...
    @property
    def node_id(self) -> uuid.UUID | None: ...
    @property
    def state(self) -> str | None: ...
    @property
    def requested_at(self) -> datetime.datetime | None: ...
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ids and times as strings)."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class RotationImpactEdge:
    """One peer edge whose pairwise PSK a rotation would re-issue."""

    @property
    def peer_node_id(self) -> uuid.UUID: ...
    @property
    def current_kid(self) -> str: ...
    @property
    def current_wrap_key_version(self) -> int: ...
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class RotationPreview:
    """The impact a key rotation would have."""

    @property
    def node_id(self) -> uuid.UUID: ...
    @property
    def peer_id(self) -> uuid.UUID: ...
    @property
    def affected_peer_count(self) -> int: ...
    @property
    def affected_edges(self) -> tuple[RotationImpactEdge, ...]: ...
    @property
    def already_pending(self) -> bool: ...
    @property
    def estimated_duration_seconds(self) -> int: ...
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ids as strings, edges as dicts)."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class LogoutOutcome:
    """What ``Client.logout()`` did."""

    @property
    def profile(self) -> str | None: ...
    @property
    def server(self) -> str | None: ...
    @property
    def revoked(self) -> bool: ...
    @property
    def had_session(self) -> bool: ...
    def text(self) -> str:
        """The line plexctl prints."""
    def to_dict(self) -> dict[str, Any]:
        """The JSON summary: profile, server, revoked."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class DeviceAuthorization:
    """A started device login: what to show the user. The device code stays inside (never an
    attribute, never in ``repr()``/``to_dict()``)."""

    @property
    def user_code(self) -> str: ...
    @property
    def verification_uri(self) -> str: ...
    @property
    def verification_uri_complete(self) -> str: ...
    @property
    def expires_in(self) -> int: ...
    @property
    def interval(self) -> int: ...
    @property
    def expires_at(self) -> datetime.datetime: ...
    def text(self) -> str:
        """Where to go and which code to enter."""
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times as strings), without the device code."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class LoginOutcome:
    """What a completed login stored."""

    @property
    def profile(self) -> str: ...
    @property
    def server(self) -> str: ...
    @property
    def token_id(self) -> uuid.UUID | None: ...
    @property
    def expires_at(self) -> datetime.datetime: ...
    def text(self) -> str:
        """The line plexctl prints."""
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ids and times as strings)."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class Whoami:
    """The principal a token authenticates as."""

    @property
    def principal_type(self) -> Literal["user", "service"]: ...
    @property
    def subject(self) -> str: ...
    @property
    def domain_id(self) -> uuid.UUID | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def acr(self) -> str | None: ...
    @property
    def amr(self) -> tuple[str, ...]: ...
    def text(self) -> str:
        """The principal in one line."""
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ids as strings)."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

@final
class Status:
    """What ``Client.status()`` found."""

    @property
    def server(self) -> str | None: ...
    @property
    def credential_source(self) -> str: ...
    @property
    def profile(self) -> str | None: ...
    @property
    def state(self) -> Literal["authenticated", "no_credentials", "rejected"]: ...
    @property
    def principal(self) -> Whoami | None: ...
    @property
    def token(self) -> TokenSummary | None: ...
    @property
    def rejection(self) -> str | None: ...
    @property
    def expires_in(self) -> datetime.timedelta | None:
        """Until the token expires, from now (negative once past); ``None`` when unknown."""
    def text(self) -> str:
        """The lines plexctl prints."""
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ids and times as strings, nested results as dicts)."""
    def __reduce__(self) -> NoReturn: ...
    def __copy__(self) -> NoReturn: ...
    def __deepcopy__(self, _memo: Any, /) -> NoReturn: ...

def _error_kinds() -> list[tuple[str, int, type[Error]]]:
    """Every error kind of the core as ``(name, exit_code, class)``: the kind → class table."""
