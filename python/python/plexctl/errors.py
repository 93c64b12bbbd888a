"""The exceptions plexctl raises.

Every one derives from :class:`Error`, so ``except plexctl.Error`` catches everything the library
raises. Each carries ``exit_code``, the code of the libplexctl exit-code taxonomy (0 ok, 1 runtime,
2 usage, 3 credentials, 4 denied / not found, 77 key-rotate ReBAC denial), decided by the Rust core:
a CLI can ``sys.exit(err.exit_code)``.

::

    Error                                   exit_code from the core (1 unless a subclass says)
    ├── UsageError (also ValueError)        2: a missing or malformed input; nothing was sent
    ├── GrantRefused (also ValueError)      1: service-grant flag mismatch; nothing was sent
    ├── CredentialsError                    3
    │   ├── MissingCredentialsError         no token or server resolved
    │   ├── InsecureTransportError          http:// to a host that is not loopback
    │   └── InsecureConfigError             config file wider than 0600
    ├── ConfigError                         1: config file unreadable, unparsable, unwritable
    ├── SetupError                          1: bad CA bundle, TLS set-up
    ├── TransportError                      1: connection failed, dropped, or timed out (.timeout)
    ├── ResponseError                       1: a 2xx body that does not parse (or exceeds the cap)
    ├── SessionNotSavedError                1: a stored session was rotated but not saved (.rotated)
    └── APIError                            a non-2xx answer (.status, .code, .title, ...)
        ├── PermissionDenied                4: 403 on tokens / logout
        │   └── RebacDenied                 77: 403 on key rotate
        └── NodeNotFound                    4: key rotate 404 node_not_found

The messages come from the core's ``Display`` and never contain a secret. These are plain Python
classes (the Rust extension raises them), so they pickle and subclass like any exception.
"""

from __future__ import annotations

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
    "ResponseError",
    "APIError",
    "PermissionDenied",
    "RebacDenied",
    "NodeNotFound",
    "SessionNotSavedError",
]


class Error(Exception):
    """Base class of every plexctl error.

    ``exit_code`` is the taxonomy's exit code, ``operation`` the API operation that failed (``"issue
    token"``, ``"key rotate"``, ...) or ``None`` when the error came before any operation.
    """

    exit_code: int
    operation: Optional[str]

    def __init__(self, message: str = "", *, exit_code: int = 1, operation: Optional[str] = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.operation = operation

    @property
    def message(self) -> str:
        """The error message (the same as ``str(err)``)."""
        return str(self.args[0]) if self.args else ""


class UsageError(Error, ValueError):
    """A required input is missing or malformed (exit code 2); no request was sent.

    ``field`` names the input in the API's words (``identity_ref``, ``env_prefix``, ``ttl``,
    ``id``, ``node_id``, ``grant_type``, ...) when the core knows it.
    """

    field: Optional[str]

    def __init__(
        self,
        message: str = "",
        *,
        exit_code: int = 2,
        operation: Optional[str] = None,
        field: Optional[str] = None,
    ) -> None:
        super().__init__(message, exit_code=exit_code, operation=operation)
        self.field = field


class GrantRefused(Error, ValueError):
    """The service-token grant's inputs do not fit its grant type (exit code 1, as plexctl does).

    A client secret with jwt-bearer, an assertion with client_credentials, both, or neither.
    Nothing was sent.
    """


class CredentialsError(Error):
    """Missing or insecure credentials or configuration (exit code 3)."""

    def __init__(self, message: str = "", *, exit_code: int = 3, operation: Optional[str] = None) -> None:
        super().__init__(message, exit_code=exit_code, operation=operation)


class MissingCredentialsError(CredentialsError):
    """No token (or no server) could be resolved; ``what`` is ``"token"`` or ``"server"``."""

    what: Optional[str]

    def __init__(
        self,
        message: str = "",
        *,
        exit_code: int = 3,
        operation: Optional[str] = None,
        what: Optional[str] = None,
    ) -> None:
        super().__init__(message, exit_code=exit_code, operation=operation)
        self.what = what


class InsecureTransportError(CredentialsError):
    """Plain ``http://`` to a host that is not loopback, without ``allow_insecure_http=True``."""


class InsecureConfigError(CredentialsError):
    """The config file is readable or writable by others than its owner; it was not read."""


class ConfigError(Error):
    """The config file could not be read, parsed, locked or written (exit code 1)."""


class SetupError(Error):
    """The client could not be configured: an unreadable or invalid CA bundle, TLS set-up."""


class TransportError(Error):
    """The request did not complete: connection refused or dropped, TLS failure, or a timeout.

    ``timeout`` is true when a timeout expired.
    """

    timeout: bool

    def __init__(
        self,
        message: str = "",
        *,
        exit_code: int = 1,
        operation: Optional[str] = None,
        timeout: bool = False,
    ) -> None:
        super().__init__(message, exit_code=exit_code, operation=operation)
        self.timeout = timeout


class ResponseError(Error):
    """A 2xx answer whose body does not have the documented shape, or exceeds the size cap."""


class APIError(Error):
    """The server answered with a non-2xx status.

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
        message: str = "",
        *,
        exit_code: int = 1,
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
        super().__init__(message, exit_code=exit_code, operation=operation)
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
    """403: the caller may not do this (exit code 4 on tokens and logout)."""


class RebacDenied(PermissionDenied):
    """403 from the ReBAC authorizer on key rotate (exit code 77).

    ``reason``, ``relation_path`` and ``correlation_id`` explain the denial when the server sent them.
    """


class NodeNotFound(APIError):
    """Key rotate: 404 ``node_not_found`` (exit code 4)."""


class SessionNotSavedError(Error):
    """``Client.rotate_session()`` rotated the stored token but could not write the config file
    (exit code 1).

    The new plaintext is not lost: ``rotated`` is the :class:`plexctl.RotatedToken` (its
    ``plaintext`` a masked :class:`plexctl.Secret`); store it. The old plaintext keeps working until
    ``rotated.rotation_deadline``.
    """

    rotated: Any

    def __init__(
        self,
        message: str = "",
        *,
        exit_code: int = 1,
        operation: Optional[str] = None,
        rotated: Any = None,
    ) -> None:
        super().__init__(message, exit_code=exit_code, operation=operation)
        self.rotated = rotated
