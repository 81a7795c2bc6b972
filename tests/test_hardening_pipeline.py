"""Hardening catalogue, issue 11 items 8 and 10: what a plugin can do to a pipeline,
a plugin with an empty description, and bad options on the command line.

Each case failed before the fix: a scorer could write into the upstream it was
handed or change the results other scorers read; one exception for one customer
aborted the run with a raw error naming neither scorer nor customer; a result for
another customer or with a NaN was kept; an empty description crashed the
registry with an IndexError; ``--customers 3`` and ``--seed -1`` gave tracebacks.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
from collections.abc import MutableMapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

import custcare
from custcare import CustomerHistory, Reason, ScoreResult, ScorerTraits
from custcare.__main__ import main
from custcare.batch import CustomerBatch
from custcare.datasets import sample_shop
from custcare.errors import CustcareError, CustcareUsageError, ScorerRegistrationError
from custcare.loyalty import ThresholdTierScorer
from custcare.scoring import (
    FAILED_REASON,
    BaseScorer,
    BatchScores,
    Pipeline,
    Scorer,
    ScorerConfig,
    ScoringError,
    Upstream,
)
from custcare.testing import ConstantResult, ConstantScorer

SHOP = sample_shop(n_customers=12)
VICTIM = SHOP.histories[3]
"""The customer a hostile scorer fails for."""

# --- hostile scorers ------------------------------------------------------------------------


class _Config(ScorerConfig):
    pass


class _CountsResult(ScoreResult):
    """A result with a mutable field (a dict), as plugins' results may have."""

    batch_columns: ClassVar[tuple[str, ...]] = ("n",)

    n: int
    counts: dict[str, int]


class _Counts(BaseScorer[_Config, _CountsResult]):
    """A per-customer plugin whose results other plugins read."""

    name: ClassVar[str] = "plugin.counts"
    description: ClassVar[str] = "Counts orders (a plugin double)."
    config_model = _Config

    def _score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream
    ) -> _CountsResult:
        return _CountsResult(
            scorer=self.name,
            customer_id=history.customer_id,
            as_of=as_of,
            n=len(history.orders),
            counts={"orders": len(history.orders)},
            reasons=(Reason(code="plugin.counts", message="Orders counted."),),
        )


class _Reader(BaseScorer[_Config, ConstantResult]):
    """Reads plugin.counts; subclasses misbehave with what they read."""

    name: ClassVar[str] = "plugin.reader"
    description: ClassVar[str] = "Reads plugin.counts (a plugin double)."
    config_model = _Config
    traits: ClassVar[ScorerTraits] = ScorerTraits(requires=("plugin.counts",))

    def _read(self, upstream: Upstream) -> float:
        return float(upstream["plugin.counts"].counts["orders"])  # type: ignore[attr-defined]

    def _score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream
    ) -> ConstantResult:
        return ConstantResult(
            scorer=self.name,
            customer_id=history.customer_id,
            as_of=as_of,
            value=self._read(upstream),
            purchases=0,
            reasons=(Reason(code="plugin.reader", message="Read upstream."),),
        )


class _DictVandal(_Reader):
    """Changes the dict inside the upstream result it reads."""

    name: ClassVar[str] = "plugin.vandal"

    def _read(self, upstream: Upstream) -> float:
        upstream["plugin.counts"].counts["orders"] = 999  # type: ignore[attr-defined]
        return 0.0


class _FieldVandal(_Reader):
    """Overwrites a field of the frozen upstream result it reads."""

    name: ClassVar[str] = "plugin.vandal"

    def _read(self, upstream: Upstream) -> float:
        object.__setattr__(upstream["plugin.counts"], "n", -1)
        return 0.0


class _Later(_Reader):
    """Runs after the vandal and reads what it left."""

    name: ClassVar[str] = "plugin.later"
    traits: ClassVar[ScorerTraits] = ScorerTraits(requires=("plugin.counts", "plugin.vandal"))


class _BatchOverwriter(ConstantScorer):
    """A batch scorer that replaces another scorer's scores in the upstream it is handed."""

    name: ClassVar[str] = "plugin.overwriter"
    traits: ClassVar[ScorerTraits] = ScorerTraits(batch=True, uses=("loyalty.threshold",))

    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        mine = super().score_batch(batch, as_of=as_of)
        upstream["loyalty.threshold"] = mine
        return mine


