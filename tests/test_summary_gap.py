"""The gap rule's kernel (one sort of the orders per call) against a plain-Python reference."""

from __future__ import annotations

import statistics
from collections import defaultdict
from itertools import pairwise

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from custcare.batch import CustomerBatch
from custcare.churn import gap_kernel, median_gap_days

DAY = 86_400.0


def make(orders: list[tuple[int, float]], n: int) -> CustomerBatch:
    return CustomerBatch.from_arrays(
        customer_ids=[f"c{i}" for i in range(n)],
        created_at=np.zeros(n),
        order_customer=[c for c, _ in orders],
        order_time=[t for _, t in orders],
        order_total=np.ones(len(orders)),
        currency="CNY",
    )


def reference_gaps(orders: list[tuple[int, float]]) -> dict[int, list[float]]:
    times: dict[int, list[float]] = defaultdict(list)
    for c, t in orders:
        times[c].append(t)
    return {
        c: [(b - a) / DAY for a, b in pairwise(ts)]
        for c, ts in ((c, sorted(v)) for c, v in times.items())
    }


times_st = st.one_of(
    st.integers(1_600_000_000, 1_600_000_000 + 400 * 86_400).map(float),  # whole seconds
    st.floats(1.6e9, 1.6e9 + 1e6, allow_nan=False),  # fractional: the lexsort fallback
    st.sampled_from([1.6e9, 1.6e9 + DAY, 1.6e9 + 2 * DAY]),  # ties
)


@settings(max_examples=200, deadline=None)
@given(orders=st.lists(st.tuples(st.integers(0, 6), times_st), max_size=60))
def test_gap_kernel_matches_per_customer_medians(orders: list[tuple[int, float]]) -> None:
    n = 7
    b = make(orders, n)
    as_of = 1.6e9 + 500 * DAY
    g = gap_kernel(b, as_of, population_gap_days=30.0)
    ref = reference_gaps(orders)
    all_gaps = [x for gaps in ref.values() for x in gaps]
    pop = median_gap_days(b)
    assert pop == (statistics.median(all_gaps) if all_gaps else None)
    for c in range(n):
        mine = [t for cc, t in orders if cc == c]
        assert g.purchases[c] == len(mine)
        if not mine:
            assert np.isnan(g.days_since_last[c]) and np.isnan(g.typical_gap_days[c])
            continue
        assert g.days_since_last[c] == (as_of - max(mine)) / DAY
        own = statistics.median(ref[c]) if ref[c] else None
        assert g.own_gap[c] == (own is not None and own > 0)
        assert g.typical_gap_days[c] == (own if g.own_gap[c] else 30.0)


def test_medians_for_many_gap_counts_and_a_heavy_buyer() -> None:
    rng = np.random.default_rng(8)
    orders: list[tuple[int, float]] = []
    for c in range(300):
        k = int(rng.integers(1, 12)) if c else 500  # customer 0 bought 500 times
        orders += [(c, float(t)) for t in 1.6e9 + rng.integers(0, 10**8, k)]
    b = make(orders, 300)
    g = gap_kernel(b, 1.6e9 + 10**8, population_gap_days=30.0)
    ref = reference_gaps(orders)
    for c in range(300):
        want = statistics.median(ref[c]) if ref[c] else None
        if want is None or want == 0:
            assert not g.own_gap[c]
        else:
            assert g.typical_gap_days[c] == want
