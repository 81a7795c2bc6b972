"""Running several scorers in dependency order over a population's columns."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from custcare.batch import CustomerBatch, from_histories
from custcare.errors import (
    CustcareUsageError,
    NotFittedError,
    ScoringError,
    ScoringErrorCode,
)
from custcare.models import CustomerHistory
from custcare.scoring._batch import (
    BatchScorer,
    BatchScores,
    ReasonColumns,
    ReasonSlot,
    UpstreamScores,
)
from custcare.scoring._result import Reason, ScoreResult
from custcare.scoring._scorer import FittableScorer, Scorer, check_as_of, check_existing
from custcare.scoring._table import Report, ResultTable

__all__ = [
    "FAILED_REASON",
    "ErrorMode",
    "Pipeline",
    "Progress",
    "ProgressCallback",
    "Report",
    "ResultTable",
    "ScoringError",
    "ScoringErrorCode",
]


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

ErrorMode = Literal["raise", "collect"]
"""What `Pipeline.run` does when a scorer fails: raise at once, or collect and go on."""

FAILED_REASON = "scoring.failed"
"""The reason code a customer's row carries for a scorer that failed for them."""

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


def _raised(scorer: str, customer_id: str | None, exc: BaseException) -> ScoringError:
    """Wrap what a scorer raised: its type and stable slugs only, never its message."""
    kind = type(exc).__name__
    slugs = [
        f"{attr}={value}"
        for attr in ("code", "rule")
        if isinstance(value := getattr(exc, attr, None), str) and _SLUG.match(value)
    ]
    detail = f"it raised {kind}" + (f" ({', '.join(slugs)})" if slugs else "")
    error = ScoringError(scorer, customer_id, "raised", detail, cause=kind)
    error.__cause__ = exc
    return error


