"""Reason columns: evidence held as positions in pools, lists without repeats."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custcare.scoring import Ragged, ReasonColumns, ReasonSlot
from custcare.scoring._batch import _first_citations

IDS = np.array([f"r{i}" for i in range(12)])


def _naive(rc: ReasonColumns, n: int) -> list[tuple[str, ...]]:
    out = []
    for i in range(n):
        seen: list[str] = []
        for j in range(len(rc.codes_of(i))):
            seen.extend(v for v in rc.evidence_of(i, j) if v not in seen)
        out.append(tuple(seen))
    return out


@st.composite
def _columns(draw: st.DrawFn) -> tuple[ReasonColumns, int]:
    n = draw(st.integers(1, 6))
    k = draw(st.integers(1, 4))
    # Whether a record may be cited by several rows decides which dedup path runs.
    shared = draw(st.booleans())
    pool = IDS if shared else np.array([f"r{i}" for i in range(12 * n)])
    slots = []
    for s in range(k):
        present = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        cites = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 11)), max_size=10))
        rows = np.array([r for r, _ in cites], dtype=np.int64)
        pos = np.array([p if shared else p * n + r for r, p in cites], dtype=np.int64)
        evidence = Ragged.cite(rows, pos, pool, n)
        if slots and draw(st.booleans()):  # several reasons citing one list object
            evidence = slots[-1].evidence
        slots.append(ReasonSlot(f"x.s{s}", present, evidence))
    return ReasonColumns.build(n, slots), n


@given(_columns())
def test_evidence_lists_equal_each_rows_citations_in_reason_order_without_repeats(
    case: tuple[ReasonColumns, int],
) -> None:
    rc, n = case
    lists = rc.evidence_lists()
    assert [lists.row(i) for i in range(n)] == _naive(rc, n)


def test_a_record_cited_by_two_reasons_of_a_row_is_listed_once() -> None:
    pool = np.array(["o1", "o2", "o3"])
    rc = ReasonColumns.build(
        2,
        [
            ReasonSlot("a.last", True, Ragged.cite(np.array([0, 1]), np.array([1, 2]), pool, 2)),
            ReasonSlot(
                "a.all", True, Ragged.cite(np.array([0, 0, 1]), np.array([0, 1, 2]), pool, 2)
            ),
        ],
    )
    lists = rc.evidence_lists()
    assert lists.row(0) == ("o2", "o1")
    assert lists.row(1) == ("o3",)
    assert lists.pool is pool  # the ids are cited, not copied


def test_first_citations_per_row_when_a_record_belongs_to_several_rows() -> None:
    row = np.array([0, 0, 1, 1, 1])
    record = np.array([4, 4, 4, 2, 4])
    assert _first_citations(row, record, 5).tolist() == [True, False, True, True, False]
    # One owner per record: the linear path gives the same answer as the sort.
    assert _first_citations(np.array([0, 0, 1]), np.array([3, 3, 1]), 5).tolist() == [
        True,
        False,
        True,
    ]


def test_results_of_one_customer_share_one_pool_so_repeats_merge() -> None:
    from custcare.scoring import Reason, ScoreResult

    r = ScoreResult(
        customer_id="c",
        scorer="x",
        as_of=datetime(2024, 1, 1, tzinfo=timezone.utc),
        reasons=[
            Reason(code="x.a", message="a", weight=0.0, evidence=("o1", "o2")),
            Reason(code="x.b", message="b", weight=0.0, evidence=("o2", "o3")),
        ],
    )
    rc = ReasonColumns.from_results([r])
    assert rc.evidence_lists().row(0) == ("o1", "o2", "o3")


def test_ragged_to_arrow_converts_a_shared_pool_once() -> None:
    pa = __import__("pytest").importorskip("pyarrow")
    pool = np.array(["o1", "o2"])
    a = Ragged.cite(np.array([0, 1]), np.array([1, 0]), pool, 3)
    b = Ragged.cite(np.array([2]), np.array([1]), pool, 3)
    cache: dict[int, object] = {}
    assert a.to_arrow(cache).to_pylist() == [["o2"], ["o1"], []]
    assert b.to_arrow(cache).to_pylist() == [[], [], ["o2"]]
    assert len(cache) == 1
    assert isinstance(cache[id(pool)], pa.Array)


def test_every_scorers_evidence_column_is_its_reasons_ids_in_order_once_each() -> None:
    from custcare.churn import ChurnCauseScorer, ChurnRiskScorer
    from custcare.complaints import ComplaintPriorityScorer
    from custcare.datasets import sample_shop
    from custcare.loyalty import PyramidScorer, RFMScorer, ThresholdTierScorer
    from custcare.scoring import Pipeline

    shop = sample_shop(n_customers=60)
    pipeline = Pipeline(
        [
            ThresholdTierScorer(),
            RFMScorer(),
            ChurnRiskScorer(method="gap"),
            PyramidScorer(future_weight=0.4),
            ChurnCauseScorer(),
            ComplaintPriorityScorer(),
        ]
    ).fit(shop.histories, as_of=shop.as_of)
    table = pipeline.run(shop.histories, as_of=shop.as_of)
    cols = table.to_dict()
    multi = 0
    for i, h in enumerate(shop.histories):
        report = table.explain(h.customer.id)
        for name in table.scorers:
            expected: list[str] = []
            for reason in report[name].reasons:
                expected.extend(e for e in reason.evidence if e not in expected)
            multi += sum(len(r.evidence) for r in report[name].reasons) > len(expected)
            assert tuple(cols[f"{name}.evidence"][i]) == tuple(expected), (name, i)
    assert multi > 0  # some record is cited by two reasons of one row


@pytest.mark.parametrize("distinct", [3, 5000])
def test_arrow_text_equals_pyarrows_own_conversion(distinct: int) -> None:
    pa = pytest.importorskip("pyarrow")
    from custcare.scoring._batch import arrow_text

    rng = np.random.default_rng(distinct)
    words = np.array([f"级别{i}" for i in range(distinct)])
    values = words[rng.integers(0, distinct, 20_000)]
    values[::7] = ""  # empty texts too
    assert arrow_text(values).equals(pa.array(values.tolist(), type=pa.string()))