class _FailsForOne(ConstantScorer):
    """Raises for one customer, quoting personal data in its message."""

    name: ClassVar[str] = "plugin.flaky"
    traits: ClassVar[ScorerTraits] = ScorerTraits()

    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        if history.customer_id == VICTIM.customer_id:
            raise KeyError(f"no such phone {history.customer.phone} for {history.customer.name}")
        return super()._score(history, as_of=as_of, upstream=upstream)


class _NeedsFlaky(ConstantScorer):
    name: ClassVar[str] = "plugin.needs_flaky"
    traits: ClassVar[ScorerTraits] = ScorerTraits(requires=("plugin.flaky",))


class _UsesFlaky(ConstantScorer):
    """Reads plugin.flaky when present; records whether it saw it."""

    name: ClassVar[str] = "plugin.uses_flaky"
    traits: ClassVar[ScorerTraits] = ScorerTraits(uses=("plugin.flaky",))

    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        return r.model_copy(update={"purchases": int("plugin.flaky" in upstream)})


class _BatchFails(ConstantScorer):
    name: ClassVar[str] = "plugin.batch_fails"

    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        raise ZeroDivisionError("boom")


class _NeedsBatchFails(ConstantScorer):
    name: ClassVar[str] = "plugin.needs_batch_fails"
    traits: ClassVar[ScorerTraits] = ScorerTraits(batch=True, requires=("plugin.batch_fails",))


class _UsesBatchFails(ConstantScorer):
    name: ClassVar[str] = "plugin.uses_batch_fails"
    traits: ClassVar[ScorerTraits] = ScorerTraits(batch=True, uses=("plugin.batch_fails",))


class _OtherCustomer(ConstantScorer):
    """Answers for the victim with another customer's id."""

    name: ClassVar[str] = "plugin.other_customer"
    traits: ClassVar[ScorerTraits] = ScorerTraits()

    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        if history.customer_id == VICTIM.customer_id:
            return r.model_copy(update={"customer_id": SHOP.histories[0].customer_id})
        return r


class _Swapped(ConstantScorer):
    """Two customers' results swapped: every id is still in the table."""

    name: ClassVar[str] = "plugin.swapped"
    traits: ClassVar[ScorerTraits] = ScorerTraits()

    def score_many(
        self,
        histories: Any,
        *,
        as_of: datetime,
        upstream: Any = None,
    ) -> list[Any]:
        results = super().score_many(histories, as_of=as_of, upstream=upstream)
        if len(results) > 1:
            results[0], results[1] = results[1], results[0]
        return results


class _NaN(ConstantScorer):
    name: ClassVar[str] = "plugin.nan"
    traits: ClassVar[ScorerTraits] = ScorerTraits()

    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        if history.customer_id == VICTIM.customer_id:
            return r.model_copy(update={"value": float("nan")})
        return r


class _NaNInDict(_Counts):
    name: ClassVar[str] = "plugin.nan_dict"

    def _score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream
    ) -> _CountsResult:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        return r.model_copy(update={"counts": {"orders": float("inf")}})


class _OtherScorer(ConstantScorer):
    """Its results name another scorer."""

    name: ClassVar[str] = "plugin.real"
    traits: ClassVar[ScorerTraits] = ScorerTraits()

    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        r = super()._score(history, as_of=as_of, upstream=upstream)
        return r.model_copy(update={"scorer": "plugin.impostor"})


class _NotAResult(ConstantScorer):
    name: ClassVar[str] = "plugin.not_a_result"
    traits: ClassVar[ScorerTraits] = ScorerTraits()

    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
        return {"customer_id": history.customer_id, "value": 1.0}


class _BatchReversed(ConstantScorer):
    """Batch scores in another customer order."""

    name: ClassVar[str] = "plugin.reversed"

    def score_batch(self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None) -> Any:
        good = super().score_batch(batch, as_of=as_of)
        return BatchScores.build(self.name, good.customer_ids[::-1].copy(), {})


def _phone_and_name(history: CustomerHistory) -> list[str]:
    c = history.customer
    return [v for v in (c.phone, c.name, c.email, c.address) if v]


# --- item 8: upstream is read-only -----------------------------------------------------------


