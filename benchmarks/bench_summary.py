"""Per-customer summary and BG/NBD fit: custcare against lifetimes, side by side in one run.

* Summary: simulated transaction logs (about 5 transactions per customer, times spread
  over two years to the second, amounts to the cent) summarised into (frequency,
  recency, T, monetary value) in days, by custcare's two public paths
  (`summarise_transactions` on arrays, `purchase_summary` on a `CustomerBatch`) and by
  lifetimes' `summary_data_from_transaction_data(..., freq="D")`; the outputs are
  compared (counts and times must be identical, monetary values equal to rounding).
* Fit: BG/NBD on customers simulated from the CDNOW estimates (T uniform in 1..78 weeks,
  recency and T rounded to whole days as real data are), custcare's `BetaGeoModel`
  against lifetimes' `BetaGeoFitter`, with the parameters compared.
* ``--blas``: BG/NBD and Gamma-Gamma fits with the default BLAS thread pool and with the
  one-thread limit custcare applies, on an idle machine and with another process
  keeping one core busy.

lifetimes is not a custcare dependency: it runs in its own venv (made by
``benchmarks/lifetimes_env.sh``, default /tmp/lifetimes-venv) in a subprocess, and the
data go through .npz files in a temporary directory. Only the library call is timed on
either side (building the DataFrame or the batch is not). Times are the best of
``--repeat`` runs, except lifetimes' runs longer than a few seconds (10M-row summary,
fits), timed once. The load average before and after is printed: on a shared machine
other processes slow both sides, unevenly.

Run from the repository root:

    .venv/bin/python benchmarks/bench_summary.py                 # 1M and 10M rows, fit 1M
    .venv/bin/python benchmarks/bench_summary.py --rows 1000000 --fit-customers 100000
    .venv/bin/python benchmarks/bench_summary.py --blas --rows 0 --fit-customers 0
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from custcare.batch import CustomerBatch
from custcare.churn import (
    BetaGeoModel,
    GammaGammaModel,
    _bgnbd,
    _gamma_gamma,
    purchase_summary,
    simulate_bgnbd,
    simulate_gamma_gamma,
    summarise_transactions,
)

HERE = Path(__file__).resolve().parent
START = np.datetime64("2022-01-01T00:00:00", "s")
SPAN_SECONDS = 730 * 86_400  # two years: 2022-01-01 .. 2023-12-31
END = "2024-01-01"  # observation end: the day after the last possible transaction
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SPEND = {"p": 6.25, "q": 3.74, "gamma": 15.44}

LIFETIMES_SCRIPT = textwrap.dedent(
    """
    import json, sys, time, warnings
    import numpy as np
    import pandas as pd
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    task, path = sys.argv[1], sys.argv[2]
    data = np.load(path)
    if task == "summary":
        df = pd.DataFrame({
            "id": data["cust"],
            "date": data["seconds"].astype("datetime64[s]"),
            "amount": data["amount"],
        })
        start = time.perf_counter()
        s = summary_data_from_transaction_data(
            df, "id", "date", monetary_value_col="amount",
            observation_period_end=str(data["end"]), freq="D")
        seconds = time.perf_counter() - start
        s = s.sort_index()
        np.savez(path + ".out.npz", ids=s.index.to_numpy(),
                 frequency=s["frequency"].to_numpy(float), recency=s["recency"].to_numpy(float),
                 T=s["T"].to_numpy(float), monetary_value=s["monetary_value"].to_numpy(float))
        print(json.dumps({"seconds": seconds}))
    else:
        weights = data["weights"] if "weights" in data.files else None
        fitter = BetaGeoFitter()
        start = time.perf_counter()
        fitter.fit(data["frequency"], data["recency"], data["T"], weights=weights)
        seconds = time.perf_counter() - start
        print(json.dumps({"seconds": seconds, "params": {k: float(v) for k, v in
                          fitter.params_.items()}}))
    """
)


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def lifetimes_python() -> str:
    out = subprocess.run(
        ["bash", str(HERE / "lifetimes_env.sh")], check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def run_lifetimes(python: str, task: str, data_file: Path) -> dict[str, object]:
    script = data_file.parent / "lifetimes_task.py"
    script.write_text(LIFETIMES_SCRIPT)
    out = subprocess.run(
        [python, str(script), task, str(data_file)], check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def simulate_log(
    rows: int, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Customer, epoch second and amount of each transaction; ~5 per customer, shuffled."""
    n = rows // 5
    cust = np.concatenate([np.arange(n), rng.integers(0, n, rows - n)])
    cust = cust[rng.permutation(rows)]
    seconds = START.astype(np.int64) + rng.integers(0, SPAN_SECONDS, rows)
    amount = np.round(1.0 + rng.gamma(2.0, 15.0, rows), 2)
    return cust.astype(np.int64), seconds.astype(np.int64), amount


