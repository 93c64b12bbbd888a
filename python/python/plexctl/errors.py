"""The exceptions plexctl raises.

Every one derives from :class:`Error`, so ``except plexctl.Error`` catches everything the library
raises. The Rust core decides what an error means and what a program exits with; this module only
names the meanings. Each exception carries:

- ``kind``: the core's error kind, a stable snake_case name a program can branch on
  (``"usage"``, ``"rebac_denied"``, ...); the class is chosen by it, one class per kind;
- ``exit_code``: the core's exit code for that kind (0 ok, 1 runtime, 2 usage, 3 credentials,
  4 denied / not found, 77 key-rotate ReBAC denial): a CLI can ``sys.exit(err.exit_code)``.

::

    class                                   kind                 exit_code
    Error                                   (base of all)
    ├── UsageError (also ValueError)        usage                2   nothing was sent (.field)
    ├── GrantRefused (also ValueError)      refused              1   service-grant flag mismatch
    ├── CredentialsError                    (group)
    │   ├── MissingCredentialsError         missing_credentials  3   no token / server (.what)
    │   ├── InsecureTransportError          insecure_transport   3   http:// to a non-loopback host
    │   └── InsecureConfigError             insecure_config      3   config file wider than 0600
    ├── ConfigError                         config               1   config file unreadable/unwritable
    ├── SetupError                          setup                1   bad CA bundle, TLS set-up
    ├── TransportError                      transport            1   connection failed or dropped
    │   └── TimeoutError                    timeout              1   the call's deadline passed
    ├── ResponseError                       decode               1   a 2xx body that does not parse
    │                                                                (.plaintext, .token_id when an
    │                                                                issue/rotate answer held one)
    ├── SessionNotSavedError                session_not_saved    1   rotated but not saved (.rotated)
    ├── InternalError                       internal             1   a bug: the library panicked
    ├── Cancelled                           cancelled            1   the caller stopped a login
    └── APIError                            api                  1   any other non-2xx (.status, ...)
        ├── PermissionDenied                permission_denied    4   403 on tokens / grants / logout
        │   └── RebacDenied                 rebac_denied         77  403 on key rotate
        ├── NodeNotFound                    node_not_found       4   key rotate: 404 node_not_found
        ├── AccessDenied                    access_denied        4   device login: the user denied it
        ├── LoginExpired                    login_expired        1   device login: the code expired
        └── NotProvisioned                  not_provisioned      1   501: not provisioned

The kind → class table lives in the extension (``python/src/errors.rs``); the exit codes in the
core. ``plexctl.TimeoutError`` is this library's, not the builtin ``TimeoutError``.

Constructors: ``Cls(message, *, kind, exit_code, operation=None, <the class's own fields>)``.
``kind`` and ``exit_code`` are required keywords with no defaults, because the library always
passes the core's; code that raises a plexctl error itself (a test double, say) passes them too.
The messages come from the core's ``Display`` and never contain a secret. These are plain Python
classes (the Rust extension raises them), so they pickle and subclass like any exception.
"""

from __future__ import annotations

# The names below are for type checkers only (annotations are strings here): importing `typing`
# at run time was most of `import plexctl` (~9 of ~11 ms, it pulls in `re` and more).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Sequence

__all__ = [
    "Error",
    "UsageError",
    "GrantRefused",
    "CredentialsError",
    "MissingCredentialsError",
    "InsecureTransportError",
    "InsecureConfigError",
    "ConfigError",
    "SetupError",
    "TransportError",
    "TimeoutError",
    "ResponseError",
    "APIError",
    "PermissionDenied",
    "RebacDenied",
    "NodeNotFound",
    "NotProvisioned",
    "SessionNotSavedError",
    "InternalError",
    "AccessDenied",
    "LoginExpired",
    "Cancelled",
]