class Pipeline:
    """Scorers run in dependency order over columns; each sees the scores it reads.

    A population goes through the pipeline as one `custcare.batch.CustomerBatch`:
    histories are converted once, then every scorer with a batch path scores all
    customers at once and hands its batch scores to the scorers that require or use
    it (they read them through typed protocols such as
    `custcare.scoring.PredictedValueScores`). A scorer without a batch path
    (a plugin, say) runs per customer on the histories, seeing the upstream
    results per customer; it needs histories, not bare columns.

    A scorer cannot damage the run: the upstream it is handed is read-only (a
    `types.MappingProxyType` of frozen batch scores; per-customer results are
    fresh copies), and every answer is checked before it is kept: a result must be
    a `ScoreResult` of that scorer, for that customer, with no NaN or infinite
    number. A failure is a `ScoringError` naming the scorer and the customer;
    ``run(..., errors="collect")`` keeps going and lists them in
    `ResultTable.errors`.

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
        so fitting and scoring see the same inputs. The population is the
        customers that existed at ``as_of``: those created later are left out (as
        `PopulationScorer.fit` does). Returns self.

        Args:
            data: Histories, or a `custcare.batch.CustomerBatch`.
            as_of: A timezone-aware moment; later records are not seen.
            progress: Called after each step (see `Progress`).

        Raises:
            ScoringError: if a scorer whose scores another one is fitted with fails.
        """
        as_of = check_as_of(as_of)
        to_fit = [s for s in self._order if isinstance(s, FittableScorer) and not s.is_fitted]
        run = _Run(self, data, as_of, progress, total=1 + len(to_fit), errors="raise")
        run.keep_existing(as_of)
        for scorer in to_fit:
            upstream = {name: run.scores_of(name) for name in _reads(scorer, run.names)}
            scorer.fit(run.batch, as_of=as_of, upstream=MappingProxyType(upstream) or None)
            run.step("fit", scorer.name)
        return self

    def run(
        self,
        data: Data,
        *,
        as_of: datetime,
        progress: ProgressCallback | None = None,
        errors: ErrorMode = "raise",
    ) -> ResultTable:
        """Score every customer with every scorer: one table, one row per customer.

        Args:
            data: Histories, or a `custcare.batch.CustomerBatch`.
            as_of: A timezone-aware moment; later records are not seen.
            progress: Called after each step (see `Progress`).
            errors: ``"raise"`` (default): the first failure raises a `ScoringError`.
                ``"collect"``: a failure is recorded and the run goes on. A scorer
                without a batch path that fails for a customer leaves that
                customer's row empty for it (NaN numbers, integer and boolean
                columns then as floats, empty text, the one reason
                ``"scoring.failed"``) and its other customers are kept; scorers
                that require it skip that customer too. A batch path that fails
                fails for the whole batch: the scorer (and those requiring it)
                is left out of the table. The errors are in `ResultTable.errors`.

        Returns:
            A `ResultTable` in the data's customer order; `ResultTable.explain`
            gives a customer's full results.

        Raises:
            ScoringError: with ``errors="raise"``, when a scorer fails; names the
                scorer and the customer.
            NotFittedError: if a population scorer is not fitted (call `fit`).
            CustcareUsageError: if ``errors`` is neither ``"raise"`` nor ``"collect"``.
            ColumnError: (rule ``created_after_as_of``, the rows) if a customer was
                created after ``as_of``; leave such customers out first
                (`custcare.batch.CustomerBatch.existing_at`,
                `custcare.models.population_until`).

        Examples:
            >>> from custcare.datasets import sample_shop
            >>> from custcare.testing import ConstantScorer
            >>> shop = sample_shop()
            >>> table = Pipeline([ConstantScorer()]).run(
            ...     shop.histories, as_of=shop.as_of, errors="collect")
            >>> table.errors
            ()
        """
        as_of = check_as_of(as_of)
        if errors not in get_args(ErrorMode):
            raise CustcareUsageError(
                f"errors must be 'raise' or 'collect', got {errors!r}", code="bad_argument"
            )
        unfitted = [
            s.name for s in self._order if isinstance(s, FittableScorer) and not s.is_fitted
        ]
        if unfitted:
            raise NotFittedError(
                f"{', '.join(unfitted)} not fitted yet; call Pipeline.fit(data, as_of=...) "
                "before run"
            )
        run = _Run(self, data, as_of, progress, total=1 + len(self._order), errors=errors)
        check_existing(run.batch, as_of, "Pipeline.run")  # not customers then: refused
        for scorer in self._order:
            run.scores_of(scorer.name)
            run.step("score", scorer.name)
        return ResultTable(run.batch.customer_ids, as_of, run.scores, errors=tuple(run.errors))


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
        errors: ErrorMode,
    ) -> None:
        self.by_name = {s.name: s for s in pipeline._order}
        self.names = frozenset(self.by_name)
        self.as_of = as_of
        self.progress = progress
        self.total = total
        self.done = 0
        self.mode = errors
        self.scores: dict[str, BatchScores] = {}
        self.errors: list[ScoringError] = []
        self.failed: dict[str, ScoringError] = {}  # scorers that failed for the whole batch
        self.failed_rows: dict[str, dict[int, ScoringError]] = {}  # by scorer, by row
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
        self.ids = self.batch.customer_ids
        self.step("convert", None)

    def keep_existing(self, as_of: datetime) -> None:
        """Leave out the customers created after ``as_of`` (the population as of then)."""
        late = self.batch.created_after(as_of)
        if late.any():
            self.batch = self.batch.existing_at(as_of)
            if self.histories is not None:  # row k of the batch is history k
                self.histories = [h for h, x in zip(self.histories, late, strict=True) if not x]
            self.ids = self.batch.customer_ids

    def step(self, stage: Literal["convert", "fit", "score"], scorer: str | None) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(Progress(stage, scorer, self.done, self.total))

    def fail(self, error: ScoringError) -> ScoringError:
        """Record a failure (collect mode) or raise it (raise mode)."""
        if self.mode == "raise":
            raise error
        self.errors.append(error)
        return error

    def scores_of(self, name: str) -> BatchScores:
        """A scorer's batch scores, computed once (its upstream first)."""
        if name in self.scores:
            return self.scores[name]
        scorer = self.by_name[name]
        reads = _reads(scorer, self.names)
        for n in reads:
            if n not in self.scores and n not in self.failed:
                self.scores_of(n)
        lost = [n for n in scorer.traits.requires if n in self.failed]
        if lost:
            detail = f"it requires {lost[0]}, which failed for the whole batch"
            self.failed[name] = self.fail(ScoringError(name, None, "upstream_failed", detail))
            return _NO_SCORES
        upstream: UpstreamScores = MappingProxyType(
            {n: self.scores[n] for n in reads if n in self.scores}
        )
        # Rows whose required upstream failed are skipped; a used one is hidden there.
        skip: dict[int, ScoringError] = {}
        hidden: dict[int, set[str]] = {}
        for n in reads:
            for row in self.failed_rows.get(n, {}):
                if n in scorer.traits.requires:
                    skip.setdefault(
                        row,
                        ScoringError(
                            name,
                            str(self.ids[row]),
                            "upstream_failed",
                            f"it requires {n}, which failed for this customer",
                        ),
                    )
                else:
                    hidden.setdefault(row, set()).add(n)
        if scorer.traits.batch and isinstance(scorer, BatchScorer):
            scores = self._batch_path(scorer, upstream)
            if scores is None:
                return _NO_SCORES
        elif self.histories is None:
            raise CustcareUsageError(
                f"{name} has no batch path, so it needs the histories: pass "
                "CustomerHistory objects to the pipeline, or leave it out",
                code="bad_argument",
            )
        else:
            scores = self._per_history(scorer, self.histories, upstream, skip, hidden)
        for row in sorted(skip):
            self.fail(skip[row])
        failed = {**skip, **self.failed_rows.get(name, {})}
        if failed:
            self.failed_rows[name] = failed
            scores = _mask_rows(scores, failed, self.as_of)
        self.scores[name] = scores
        return scores

    def _batch_path(self, scorer: BatchScorer, upstream: UpstreamScores) -> BatchScores | None:
        name = scorer.name
        try:
            scores = scorer.score_batch(self.batch, as_of=self.as_of, upstream=upstream)
        except Exception as exc:
            self.failed[name] = self.fail(_raised(name, None, exc))
            return None
        problem: tuple[ScoringErrorCode, str] | None = None
        if not isinstance(scores, BatchScores):
            problem = ("not_a_result", "score_batch must return BatchScores")
        elif scores.scorer != name:
            problem = ("wrong_scorer", "its batch scores name another scorer")
        elif not np.array_equal(scores.customer_ids, self.ids):
            problem = (
                "wrong_rows",
                "its batch scores are not for the batch's customers (the same, in order)",
            )
        if problem is not None:
            self.failed[name] = self.fail(ScoringError(name, None, *problem))
            return None
        return scores

    def _per_history(
        self,
        scorer: Scorer[Any],
        histories: Sequence[CustomerHistory],
        upstream: UpstreamScores,
        skip: Mapping[int, ScoringError],
        hidden: Mapping[int, set[str]],
    ) -> BatchScores:
        name = scorer.name
        rows = [i for i in range(len(histories)) if i not in skip]
        views = [_RowUpstream(upstream, i, frozenset(hidden.get(i, ()))) for i in rows]
        results: dict[int, ScoreResult] = {}
        failures: dict[int, ScoringError] = {}
        try:
            got: Any = scorer.score_many(
                [histories[i] for i in rows], as_of=self.as_of, upstream=views
            )
            whole = isinstance(got, Sequence) and len(got) == len(rows)
        except Exception:
            whole = False
        answers: list[tuple[int, Any]] = []
        if whole:
            answers = list(zip(rows, got, strict=True))
        else:  # score the customers one by one, to name the ones that fail
            for i, view in zip(rows, views, strict=True):
                cid = histories[i].customer.id
                try:
                    one = scorer.score_many([histories[i]], as_of=self.as_of, upstream=[view])
                except Exception as exc:
                    failures[i] = self.fail(_raised(name, cid, exc))
                    continue
                if not isinstance(one, Sequence) or len(one) != 1:
                    detail = "score_many did not return one result for one history"
                    failures[i] = self.fail(ScoringError(name, cid, "not_a_result", detail))
                    continue
                answers.append((i, one[0]))
        for i, result in answers:
            problem = _refused(name, histories[i].customer.id, result)
            if problem is None:
                results[i] = result
            else:
                failures[i] = self.fail(problem)
        if failures:
            self.failed_rows[name] = failures
        return _assemble(name, histories, results, self.as_of)


