"""Who buys again? Ranking scores on calibration/holdout splits of public transaction logs.

Data sets (all from the lifetimes 0.11.3 wheel, ``pip download --no-deps
lifetimes==0.11.3``, cached in benchmarks/.data/):

* CDNOW sample (tests/data/CDNOW_sample.txt, 2,357 customers) and CDNOW master
  (23,570 customers): calibration the 39 weeks to 1997-09-30, holdout the next 39
  weeks to 1998-06-30 (Fader, Hardie & Lee 2005);
* lifetimes' ``example_transactions.csv`` (a simulated log shipped with lifetimes, no
  amounts): calibration to 2014-06-30, holdout to 2014-12-31.

A customer is a "returner" if they bought (on a new day) in the holdout. AUC is the
chance a random returner ranks above a random non-returner (ties half); lift is the
returner share of the top 10 % over the overall share. Each score ranks the customers
whose first purchase is in the calibration window, from calibration data only.

lifetimes' BG/NBD, MBG/NBD and Pareto/NBD run on the same summaries in their own venv
(benchmarks/lifetimes_env.sh; skip with --skip-lifetimes).

Run from the repository root:

    .venv/bin/python benchmarks/cdnow_ranking.py [--skip-lifetimes] [--skip-master]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from custcare.batch import CustomerBatch
from custcare.churn import BetaGeoModel, ChurnRiskScorer, calibration_holdout_summary

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests" / "data"
CACHE = HERE / ".data"
DAY = 86_400.0


def roc_auc(score: NDArray[np.float64], positive: NDArray[np.bool_]) -> float:
    """Mann-Whitney AUC with average ranks for ties."""
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    avg_rank = upper - (counts - 1) / 2.0  # 1-based average rank of each distinct score
    ranks = avg_rank[inverse.ravel()]
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def top_decile_lift(score: NDArray[np.float64], positive: NDArray[np.bool_]) -> float:
    """Returner share among the 10 % highest scores over the overall share (ties by row)."""
    n = max(1, round(0.1 * score.size))
    top = np.argsort(-score, kind="stable")[:n]
    return float(positive[top].mean() / positive.mean())


@dataclass(frozen=True)
class Log:
    name: str
    ids: NDArray[np.int64]  # 0 .. n-1
    day: NDArray[np.datetime64]
    amount: NDArray[np.float64]
    split: str
    end: str


def _wheel() -> Path:
    found = sorted(CACHE.glob("*ifetimes-0.11.3*.whl"))
    if found:
        return found[0]
    CACHE.mkdir(exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "lifetimes==0.11.3"]
    subprocess.run([*pip, "-d", str(CACHE)], check=True)
    return sorted(CACHE.glob("*ifetimes-0.11.3*.whl"))[0]


def _from_wheel(name: str) -> Path:
    target = CACHE / name
    if not target.exists():
        with zipfile.ZipFile(_wheel()) as z:
            target.write_bytes(z.read(f"lifetimes/datasets/{name}"))
    return target


def _cdnow(path: Path, name: str, id_col: int, skip: int) -> Log:
    raw = np.loadtxt(path, dtype=str, skiprows=skip)
    day = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, id_col + 1]], "datetime64[D]")
    _, ids = np.unique(raw[:, id_col].astype(int), return_inverse=True)
    return Log(name, ids, day, raw[:, -1].astype(float), "1997-09-30", "1998-06-30")


def _example() -> Log:
    with _from_wheel("example_transactions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    _, ids = np.unique(np.array([int(r["id"]) for r in rows]), return_inverse=True)
    day = np.array([r["date"][:10] for r in rows], dtype="datetime64[D]")
    return Log(
        "lifetimes example (simulated)", ids, day, np.ones(day.size), "2014-06-30", "2014-12-31"
    )


@dataclass(frozen=True)
class Split:
    log: Log
    cohort: NDArray[np.int64]  # customers with a calibration purchase
    batch: CustomerBatch  # their calibration orders
    returned: NDArray[np.bool_]
    weeks: float
    as_of: datetime
    f: NDArray[np.float64]
    r: NDArray[np.float64]
    t: NDArray[np.float64]


def split(log: Log) -> Split:
    seconds = log.day.astype("datetime64[s]").astype(np.float64)
    as_of = datetime.fromisoformat(log.split).replace(tzinfo=timezone.utc)
    cut, end = as_of.timestamp(), datetime.fromisoformat(log.end).replace(tzinfo=timezone.utc)
    cal = seconds <= cut
    cohort = np.unique(log.ids[cal])
    row = np.full(int(log.ids.max()) + 1, -1)
    row[cohort] = np.arange(cohort.size)
    first = np.full(cohort.size, np.inf)
    np.minimum.at(first, row[log.ids[cal]], seconds[cal])
    batch = CustomerBatch.from_arrays(
        customer_ids=[str(c) for c in cohort],
        created_at=first - DAY,
        order_customer=row[log.ids[cal]],
        order_time=seconds[cal],
        order_total=log.amount[cal],
        currency="USD",
    )
    later = (seconds > cut) & (seconds <= end.timestamp()) & (row[log.ids] >= 0)
    returned = np.bincount(row[log.ids[later]], minlength=cohort.size) > 0
    s = calibration_holdout_summary(
        log.ids, log.day, log.amount, split_time=log.split, end_time=log.end
    )
    assert np.array_equal(s.customer_ids, cohort)
    assert np.array_equal(s.frequency_holdout > 0, returned)
    return Split(
        log, cohort, batch, returned, s.duration_holdout, as_of, s.frequency, s.recency, s.T
    )


def custcare_scores(sp: Split) -> dict[str, NDArray[np.float64]]:
    b, at, h = sp.batch, sp.as_of, sp.weeks

    def risk(**config: object) -> NDArray[np.float64]:
        scorer = ChurnRiskScorer(**config).fit(b, as_of=at)  # type: ignore[arg-type]
        return np.asarray(-scorer.score_batch(b, as_of=at).columns["risk"])

    last = np.full(sp.cohort.size, -np.inf)
    np.maximum.at(last, b.order_customer, b.order_time)
    bg = BetaGeoModel().fit(sp.f, sp.r, sp.t)
    return {
        f"custcare churn.risk, rerank (new default), horizon {h:.0f} wk": risk(horizon=h),
        "custcare churn.risk, rerank (new default), horizon 13 wk": risk(),
        f"custcare churn.risk, P(no purchase) (old default), {h:.0f} wk": risk(
            horizon=h, ranking="p_no_purchase"
        ),
        "custcare churn.risk, P(no purchase) (old default), 13 wk": risk(ranking="p_no_purchase"),
        "custcare BG/NBD expected purchases": bg.expected_purchases(h, sp.f, sp.r, sp.t),
        "custcare gap rule": risk(method="gap"),
        "recency alone (time of the last purchase)": last,
    }


_LIFETIMES = r"""
import json, sys, numpy as np
from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
d = json.load(open(sys.argv[1]))
f, r, t, h = np.array(d["f"]), np.array(d["r"]), np.array(d["t"]), d["h"]
out = {}
for name, cls in (("BG/NBD", BetaGeoFitter), ("MBG/NBD", ModifiedBetaGeoFitter),
                  ("Pareto/NBD", ParetoNBDFitter)):
    try:
        m = cls().fit(f, r, t)
        e = m.conditional_expected_number_of_purchases_up_to_time(h, f, r, t)
        out[f"lifetimes {name} expected purchases"] = np.asarray(e, float).tolist()
    except Exception as exc:  # report, do not stop the table
        out[f"lifetimes {name} expected purchases"] = f"{type(exc).__name__}: {exc}"[:120]
