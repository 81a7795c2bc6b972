"""The columnar pipeline: one table with reasons, equal to the per-customer path."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from custcare.batch import from_histories
from custcare.churn import ChurnRiskScorer
from custcare.datasets import sample_shop
from custcare.errors import CustcareUsageError
from custcare.loyalty import PyramidScorer, RFMScorer, ThresholdTierScorer
from custcare.models import CustomerHistory
from custcare.scoring import Pipeline, Progress, ResultTable, Scorer
from custcare.testing import ConstantScorer, strategies

UTC = timezone.utc
SHOP = sample_shop(n_customers=40)


def _batch_scorers() -> list[Scorer[Any]]:
    """Every built-in scorer with a batch path, configured to fit small populations."""
    return [
        ThresholdTierScorer(),
        RFMScorer(),
        ChurnRiskScorer(method="gap"),
        PyramidScorer(future_weight=0.4),
    ]


def _table(histories: list[CustomerHistory], as_of: datetime) -> tuple[Pipeline, ResultTable]:
    pipeline = Pipeline(_batch_scorers()).fit(histories, as_of=as_of)
    return pipeline, pipeline.run(histories, as_of=as_of)


def test_table_has_prefixed_columns_labels_reasons_and_evidence() -> None:
    _, table = _table(SHOP.histories, SHOP.as_of)
    cols = table.to_dict()
    assert next(iter(cols)) == "customer_id"
    assert cols["customer_id"].tolist() == [h.customer.id for h in SHOP.histories]
    for name in table.scorers:
        assert f"{name}.reason_codes" in cols
        assert f"{name}.evidence" in cols
    assert "loyalty.threshold.label_zh" in cols
    assert "loyalty.threshold.label_en" in cols
    assert "churn.risk.label_zh" in cols
    for i, h in enumerate(SHOP.histories):
        report = table.explain(h.customer.id)
        for name in table.scorers:
            result = report[name]
            assert tuple(cols[f"{name}.reason_codes"][i]) == result.reason_codes
            assert set(cols[f"{name}.evidence"][i]) == result.evidence
            assert len(set(cols[f"{name}.evidence"][i])) == len(cols[f"{name}.evidence"][i])


def test_explain_equals_the_per_customer_path_on_the_sample_shop() -> None:
    pipeline, table = _table(SHOP.histories, SHOP.as_of)
    by_name = {s.name: s for s in pipeline._order}
    for h in SHOP.histories:
        report = table.explain(h.customer.id)
        upstream: dict[str, Any] = {}
        for name in pipeline.order:
            direct = by_name[name].score(h, as_of=SHOP.as_of, upstream=upstream)
            assert report[name] == direct, (name, h.customer.id)
            upstream[name] = direct


@settings(max_examples=25, deadline=None)
@given(population=strategies.shops(min_customers=2, max_customers=6), days=st.integers(0, 900))
def test_explain_equals_the_per_customer_path_on_generated_shops(
    population: list[CustomerHistory], days: int
) -> None:
    as_of = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=days)
    # RFM learns its edges from purchases: a population without any cannot be fitted.
    assume(any(o.placed_at <= as_of for h in population for o in h.purchases))
    scorers = [ThresholdTierScorer(), RFMScorer(), ChurnRiskScorer(method="gap"), ConstantScorer()]
    pipeline = Pipeline(scorers).fit(population, as_of=as_of)
    table = pipeline.run(population, as_of=as_of)
    for h in population:
        report = table.explain(h.customer.id)
        for scorer in scorers:
            assert report[scorer.name] == scorer.score(h, as_of=as_of), scorer.name


def test_histories_and_their_batch_give_the_same_table() -> None:
    pipeline, table = _table(SHOP.histories, SHOP.as_of)
    again = pipeline.run(from_histories(SHOP.histories), as_of=SHOP.as_of)
    a, b = table.to_dict(), again.to_dict()
    assert list(a) == list(b)
    for name in a:
        if a[name].dtype == object:
            assert a[name].tolist() == b[name].tolist(), name
        else:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_table_converts_to_arrow_polars_and_pandas_without_glue() -> None:
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    pd = pytest.importorskip("pandas")
    _, table = _table(SHOP.histories, SHOP.as_of)
    arrow = pa.table(table)
    assert arrow.num_rows == len(SHOP.histories)
    assert arrow.column("customer_id").to_pylist()[0] == SHOP.histories[0].customer.id
    codes = arrow.column("loyalty.threshold.reason_codes").to_pylist()
    assert list(codes[0]) == list(
        table.explain(SHOP.histories[0].customer.id)["loyalty.threshold"].reason_codes
    )
    frame = pl.DataFrame(table)
    assert frame.height == len(SHOP.histories)
    assert (
        frame["loyalty.threshold.level"].to_list() == table["loyalty.threshold"]["level"].tolist()
    )
    pdf = pd.DataFrame.from_arrow(table)
    assert list(pdf.columns) == list(table.to_dict())
    plain = pd.DataFrame(table.to_dict())
    assert plain.shape == pdf.shape
    # missing numbers are null in Arrow, never NaN
    gap = arrow.column("loyalty.threshold.gap_spend")
    assert gap.null_count == int(np.isnan(table["loyalty.threshold"]["gap_spend"]).sum())


def test_a_batch_alone_cannot_feed_a_scorer_without_a_batch_path() -> None:
    class PerCustomerOnly(ConstantScorer):
        name = "testing.per_customer"
        traits = ConstantScorer.traits.__class__()  # no batch path

    batch = from_histories(SHOP.histories)
    with pytest.raises(CustcareUsageError, match="no batch path"):
        Pipeline([PerCustomerOnly()]).run(batch, as_of=SHOP.as_of)
    table = Pipeline([PerCustomerOnly()]).run(SHOP.histories, as_of=SHOP.as_of)
    first = SHOP.histories[0]
    assert table.explain(first.customer.id)["testing.per_customer"] == PerCustomerOnly().score(
        first, as_of=SHOP.as_of
    )


def test_pipeline_refuses_other_data() -> None:
    with pytest.raises(CustcareUsageError, match="CustomerBatch or a sequence"):
        Pipeline([ConstantScorer()]).run([{"id": "x"}], as_of=SHOP.as_of)  # type: ignore[list-item]


def test_progress_reports_every_step_in_order() -> None:
    seen: list[Progress] = []
    pipeline = Pipeline(_batch_scorers())
    pipeline.fit(SHOP.histories, as_of=SHOP.as_of, progress=seen.append)
    fitted = [p.scorer for p in seen if p.stage == "fit"]
    assert fitted == [n for n in pipeline.order if n != "loyalty.threshold"]
    assert seen[0].stage == "convert"
    assert [p.done for p in seen] == list(range(1, len(seen) + 1))
    assert all(p.total == len(seen) for p in seen)
    seen.clear()
    pipeline.run(SHOP.histories, as_of=SHOP.as_of, progress=seen.append)
    assert [p.scorer for p in seen] == [None, *pipeline.order]
    assert seen[-1].done == seen[-1].total


def test_pyramid_gets_churn_risk_predicted_value_through_the_pipeline() -> None:
    pipeline = Pipeline([ChurnRiskScorer(spend_penalizer=0.001), PyramidScorer(future_weight=1.0)])
    pipeline.fit(SHOP.histories, as_of=SHOP.as_of)
    table = pipeline.run(SHOP.histories, as_of=SHOP.as_of)
    predicted = np.nan_to_num(table["churn.risk"]["predicted_value"])
    assert predicted.max() > 0
    np.testing.assert_allclose(table["loyalty.pyramid"]["future_value"], predicted)


def test_run_before_fit_raises_not_fitted_naming_the_scorers() -> None:
    from custcare.errors import NotFittedError

    pipeline = Pipeline([ThresholdTierScorer(), RFMScorer(), ChurnRiskScorer(method="gap")])
    with pytest.raises(NotFittedError, match=r"churn.risk, loyalty.rfm not fitted yet; call"):
        pipeline.run(SHOP.histories, as_of=SHOP.as_of)


def test_collect_on_a_clean_run_gives_the_same_table_and_no_errors() -> None:
    pipeline, table = _table(SHOP.histories, SHOP.as_of)
    again = pipeline.run(SHOP.histories, as_of=SHOP.as_of, errors="collect")
    assert again.errors == () and table.errors == ()
    a, b = table.to_dict(), again.to_dict()
    assert list(a) == list(b)
    for name in a:
        if a[name].dtype == object:
            assert a[name].tolist() == b[name].tolist(), name
        else:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
