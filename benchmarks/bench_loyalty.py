"""Batch scoring time of the loyalty scorers on a synthetic population.

Run: ``.venv/bin/python benchmarks/bench_loyalty.py [--customers 1000000] [--repeat 3]``

Builds ``--customers`` customers with about 5 completed orders each (Poisson),
over two years, with numpy (`CustomerBatch.from_arrays`), then times the fit and
the ``score_batch`` of each scorer. Prints the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import numpy as np

from custcare.batch import CustomerBatch, to_epoch_seconds
from custcare.loyalty import PyramidScorer, RFMScorer, ThresholdTierScorer

AS_OF = datetime(2026, 6, 30, 12, tzinfo=timezone.utc)


def make_population(n: int, seed: int = 0) -> CustomerBatch:
    rng = np.random.default_rng(seed)
    end = to_epoch_seconds(AS_OF)
    start = end - 730 * 86_400.0
    per_customer = rng.poisson(5.0, size=n)
    m = int(per_customer.sum())
    customer = np.repeat(np.arange(n, dtype=np.int64), per_customer)
    times = rng.uniform(start, end, size=m).round()
    totals = np.round(rng.lognormal(mean=4.5, sigma=0.9, size=m), 2)
    cost = np.round(totals * rng.uniform(0.4, 0.9, size=m), 2)
    cost[rng.random(m) < 0.2] = np.nan  # cost unknown on a fifth of the orders
    return CustomerBatch.from_arrays(
        customer_ids=np.char.add("c", np.arange(n).astype(str)),
        created_at=np.full(n, start),
        order_customer=customer,
        order_time=times,
        order_total=totals,
        order_cost=cost,
        order_units=rng.integers(1, 6, size=m),
        currency="CNY",
    )


def best_of(repeat: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    batch = make_population(args.customers)
    build = time.perf_counter() - t0
    print(
        f"population: {batch.n_customers:,} customers, {batch.n_orders:,} orders "
        f"(built in {build:.2f} s); numpy {np.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}"
    )

    rfm = RFMScorer()
    pyramid = PyramidScorer()
    rows: list[tuple[str, str, float]] = [
        (
            "loyalty.threshold",
            "score_batch (default: 365-day window, no grace)",
            best_of(args.repeat, lambda: ThresholdTierScorer().score_batch(batch, as_of=AS_OF)),
        ),
        (
            "loyalty.threshold",
            "score_batch (grace_days=30)",
            best_of(
                args.repeat,
                lambda: ThresholdTierScorer(grace_days=30).score_batch(batch, as_of=AS_OF),
            ),
        ),
        (
            "loyalty.threshold",
            "score_batch (expires=False)",
            best_of(
                args.repeat,
                lambda: ThresholdTierScorer(expires=False).score_batch(batch, as_of=AS_OF),
            ),
        ),
        ("loyalty.rfm", "fit", best_of(args.repeat, lambda: rfm.fit(batch, as_of=AS_OF))),
        (
            "loyalty.rfm",
            "score_batch",
            best_of(args.repeat, lambda: rfm.score_batch(batch, as_of=AS_OF)),
        ),
        ("loyalty.pyramid", "fit", best_of(args.repeat, lambda: pyramid.fit(batch, as_of=AS_OF))),
        (
            "loyalty.pyramid",
            "score_batch",
            best_of(args.repeat, lambda: pyramid.score_batch(batch, as_of=AS_OF)),
        ),
    ]
    print()
    print(f"| {'scorer':<18} | {'step':<48} | {'seconds':>8} |")
    print(f"|{'-' * 20}|{'-' * 50}|{'-' * 10}|")
    for scorer, step, seconds in rows:
        print(f"| {scorer:<18} | {step:<48} | {seconds:>8.2f} |")


if __name__ == "__main__":
    main()