def test_a_batch_scorer_cannot_replace_scores_in_its_upstream() -> None:
    pipeline = Pipeline([ThresholdTierScorer(), _BatchOverwriter()])
    with pytest.raises(ScoringError) as exc:
        pipeline.run(SHOP.histories, as_of=SHOP.as_of)
    assert exc.value.scorer == "plugin.overwriter"
    assert exc.value.customer_id is None and exc.value.code == "raised"
    assert isinstance(exc.value.__cause__, TypeError)  # a read-only mapping
    table = pipeline.run(SHOP.histories, as_of=SHOP.as_of, errors="collect")
    assert [e.scorer for e in table.errors] == ["plugin.overwriter"]
    assert table.scorers == ("loyalty.threshold",)
    first = SHOP.histories[0]
    assert table.explain(first.customer_id)["loyalty.threshold"] == ThresholdTierScorer().score(
        first, as_of=SHOP.as_of
    )


@pytest.mark.parametrize("vandal", [_DictVandal(), _FieldVandal()], ids=["dict", "field"])
def test_a_per_customer_scorer_cannot_change_results_others_read(vandal: _Reader) -> None:
    table = Pipeline([_Counts(), vandal, _Later()]).run(SHOP.histories, as_of=SHOP.as_of)
    for h in SHOP.histories:
        own = _Counts().score(h, as_of=SHOP.as_of)
        report = table.explain(h.customer_id)
        assert report["plugin.counts"] == own, "the table kept a damaged result"
        assert report["plugin.later"].value == len(h.orders)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(
        table["plugin.counts"]["n"], [len(h.orders) for h in SHOP.histories]
    )


def test_upstream_a_scorer_is_handed_is_a_read_only_mapping() -> None:
    seen: list[object] = []

    class Grabber(ConstantScorer):
        name: ClassVar[str] = "plugin.grabber"
        traits: ClassVar[ScorerTraits] = ScorerTraits(uses=("plugin.counts",))

        def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> Any:
            seen.append(upstream)
            return super()._score(history, as_of=as_of, upstream=upstream)

    Pipeline([_Counts(), Grabber()]).run(SHOP.histories[:2], as_of=SHOP.as_of)
    assert seen and not any(isinstance(u, MutableMapping) for u in seen)
    for u in seen:  # no back door to the shared state either
        inside = [getattr(u, a) for a in (*getattr(u, "__slots__", ()), *vars_of(u))]
        assert not any(isinstance(v, MutableMapping) for v in inside)


def vars_of(obj: object) -> list[str]:
    return list(getattr(obj, "__dict__", {}))


# --- item 8: one failure names scorer and customer; the run can collect -------------------------


def test_one_failing_customer_is_named_without_personal_data() -> None:
    with pytest.raises(ScoringError) as exc:
        Pipeline([ThresholdTierScorer(), _FailsForOne()]).run(SHOP.histories, as_of=SHOP.as_of)
    err = exc.value
    assert isinstance(err, CustcareError)
    assert (err.scorer, err.customer_id, err.code, err.cause) == (
        "plugin.flaky",
        VICTIM.customer_id,
        "raised",
        "KeyError",
    )
    assert "plugin.flaky" in str(err) and VICTIM.customer_id in str(err)
    assert isinstance(err.__cause__, KeyError)  # the original, for the developer
    for value in _phone_and_name(VICTIM):
        assert value not in str(err) and value not in repr(err)
    back = pickle.loads(pickle.dumps(err))
    assert (back.scorer, back.customer_id, back.code, str(back)) == (
        err.scorer,
        err.customer_id,
        err.code,
        str(err),
    )


