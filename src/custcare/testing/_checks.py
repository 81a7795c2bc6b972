"""The conformance kit: ``check_scorer`` runs the scorer contract on any scorer.

Built like scikit-learn's ``check_estimator``: generators yield small named checks;
each check works on a fresh copy of the scorer and fails with a sentence naming
the check, the scorer and the rule.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal

import numpy as np
from hypothesis import HealthCheck, given, settings

from custcare.batch import from_histories
from custcare.errors import NotFittedError
from custcare.models import (
    Complaint,
    ComplaintChannel,
    Customer,
    CustomerHistory,
    Order,
    OrderLine,
    OrderStatus,
    Review,
)
from custcare.scoring import BatchScores, Scorer, ScoreResult
from custcare.testing import strategies
from custcare.testing._doubles import ConstantScorer

__all__ = ["CheckRecord", "ScorerCheckError", "check_scorer", "scorer_checks"]

CHECK_AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
"""The moment the generated histories are scored at: some of their records are later."""


class ScorerCheckError(AssertionError):
    """A scorer broke the contract; the message lists every failed check."""


@dataclass(frozen=True)
class CheckRecord:
    """The outcome of one check on one scorer.

    Attributes:
        check: The check's name, e.g. ``"check_batch_agrees"``.
        scorer: The scorer's registered name.
        status: ``"passed"``, ``"failed"`` or ``"expected_failure"``.
        error: The failure sentence, naming check, scorer and rule.
        note: What a passing check could not check, when it says so (e.g. a
            batch scorer that declares no batch columns: only reasons and
            results were compared).
    """

    check: str
    scorer: str
    status: Literal["passed", "failed", "expected_failure"]
    error: str | None = None
    note: str | None = None


Check = Callable[[Scorer[Any], Sequence[CustomerHistory], datetime], "str | None"]
"""A check: raises `ScorerCheckError` on a breach; may return a note on what it checked."""


def _fail(check: str, scorer: Scorer[Any], rule: str, got: object) -> ScorerCheckError:
    return ScorerCheckError(f"{check} failed for {type(scorer).__name__}: {rule}; got {got}")


def _fresh(scorer: Scorer[Any]) -> Scorer[Any]:
    return copy.deepcopy(scorer)


def _shuffled(history: CustomerHistory) -> CustomerHistory:
    """The same records (and customer attributes) given in reverse order."""
    customer = history.customer.model_copy(
        update={"attributes": dict(reversed(history.customer.attributes.items()))}
    )
    return CustomerHistory(
        customer=customer,
        orders=tuple(reversed(history.orders)),
        reviews=tuple(reversed(history.reviews)),
        complaints=tuple(reversed(history.complaints)),
    )


def _with_future_records(history: CustomerHistory, as_of: datetime) -> CustomerHistory:
    """The history plus an order, a bad review and an escalating complaint after as_of."""
    cid = history.customer.id
    later = as_of + timedelta(days=1)
    currency = history.currency or "CNY"
    order = Order(
        id=f"{cid}--future-order",
        customer_id=cid,
        placed_at=later,
        currency=currency,
        status=OrderStatus.COMPLETED,
        lines=(OrderLine(sku="FUTURE", quantity=50, unit_price=Decimal("999")),),
    )
    review = Review(
        id=f"{cid}--future-review",
        customer_id=cid,
        order_id=order.id,
        posted_at=later + timedelta(hours=1),
        rating=1,
        text="质量太差，我要去消协投诉！ Terrible, I will sue.",
    )
    complaint = Complaint(
        id=f"{cid}--future-complaint",
        customer_id=cid,
        order_id=order.id,
        opened_at=later + timedelta(hours=2),
        channel=ComplaintChannel.REVIEW,
        text="受伤了，要求退款，我要曝光你们",
    )
    return CustomerHistory(
        customer=history.customer,
        orders=(*history.orders, order),
        reviews=(*history.reviews, review),
        complaints=(*history.complaints, complaint),
    )


def _comparable(result: ScoreResult) -> str:
    return result.model_dump_json()


def check_deterministic(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> None:
    """The same input twice gives the same result."""
    for h in histories:
        a, b = scorer.score(h, as_of=as_of), scorer.score(h, as_of=as_of)
        c = _fresh(scorer).score(h, as_of=as_of)
        if not _comparable(a) == _comparable(b) == _comparable(c):
            raise _fail(
                "check_deterministic",
                scorer,
                "same input must give same output",
                f"{a!r} then {b!r}",
            )


def check_record_order_invariant(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> None:
    """Giving the records in another order changes nothing."""
    for h in histories:
        a, b = scorer.score(h, as_of=as_of), scorer.score(_shuffled(h), as_of=as_of)
        if _comparable(a) != _comparable(b):
            raise _fail(
                "check_record_order_invariant",
                scorer,
                "the order of input records must not matter",
                f"{a!r} vs {b!r}",
            )


def check_future_ignored(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> None:
    """Records dated after ``as_of`` change nothing."""
    for h in histories:
        a = scorer.score(h, as_of=as_of)
        b = scorer.score(_with_future_records(h, as_of), as_of=as_of)
        if _comparable(a) != _comparable(b):
            raise _fail(
                "check_future_ignored",
                scorer,
                "records after as_of must not change the result",
                f"{a!r} vs {b!r}",
            )


def check_empty_history(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> None:
    """A customer with no records gets a result with reasons, not an exception."""
    empty = CustomerHistory(
        customer=Customer(id="check-empty", created_at=as_of - timedelta(days=30))
    )
    try:
        result = scorer.score(empty, as_of=as_of)
    except Exception as exc:
        raise _fail(
            "check_empty_history",
            scorer,
            "a customer with no orders must be scored",
            f"{type(exc).__name__}: {exc}",
        ) from exc
    if not result.reasons:
        raise _fail("check_empty_history", scorer, "the result must carry reasons", "none")


def check_input_not_mutated(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> None:
    """Scoring leaves the histories, the scorer's config and the batch's columns as they were."""
    before = [h.model_dump_json() for h in histories]
    config = scorer.config.model_dump_json()
    scorer.score_many(list(histories), as_of=as_of)
    after = [h.model_dump_json() for h in histories]
    if before != after:
        raise _fail(
            "check_input_not_mutated", scorer, "inputs must not be mutated", "a history changed"
        )
    if scorer.config.model_dump_json() != config:
        raise _fail(
            "check_input_not_mutated", scorer, "scoring must not change the config", scorer.config
        )
    if scorer.traits.batch:
        batch = from_histories(histories)
        snapshot = _arrays(batch)
        scorer.score_batch(batch, as_of=as_of)  # type: ignore[attr-defined]
        changed = [name for name, arr in _arrays(batch).items() if not _same(arr, snapshot[name])]
        if changed:
            raise _fail(
                "check_input_not_mutated",
                scorer,
                "score_batch must not change the batch's columns",
                f"{', '.join(changed)} changed",
            )
    return None


def _arrays(obj: object, prefix: str = "") -> dict[str, np.ndarray[Any, Any]]:
    """Copies of every array of a batch (its records included), by field path."""
    out: dict[str, np.ndarray[Any, Any]] = {}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if isinstance(value, np.ndarray):
                out[prefix + f.name] = value.copy()
            elif dataclasses.is_dataclass(value):
                out.update(_arrays(value, f"{prefix}{f.name}."))
    return out


def _same(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


_DECOY = "testing.decoy"
"""The upstream name `check_upstream_untouched` hands every scorer (none reads it)."""


def check_upstream_untouched(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> None:
    """Scoring leaves the upstream results it is handed as they were.

    Every scorer is handed a mutable upstream mapping holding a decoy scorer's
    results; afterwards the mapping must hold the same entries, and the decoy's
    results (and, for batch scorers, its batch columns) must be unchanged. In a
    `custcare.Pipeline` upstream is read-only, so a scorer that writes to it fails
    there.
    """
    decoy = ConstantScorer()
    for h in histories:
        result = decoy.score(h, as_of=as_of)
        upstream: dict[str, ScoreResult] = {_DECOY: result}
        before = result.model_dump_json()
        scorer.score(h, as_of=as_of, upstream=upstream)
        if list(upstream) != [_DECOY] or upstream[_DECOY] is not result:
            raise _fail(
                "check_upstream_untouched",
                scorer,
                "score must not add, remove or replace upstream results",
                f"upstream now holds {sorted(upstream)} for {h.customer.id}",
            )
        if result.model_dump_json() != before:
            raise _fail(
                "check_upstream_untouched",
                scorer,
                "score must not change the upstream results it reads",
                f"the decoy's result changed for {h.customer.id}",
            )
    if not scorer.traits.batch:
        return
    batch = from_histories(histories)
    scores = decoy.score_batch(batch, as_of=as_of)
    batch_upstream: dict[str, BatchScores] = {_DECOY: scores}
    snapshot = {k: v.copy() for k, v in scores.columns.items()}
    scorer.score_batch(batch, as_of=as_of, upstream=batch_upstream)  # type: ignore[attr-defined]
    if list(batch_upstream) != [_DECOY] or batch_upstream[_DECOY] is not scores:
        raise _fail(
            "check_upstream_untouched",
            scorer,
            "score_batch must not add, remove or replace upstream batch scores",
            f"upstream now holds {sorted(batch_upstream)}",
        )
    changed = [k for k, v in snapshot.items() if k not in scores.columns or not _same(scores[k], v)]
    if changed or set(scores.columns) != set(snapshot):
        raise _fail(
            "check_upstream_untouched",
            scorer,
            "score_batch must not change the upstream batch scores it reads",
            f"columns {sorted(changed) or sorted(scores.columns)} changed",
        )


def check_json_round_trip(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> None:
    """Results survive ``model_dump_json`` / ``model_validate_json`` unchanged."""
    for h in histories:
        result = scorer.score(h, as_of=as_of)
        back = type(result).model_validate_json(result.model_dump_json())
        if back != result:
            raise _fail(
                "check_json_round_trip",
                scorer,
                "the result must round-trip JSON",
                f"{result!r} came back as {back!r}",
            )


def check_reasons_and_evidence(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> None:
    """Results name their scorer, customer and moment, and explain themselves.

    Evidence must cite only records that exist in the history as of ``as_of``.
    """
    for h in histories:
        result = scorer.score(h, as_of=as_of)
        if not isinstance(result, ScoreResult):
            raise _fail(
                "check_reasons_and_evidence",
                scorer,
                "score() must return a ScoreResult",
                type(result).__name__,
            )
        if result.scorer != scorer.name or result.customer_id != h.customer.id:
            raise _fail(
                "check_reasons_and_evidence",
                scorer,
                "result.scorer and result.customer_id must match",
                (result.scorer, result.customer_id),
            )
        if result.as_of != as_of:
            raise _fail(
                "check_reasons_and_evidence", scorer, "result.as_of must be as_of", result.as_of
            )
        if not result.reasons:
            raise _fail(
                "check_reasons_and_evidence", scorer, "every result needs reasons", "no reasons"
            )
        unknown = result.evidence - h.until(as_of).record_ids
        if unknown:
            raise _fail(
                "check_reasons_and_evidence",
                scorer,
                "evidence must name records of the history up to as_of",
                sorted(unknown),
            )
        for reason in result.reasons:
            for field in ("name", "phone", "email", "address"):
                value = getattr(h.customer, field)
                if value and len(value) > 2 and value in reason.message:
                    raise _fail(
                        "check_reasons_and_evidence",
                        scorer,
                        "reason messages must mask personal data",
                        f"{field} in {reason.code!r}",
                    )


def check_batch_agrees(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> str | None:
    """The vectorised batch path gives the per-customer answers, reasons included.

    The batch columns are exactly the result's ``batch_columns`` (an undeclared
    column could not be compared); every column equals the per-customer value,
    each row's reason codes and evidence equal the per-customer result's, and the
    batch's full result of a row equals the per-customer result. A result that
    declares no batch columns passes on reasons and results alone, with a note
    saying so.
    """
    batch_scores = scorer.score_batch(from_histories(histories), as_of=as_of)  # type: ignore[attr-defined]
    if batch_scores.reasons is None or batch_scores.explain is None:
        raise _fail(
            "check_batch_agrees",
            scorer,
            "batch scores must carry reason columns and per-row results",
            f"reasons={batch_scores.reasons is not None}, "
            f"results={batch_scores.explain is not None}",
        )
    note = None
    for h in histories:
        result = scorer.score(h, as_of=as_of)
        columns: tuple[str, ...] = getattr(type(result), "batch_columns", ())
        undeclared = sorted(set(batch_scores.columns) - set(columns))
        if undeclared:
            raise _fail(
                "check_batch_agrees",
                scorer,
                f"every batch column must be listed in {type(result).__name__}.batch_columns, "
                "so it can be compared with the per-customer result",
                f"undeclared {undeclared}",
            )
        absent = [c for c in columns if c not in batch_scores.columns]
        if absent:
            raise _fail(
                "check_batch_agrees",
                scorer,
                "every declared batch column must be in the batch scores",
                f"missing {absent}",
            )
        if not columns:
            note = (
                f"{type(result).__name__} declares no batch_columns: only reasons, evidence "
                "and full results were compared"
            )
        row = batch_scores.row(h.customer.id)
        for col in columns:
            want, got = _plain(getattr(result, col)), row[col]
            same = (
                math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-9)
                or (math.isnan(want) and math.isnan(got))
                if isinstance(want, float) and isinstance(got, float)
                else want == got
            )
            if not same:
                raise _fail(
                    "check_batch_agrees",
                    scorer,
                    f"batch column {col!r} must equal the per-customer value",
                    f"{got!r} != {want!r} for {h.customer.id}",
                )
        i = batch_scores.row_of(h.customer.id)
        codes = batch_scores.reasons.codes_of(i)
        if codes != result.reason_codes:
            raise _fail(
                "check_batch_agrees",
                scorer,
                "batch reason codes must equal the per-customer reasons",
                f"{codes} != {result.reason_codes} for {h.customer.id}",
            )
        evidence = {e for j in range(len(codes)) for e in batch_scores.reasons.evidence_of(i, j)}
        if evidence != result.evidence:
            raise _fail(
                "check_batch_agrees",
                scorer,
                "batch evidence must equal the per-customer evidence",
                f"{sorted(evidence)} != {sorted(result.evidence)} for {h.customer.id}",
            )
        if batch_scores.result(i) != result:
            raise _fail(
                "check_batch_agrees",
                scorer,
                "the batch's result of a row must equal the per-customer result",
                f"they differ for {h.customer.id}",
            )
    return note


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "value") and not isinstance(value, (int, float)):
        return value.value
    if value is None:
        return float("nan")
    return value


def check_unfitted_raises(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> None:
    """An unfitted population scorer refuses to score with `NotFittedError`."""
    unfitted = scorer.with_config()  # type: ignore[attr-defined]
    try:
        unfitted.score(histories[0], as_of=as_of)
    except NotFittedError:
        return
    raise _fail(
        "check_unfitted_raises", scorer, "scoring before fit must raise NotFittedError", "a result"
    )


def check_fitted_state_round_trips(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> None:
    """A fitted population scorer survives ``to_json``/``from_json`` and scores the same."""
    back = type(scorer).from_json(scorer.to_json())  # type: ignore[attr-defined]
    for h in histories:
        a, b = scorer.score(h, as_of=as_of), back.score(h, as_of=as_of)
        if _comparable(a) != _comparable(b):
            raise _fail(
                "check_fitted_state_round_trips",
                scorer,
                "the reloaded scorer must score the same",
                f"{a!r} vs {b!r}",
            )


_PER_HISTORY: tuple[Check, ...] = (
    check_deterministic,
    check_record_order_invariant,
    check_future_ignored,
    check_json_round_trip,
    check_reasons_and_evidence,
)


def _yield_core_checks(scorer: Scorer[Any]) -> Iterator[Check]:
    yield from _PER_HISTORY
    yield check_empty_history
    yield check_input_not_mutated
    yield check_upstream_untouched


def _yield_population_checks(scorer: Scorer[Any]) -> Iterator[Check]:
    if scorer.traits.population:
        yield check_unfitted_raises
        yield check_fitted_state_round_trips


def _yield_batch_checks(scorer: Scorer[Any]) -> Iterator[Check]:
    if scorer.traits.batch:
        yield check_batch_agrees


def _yield_all_checks(scorer: Scorer[Any]) -> Iterator[Check]:
    yield from _yield_core_checks(scorer)
    yield from _yield_population_checks(scorer)
    yield from _yield_batch_checks(scorer)


def _prepared(
    scorer: Scorer[Any], histories: Sequence[CustomerHistory], as_of: datetime
) -> Scorer[Any]:
    scorer = _fresh(scorer)
    if scorer.traits.population and not getattr(scorer, "is_fitted", False):
        scorer.fit(histories, as_of=as_of)  # type: ignore[attr-defined]
    return scorer


def _run_generated(check: Check, scorer: Scorer[Any], as_of: datetime, examples: int) -> None:
    """Run a per-history check on hypothesis-generated histories (derandomised)."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategies.histories())
    def run(history: CustomerHistory) -> None:
        check(scorer, [history], as_of)

    run()