_NO_SCORES: BatchScores = BatchScores.build("", np.zeros(0, dtype=np.str_), {})
"""Stands for a scorer that failed for the whole batch (collect mode)."""


def _refused(name: str, customer_id: str, result: Any) -> ScoringError | None:
    """Why a per-customer result cannot be kept, or None."""
    if not isinstance(result, ScoreResult):
        return ScoringError(
            name, customer_id, "not_a_result", f"it returned {type(result).__name__}, not a result"
        )
    if result.scorer != name:
        return ScoringError(name, customer_id, "wrong_scorer", "its result names another scorer")
    if result.customer_id != customer_id:
        return ScoringError(
            name, customer_id, "wrong_customer", "its result names another customer"
        )
    where = _non_finite(result, "")
    if where is not None:
        return ScoringError(
            name, customer_id, "not_finite", f"its result's {where} is not a finite number"
        )
    return None


def _non_finite(value: Any, path: str) -> str | None:
    """The path of the first NaN or infinite number in a result, or None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else path or "value"
    if isinstance(value, Decimal):
        return None if value.is_finite() else path or "value"
    if isinstance(value, np.floating):
        return None if bool(np.isfinite(value)) else path or "value"
    if isinstance(value, BaseModel):
        for key, item in value.__dict__.items():
            found = _non_finite(item, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    elif isinstance(value, (tuple, list, set, frozenset)):
        for item in value:
            found = _non_finite(item, path)
            if found is not None:
                return found
    elif isinstance(value, Mapping):
        for item in value.values():
            found = _non_finite(item, path)
            if found is not None:
                return found
    return None


def _failed_result(error: ScoringError, as_of: datetime) -> ScoreResult:
    """What a customer's row holds for a scorer that failed for them."""
    message = f"Not scored: {error.detail} (code {error.code}); see ResultTable.errors."
    return ScoreResult(
        scorer=error.scorer,
        customer_id=error.customer_id or "-",
        as_of=as_of,
        reasons=(Reason(code=FAILED_REASON, message=message),),
    )