class Error(Exception):
    """Base class of every plexctl error.

    ``kind`` is the core's error kind (a snake_case name), ``exit_code`` the core's exit code for
    it, ``operation`` the API operation that failed (``"issue token"``, ``"key rotate"``, ...) or
    ``None`` when the error came before any operation.
    """

    kind: str
    exit_code: int
    operation: Optional[str]

    def __init__(self, message: str, *, kind: str, exit_code: int, operation: Optional[str] = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.exit_code = exit_code
        self.operation = operation

    @property
    def message(self) -> str:
        """The error message (the same as ``str(err)``)."""
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[Any, ...]:
        # The fields are keyword-only, so unpickling must not call __init__ with the message
        # alone: rebuild the bare exception, then restore its attributes.
        return (_rebuild, (type(self), self.args), self.__dict__)


def _rebuild(cls: type[Error], args: tuple[Any, ...]) -> Error:
    """Unpickles an error without calling ``__init__``; pickle then restores its attributes."""
    return cls.__new__(cls, *args)


class UsageError(Error, ValueError):
    """A required input is missing or malformed (kind ``usage``); no request was sent.

    ``field`` names the input in the API's words (``identity_ref``, ``env_prefix``, ``ttl``,
    ``id``, ``node_id``, ``grant_type``, ...) when the core knows it.
    """

    field: Optional[str]

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        exit_code: int,
        operation: Optional[str] = None,
        field: Optional[str] = None,
    ) -> None:
        super().__init__(message, kind=kind, exit_code=exit_code, operation=operation)
        self.field = field


class GrantRefused(Error, ValueError):
    """The service-token grant's inputs do not fit its grant type (kind ``refused``).

    A client secret with jwt-bearer, an assertion with client_credentials, both, or neither.
    Nothing was sent.
    """


class CredentialsError(Error):
    """Missing or insecure credentials or configuration: the group of the three kinds below."""


class MissingCredentialsError(CredentialsError):
    """No token (or no server) could be resolved (kind ``missing_credentials``); ``what`` is
    ``"token"`` or ``"server"``."""

    what: Optional[str]

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        exit_code: int,
        operation: Optional[str] = None,
        what: Optional[str] = None,
    ) -> None:
        super().__init__(message, kind=kind, exit_code=exit_code, operation=operation)
        self.what = what


class InsecureTransportError(CredentialsError):
    """Plain ``http://`` to a host that is not loopback, without ``allow_insecure_http=True``
    (kind ``insecure_transport``)."""


class InsecureConfigError(CredentialsError):
    """The config file is readable or writable by others than its owner; it was not read (kind
    ``insecure_config``)."""


class ConfigError(Error):
    """The config file could not be read, parsed, locked or written (kind ``config``)."""


class SetupError(Error):
    """The client could not be configured: an unreadable or invalid CA bundle, TLS set-up (kind
    ``setup``)."""


class TransportError(Error):
    """The request did not complete: connection refused or dropped, TLS failure (kind
    ``transport``), or a timeout (:class:`TimeoutError`, kind ``timeout``).

    ``timeout`` is true when a timeout expired.
    """

    timeout: bool

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        exit_code: int,
        operation: Optional[str] = None,
        timeout: bool = False,
    ) -> None:
        super().__init__(message, kind=kind, exit_code=exit_code, operation=operation)
        self.timeout = timeout


class TimeoutError(TransportError):  # noqa: A001 - plexctl.TimeoutError, named for its kind
    """The call's deadline passed before the answer was complete (kind ``timeout``).

    Not the builtin ``TimeoutError``: catch ``plexctl.TimeoutError`` (or ``plexctl.TransportError``).
    """


