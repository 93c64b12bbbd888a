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
    for cls in (plexctl.IssuedToken, plexctl.RotatedToken, plexctl.TokenSummary, plexctl.ServiceToken):
        with pytest.raises(TypeError):
            cls()


ERRORS = [getattr(errors, n) for n in errors.__all__]


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_every_error_is_a_plexctl_error(cls: type[plexctl.Error]) -> None:
    assert issubclass(cls, plexctl.Error)
    assert issubclass(cls, Exception)
    assert inspect.getdoc(cls)
    e = cls("message")
    assert str(e) == "message"
    assert e.message == "message"
    assert isinstance(e.exit_code, int)
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is cls and str(again) == "message"


def test_hierarchy_by_meaning() -> None:
    assert issubclass(plexctl.UsageError, ValueError)
    assert issubclass(plexctl.GrantRefused, ValueError)
    assert issubclass(plexctl.RebacDenied, plexctl.PermissionDenied)
    assert issubclass(plexctl.PermissionDenied, plexctl.APIError)
    assert issubclass(plexctl.NodeNotFound, plexctl.APIError)
    for c in (plexctl.MissingCredentialsError, plexctl.InsecureTransportError, plexctl.InsecureConfigError):
        assert issubclass(c, plexctl.CredentialsError)
    # Defaults follow the taxonomy; raised errors always carry the core's own code.
    assert plexctl.UsageError("x").exit_code == 2
    assert plexctl.MissingCredentialsError("x").exit_code == 3
    assert plexctl.InsecureTransportError("x").exit_code == 3
    assert plexctl.Error("x").exit_code == 1
    e = plexctl.APIError("x", status=403, code="c", relation_path=["a", "b"], exit_code=4)
    assert e.relation_path == ("a", "b")
    assert (e.status, e.code, e.exit_code) == (403, "c", 4)