def _assemble(
    name: str,
    histories: Sequence[CustomerHistory],
    results: Mapping[int, ScoreResult],
    as_of: datetime,
) -> BatchScores:
    """Batch scores of per-customer results; rows without one are filled, then masked.

    Readers get a fresh copy of a result each time, so no scorer can change the
    results another one sees, or the table's.
    """
    kept: list[ScoreResult] = []
    filler = next(iter(results.values()), None)
    for i, h in enumerate(histories):
        if i in results:
            kept.append(results[i])
        elif filler is not None:  # a stand-in with the right fields; masked by the caller
            kept.append(filler.model_copy(update={"customer_id": h.customer.id}))
        else:
            kept.append(
                _failed_result(ScoringError(name, h.customer.id, "raised", "no result"), as_of)
            )
    scores = BatchScores.from_results(name, kept, as_of=as_of)
    frozen = tuple(kept)
    return dataclasses.replace(scores, explain=lambda i: frozen[i].model_copy(deep=True))


def _mask_rows(
    scores: BatchScores, failures: Mapping[int, ScoringError], as_of: datetime
) -> BatchScores:
    """The scores with the failed rows emptied: missing values, one "failed" reason."""
    n = len(scores)
    rows = np.fromiter(sorted(failures), dtype=np.int64, count=len(failures))
    columns: dict[str, NDArray[Any]] = {}
    for key, col in scores.columns.items():
        if col.dtype.kind in "biuf":
            out: NDArray[Any] = col.astype(np.float64, copy=True)
            out[rows] = np.nan
        elif col.dtype.kind == "U":
            out = col.copy()
            out[rows] = ""
        else:
            out = col.astype(object, copy=True)
            out[rows] = None
        out.flags.writeable = False
        columns[key] = out
    reasons = scores.reasons
    if reasons is None:
        mask = np.zeros(n, dtype=np.bool_)
        mask[rows] = True
        reasons = ReasonColumns.build(n, [ReasonSlot(FAILED_REASON, mask)])
    else:
        vocabulary = reasons.vocabulary
        if FAILED_REASON not in vocabulary:
            vocabulary = (*vocabulary, FAILED_REASON)
        k = max(reasons.index.shape[1], 1)
        index = np.full((n, k), -1, dtype=np.int32)
        slot = np.full((n, k), -1, dtype=np.int8)
        index[:, : reasons.index.shape[1]] = reasons.index
        slot[:, : reasons.slot.shape[1]] = reasons.slot
        index[rows] = -1
        slot[rows] = -1
        index[rows, 0] = vocabulary.index(FAILED_REASON)
        index.flags.writeable = False
        slot.flags.writeable = False
        reasons = ReasonColumns(vocabulary, index, slot, reasons.evidence)
    placeholders = {i: _failed_result(e, as_of) for i, e in failures.items()}
    explain = scores.explain

    def result(i: int) -> ScoreResult:
        if i in placeholders:
            return placeholders[i].model_copy(deep=True)
        if explain is None:  # pragma: no cover - BatchScores.result checks it first
            raise CustcareUsageError(
                f"{scores.scorer}: no per-customer results", code="bad_argument"
            )
        return explain(i)

    return dataclasses.replace(
        scores, columns=MappingProxyType(columns), reasons=reasons, explain=result
    )


class _RowUpstream(Mapping[str, ScoreResult]):
    """One customer's upstream results, read-only, built from the batch scores when read.

    Each read gives a fresh copy, so a scorer that changes what it reads changes
    nothing another scorer (or the table) sees.
    """

    __slots__ = ("_hidden", "_row", "_scores")

    def __init__(self, scores: UpstreamScores, row: int, hidden: frozenset[str]) -> None:
        self._scores = scores
        self._row = row
        self._hidden = hidden

    def __getitem__(self, name: str) -> ScoreResult:
        if name in self._hidden:
            raise KeyError(name)
        return self._scores[name].result(self._row).model_copy(deep=True)

    def __iter__(self) -> Iterator[str]:
        return (n for n in self._scores if n not in self._hidden)

    def __len__(self) -> int:
        return sum(1 for n in self._scores if n not in self._hidden)


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
