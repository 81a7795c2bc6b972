"""Write notebooks/walkthrough.ipynb from the cells below (no outputs).

The notebook's source lives here so a review reads plain Python; run

    .venv/bin/python notebooks/make_walkthrough.py

after editing, and commit both files. tests/test_notebook.py executes the notebook.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

CELLS: list[tuple[str, str]] = [
    (
        "markdown",
        """\
# custcare walkthrough: CDNOW and the sample shop, end to end

This notebook takes an analyst through custcare on two data sets that ship with it:

1. **CDNOW** (`custcare.datasets.load_cdnow("master")`): 69,659 CD purchases by
   23,570 customers, January 1997 to June 1998, the data of the BG/NBD paper.
   We load it as a pandas table, score every customer, explain one, and check how
   well the churn ranking picks out who buys again.
2. **The sample shop** (`custcare.datasets.sample_shop()`): a seeded online tea
   shop with 60 customers, their reviews and complaints. We rank the complaint
   queue (投诉处理队列) and lay out a week of care (客户关怀).

It needs the `frames` extra (pandas, pyarrow); plots need the `plot` extra
(matplotlib) and are skipped without it. The test suite runs this notebook
(`tests/test_notebook.py`), so every cell works as written.""",
    ),
    (
        "markdown",
        """\
## 1. CDNOW as a pandas DataFrame

`load_cdnow("master")` returns numpy columns; `columns()` gives them by name, ready
for pandas. One row is one purchase line: customer id (text, with its leading
zeros), day, number of CDs, dollars.""",
    ),
    (
        "code",
        """\
# ruff: noqa: T201 (a notebook prints its results)
import numpy as np
import pandas as pd

from custcare.datasets import load_cdnow

cdnow = load_cdnow("master")
orders = pd.DataFrame(cdnow.columns())
print(f"{len(orders):,} purchase lines, {cdnow.n_customers:,} customers, {cdnow.currency}")
orders.head()""",
    ),
    (
        "markdown",
        """\
## 2. From the table to a batch, with the load report

`batch_from_frames` maps your column names to custcare's (customer id, the time the
order was placed, the amount paid, optionally units) and builds a `CustomerBatch`,
the columns every scorer reads. The `LoadReport` says what was read, what was
refused and which decisions were taken for you: CDNOW's days have no time zone, so
we state one; with no status column every order counts as completed.""",
    ),
    (
        "code",
        """\
from custcare.frames import batch_from_frames

batch, report = batch_from_frames(
    orders=orders,
    columns={
        "customer_id": "customer_id",
        "placed_at": "date",
        "total": "amount",
        "units": "quantity",
    },
    timezone="UTC",
    currency="USD",
)
print(f"{batch.n_customers:,} customers, {batch.n_orders:,} orders")
print(report)""",
    ),
    (
        "markdown",
        """\
## 3. Score every customer

A `Pipeline` runs the built-in scorers over the whole batch at once:

* `loyalty.threshold`: member level (会员等级) from spend thresholds;
* `loyalty.rfm`: recency, frequency, monetary scores and the RFM segment;
* `churn.risk`: the chance of no further purchase (流失风险), from a BG/NBD model and
  a small re-ranker fitted on the shop's own history;
* `loyalty.pyramid`: the 80/20 value pyramid (二八法则), past and predicted value;
* `churn.cause`: the likely reason an at-risk customer is leaving (流失原因);
* `complaint.priority`: the most urgent open complaint (CDNOW has none).

`fit` learns what the scorers need from the population (thresholds, the BG/NBD
model); `run` scores everyone as of a moment you pass: custcare reads no clock.""",
    ),
    (
        "code",
        """\
from custcare.churn import ChurnCauseScorer, ChurnRiskScorer
from custcare.complaints import ComplaintPriorityScorer
from custcare.loyalty import PyramidScorer, RFMScorer, ThresholdTierScorer
from custcare.scoring import Pipeline

as_of = cdnow.as_of  # 1998-06-30, the end of the data
pipeline = Pipeline(
    [
        ThresholdTierScorer(currency="USD"),
        RFMScorer(),
        ChurnRiskScorer(spend_penalizer=0.001),
        PyramidScorer(future_weight=0.4),
        ChurnCauseScorer(),
        ComplaintPriorityScorer(),
    ]
).fit(batch, as_of=as_of)
table = pipeline.run(batch, as_of=as_of)
print(len(table), "customers scored by", ", ".join(table.scorers))""",
    ),
    (
        "markdown",
        """\
`to_pandas()` gives one row per customer and one column per score, prefixed with the
scorer's name. Here: how many customers in each churn band, and each member level's
share.""",
    ),
    (
        "code",
        """\
scores = table.to_pandas()
print(scores["churn.risk.band"].value_counts().to_string())
scores[
    [
        "customer_id",
        "loyalty.threshold.level",
        "loyalty.rfm.segment",
        "churn.risk.risk",
        "churn.risk.band",
        "loyalty.pyramid.level",
    ]
].head()""",
    ),
    (
        "markdown",
        """\