def summary_section(sizes: list[int], repeat: int, python: str | None, tmp: Path) -> list[str]:
    rng = np.random.default_rng(2024)
    lines = [
        "Per-customer summary (frequency, recency, T, monetary value; days, calendar-day "
        "occasions)",
        f"{'rows':>11}{'customers':>11}{'lifetimes s':>13}{'arrays s':>10}{'batch s':>9}"
        f"{'x arrays':>10}{'x batch':>9}  identical f/r/T  monetary max rel diff",
    ]
    zone_rows = []
    for rows in sizes:
        cust, seconds, amount = simulate_log(rows, rng)
        stamps = seconds.astype("datetime64[s]")
        t_arrays, ours = best_of(
            lambda c=cust, s=stamps, a=amount: summarise_transactions(
                c, s, a, end_time=END, time_unit="days"
            ),
            repeat,
        )
        n = int(cust.max()) + 1
        batch = CustomerBatch.from_arrays(
            customer_ids=np.arange(n).astype(str),
            created_at=np.zeros(n),
            order_customer=cust,
            order_time=seconds.astype(np.float64),
            order_total=amount,
            currency="CNY",
        )
        as_of = float(np.datetime64(END, "s").astype(np.int64))
        t_batch, on_batch = best_of(lambda b=batch, t=as_of: purchase_summary(b, t, 1.0), repeat)
        for name in ("frequency", "recency", "T"):  # the two public paths agree exactly
            assert np.array_equal(getattr(ours, name), getattr(on_batch, name)), name
        assert np.array_equal(ours.monetary_value, on_batch.monetary_value)
        for zone in ("Asia/Shanghai", "America/New_York"):
            zoned = CustomerBatch.from_arrays(
                customer_ids=batch.customer_ids,
                created_at=batch.created_at,
                order_customer=cust,
                order_time=batch.order_time,
                order_total=amount,
                currency="CNY",
                timezone=zone,
            )
            t_zone, _ = best_of(lambda b=zoned, t=as_of: purchase_summary(b, t, 1.0), repeat)
            zone_rows.append((rows, zone, t_zone, t_batch))
        t_lt, same, worst = float("nan"), "not run", float("nan")
        if python is not None:
            data_file = tmp / f"log_{rows}.npz"
            np.savez(data_file, cust=cust, seconds=seconds, amount=amount, end=np.str_(END))
            # lifetimes gets the same best-of as custcare where a run is short.
            t_lt = min(
                float(run_lifetimes(python, "summary", data_file)["seconds"])  # type: ignore[arg-type]
                for _ in range(repeat if rows <= 2_000_000 else 1)
            )
            ref = np.load(str(data_file) + ".out.npz")
            same = str(
                np.array_equal(ref["ids"], ours.customer_ids)
                and all(
                    np.array_equal(ref[k], getattr(ours, k)) for k in ("frequency", "recency", "T")
                )
            )
            worst = float(
                np.max(
                    np.abs(ref["monetary_value"] - ours.monetary_value)
                    / np.maximum(ref["monetary_value"], 1e-12)
                )
            )
            data_file.unlink()
        lines.append(
            f"{rows:>11,}{n:>11,}{t_lt:>13.2f}{t_arrays:>10.3f}{t_batch:>9.3f}"
            f"{t_lt / t_arrays:>10.0f}{t_lt / t_batch:>9.0f}  {same:<15}  {worst:.1e}"
        )
    lines += ["", "purchase_summary in the shop's time zone (same logs)"]
    lines.append(f"{'rows':>11}  {'timezone':<18}{'seconds':>9}{'UTC seconds':>13}")
    for rows, zone, t_zone, t_utc in zone_rows:
        lines.append(f"{rows:>11,}  {zone:<18}{t_zone:>9.3f}{t_utc:>13.3f}")
    return lines


def daily_summary(n: int, rng: np.random.Generator) -> tuple[NDArray[np.float64], ...]:
    sim = simulate_bgnbd(CDNOW, rng.uniform(1.0, 78.0, size=n), rng=rng)
    x = sim.frequency
    rec = np.round(sim.recency * 7) / 7
    rec[(x > 0) & (rec == 0)] = 1 / 7
    big_t = np.round(sim.T * 7) / 7
    return x, np.minimum(rec, big_t), big_t


