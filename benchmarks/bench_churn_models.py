"""Timings of the BG/NBD and Gamma-Gamma models: fitting and scoring.

Fits the CDNOW sample (2,357 customers) and populations simulated from the CDNOW
estimates (T uniform in 1..78 weeks), once with exact (continuous) recency and T, where
almost every row is distinct, and once rounded to whole days as real data are, where
identical rows are merged before fitting. Then scores one million customers.

Run from the repository root:

    .venv/bin/python benchmarks/bench_churn_models.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from custcare.churn import (
    BetaGeoModel,
    GammaGammaModel,
    simulate_bgnbd,
    simulate_gamma_gamma,
)

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SPEND = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def to_days(x: np.ndarray, recency: np.ndarray, big_t: np.ndarray) -> tuple[np.ndarray, ...]:
    rec = np.round(recency * 7) / 7
    rec[(x > 0) & (rec == 0)] = 1 / 7
    t = np.round(big_t * 7) / 7
    return x, np.minimum(rec, t), t


def main() -> None:
    rows: list[tuple[str, int, int, float]] = []
    cdnow = np.genfromtxt(
        DATA / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True
    )
    x, tx, big_t = cdnow["x"], cdnow["t_x"], cdnow["T"]
    n_unique = np.unique(np.stack([x, tx, big_t], 1), axis=0).shape[0]
    rows.append(
        (
            "BG/NBD fit, CDNOW",
            x.size,
            n_unique,
            best_of(lambda: BetaGeoModel().fit(x, tx, big_t), 5),
        )
    )
    rows.append(
        (
            "Gamma-Gamma fit, CDNOW (946 repeat)",
            x.size,
            int((x > 0).sum()),
            best_of(lambda: GammaGammaModel().fit(x, cdnow["zbar"]), 5),
        )
    )
    rng = np.random.default_rng(2024)
    for n in (100_000, 1_000_000):
        sim = simulate_bgnbd(CDNOW, rng.uniform(1.0, 78.0, size=n), rng=rng)
        exact = (sim.frequency, sim.recency, sim.T)
        daily = to_days(*exact)
        for label, data in (("exact times", exact), ("daily data", daily)):
            distinct = np.unique(np.stack(data, 1), axis=0).shape[0]
            seconds = best_of(lambda d=data: BetaGeoModel().fit(*d), 1)
            rows.append((f"BG/NBD fit, simulated, {label}", n, distinct, seconds))
        mx = simulate_gamma_gamma(SPEND, sim.frequency, rng=rng)
        rep = int((sim.frequency > 0).sum())
        seconds = best_of(lambda f=sim.frequency, m=mx: GammaGammaModel().fit(f, m), 1)
        rows.append(("Gamma-Gamma fit, simulated", n, rep, seconds))

    print(f"{'task':<44}{'customers':>11}{'distinct rows':>15}{'seconds':>10}")
    for task, n, distinct, seconds in rows:
        print(f"{task:<44}{n:>11,}{distinct:>15,}{seconds:>10.3f}")

    n = 1_000_000
    sim = simulate_bgnbd(CDNOW, rng.uniform(1.0, 78.0, size=n), rng=rng)
    model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    args = (sim.frequency, sim.recency, sim.T)
    spend = GammaGammaModel.from_params(p=6.25, q=3.74, gamma=15.44)
    mx = simulate_gamma_gamma(SPEND, sim.frequency, rng=rng)
    print()
    print(f"{'scoring 1,000,000 customers':<44}{'seconds':>10}")
    scoring = {
        "probability_alive": lambda: model.probability_alive(*args),
        "probability_no_purchase(t=39)": lambda: model.probability_no_purchase(39.0, *args),
        "expected_purchases(t=39)": lambda: model.expected_purchases(39.0, *args),
        "expected_purchases(t=520)": lambda: model.expected_purchases(520.0, *args),
        "expected_average_value (Gamma-Gamma)": lambda: spend.expected_average_value(
            sim.frequency, mx
        ),
    }
    for name, fn in scoring.items():
        print(f"{name:<44}{best_of(fn, 3):>10.3f}")


if __name__ == "__main__":
    main()
