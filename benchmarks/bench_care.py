"""Time the shop care calendar: `care_calendar` over 100k and 1M customers' plans.

The plans are synthetic action columns (`synthetic_plan`): per customer 0-5 actions
(mean 2.5) of random kinds from `ACTION_PRIORITY`, due uniformly in the 14 days
after ``as_of`` (a tenth overdue by up to 2 days), with the plan's default
channels, records and customer values, churn risks and satisfaction drawn
uniformly. Building real plans for 1M customers would time `CarePlanScorer`, not
the calendar; the sample shop's real plan is timed at its own size beside it.

Run: .venv/bin/python benchmarks/bench_care.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np

from custcare.batch import from_histories
from custcare.care import (
    ACTION_PRIORITY,
    CarePlanScorer,
    PlanActions,
    PlanConfig,
    PlanScores,
    care_calendar,
)
from custcare.datasets import sample_shop

AS_OF = datetime(2026, 6, 29, tzinfo=timezone.utc)


def synthetic_plan(n: int, seed: int = 0) -> tuple[PlanScores, dict[str, np.ndarray]]:
    """A plan of ``n`` customers as columns, and per-customer value, risk, satisfied."""
    rng = np.random.default_rng(seed)
    per = rng.integers(0, 6, n)
    row = np.repeat(np.arange(n, dtype=np.int64), per)
    a = row.size
    kind = rng.integers(0, len(ACTION_PRIORITY), a).astype(np.int64)
    now = AS_OF.timestamp()
    due = (
        now
        + rng.uniform(-2 * 86400, 14 * 86400, a) * (rng.random(a) < 0.1)
        + rng.uniform(0, 14 * 86400, a) * (rng.random(a) >= 0.1)
    )
    order = np.lexsort((kind, due, row))
    row, kind, due = row[order], kind[order], due[order]
    channels = PlanConfig().channels
    codes = np.array([channels[k].value for k in ACTION_PRIORITY], dtype=np.str_)
    pool = np.char.add("o", np.arange(a).astype(np.str_))
    actions = PlanActions(
        row=row,
        kind=kind,
        due=due,
        event=due - 86400.0,
        record=np.arange(a, dtype=np.int64),
        detail=np.full(a, "", dtype=np.str_),
        pool=pool,
        channel=codes[kind],
    )
    ids = np.char.add("u", np.arange(n).astype(np.str_))
    plan = PlanScores.build("care.plan", ids, {"n_actions": per.astype(np.int64)}, as_of=AS_OF)
    extra = {
        "value": rng.random(n),
        "risk": rng.random(n),
        "satisfied": rng.random(n) < 0.3,
    }
    return replace(plan, actions=actions), extra


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    print(
        f"{'customers':>10} {'actions':>10} {'capacity/day':>13} {'scheduled':>10} "
        f"{'not scheduled':>13} {'calendar (s)':>13}"
    )
    for n in (100_000, 1_000_000):
        plan, extra = synthetic_plan(n)
        assert plan.actions is not None
        for capacity in (n // 100, n // 10):

            def run(
                plan: PlanScores = plan,
                capacity: int = capacity,
                extra: dict[str, np.ndarray] = extra,
            ) -> object:
                return care_calendar(plan, start=AS_OF, capacity_per_day=capacity, days=14, **extra)

            seconds = best_of(run, repeat=3 if n <= 100_000 else 1)
            cal = care_calendar(plan, start=AS_OF, capacity_per_day=capacity, days=14, **extra)
            counts = cal.counts()
            left = counts["over_capacity"] + counts["over_budget"]
            print(
                f"{n:>10,} {len(plan.actions):>10,} {capacity:>13,} "
                f"{counts['scheduled']:>10,} {left:>13,} {seconds:>13.3f}"
            )
    shop = sample_shop()
    real = CarePlanScorer().score_batch(from_histories(shop.histories), as_of=shop.as_of)
    assert real.actions is not None
    seconds = best_of(
        lambda: care_calendar(real, start=shop.as_of, capacity_per_day=5, days=7), repeat=5
    )
    print(
        f"sample shop: {len(real)} customers, {len(real.actions)} actions, capacity 5/day, "
        f"7 days: {seconds * 1000:.2f} ms (window ends {(shop.as_of + timedelta(days=7)).date()})"
    )


if __name__ == "__main__":
    main()
