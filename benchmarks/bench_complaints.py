"""Time the vectorised complaint queue: `rank_features` over 10k..1M open complaints.

Run: .venv/bin/python benchmarks/bench_complaints.py
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from datetime import time as dtime

import numpy as np

from custcare.complaints import (
    CATEGORY_CODES,
    BusinessHours,
    ComplaintFeatures,
    PriorityConfig,
    SLAPolicy,
    rank_features,
    rank_queue,
)
from custcare.datasets import sample_shop


def features(n: int, seed: int = 0) -> ComplaintFeatures:
    rng = np.random.default_rng(seed)
    as_of = datetime(2026, 6, 30, 18, tzinfo=timezone.utc).timestamp()
    return ComplaintFeatures.from_arrays(
        complaint_ids=np.char.add("q", np.arange(n).astype(str)),
        customer_ids=np.char.add("u", (np.arange(n) % (n // 3 + 1)).astype(str)),
        opened_at=as_of - rng.integers(0, 30 * 86400, n).astype(float),
        category=rng.integers(0, len(CATEGORY_CODES), n),
        safety=rng.random(n) < 0.02,
        escalation=rng.random(n) < 0.1,
        refund=rng.random(n) < 0.2,
        anger=rng.random(n),
        public=rng.random(n) < 0.4,
        repeats=rng.integers(0, 3, n),
        promise_broken=rng.random(n) < 0.1,
        responded=rng.random(n) < 0.5,
        customer_value=rng.random(n),
    )


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    as_of = datetime(2026, 6, 30, 18, tzinfo=timezone.utc)
    hours = PriorityConfig(
        sla=SLAPolicy(business_hours=BusinessHours(start=dtime(9), end=dtime(18)))
    )
    print(f"{'complaints':>12} {'24/7 (s)':>10} {'business hours (s)':>20}")
    for n in (10_000, 100_000, 1_000_000):
        f = features(n)
        a = best_of(lambda f=f: rank_features(f, as_of=as_of))
        b = best_of(lambda f=f: rank_features(f, as_of=as_of, config=hours))
        print(f"{n:>12,} {a:>10.3f} {b:>20.3f}")
    shop = sample_shop(n_customers=600)
    t = best_of(lambda: rank_queue(shop.histories, as_of=shop.as_of), repeat=1)
    n_items = len(rank_queue(shop.histories, as_of=shop.as_of))
    print(
        f"\nper-customer path: rank_queue on a {len(shop.histories)}-customer sample shop "
        f"({n_items} open items): {t:.3f} s"
    )


if __name__ == "__main__":
    main()