## 4. Explain one customer

Every score carries its reasons: a stable code, a plain sentence and the records
behind it. `table.explain(customer_id)` collects them from every scorer. Here, the
customer with the highest predicted value who is at risk.""",
    ),
    (
        "code",
        """\
at_risk = scores[scores["churn.risk.band"].isin(["at_risk", "lapsed"])]
who = at_risk.sort_values("churn.risk.predicted_value", ascending=False)["customer_id"].iloc[0]
explained = table.explain(who)
for name, result in explained.results.items():
    print(f"{name}:")
    for reason in result.reasons[:3]:
        print(f"  [{reason.code}] {reason.message}")""",
    ),
    (
        "markdown",
        """\
CDNOW holds orders only: no reviews, complaints or deliveries. So `churn.cause` finds
no evidence and says so (low confidence), and `complaint.priority` has nothing to
rank. The sample shop below has all of them.""",
    ),
    (
        "markdown",
        """\
## 5. Does the churn ranking pick out who buys again?

The BG/NBD paper splits CDNOW in two: 39 weeks of calibration (to 1997-09-30) and
39 weeks of holdout (to 1998-06-30). `calibration_holdout_summary` summarises each
customer from the calibration weeks only and counts their holdout purchases;
`compare_holdout` sets a fitted model's predicted holdout purchases beside what
happened, by number of repeat purchases in calibration.""",
    ),
    (
        "code",
        """\
from custcare.churn import BetaGeoModel, calibration_holdout_summary, compare_holdout

split = calibration_holdout_summary(
    cdnow.customer_id,
    cdnow.date,
    cdnow.amount,
    split_time="1997-09-30",
    end_time="1998-06-30",
    time_unit="weeks",
)
model = BetaGeoModel().fit(split.frequency, split.recency, split.T)
check = compare_holdout(model, split)
print(
    f"{len(split.customer_ids):,} customers; holdout purchases predicted "
    f"{check.total_predicted:,.0f}, actual {check.total_actual:,.0f}"
)
pd.DataFrame(
    {
        "repeat purchases": [str(i) for i in range(7)] + ["7+"],
        "customers": check.bin_customers,
        "predicted (mean)": check.bin_mean_predicted.round(2),
        "actual (mean)": check.bin_mean_actual.round(2),
    }
)""",
    ),
    (
        "markdown",
        """\
