from __future__ import annotations

import itertools
from collections.abc import MutableMapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from custcare import (
    CustcareUsageError,
    CustomerHistory,
    NotFittedError,
    Pipeline,
    PopulationScorer,
    Reason,
    ScorerConfig,
    ScoreResult,
    ScorerTraits,
)
from custcare.batch import CustomerBatch
from custcare.datasets import sample_shop
from custcare.scoring import BatchScores, ReasonColumns, ReasonSlot, Upstream
from custcare.testing import (
    ConstantConfig,
    ConstantResult,
    ConstantScorer,
    ScorerCheckError,
    check_scorer,
    scorer_checks,
)

UTC = timezone.utc
SHOP = sample_shop(n_customers=12)


def test_reason_codes_are_validated() -> None:
    with pytest.raises(ValidationError) as exc:
        Reason(code="Not A Code", message="x")
    assert exc.value.errors()[0]["loc"] == ("code",)
    with pytest.raises(ValidationError):
        Reason(code="a.b", message="x", weight=1.5)
    with pytest.raises(ValidationError):
        Reason(code="a.b", message="")


def test_result_round_trips_and_is_frozen() -> None:
    r = ConstantScorer().score(SHOP.histories[0], as_of=SHOP.as_of)
    assert ConstantResult.model_validate_json(r.model_dump_json()) == r
    with pytest.raises(ValidationError):
        r.value = 2.0  # type: ignore[misc]


def test_bad_config_fails_fast_naming_field() -> None:
    with pytest.raises(ValidationError) as exc:
        ConstantScorer(value="lots")
    assert exc.value.errors()[0]["loc"] == ("value",)
    with pytest.raises(ValidationError) as exc:
        ConstantScorer(valeu=1.0)
    assert exc.value.errors()[0]["type"] == "extra_forbidden"


def test_config_object_or_keywords() -> None:
    assert ConstantScorer(ConstantConfig(value=2.0)).config.value == 2.0
    assert ConstantScorer({"value": 3.0}).config.value == 3.0
    assert ConstantScorer(ConstantConfig(value=2.0), value=4.0).config.value == 4.0
    with pytest.raises(CustcareUsageError):
        ConstantScorer(Reason(code="a", message="b"))  # type: ignore[arg-type]


def test_config_has_json_schema() -> None:
    schema = ConstantScorer.config_model.model_json_schema()
    assert "value" in schema["properties"]


def test_naive_as_of_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ConstantScorer().score(SHOP.histories[0], as_of=datetime(2026, 1, 1))
    with pytest.raises(CustcareUsageError):
        ConstantScorer().score(SHOP.histories[0], as_of="2026-01-01")  # type: ignore[arg-type]


def test_score_refuses_non_history() -> None:
    with pytest.raises(CustcareUsageError, match="CustomerHistory"):
        ConstantScorer().score({"customer": {}}, as_of=SHOP.as_of)  # type: ignore[arg-type]


def test_score_many_keeps_order() -> None:
    results = ConstantScorer().score_many(SHOP.histories, as_of=SHOP.as_of)
    assert [r.customer_id for r in results] == [h.customer.id for h in SHOP.histories]


def test_constant_scorer_passes_the_kit() -> None:
    records = check_scorer(ConstantScorer())
    assert {r.check for r in records} >= {
        "check_deterministic",
        "check_record_order_invariant",
        "check_future_ignored",
        "check_empty_history",
        "check_input_not_mutated",
        "check_json_round_trip",
        "check_reasons_and_evidence",
        "check_batch_agrees",
    }
    assert all(r.status == "passed" for r in records)


# --- deliberately broken scorers: each check can fail ------------------------------------


class _Counter(ConstantScorer):
    calls: ClassVar[itertools.count[int]] = itertools.count()

    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        return r.model_copy(update={"value": float(next(self.calls))})


class _FirstAttribute(ConstantScorer):
    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        keys = list(history.customer.attributes)
        return r.model_copy(update={"value": float(len(keys[0])) if keys else 0.0})


class _Peeker(ConstantScorer):
    def score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream | None = None
    ) -> Any:
        r = super().score(history, as_of=as_of, upstream=upstream)
        return r.model_copy(update={"purchases": len(history.orders)})


class _CrashesOnEmpty(ConstantScorer):
    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        _ = history.orders[-1]
        return super()._score(history, as_of=as_of, upstream=upstream)


class _Mutator(ConstantScorer):
    # Per customer, so score_many hands it the histories themselves (not a batch).
    traits: ClassVar[ScorerTraits] = ScorerTraits()

    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        object.__setattr__(history.customer, "region", "mutated")
        return super()._score(history, as_of=as_of, upstream=upstream)


