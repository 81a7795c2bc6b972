"""Finding scorers by name: the built-in table and the ``custcare.scorers`` entry points."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal

from custcare.errors import CustcareUsageError, ScorerRegistrationError
from custcare.scoring._scorer import Scorer, ScorerTraits

__all__ = ["ENTRY_POINT_GROUP", "ScorerInfo", "available_scorers", "get_scorer"]

ENTRY_POINT_GROUP = "custcare.scorers"
"""The entry point group third-party packages register scorers under."""

# Name -> "module:attribute". A constant, not a mutable registry: plugins come in
# through entry points only.
_BUILTINS: tuple[tuple[str, str], ...] = (
    ("loyalty.threshold", "custcare.loyalty:ThresholdTierScorer"),
    ("loyalty.rfm", "custcare.loyalty:RFMScorer"),
    ("loyalty.pyramid", "custcare.loyalty:PyramidScorer"),
    ("churn.risk", "custcare.churn:ChurnRiskScorer"),
    ("churn.cause", "custcare.churn:ChurnCauseScorer"),
    ("complaint.priority", "custcare.complaints:ComplaintPriorityScorer"),
    ("care.satisfaction", "custcare.care:SatisfactionScorer"),
    ("care.plan", "custcare.care:CarePlanScorer"),
)


@dataclass(frozen=True)
class ScorerInfo:
    """What the registry knows of one scorer.

    Attributes:
        name: The registered dotted name.
        description: Its one-line description (empty when it failed to load).
        origin: ``"builtin"`` or ``"plugin"``.
        target: Where it lives, ``"module:attribute"``.
        distribution: The installed distribution that provides a plugin.
        error: Why it cannot be used, or None when it loads and honours the contract.
    """

    name: str
    description: str
    origin: Literal["builtin", "plugin"]
    target: str
    distribution: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the scorer loads and passes registration checks."""
        return self.error is None


def _load_target(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _verify(name: str, factory: Any, distribution: str | None) -> Callable[..., Scorer[Any]]:
    """Check at registration that the object builds scorers honouring the protocol."""
    if not callable(factory):
        raise ScorerRegistrationError(
            name, f"{factory!r} is not a class or factory", distribution=distribution
        )
    declared = getattr(factory, "name", None)
    if declared != name:
        raise ScorerRegistrationError(
            name,
            f"its class declares name={declared!r}; the entry point name must match it",
            distribution=distribution,
        )
    missing = [
        attr
        for attr in ("description", "traits", "score", "score_many")
        if not hasattr(factory, attr)
    ]
    if missing:
        raise ScorerRegistrationError(
            name,
            f"it lacks {', '.join(missing)} required by custcare.Scorer",
            distribution=distribution,
        )
    description = getattr(factory, "description", None)
    if not isinstance(description, str) or not description.strip():
        got = "empty" if isinstance(description, str) else f"a {type(description).__name__}"
        raise ScorerRegistrationError(
            name,
            f"its description is {got}; declare description as a class attribute: "
            "one line of text for available_scorers()",
            distribution=distribution,
        )
    traits = getattr(factory, "traits", None)
    if not isinstance(traits, ScorerTraits):
        raise ScorerRegistrationError(
            name,
            f"its traits is a {type(traits).__name__}; declare traits as a class attribute "
            "holding a custcare.ScorerTraits",
            distribution=distribution,
        )
    return factory  # type: ignore[no-any-return]


def _plugin_entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def _describe(factory: Any) -> str:
    """The first line of a verified scorer's description (never empty)."""
    return str(factory.description).strip().splitlines()[0].strip()


def available_scorers() -> tuple[ScorerInfo, ...]:
    """Every scorer that can be built, built-in and plugins, sorted by name.

    A plugin that fails to import or breaks the contract is listed with its
    ``error`` set; it does not hide the others.

    Examples:
        >>> names = [info.name for info in available_scorers()]
        >>> "loyalty.threshold" in names
        True
    """
    infos: dict[str, ScorerInfo] = {}
    for name, target in _BUILTINS:
        factory = _verify(name, _load_target(target), None)
        infos[name] = ScorerInfo(name, _describe(factory), "builtin", target)
    for ep in _plugin_entry_points():
        dist = ep.dist.name if ep.dist is not None else None
        if ep.name in infos and infos[ep.name].origin == "builtin":
            error: str | None = f"the name {ep.name!r} is taken by a built-in scorer"
            description = ""
        else:
            try:
                factory = _verify(ep.name, ep.load(), dist)
                error, description = None, _describe(factory)
            except Exception as exc:  # a broken plugin must not break the others
                error, description = f"{type(exc).__name__}: {exc}", ""
        infos[ep.name] = ScorerInfo(ep.name, description, "plugin", ep.value, dist, error)
    return tuple(infos[k] for k in sorted(infos))


def get_scorer(name: str, /, **config: Any) -> Scorer[Any]:
    """Build a registered scorer by name, with its config given as keywords.

    Args:
        name: A registered dotted name, e.g. ``"loyalty.rfm"``.
        **config: Parameters for the scorer's config model.

    Raises:
        CustcareUsageError: if no scorer has that name (code ``unknown_scorer``).
        ScorerRegistrationError: if the plugin of that name is broken; says which.
        pydantic.ValidationError: if a parameter is invalid; names it.

    Examples:
        >>> get_scorer("loyalty.threshold").name
        'loyalty.threshold'
    """
    for builtin, target in _BUILTINS:
        if builtin == name:
            return _verify(name, _load_target(target), None)(**config)
    for ep in _plugin_entry_points():
        if ep.name == name:
            dist = ep.dist.name if ep.dist is not None else None
            try:
                loaded = ep.load()
            except Exception as exc:
                raise ScorerRegistrationError(
                    name,
                    f"importing {ep.value} failed: {type(exc).__name__}: {exc}",
                    distribution=dist,
                ) from exc
            return _verify(name, loaded, dist)(**config)
    known = ", ".join(info.name for info in available_scorers())
    raise CustcareUsageError(f"no scorer named {name!r}; available: {known}", code="unknown_scorer")