class ResponseError(Error):
    """A 2xx answer whose body does not have the documented shape, or exceeds the size cap (kind
    ``decode``).

    An issue or rotate answer that held the new plaintext but was otherwise malformed still minted
    a live token on the server: ``plaintext`` is then that plaintext (a masked
    :class:`plexctl.Secret`; store or show it) and ``token_id`` its id when readable; both are
    ``None`` otherwise. ``Client.rotate_session()`` has already written it into the profile.
    """

    plaintext: Any
    token_id: Any

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        exit_code: int,
        operation: Optional[str] = None,
        plaintext: Any = None,
        token_id: Any = None,
    ) -> None:
        super().__init__(message, kind=kind, exit_code=exit_code, operation=operation)
        self.plaintext = plaintext
        self.token_id = token_id


class APIError(Error):
    """The server answered with a non-2xx status (kind ``api``, or a subclass's kind).

    The fields come from the RFC 9457 problem body when there was one (``None`` otherwise);
    ``body_excerpt`` describes a body that was not a problem (a proxy's HTML 502, say).
    """

    status: int
    code: Optional[str]
    title: Optional[str]
    detail: Optional[str]
    problem_type: Optional[str]
    instance: Optional[str]
    correlation_id: Optional[str]
    reason: Optional[str]
    relation_path: Sequence[str]
    body_excerpt: Optional[str]

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        exit_code: int,
        operation: Optional[str] = None,
        status: int = 0,
        code: Optional[str] = None,
        title: Optional[str] = None,
        detail: Optional[str] = None,
        problem_type: Optional[str] = None,
        instance: Optional[str] = None,
        correlation_id: Optional[str] = None,
        reason: Optional[str] = None,
        relation_path: Sequence[str] = (),
        body_excerpt: Optional[str] = None,
    ) -> None:
        super().__init__(message, kind=kind, exit_code=exit_code, operation=operation)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.problem_type = problem_type
        self.instance = instance
        self.correlation_id = correlation_id
        self.reason = reason
        self.relation_path = tuple(relation_path)
        self.body_excerpt = body_excerpt


class PermissionDenied(APIError):
    """403: the caller may not do this (kind ``permission_denied``, on tokens, grants and logout)."""


class RebacDenied(PermissionDenied):
    """403 from the ReBAC authorizer on key rotate (kind ``rebac_denied``).

    ``reason``, ``relation_path`` and ``correlation_id`` explain the denial when the server sent them.
    """


class NodeNotFound(APIError):
    """Key rotate: 404 ``node_not_found`` (kind ``node_not_found``)."""


class NotProvisioned(APIError):
    """501: the server has not provisioned this operation (kind ``not_provisioned``)."""


class SessionNotSavedError(Error):
    """A stored session changed on the server but the config file could not be written (kind
    ``session_not_saved``).

    The new credential is not lost. After ``Client.rotate_session()``, ``rotated`` is the
    :class:`plexctl.RotatedToken` (its ``plaintext`` a masked :class:`plexctl.Secret`); the old
    plaintext keeps working until ``rotated.rotation_deadline``. After a login, ``plaintext`` is the
    session's access token as a masked :class:`plexctl.Secret`. Store it.
    """

    rotated: Any
    plaintext: Any

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        exit_code: int,
        operation: Optional[str] = None,
        rotated: Any = None,
        plaintext: Any = None,
    ) -> None:
        super().__init__(message, kind=kind, exit_code=exit_code, operation=operation)
        self.rotated = rotated
        self.plaintext = plaintext if plaintext is not None else getattr(rotated, "plaintext", None)


class InternalError(Error):
    """A bug in the library (kind ``internal``): it panicked, and the panic was caught at the
    boundary instead of escaping as a ``BaseException``. Please report it."""


class AccessDenied(APIError):
    """A device login the user denied in the browser (kind ``access_denied``, exit code 4)."""


class LoginExpired(APIError):
    """A device login whose code expired before it was approved (kind ``login_expired``): the
    server said ``expired_token`` (``status`` 400), or its lifetime ran out while polling
    (``status`` 0). Start again."""


class Cancelled(Error):
    """A device login the caller stopped (kind ``cancelled``): the ``cancelled`` callback said so,
    or Ctrl-C (``KeyboardInterrupt`` is raised instead when Python has a signal pending)."""