class _NanResult(ConstantScorer):
    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        return r.model_copy(update={"value": float("nan")})


class _NoReasons(ConstantScorer):
    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        return r.model_copy(update={"reasons": ()})


class _GhostEvidence(ConstantScorer):
    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        return r.model_copy(
            update={"reasons": (Reason(code="x", message="y", evidence=("ghost",)),)}
        )


class _LeaksPhone(ConstantScorer):
    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        msg = f"Call {history.customer.phone or 'nobody'}."
        return r.model_copy(update={"reasons": (Reason(code="x", message=msg),)})


class _BatchDisagrees(ConstantScorer):
    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        good = super().score_batch(batch, as_of=as_of)
        return BatchScores.build(
            self.name,
            good.customer_ids,
            {**good.columns, "value": good["value"] + 1},
            reasons=good.reasons,
            explain=good.explain,
        )


class _BatchWithoutReasons(ConstantScorer):
    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        good = super().score_batch(batch, as_of=as_of)
        return BatchScores.build(self.name, good.customer_ids, good.columns)


class _BatchOtherReasons(ConstantScorer):
    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        good = super().score_batch(batch, as_of=as_of)
        other = ReasonColumns.build(len(good), [ReasonSlot("testing.other", True)])
        return BatchScores.build(
            self.name, good.customer_ids, good.columns, reasons=other, explain=good.explain
        )


class _BatchLosesEvidence(ConstantScorer):
    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        good = super().score_batch(batch, as_of=as_of)
        bare = ReasonColumns.build(len(good), [ReasonSlot("testing.constant", True)])
        return BatchScores.build(
            self.name, good.customer_ids, good.columns, reasons=bare, explain=good.explain
        )


class _BatchOtherResult(ConstantScorer):
    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        good = super().score_batch(batch, as_of=as_of)
        assert good.explain is not None
        explain = good.explain

        def wrong(i: int) -> Any:
            return explain(i).model_copy(update={"purchases": 99})

        return BatchScores.build(
            self.name, good.customer_ids, good.columns, reasons=good.reasons, explain=wrong
        )


class _UpstreamWriter(ConstantScorer):
    """Adds its own result to the upstream mapping it is handed."""

    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        if isinstance(upstream, MutableMapping):
            upstream["testing.intruder"] = r
        return r


class _UpstreamEditor(ConstantScorer):
    """Rewrites the upstream results it reads (through the frozen model's back door)."""

    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        for result in upstream.values():
            object.__setattr__(result, "reasons", ())
        return super()._score(history, as_of=as_of, upstream=upstream)


class _BatchUpstreamWriter(ConstantScorer):
    """Its batch path drops the upstream batch scores it is handed."""

    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        if isinstance(upstream, MutableMapping):
            upstream.clear()
        return super().score_batch(batch, as_of=as_of)


class _BatchInputMutator(ConstantScorer):
    """Its batch path changes the batch's order totals."""

    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        object.__setattr__(batch, "order_total", batch.order_total * 2)
        return super().score_batch(batch, as_of=as_of)