json.dump(out, open(sys.argv[2], "w"))
"""


def lifetimes_scores(sp: Split) -> dict[str, NDArray[np.float64] | str]:
    python = os.environ.get("LIFETIMES_PYTHON", "/tmp/lifetimes-venv/bin/python")
    if not Path(python).exists():
        out = subprocess.run(
            ["bash", str(HERE / "lifetimes_env.sh")], check=True, capture_output=True, text=True
        )
        python = out.stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.json", Path(tmp) / "out.json"
        src.write_text(
            json.dumps({"f": sp.f.tolist(), "r": sp.r.tolist(), "t": sp.t.tolist(), "h": sp.weeks})
        )
        subprocess.run([python, "-c", _LIFETIMES, str(src), str(dst)], check=True)
        got = json.loads(dst.read_text())
    return {k: v if isinstance(v, str) else np.asarray(v) for k, v in got.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--skip-master", action="store_true")
    args = parser.parse_args()
    logs = [_cdnow(TESTS / "CDNOW_sample.txt", "CDNOW sample", 1, 0)]
    if not args.skip_master:
        logs.append(_cdnow(_from_wheel("CDNOW_master.txt"), "CDNOW master", 0, 1))
    logs.append(_example())
    for log in logs:
        sp = split(log)
        scores: dict[str, NDArray[np.float64] | str] = dict(custcare_scores(sp))
        if not args.skip_lifetimes:
            scores.update(lifetimes_scores(sp))
        print(
            f"\n{log.name}: {sp.cohort.size} customers, calibration to {log.split}, holdout "
            f"{sp.weeks:.1f} weeks to {log.end}, returners {sp.returned.mean():.1%}"
        )
        print("| ranking score | AUC | top-decile lift |\n|---|---:|---:|")
        last = scores["recency alone (time of the last purchase)"]
        assert not isinstance(last, str)
        recency = roc_auc(last, sp.returned)
        for name, score in scores.items():
            if isinstance(score, str):
                print(f"| {name} | failed: {score} | |")
                continue
            auc = roc_auc(score, sp.returned)
            mark = " (below recency)" if auc < recency - 1e-12 else ""
            print(f"| {name} | {auc:.3f}{mark} | {top_decile_lift(score, sp.returned):.2f} |")


if __name__ == "__main__":
    main()
