"""How well do P(alive), P(no purchase) and expected purchases rank CDNOW customers?

Calibration: the 39 weeks to 1997-09-30; holdout: the next 39 weeks to 1998-06-30
(CDNOW_sample.txt, 2,357 customers). A customer is a "returner" if they made at least
one purchase (day) in the holdout. Each score's ROC AUC says how often a random returner
ranks above a random non-returner (ties count half), computed with numpy only.

Run from the repository root:

    .venv/bin/python benchmarks/cdnow_ranking.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from custcare.churn import BetaGeoModel, calibration_holdout_summary, compare_holdout

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def roc_auc(score: NDArray[np.float64], positive: NDArray[np.bool_]) -> float:
    """Mann-Whitney AUC with average ranks for ties."""
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    avg_rank = upper - (counts - 1) / 2.0  # 1-based average rank of each distinct score
    ranks = avg_rank[inverse.ravel()]
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def main() -> None:
    raw = np.loadtxt(DATA / "CDNOW_sample.txt", dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    s = calibration_holdout_summary(
        raw[:, 1].astype(int),
        dates,
        raw[:, 4].astype(float),
        split_time="1997-09-30",
        end_time="1998-06-30",
        time_unit="weeks",
    )
    model = BetaGeoModel().fit(s.frequency, s.recency, s.T)
    horizon = s.duration_holdout
    args = (s.frequency, s.recency, s.T)
    scores = {
        "P(alive)": model.probability_alive(*args),
        "1 - P(no purchase in 39 wk)": 1 - model.probability_no_purchase(horizon, *args),
        "E[purchases in 39 wk]": model.expected_purchases(horizon, *args),
    }
    returned = s.frequency_holdout > 0
    one_time = s.frequency == 0
    print(f"customers {s.customer_ids.size}, holdout {horizon:g} weeks, ", end="")
    print(f"returners {int(returned.sum())} ({returned.mean():.1%})")
    print(f"fitted {model!r}, log-likelihood {model.log_likelihood_:.1f}")
    p_alive = scores["P(alive)"]
    print(
        f"one-time buyers (frequency 0): {int(one_time.sum())}, all with P(alive) = 1: "
        f"{bool(np.all(p_alive[one_time] == 1.0))}; of them returned: "
        f"{returned[one_time].mean():.1%}"
    )
    print()
    print(f"{'score':<30}{'AUC all':>10}{'AUC repeat':>12}{'AUC one-time':>14}")
    for name, score in scores.items():
        rep = ~one_time
        auc_one = roc_auc(score[one_time], returned[one_time])
        print(
            f"{name:<30}{roc_auc(score, returned):>10.3f}"
            f"{roc_auc(score[rep], returned[rep]):>12.3f}{auc_one:>14.3f}"
        )
    c = compare_holdout(model, s)
    print()
    print(f"holdout purchases: predicted {c.total_predicted:.0f}, actual {c.total_actual:.0f}")
    print(f"{'calibration x':<15}{'customers':>10}{'predicted':>11}{'actual':>9}")
    for k, n, pred, act in zip(
        c.frequency_bins, c.bin_customers, c.bin_mean_predicted, c.bin_mean_actual, strict=True
    ):
        label = f"{k}+" if k == c.frequency_bins[-1] else str(k)
        print(f"{label:<15}{n:>10}{pred:>11.2f}{act:>9.2f}")


if __name__ == "__main__":
    main()