class _BatchUndeclaredColumn(ConstantScorer):
    """Its batch path gives a column its result does not declare (so it is never compared)."""

    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        good = super().score_batch(batch, as_of=as_of)
        return BatchScores.build(
            self.name,
            good.customer_ids,
            {**good.columns, "bonus": np.full(len(good), 7.0)},
            reasons=good.reasons,
            explain=good.explain,
        )


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        (_UpstreamWriter(), "check_upstream_untouched"),
        (_UpstreamEditor(), "check_upstream_untouched"),
        (_BatchUpstreamWriter(), "check_upstream_untouched"),
        (_BatchInputMutator(), "check_input_not_mutated"),
        (_BatchUndeclaredColumn(), "check_batch_agrees"),
        (_Counter(), "check_deterministic"),
        (_FirstAttribute(), "check_record_order_invariant"),
        (_Peeker(), "check_future_ignored"),
        (_CrashesOnEmpty(), "check_empty_history"),
        (_Mutator(), "check_input_not_mutated"),
        (_NanResult(), "check_json_round_trip"),
        (_NoReasons(), "check_reasons_and_evidence"),
        (_GhostEvidence(), "check_reasons_and_evidence"),
        (_LeaksPhone(), "check_reasons_and_evidence"),
        (_BatchDisagrees(), "check_batch_agrees"),
        (_BatchWithoutReasons(), "check_batch_agrees"),
        (_BatchOtherReasons(), "check_batch_agrees"),
        (_BatchLosesEvidence(), "check_batch_agrees"),
        (_BatchOtherResult(), "check_batch_agrees"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_each_check_catches_its_breakage(broken: ConstantScorer, check: str) -> None:
    shop = sample_shop(n_customers=12)
    histories = [
        h.model_copy(
            update={"customer": h.customer.model_copy(update={"attributes": {"zz": 1, "a": 2}})}
        )
        for h in shop.histories
    ]
    histories = [CustomerHistory.model_validate(h.model_dump()) for h in histories]
    records = check_scorer(
        broken,
        histories,
        as_of=shop.as_of - timedelta(days=60),
        raise_on_failure=False,
        generated_examples=0,
    )
    by_name = {r.check: r for r in records}
    assert by_name[check].status == "failed", by_name[check]
    assert check in (by_name[check].error or "")
    assert type(broken).__name__ in (by_name[check].error or "")


class _BareResult(ConstantResult):
    batch_columns: ClassVar[tuple[str, ...]] = ()


class _ReasonsOnly(ConstantScorer):
    """A batch scorer whose result declares no batch columns and whose batch gives none."""

    def _scores(self, batch: CustomerBatch, as_of: datetime) -> BatchScores:
        good = super()._scores(batch, as_of)
        assert good.explain is not None
        explain = good.explain

        def bare(i: int) -> _BareResult:
            return _BareResult(**dict(explain(i)))

        return BatchScores.build(
            self.name, good.customer_ids, {}, reasons=good.reasons, as_of=as_of, explain=bare
        )


class _ReasonsOnlyDisagrees(_ReasonsOnly):
    """Same, but its batch path's results differ from the per-customer ones."""

    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        good = super().score_batch(batch, as_of=as_of)
        assert good.explain is not None
        explain = good.explain

        def wrong(i: int) -> Any:
            return explain(i).model_copy(update={"value": 2.0})

        return BatchScores.build(
            self.name, good.customer_ids, {}, reasons=good.reasons, explain=wrong
        )


def test_batch_check_without_batch_columns_says_so_and_still_compares_results() -> None:
    records = {r.check: r for r in check_scorer(_ReasonsOnly(), generated_examples=0)}
    agrees = records["check_batch_agrees"]
    assert agrees.status == "passed"
    assert agrees.note is not None and "declares no batch_columns" in agrees.note
    assert records["check_deterministic"].note is None
    broken = check_scorer(_ReasonsOnlyDisagrees(), generated_examples=0, raise_on_failure=False)
    failed = {r.check: r for r in broken}["check_batch_agrees"]
    assert failed.status == "failed"
    assert "must equal the per-customer result" in (failed.error or "")


def test_failure_raises_readable_error_and_expected_failures_are_accepted() -> None:
    with pytest.raises(ScorerCheckError, match=r"check_reasons_and_evidence failed for _NoReasons"):
        check_scorer(_NoReasons(), generated_examples=0)
    records = check_scorer(
        _NoReasons(),
        generated_examples=0,
        expected_failures={
            "check_reasons_and_evidence": "demo",
            "check_empty_history": "demo",
            # its per-customer path drops the reasons its batch path gives
            "check_batch_agrees": "demo",
        },
    )
    assert {r.status for r in records} <= {"passed", "expected_failure"}


def test_scorer_checks_give_pytest_ids() -> None:
    names = [name for name, _ in scorer_checks(ConstantScorer())]
    assert len(names) == len(set(names))
    assert names[0] == "check_deterministic"


# --- population scorers --------------------------------------------------------------------


class _MeanState(BaseModel):
    model_config = {"frozen": True, "extra": "forbid"}
    mean_spend: float


class _MeanConfig(ScorerConfig):
    pass


class _MeanResult(ScoreResult):
    above_mean: bool


class MeanSpendScorer(PopulationScorer[_MeanConfig, _MeanResult, _MeanState]):
    name: ClassVar[str] = "test.mean_spend"
    description: ClassVar[str] = "Above the population's mean spend?"
    config_model = _MeanConfig
    state_model = _MeanState

    def _fit_batch(self, batch: CustomerBatch, *, as_of: datetime) -> _MeanState:
        spend = batch.spend()
        return _MeanState(mean_spend=float(spend.mean()) if spend.size else 0.0)

    def _score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream
    ) -> _MeanResult:
        spend = sum(float(o.total) for o in history.purchases)
        return _MeanResult(
            scorer=self.name,
            customer_id=history.customer_id,
            as_of=as_of,
            above_mean=spend > self.state.mean_spend,
            reasons=(Reason(code="test.mean", message=f"Spend {spend:.2f}."),),
        )


