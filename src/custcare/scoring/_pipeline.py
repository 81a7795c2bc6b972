"""Running several scorers in dependency order over a population's columns."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from custcare.batch import CustomerBatch, from_histories
from custcare.errors import CustcareUsageError
from custcare.models import CustomerHistory
from custcare.scoring._batch import BatchScorer, BatchScores, UpstreamScores
from custcare.scoring._result import ScoreResult
from custcare.scoring._scorer import FittableScorer, Scorer, check_as_of
from custcare.scoring._table import Report, ResultTable

__all__ = ["Pipeline", "Progress", "ProgressCallback", "Report", "ResultTable"]


@dataclass(frozen=True)
class Progress:
    """One step of a long `Pipeline.fit` or `Pipeline.run`, for a progress bar.

    Attributes:
        stage: ``"convert"`` (histories to columns), ``"fit"`` or ``"score"``.
        scorer: The scorer the step belongs to; None for ``"convert"``.
        done: Steps finished so far, including this one.
        total: Steps in the whole call.
    """

    stage: Literal["convert", "fit", "score"]
    scorer: str | None
    done: int
    total: int


ProgressCallback = Callable[[Progress], None]
"""Called after each step of `Pipeline.fit` and `Pipeline.run`."""

Data = Sequence[CustomerHistory] | CustomerBatch


class Pipeline:
    """Scorers run in dependency order over columns; each sees the scores it reads.

    A population goes through the pipeline as one `custcare.batch.CustomerBatch`:
    histories are converted once, then every scorer with a batch path scores all
    customers at once and hands its batch scores to the scorers that require or use
    it (they read them through typed protocols such as
    `custcare.scoring.PredictedValueScores`). A scorer without a batch path
    (a plugin, say) runs per customer on the histories, seeing the upstream
    results per customer; it needs histories, not bare columns.

    Args:
        scorers: Scorers with distinct names. Order does not matter: a scorer runs
            after those named in its ``traits.requires`` and ``traits.uses``.
        timezone: The shop's IANA time zone, for histories (a batch carries its
            own): purchase days are calendar days there.

    Raises:
        CustcareUsageError: on a missing requirement, a cycle or a repeated name.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> from custcare.loyalty import RFMScorer, ThresholdTierScorer
        >>> shop = sample_shop()
        >>> pipeline = Pipeline([RFMScorer(), ThresholdTierScorer()])
        >>> table = pipeline.fit(shop.histories, as_of=shop.as_of).run(
        ...     shop.histories, as_of=shop.as_of)
        >>> len(table) == len(shop.histories), table.scorers
        (True, ('loyalty.rfm', 'loyalty.threshold'))
    """

    def __init__(self, scorers: Sequence[Scorer[Any]], *, timezone: str = "UTC") -> None:
        by_name: dict[str, Scorer[Any]] = {}
        for scorer in scorers:
            if scorer.name in by_name:
                raise CustcareUsageError(
                    f"two scorers named {scorer.name!r} in one pipeline", code="bad_argument"
                )
            by_name[scorer.name] = scorer
        self._order = _topological(by_name)
        self._timezone = timezone

    @property
    def order(self) -> tuple[str, ...]:
        """Scorer names in the order they run."""
        return tuple(s.name for s in self._order)

    def fit(
        self, data: Data, *, as_of: datetime, progress: ProgressCallback | None = None
    ) -> Pipeline:
        """Fit every population scorer that is not fitted yet, in dependency order.

        A scorer that uses others is fitted with their batch scores on the same
        population (e.g. the value pyramid with ``churn.risk``'s predicted value),
        so fitting and scoring see the same inputs. Returns self.

        Args:
            data: Histories, or a `custcare.batch.CustomerBatch`.
            as_of: A timezone-aware moment; later records are not seen.
            progress: Called after each step (see `Progress`).
        """
        as_of = check_as_of(as_of)
        to_fit = [s for s in self._order if isinstance(s, FittableScorer) and not s.is_fitted]
        run = _Run(self, data, as_of, progress, total=1 + len(to_fit))
        for scorer in to_fit:
            upstream = {name: run.scores_of(name) for name in _reads(scorer, run.names)}
            scorer.fit(run.batch, as_of=as_of, upstream=upstream or None)
            run.step("fit", scorer.name)
        return self

    def run(
        self, data: Data, *, as_of: datetime, progress: ProgressCallback | None = None
    ) -> ResultTable:
        """Score every customer with every scorer: one table, one row per customer.

        Args:
            data: Histories, or a `custcare.batch.CustomerBatch`.
            as_of: A timezone-aware moment; later records are not seen.
            progress: Called after each step (see `Progress`).

        Returns:
            A `ResultTable` in the data's customer order; `ResultTable.explain`
            gives a customer's full results.
        """
        as_of = check_as_of(as_of)
        run = _Run(self, data, as_of, progress, total=1 + len(self._order))
        for scorer in self._order:
            run.scores_of(scorer.name)
            run.step("score", scorer.name)
        return ResultTable(run.batch.customer_ids, as_of, run.scores)


class _Run:
    """The state of one fit or run: the columns, the scores so far, the progress."""

    def __init__(
        self,
        pipeline: Pipeline,
        data: Data,
        as_of: datetime,
        progress: ProgressCallback | None,
        *,
        total: int,
    ) -> None:
        self.by_name = {s.name: s for s in pipeline._order}
        self.names = frozenset(self.by_name)
        self.as_of = as_of
        self.progress = progress
        self.total = total
        self.done = 0
        self.scores: dict[str, BatchScores] = {}
        if isinstance(data, CustomerBatch):
            self.histories: Sequence[CustomerHistory] | None = None
            self.batch = data
        elif isinstance(data, Sequence) and all(isinstance(h, CustomerHistory) for h in data):
            self.histories = data
            self.batch = from_histories(data, timezone=pipeline._timezone)
        else:
            raise CustcareUsageError(
                "Pipeline takes a CustomerBatch or a sequence of CustomerHistory, got "
                f"{type(data).__name__}",
                code="bad_argument",
            )
        self.step("convert", None)

    def step(self, stage: Literal["convert", "fit", "score"], scorer: str | None) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(Progress(stage, scorer, self.done, self.total))

    def scores_of(self, name: str) -> BatchScores:
        """A scorer's batch scores, computed once (its upstream first)."""
        if name in self.scores:
            return self.scores[name]
        scorer = self.by_name[name]
        upstream: UpstreamScores = {n: self.scores_of(n) for n in _reads(scorer, self.names)}
        if scorer.traits.batch and isinstance(scorer, BatchScorer):
            scores = scorer.score_batch(self.batch, as_of=self.as_of, upstream=upstream)
        elif self.histories is None:
            raise CustcareUsageError(
                f"{name} has no batch path, so it needs the histories: pass "
                "CustomerHistory objects to the pipeline, or leave it out",
                code="bad_argument",
            )
        else:
            per_row = [_RowUpstream(upstream, i) for i in range(len(self.histories))]
            results = scorer.score_many(self.histories, as_of=self.as_of, upstream=per_row)
            scores = BatchScores.from_results(name, results, as_of=self.as_of)
        self.scores[name] = scores
        return scores


class _RowUpstream(Mapping[str, ScoreResult]):
    """One customer's upstream results, built from the batch scores only when read."""

    def __init__(self, scores: UpstreamScores, row: int) -> None:
        self._scores = scores
        self._row = row
        self._built: dict[str, ScoreResult] = {}

    def __getitem__(self, name: str) -> ScoreResult:
        if name not in self._built:
            self._built[name] = self._scores[name].result(self._row)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._scores)

    def __len__(self) -> int:
        return len(self._scores)


def _reads(scorer: Scorer[Any], present: frozenset[str]) -> list[str]:
    """The scorers whose results this one requires or uses, of those in the pipeline."""
    return [n for n in (*scorer.traits.requires, *scorer.traits.uses) if n in present]


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
