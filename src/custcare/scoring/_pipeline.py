"""Running several scorers in dependency order, one report per customer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, SerializeAsAny

from custcare.errors import CustcareUsageError
from custcare.models import AwareDatetime, CustomerHistory
from custcare.scoring._result import ScoreResult
from custcare.scoring._scorer import Scorer, check_as_of

__all__ = ["Pipeline", "Report"]


class Report(BaseModel):
    """Every scorer's result for one customer, by scorer name, in run order.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> from custcare.testing import ConstantScorer
        >>> shop = sample_shop()
        >>> report = Pipeline([ConstantScorer()]).run(shop.histories[:1], as_of=shop.as_of)[0]
        >>> list(report.results)
        ['testing.constant']
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: str
    as_of: AwareDatetime
    results: dict[str, SerializeAsAny[ScoreResult]]

    def __getitem__(self, scorer: str) -> ScoreResult:
        return self.results[scorer]


class Pipeline:
    """Scorers run in dependency order; each sees the results it requires or uses.

    Args:
        scorers: Scorers with distinct names. Order does not matter: a scorer runs
            after those named in its ``traits.requires`` and ``traits.uses``.

    Raises:
        CustcareUsageError: on a missing requirement, a cycle or a repeated name.
    """

    def __init__(self, scorers: Sequence[Scorer[Any]]) -> None:
        by_name: dict[str, Scorer[Any]] = {}
        for scorer in scorers:
            if scorer.name in by_name:
                raise CustcareUsageError(
                    f"two scorers named {scorer.name!r} in one pipeline", code="bad_argument"
                )
            by_name[scorer.name] = scorer
        self._order = _topological(by_name)

    @property
    def order(self) -> tuple[str, ...]:
        """Scorer names in the order they run."""
        return tuple(s.name for s in self._order)

    def fit(self, histories: Sequence[CustomerHistory], *, as_of: datetime) -> Pipeline:
        """Fit every population scorer that is not fitted yet, in dependency order.

        A scorer that uses others is fitted with their results on the same
        histories (e.g. the value pyramid with ``churn.risk``'s predicted value),
        so fitting and scoring see the same inputs. Returns self.
        """
        as_of = check_as_of(as_of)
        by_name = {s.name: s for s in self._order}
        results: dict[str, list[ScoreResult]] = {}

        def results_of(name: str) -> list[ScoreResult]:
            if name not in results:
                results[name] = by_name[name].score_many(histories, as_of=as_of)
            return results[name]

        for scorer in self._order:
            if not scorer.traits.population or getattr(scorer, "is_fitted", True):
                continue
            needs = [n for n in (*scorer.traits.requires, *scorer.traits.uses) if n in by_name]
            ups: list[dict[str, ScoreResult]] | None = None
            if needs:
                ups = [{} for _ in histories]
                for name in needs:
                    for u, r in zip(ups, results_of(name), strict=True):
                        u[name] = r
            scorer.fit(histories, as_of=as_of, upstream=ups)  # type: ignore[attr-defined]
        return self

    def run(self, histories: Sequence[CustomerHistory], *, as_of: datetime) -> list[Report]:
        """Score every customer with every scorer; one `Report` per history, in order."""
        as_of = check_as_of(as_of)
        upstream: list[dict[str, ScoreResult]] = [{} for _ in histories]
        for scorer in self._order:
            results = scorer.score_many(histories, as_of=as_of, upstream=upstream)
            for ups, result in zip(upstream, results, strict=True):
                ups[scorer.name] = result
        return [
            Report(customer_id=h.customer.id, as_of=as_of, results=ups)
            for h, ups in zip(histories, upstream, strict=True)
        ]


def _topological(by_name: dict[str, Scorer[Any]]) -> list[Scorer[Any]]:
    for scorer in by_name.values():
        for need in scorer.traits.requires:
            if need not in by_name:
                raise CustcareUsageError(
                    f"{scorer.name} requires {need!r}, which is not in the pipeline",
                    code="missing_dependency",
                )
    done: list[Scorer[Any]] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            cycle = " -> ".join((*path, name))
            raise CustcareUsageError(
                f"scorers depend on each other: {cycle}", code="dependency_cycle"
            )
        state[name] = "active"
        scorer = by_name[name]
        for need in sorted({*scorer.traits.requires, *scorer.traits.uses}):
            if need in by_name:
                visit(need, (*path, name))
        state[name] = "done"
        done.append(scorer)

    for name in sorted(by_name):
        visit(name, ())
    return done