class _ForgetsState(MeanSpendScorer):
    def to_json(self) -> str:
        return type(self)().to_json()


class _NeverUnfitted(MeanSpendScorer):
    def _check_ready(self) -> None:
        if self.state_ is None:
            self.state_ = _MeanState(mean_spend=0.0)


def test_population_scorer_fits_persists_and_passes_kit() -> None:
    s = MeanSpendScorer()
    assert not s.is_fitted
    with pytest.raises(NotFittedError, match="call fit"):
        s.score(SHOP.histories[0], as_of=SHOP.as_of)
    s.fit(SHOP.histories, as_of=SHOP.as_of)
    back = MeanSpendScorer.from_json(s.to_json())
    assert back.state == s.state
    check_scorer(MeanSpendScorer())


def test_fit_accepts_a_batch_and_ignores_later_orders() -> None:
    from custcare.batch import from_histories

    early = SHOP.as_of - timedelta(days=200)
    a = MeanSpendScorer().fit(SHOP.histories, as_of=early)
    b = MeanSpendScorer().fit(from_histories(SHOP.histories), as_of=early)
    assert a.state == b.state


def test_from_json_refuses_other_scorer() -> None:
    other = MeanSpendScorer().to_json().replace("test.mean_spend", "loyalty.other")
    with pytest.raises(CustcareUsageError):
        MeanSpendScorer.from_json(other)


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        (_ForgetsState(), "check_fitted_state_round_trips"),
        (_NeverUnfitted(), "check_unfitted_raises"),
    ],
    ids=["forgets_state", "never_unfitted"],
)
def test_population_checks_catch_breakage(broken: MeanSpendScorer, check: str) -> None:
    records = check_scorer(broken, raise_on_failure=False, generated_examples=0)
    assert {r.check: r.status for r in records}[check] == "failed"


# --- pipeline ----------------------------------------------------------------------------


def _dep_scorer(name: str, requires: Sequence[str] = (), uses: Sequence[str] = ()) -> Any:
    class Dep(ConstantScorer):
        traits = ScorerTraits(requires=tuple(requires), uses=tuple(uses))
        seen: ClassVar[list[tuple[str, tuple[str, ...]]]] = []

        def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
            Dep.seen.append((self.name, tuple(sorted(upstream))))
            return super()._score(history, as_of=as_of, upstream=upstream)

    Dep.name = name
    return Dep()


def test_pipeline_runs_in_dependency_order() -> None:
    c = _dep_scorer("c", requires=["b"])
    b = _dep_scorer("b", requires=["a"])
    a = _dep_scorer("a")
    d = _dep_scorer("d", uses=["c", "absent"])
    p = Pipeline([d, c, b, a])
    assert p.order == ("a", "b", "c", "d")
    reports = p.run(SHOP.histories[:2], as_of=SHOP.as_of).reports()
    assert [r.customer_id for r in reports] == [h.customer.id for h in SHOP.histories[:2]]
    assert list(reports[0].results) == ["a", "b", "c", "d"]
    # each scorer sees exactly the results it requires or uses, nothing else
    assert ("d", ("c",)) in type(d).seen
    assert ("b", ("a",)) in type(b).seen
    assert ("a", ()) in type(a).seen
    assert "results" in reports[0].model_dump_json()


def test_pipeline_rejects_missing_dependency_and_cycles() -> None:
    with pytest.raises(CustcareUsageError) as exc:
        Pipeline([_dep_scorer("x", requires=["y"])])
    assert exc.value.code == "missing_dependency"
    with pytest.raises(CustcareUsageError) as exc:
        Pipeline([_dep_scorer("x", requires=["y"]), _dep_scorer("y", requires=["x"])])
    assert exc.value.code == "dependency_cycle"
    with pytest.raises(CustcareUsageError):
        Pipeline([ConstantScorer(), ConstantScorer()])


def test_pipeline_fits_population_scorers() -> None:
    p = Pipeline([MeanSpendScorer()]).fit(SHOP.histories, as_of=SHOP.as_of)
    report = p.run(SHOP.histories[:1], as_of=SHOP.as_of).reports()[0]
    assert isinstance(report["test.mean_spend"], _MeanResult)


def test_batch_scores_are_read_only() -> None:
    from custcare.batch import from_histories

    scores = ConstantScorer().score_batch(from_histories(SHOP.histories), as_of=SHOP.as_of)
    with pytest.raises(ValueError, match="read-only"):
        scores["value"][0] = 5.0
    assert len(scores) == len(SHOP.histories)
    assert np.all(scores["value"] == 1.0)
