"""The public surface: names, docstrings, frozen and final classes, the exception hierarchy."""

from __future__ import annotations

import inspect
import pickle

import pytest

import plexctl
import plexctl._plexctl as ext
import plexctl.errors as errors

CLASSES = [
    plexctl.Client,
    plexctl.Secret,
    plexctl.IssuedToken,
    plexctl.TokenSummary,
    plexctl.RotatedToken,
    plexctl.ServiceToken,
    plexctl.ServiceTokenSource,
    plexctl.RotationTrigger,
    plexctl.RotationPreview,
    plexctl.RotationImpactEdge,
    plexctl.LogoutOutcome,
    plexctl.DeviceAuthorization,
    plexctl.LoginOutcome,
    plexctl.Whoami,
    plexctl.Status,
]


def test_all_names_exist_and_are_documented() -> None:
    for name in plexctl.__all__:
        obj = getattr(plexctl, name)
        if name == "__version__":
            assert isinstance(obj, str)
            continue
        assert inspect.getdoc(obj), name
    assert set(ext.__all__) <= set(plexctl.__all__)
    assert set(errors.__all__) <= set(plexctl.__all__)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_classes_are_documented_frozen_and_final(cls: type) -> None:
    assert cls.__module__ == "plexctl._plexctl"
    assert inspect.getdoc(cls)
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        assert inspect.getdoc(member), f"{cls.__name__}.{name} has no docstring"
    with pytest.raises(TypeError):
        type("Sub", (cls,), {})


def test_results_and_secrets_are_immutable() -> None:
    s = plexctl.Secret("x")
    with pytest.raises(AttributeError):
        s.wiped = True  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.anything = 1  # type: ignore[attr-defined]
    c = plexctl.Client("http://127.0.0.1:9", use_environment=False)
    with pytest.raises(AttributeError):
        c.server = "http://127.0.0.1:10"  # type: ignore[misc]


def test_results_cannot_be_constructed_directly() -> None:
    for cls in (
        plexctl.IssuedToken,
        plexctl.RotatedToken,
        plexctl.TokenSummary,
        plexctl.ServiceToken,
        plexctl.DeviceAuthorization,
        plexctl.LoginOutcome,
        plexctl.Whoami,
        plexctl.Status,
    ):
        with pytest.raises(TypeError):
            cls()


ERRORS = [getattr(errors, n) for n in errors.__all__]


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_every_error_is_a_plexctl_error(cls: type[plexctl.Error]) -> None:
    assert issubclass(cls, plexctl.Error)
    assert issubclass(cls, Exception)
    assert inspect.getdoc(cls)
    e = cls("message", kind="api", exit_code=1)
    assert str(e) == "message"
    assert e.message == "message"
    assert isinstance(e.exit_code, int)
    assert (e.kind, e.exit_code, e.operation) == ("api", 1, None)
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is cls and str(again) == "message"
    assert (again.kind, again.exit_code) == ("api", 1)
    # No defaults: the kind and the exit code are the core's, passed by the extension every time.
    with pytest.raises(TypeError):
        cls("message")
    with pytest.raises(TypeError):
        cls("message", kind="api")


def test_hierarchy_by_meaning() -> None:
    assert issubclass(plexctl.UsageError, ValueError)
    assert issubclass(plexctl.GrantRefused, ValueError)
    assert issubclass(plexctl.RebacDenied, plexctl.PermissionDenied)
    assert issubclass(plexctl.PermissionDenied, plexctl.APIError)
    assert issubclass(plexctl.NodeNotFound, plexctl.APIError)
    assert issubclass(plexctl.NotProvisioned, plexctl.APIError)
    assert issubclass(plexctl.TimeoutError, plexctl.TransportError)
    assert not issubclass(plexctl.TimeoutError, OSError)  # the library's, not the builtin
    for c in (plexctl.MissingCredentialsError, plexctl.InsecureTransportError, plexctl.InsecureConfigError):
        assert issubclass(c, plexctl.CredentialsError)
    # Raised errors carry the core's kind and code; a hand-built one takes them as keywords.
    e = plexctl.APIError("x", kind="permission_denied", status=403, code="c", relation_path=["a", "b"], exit_code=4)
    assert e.relation_path == ("a", "b")
    assert (e.status, e.code, e.exit_code, e.kind) == (403, "c", 4, "permission_denied")
    again = pickle.loads(pickle.dumps(e))
    assert (again.status, again.relation_path, again.exit_code, again.kind) == (403, ("a", "b"), 4, "permission_denied")