Now the ranking. We score the calibration weeks only (as of 1997-09-30, orders after
it left out) with `churn.risk` and ask: does a higher risk mean the customer did not
come back in the holdout? The ROC AUC is the chance that a random returner ranks as
safer than a random non-returner (0.5 is chance, 1 perfect). We compare custcare's
default ranking (the re-ranker), BG/NBD's expected purchases alone and recency alone.""",
    ),
    (
        "code",
        """\
from datetime import datetime, timezone


def roc_auc(score, positive):
    \"\"\"Chance a random positive scores above a random negative (ties count half).\"\"\"
    ranks = pd.Series(score).rank(method="average").to_numpy()
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    return (ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


split_at = datetime(1997, 9, 30, 23, 59, 59, tzinfo=timezone.utc)
calibration = orders[orders["date"] <= np.datetime64("1997-09-30")]
cal_batch, _ = batch_from_frames(
    orders=calibration,
    columns={"customer_id": "customer_id", "placed_at": "date", "total": "amount"},
    timezone="UTC",
    currency="USD",
)
horizon = float(split.duration_holdout)  # 39 weeks
risk = ChurnRiskScorer(horizon=horizon).fit(cal_batch, as_of=split_at)
risk_scores = risk.score_batch(cal_batch, as_of=split_at)

cohort = pd.DataFrame(
    {
        "returned": split.frequency_holdout > 0,
        "expected": model.expected_purchases(horizon, split.frequency, split.recency, split.T),
        "recency": split.recency - split.T,  # minus weeks since the last purchase
    },
    index=split.customer_ids,
)
cohort["safety"] = pd.Series(-risk_scores.columns["risk"], index=cal_batch.customer_ids)
returned = cohort["returned"].to_numpy()
share = f"{returned.sum():,} of {len(cohort):,} customers ({returned.mean():.1%})"
print(share, "bought in the holdout")
ranking = pd.Series(
    {
        "churn.risk (re-ranker, default)": roc_auc(cohort["safety"].to_numpy(), returned),
        "BG/NBD expected purchases": roc_auc(cohort["expected"].to_numpy(), returned),
        "recency alone": roc_auc(cohort["recency"].to_numpy(), returned),
    },
    name="ROC AUC",
).round(3)
ranking""",
    ),
    (
        "markdown",
        """\
The re-ranker comes out on top (0.772), a little above BG/NBD's expected purchases
(0.763) and recency alone (0.759), as in the guide *Churn models*, which has the full
table. A ranking is only as good as this
check on your own data: run it on a split of your history before trusting it.""",
    ),
    (
        "markdown",
        """\
## 6. The sample shop: which complaint first?

The sample shop is a small online tea shop in Shanghai, with reviews and complaints.
`rank_queue` ranks every open complaint (and recent negative review, 中差评) by
priority, P1 first, with a respond-by deadline.""",
    ),
    (
        "code",
        """\
from custcare.batch import from_histories
from custcare.complaints import rank_queue
from custcare.datasets import sample_shop

shop = sample_shop()
shop_batch = from_histories(shop.histories)
queue = rank_queue(shop_batch, as_of=shop.as_of)
print(f"{len(queue)} open, {len(queue.overdue)} overdue, as of {shop.as_of:%Y-%m-%d %H:%M %Z}")
for rank, item in enumerate(queue.items[:8], start=1):
    late = " OVERDUE" if item.overdue else ""
    print(
        f"{rank:>2}. {item.level} {item.score:5.1f} {item.complaint_id:<12} {item.category:<20} "
        f"respond by {item.respond_by:%m-%d %H:%M}{late}"
    )""",
    ),
    (
        "markdown",
        """\
## 7. A week of care

Care reads value, churn risk and cause, so we score those first. `CarePlanScorer`
then plans each customer's contacts (order care, complaint follow-up, win-back,
greetings, wishes on the shop's days); `care_calendar` lays them out on the team's
days, most value at stake first, within the team's daily capacity.""",
    ),
    (
        "code",
        """\
from datetime import date

from custcare.care import CareCalendar, CarePlanScorer, Holiday, SatisfactionScorer, care_calendar
from custcare.loyalty import customer_value_columns

care_inputs = Pipeline(
    [ChurnRiskScorer(spend_penalizer=0.001), PyramidScorer(future_weight=0.4), ChurnCauseScorer()]
).fit(shop.histories, as_of=shop.as_of)
shop_table = care_inputs.run(shop.histories, as_of=shop.as_of)
upstream = {name: shop_table[name] for name in shop_table.scorers}

shop_dates = CareCalendar(
    timezone="Asia/Shanghai",
    send_hour=10,
    holidays=(Holiday(day=date(2026, 7, 3), name_zh="店庆", name_en="Shop founding day"),),
)
plan = CarePlanScorer(calendar=shop_dates, weekly_budget=3).score_batch(
    shop_batch, as_of=shop.as_of, upstream=upstream
)
satisfaction = SatisfactionScorer().score_batch(shop_batch, as_of=shop.as_of)
week = care_calendar(
    plan,
    start=shop.as_of,
    days=7,
    capacity_per_day=[6, 6, 6, 6, 3, 3, 6],  # Tue..Mon; the weekend is short
    customer_budget=3,
    value=customer_value_columns(upstream, len(plan))[0],
    risk=shop_table["churn.risk"]["risk"],
    satisfied=np.isin(satisfaction["level"], ["satisfied", "very_satisfied"]),
)
print(len(plan.actions), "planned actions;", week.counts())
for row in list(week)[:8]:
    print(
        f"day {row.day} {row.at:%m-%d %H:%M} {row.customer_id} {row.action:<20} "
        f"{row.channel:<5} stake {row.stake:5.1f}"
    )""",
    ),
    (
        "markdown",
        """\
Complaint follow-ups come first: one complaint stands for about 52 customers'
business. What does not fit this week is reported with the status `over_capacity`
or `over_budget`, never dropped silently. Each customer's bilingual script is in
`plan.result(i)`.""",
    ),
    (
        "markdown",
        """\
## 8. Plots

`custcare.plot` draws on a matplotlib `Axes` and returns it (no global state). With
`lang="zh"` the library's labels are drawn in Chinese when a CJK font is installed.
This cell does nothing without matplotlib.""",
    ),
    (
        "code",
        """\
try:
    import matplotlib
except ImportError:
    matplotlib = None
    print("matplotlib is not installed: pip install 'custcare[plot]' for the plots")

if matplotlib is not None:
    from io import BytesIO

    from IPython.display import Image
    from matplotlib.figure import Figure

    from custcare import plot

    fig = Figure(figsize=(12, 4))
    left, middle, right = fig.subplots(1, 3)
    plot.pyramid(table, ax=left)
    plot.calibration_holdout(check, ax=middle)
    plot.complaint_queue(queue, ax=right)
    fig.tight_layout()
    png = BytesIO()
    fig.savefig(png, format="png", dpi=80)
    display(Image(png.getvalue()))""",
    ),
    (
        "markdown",
        """\
## Where next

* *Your own data*: load your orders from CSV, Excel, SQL or a DataFrame.
* *Command line*: `custcare score orders.csv --preset reviews --timezone Asia/Shanghai`
  `--currency CNY --as-of 2026-06-30 --out report.html`.
* *Churn models* and the references of each scorer, for every option used here.""",
    ),
]


def build() -> nbformat.NotebookNode:
    """The notebook, without outputs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(CELLS):
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(source)
        cell["id"] = f"cell-{i:02d}"  # stable ids: regenerating gives the same file
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main() -> None:
    """Write the notebook next to this script."""
    nbformat.write(build(), HERE / "walkthrough.ipynb")


if __name__ == "__main__":
    main()