def test_collect_keeps_every_other_result() -> None:
    scorers: list[Scorer[Any]] = [
        ThresholdTierScorer(),
        _FailsForOne(),
        _NeedsFlaky(),
        _UsesFlaky(),
    ]
    table = Pipeline(scorers).run(SHOP.histories, as_of=SHOP.as_of, errors="collect")
    assert len(table) == len(SHOP.histories)
    assert [(e.scorer, e.customer_id, e.code) for e in table.errors] == [
        ("plugin.flaky", VICTIM.customer_id, "raised"),
        ("plugin.needs_flaky", VICTIM.customer_id, "upstream_failed"),
    ]
    for h in SHOP.histories:
        report = table.explain(h.customer_id)
        assert report["loyalty.threshold"] == ThresholdTierScorer().score(h, as_of=SHOP.as_of)
        if h is VICTIM:
            assert report["plugin.flaky"].reason_codes == (FAILED_REASON,)
            assert report["plugin.needs_flaky"].reason_codes == (FAILED_REASON,)
            assert report["plugin.uses_flaky"].purchases == 0  # type: ignore[attr-defined]
            for value in _phone_and_name(h):
                assert value not in report.model_dump_json()
        else:
            assert report["plugin.flaky"] == ConstantScorer().score(h, as_of=SHOP.as_of).model_copy(
                update={"scorer": "plugin.flaky"}
            )
            assert report["plugin.uses_flaky"].purchases == 1  # type: ignore[attr-defined]
    row = table.row_of(VICTIM.customer_id)
    cols = table.to_dict()
    assert np.isnan(cols["plugin.flaky.value"][row])
    assert np.isnan(cols["plugin.flaky.purchases"][row])  # missing, so as float
    assert list(cols["plugin.flaky.reason_codes"][row]) == [FAILED_REASON]
    others = np.delete(cols["plugin.flaky.value"], row)
    assert np.all(others == 1.0)
    for value in _phone_and_name(VICTIM):
        assert all(value not in str(e) for e in table.errors)


def test_collect_survives_arrow() -> None:
    pa = pytest.importorskip("pyarrow")
    table = Pipeline([_FailsForOne()]).run(SHOP.histories, as_of=SHOP.as_of, errors="collect")
    arrow = pa.table(table)
    assert arrow.column("plugin.flaky.value").null_count == 1
    assert arrow.column("plugin.flaky.reason_codes").to_pylist()[3] == [FAILED_REASON]


def test_a_failing_batch_path_is_named_and_collected() -> None:
    scorers: list[Scorer[Any]] = [
        ThresholdTierScorer(),
        _BatchFails(),
        _NeedsBatchFails(),
        _UsesBatchFails(),
    ]
    with pytest.raises(ScoringError) as exc:
        Pipeline(scorers).run(SHOP.histories, as_of=SHOP.as_of)
    assert (exc.value.scorer, exc.value.customer_id) == ("plugin.batch_fails", None)
    assert "the whole batch" in str(exc.value)
    table = Pipeline(scorers).run(SHOP.histories, as_of=SHOP.as_of, errors="collect")
    assert [(e.scorer, e.code) for e in table.errors] == [
        ("plugin.batch_fails", "raised"),
        ("plugin.needs_batch_fails", "upstream_failed"),
    ]
    assert set(table.scorers) == {"loyalty.threshold", "plugin.uses_batch_fails"}
    assert len(table) == len(SHOP.histories)


def test_errors_option_is_checked() -> None:
    with pytest.raises(CustcareUsageError, match="'raise' or 'collect'") as exc:
        Pipeline([ConstantScorer()]).run(
            SHOP.histories,
            as_of=SHOP.as_of,
            errors="ignore",  # type: ignore[arg-type]
        )
    assert exc.value.code == "bad_argument"


# --- item 8: answers are checked before they are kept ------------------------------------------