def fit_section(n: int, repeat: int, python: str | None, tmp: Path) -> list[str]:
    rng = np.random.default_rng(7)
    x, rec, big_t = daily_summary(n, rng)
    t_ours, model = best_of(lambda: BetaGeoModel().fit(x, rec, big_t), repeat)
    assert isinstance(model, BetaGeoModel)
    ours = dict(model.params_)
    lines = [
        f"BG/NBD fit on {n:,} customers (CDNOW parameters, daily recency and T, in weeks)",
        f"{'fitter':<44}{'seconds':>9}{'x custcare':>12}  max rel diff of r, alpha, a, b",
        f"{'custcare BetaGeoModel':<44}{t_ours:>9.3f}{1:>12.0f}  -",
    ]
    if python is None:
        return lines
    rows = np.stack([x, rec, big_t], axis=1)
    distinct, weights = np.unique(rows, axis=0, return_counts=True)
    for label, payload in (
        ("lifetimes BetaGeoFitter", {"frequency": x, "recency": rec, "T": big_t}),
        (
            "lifetimes BetaGeoFitter, rows merged by us",
            {
                "frequency": distinct[:, 0],
                "recency": distinct[:, 1],
                "T": distinct[:, 2],
                "weights": weights.astype(np.float64),
            },
        ),
    ):
        data_file = tmp / "fit.npz"
        np.savez(data_file, **payload)  # type: ignore[arg-type]
        res = run_lifetimes(python, "fit", data_file)
        params: dict[str, float] = res["params"]  # type: ignore[assignment]
        seconds = float(res["seconds"])  # type: ignore[arg-type]
        diff = max(abs(params[k] - ours[k]) / ours[k] for k in ours)
        lines.append(f"{label:<44}{seconds:>9.2f}{seconds / t_ours:>12.0f}  {diff:.1e}")
    lines.append(f"(distinct (x, t_x, T) rows: {len(weights):,})")
    return lines


@contextlib.contextmanager
def busy_core() -> Iterator[None]:
    """Another process spinning on one core for the duration."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        yield
    finally:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def default_blas_pool() -> Iterator[None]:
    """Fits without custcare's BLAS limit (what they did before threadpoolctl)."""
    saved = (_bgnbd._blas_thread_limit, _gamma_gamma._blas_thread_limit)
    _bgnbd._blas_thread_limit = contextlib.nullcontext  # type: ignore[assignment]
    _gamma_gamma._blas_thread_limit = contextlib.nullcontext  # type: ignore[assignment]
    try:
        yield
    finally:
        _bgnbd._blas_thread_limit, _gamma_gamma._blas_thread_limit = saved


def blas_section(n: int, repeat: int) -> list[str]:
    rng = np.random.default_rng(11)
    exact = simulate_bgnbd(CDNOW, rng.uniform(1.0, 78.0, size=n), rng=rng)
    x, rec, big_t = daily_summary(n, rng)
    rep = exact.frequency > 0
    mx = simulate_gamma_gamma(SPEND, exact.frequency[rep], rng=rng)
    fits: dict[str, Callable[[], object]] = {
        f"BG/NBD, {n:,} customers, daily data": lambda: BetaGeoModel().fit(x, rec, big_t),
        f"BG/NBD, {n:,} customers, exact times": lambda: BetaGeoModel().fit(
            exact.frequency, exact.recency, exact.T
        ),
        f"Gamma-Gamma, {int(rep.sum()):,} repeat customers": lambda: GammaGammaModel().fit(
            exact.frequency[rep], mx
        ),
    }
    lines = [
        "Fits with the default BLAS thread pool and with custcare's one-thread limit",
        f"{'fit':<44}{'machine':<12}{'default pool s':>15}{'1 thread s':>12}{'speed-up':>10}",
    ]
    for machine, ctx in (("idle", contextlib.nullcontext), ("1 core busy", busy_core)):
        with ctx():
            for label, fn in fits.items():
                with default_blas_pool():
                    t_default, _ = best_of(fn, repeat)
                t_limited, _ = best_of(fn, repeat)
                lines.append(
                    f"{label:<44}{machine:<12}{t_default:>15.3f}{t_limited:>12.3f}"
                    f"{t_default / t_limited:>10.1f}"
                )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--fit-customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-lifetimes", action="store_true", help="custcare side only")
    parser.add_argument("--blas", action="store_true", help="BLAS thread pool comparison")
    args = parser.parse_args()
    sizes = [r for r in args.rows if r > 0]
    python = None if args.no_lifetimes or not (sizes or args.fit_customers) else lifetimes_python()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        sections = []
        if sizes:
            sections.append(summary_section(sizes, args.repeat, python, Path(tmp)))
        if args.fit_customers > 0:
            sections.append(fit_section(args.fit_customers, args.repeat, python, Path(tmp)))
        if args.blas:
            sections.append(blas_section(max(args.fit_customers, 1_000_000), args.repeat))
    sections.append(
        [
            f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) before "
            f"{', '.join(f'{v:.1f}' for v in load_before)}, after "
            f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}"
        ]
    )
    print("\n\n".join("\n".join(s) for s in sections))


if __name__ == "__main__":
    main()
