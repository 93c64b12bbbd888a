"""plexctl: a client for the plexsphere v1 auth API.

API tokens (issue, list, delete, rotate), service-token grants and a refreshing token source,
node mesh-key rotation (trigger and preview), the stored session (store, rotate, log out), and
device-code login, whoami and status.

::

    import plexctl

    client = plexctl.Client("https://plexsphere.example.com", token=plexctl.Secret(token_text))
    issued = client.issue_token("user:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2", "prod", ttl="24h")
    with issued.plaintext as plaintext:  # wiped when the block ends
        hand_over(plaintext.reveal())

Every secret is a :class:`Secret` (masked in ``repr``/``str``, wiped on exit from a ``with``
block, on ``wipe()`` and when collected); every error is a :class:`plexctl.Error` whose class is
chosen by the core's error ``kind`` and which carries the core's ``exit_code``. The Rust extension
releases the GIL during each network call, so threads sharing one :class:`Client` run their
requests in parallel.
"""

from plexctl._plexctl import (
    Client,
    DeviceAuthorization,
    IssuedToken,
    LoginOutcome,
    LogoutOutcome,
    RotatedToken,
    RotationImpactEdge,
    RotationPreview,
    RotationTrigger,
    Secret,
    ServiceToken,
    ServiceTokenSource,
    Status,
    TokenSummary,
    Whoami,
    __version__,
)
from plexctl.errors import (
    APIError,
    ConfigError,
    CredentialsError,
    Error,
    GrantRefused,
    InsecureConfigError,
    InsecureTransportError,
    MissingCredentialsError,
    NodeNotFound,
    NotProvisioned,
    InternalError,
    AccessDenied,
    LoginExpired,
    Cancelled,
    PermissionDenied,
    RebacDenied,
    ResponseError,
    SessionNotSavedError,
    SetupError,
    TimeoutError,
    TransportError,
    UsageError,
)

__all__ = [
    "__version__",
    # client and secrets
    "Client",
    "Secret",
    # tokens
    "IssuedToken",
    "TokenSummary",
    "RotatedToken",
    # service-token grants
    "ServiceToken",
    "ServiceTokenSource",
    # node key rotation
    "RotationTrigger",
    "RotationPreview",
    "RotationImpactEdge",
    # stored sessions
    "LogoutOutcome",
    # login and status
    "DeviceAuthorization",
    "LoginOutcome",
    "Whoami",
    "Status",
    # errors
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
    "InternalError",
    "AccessDenied",
    "LoginExpired",
    "Cancelled",
    "SessionNotSavedError",
]