def scorer_checks(
    scorer: Scorer[Any],
    histories: Sequence[CustomerHistory] | None = None,
    *,
    as_of: datetime | None = None,
    generated_examples: int = 20,
) -> Iterator[tuple[str, Callable[[], str | None]]]:
    """Yield ``(check_name, run)`` pairs, for ``pytest.mark.parametrize`` with check ids.

    ``run()`` raises `ScorerCheckError` on a breach and returns the check's note
    (what it could not check), or None.

    Examples:
        >>> from custcare.testing import ConstantScorer
        >>> names = [name for name, _ in scorer_checks(ConstantScorer())]
        >>> "check_future_ignored" in names
        True
    """
    if histories is None:
        from custcare.datasets import sample_shop

        shop = sample_shop(n_customers=24)
        default_as_of = shop.as_of - timedelta(days=60)
        # The population as of then: customers created later were not customers yet.
        histories = [h for h in shop.histories if h.customer.created_at <= default_as_of]
    else:
        default_as_of = CHECK_AS_OF
    when = as_of or default_as_of
    pop = list(histories)
    for check in _yield_all_checks(scorer):

        def run(check: Check = check) -> str | None:
            # Fresh copies per check, so one check's damage cannot hide another's.
            data = copy.deepcopy(pop)
            prepared = _prepared(scorer, data, when)
            note = check(prepared, data, when)
            if check in _PER_HISTORY and generated_examples:
                _run_generated(check, prepared, CHECK_AS_OF, generated_examples)
            return note

        yield check.__name__, run