@pytest.mark.parametrize(
    ("scorer", "code", "who"),
    [
        (_OtherCustomer(), "wrong_customer", VICTIM.customer_id),
        (_Swapped(), "wrong_customer", SHOP.histories[0].customer_id),
        (_NaN(), "not_finite", VICTIM.customer_id),
        (_NaNInDict(), "not_finite", SHOP.histories[0].customer_id),
        (_OtherScorer(), "wrong_scorer", SHOP.histories[0].customer_id),
        (_NotAResult(), "not_a_result", SHOP.histories[0].customer_id),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_a_bad_answer_is_refused_naming_scorer_and_customer(
    scorer: ConstantScorer, code: str, who: str
) -> None:
    name = scorer.name
    with pytest.raises(ScoringError) as exc:
        Pipeline([scorer]).run(SHOP.histories, as_of=SHOP.as_of)
    assert (exc.value.scorer, exc.value.customer_id, exc.value.code) == (name, who, code)
    table = Pipeline([scorer]).run(SHOP.histories, as_of=SHOP.as_of, errors="collect")
    failed = {e.customer_id for e in table.errors}
    assert who in failed and {e.code for e in table.errors} == {code}
    for h in SHOP.histories:
        codes = table.explain(h.customer_id)[name].reason_codes
        assert (codes == (FAILED_REASON,)) == (h.customer_id in failed)


def test_nan_in_a_result_names_the_field() -> None:
    with pytest.raises(ScoringError, match=r"value is not a finite number"):
        Pipeline([_NaN()]).run(SHOP.histories, as_of=SHOP.as_of)
    with pytest.raises(ScoringError, match=r"counts is not a finite number"):
        Pipeline([_NaNInDict()]).run(SHOP.histories, as_of=SHOP.as_of)


def test_batch_scores_for_other_customers_are_refused() -> None:
    with pytest.raises(ScoringError) as exc:
        Pipeline([_BatchReversed()]).run(SHOP.histories, as_of=SHOP.as_of)
    assert (exc.value.scorer, exc.value.code) == ("plugin.reversed", "wrong_rows")


# --- item 10: a plugin with an empty description ------------------------------------------------

_PLUGIN_MODULE = """
from typing import ClassVar
from custcare.testing import ConstantScorer


class Empty(ConstantScorer):
    name: ClassVar[str] = "bad.empty"
    description: ClassVar[str] = ""


class Blank(ConstantScorer):
    name: ClassVar[str] = "bad.blank"
    description: ClassVar[str] = "   \\n  "


class NotText(ConstantScorer):
    name: ClassVar[str] = "bad.not_text"
    description = None


class NoTraits(ConstantScorer):
    name: ClassVar[str] = "bad.no_traits"
    traits = {"batch": True}
"""


@pytest.fixture
def bad_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "bad_plugin_xyz.py").write_text(_PLUGIN_MODULE)
    info = tmp_path / "bad_plugin_xyz-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bad-plugin-xyz\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        "[custcare.scorers]\n"
        "bad.empty = bad_plugin_xyz:Empty\n"
        "bad.blank = bad_plugin_xyz:Blank\n"
        "bad.not_text = bad_plugin_xyz:NotText\n"
        "bad.no_traits = bad_plugin_xyz:NoTraits\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("bad.empty", "description is empty"),
        ("bad.blank", "description is empty"),
        ("bad.not_text", "description is a NoneType"),
        ("bad.no_traits", "traits is a dict"),
    ],
)
def test_a_plugin_without_description_or_traits_is_refused(
    bad_plugins: Path, name: str, words: str
) -> None:
    infos = {i.name: i for i in custcare.available_scorers()}
    assert not infos[name].ok
    assert words in (infos[name].error or "")
    assert infos[name].distribution == "bad-plugin-xyz"
    assert infos["loyalty.threshold"].ok  # the others are still listed
    with pytest.raises(ScorerRegistrationError, match=words) as exc:
        custcare.get_scorer(name)
    assert exc.value.name == name and exc.value.distribution == "bad-plugin-xyz"


# --- item 10: the command line ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["demo", "--customers", "3"], "--customers: must be between 5 and 10,000, got 3"),
        (["demo", "--customers", "0"], "--customers: must be between 5"),
        (["demo", "--customers", "-5"], "--customers: must be between 5"),
        (["demo", "--customers", "100000000"], "--customers: must be between 5 and 10,000"),
        (["demo", "--seed", "-1"], "--seed: must be between 0 and"),
        (["demo", "--seed", str(2**64)], "--seed: must be between 0 and"),
        (["demo", "--customers", "1e3"], "expected a whole number, got '1e3'"),
        (["demo", "--customers", "9" * 5000], "expected a whole number, got '999999"),
    ],
)
def test_bad_options_exit_2_with_a_message(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err
    assert len(err) < 400  # a huge argument is not echoed back whole


def test_bad_option_from_the_shell_prints_no_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "custcare", "demo", "--customers", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "--customers: must be between 5" in done.stderr


def test_a_closed_output_pipe_exits_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["demo", "--customers", "5"]) == 141


def test_a_custcare_error_during_the_demo_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import custcare.__main__ as cli

    def broken(seed: int, n_customers: int) -> Any:
        raise CustcareUsageError("the sample shop is closed", code="bad_argument")

    monkeypatch.setattr(cli, "sample_shop", broken)
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert "error: the sample shop is closed [code=bad_argument]" in err
    assert "Traceback" not in err