def check_scorer(
    scorer: Scorer[Any],
    histories: Sequence[CustomerHistory] | None = None,
    *,
    as_of: datetime | None = None,
    expected_failures: Mapping[str, str] | None = None,
    raise_on_failure: bool = True,
    generated_examples: int = 20,
) -> list[CheckRecord]:
    """Run the scorer contract on any scorer and report what failed.

    Checks: determinism; the order of records does not matter; records after
    ``as_of`` change nothing; an empty history is handled; inputs (histories, config,
    batch columns) are not mutated; upstream results handed in are left untouched;
    results round-trip JSON; reasons are present and cite only existing records
    (and mask personal data); for population scorers, scoring unfitted raises
    `NotFittedError` and the fitted state round-trips JSON; for batch scorers,
    the batch and per-customer paths agree, on exactly the declared batch
    columns. Per-history checks also run on hypothesis-generated histories
    (derandomised, so runs repeat).

    Args:
        scorer: The scorer to check (it is copied, never changed).
        histories: Histories to check on; defaults to the sample shop.
        as_of: When to score; defaults to a moment inside the histories.
        expected_failures: ``{check_name: reason}`` for known, accepted failures.
        raise_on_failure: Raise `ScorerCheckError` listing every failure (default), or
            only return the records.
        generated_examples: How many generated histories per check (0 to skip).

    Returns:
        One `CheckRecord` per check.

    Examples:
        >>> from custcare.testing import ConstantScorer
        >>> records = check_scorer(ConstantScorer())
        >>> all(r.status == "passed" for r in records)
        True
    """
    expected = dict(expected_failures or {})
    records: list[CheckRecord] = []
    for name, run in scorer_checks(
        scorer, histories, as_of=as_of, generated_examples=generated_examples
    ):
        try:
            note = run()
        except Exception as exc:
            status: Literal["failed", "expected_failure"] = (
                "expected_failure" if name in expected else "failed"
            )
            message = (
                str(exc)
                if isinstance(exc, ScorerCheckError)
                else f"{name} failed for {type(scorer).__name__}: it raised "
                f"{type(exc).__name__}: {exc}"
            )
            records.append(CheckRecord(name, scorer.name, status, message))
        else:
            records.append(CheckRecord(name, scorer.name, "passed", note=note))
    failed = [r for r in records if r.status == "failed"]
    if failed and raise_on_failure:
        lines = "\n".join(f"- {r.check}: {r.error}" for r in failed)
        raise ScorerCheckError(
            f"{type(scorer).__name__} ({scorer.name}) failed {len(failed)} of "
            f"{len(records)} contract checks:\n{lines}"
        )
    return records
