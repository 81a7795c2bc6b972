"""Ranking and bands of ``churn.risk`` on CDNOW (Fader, Hardie & Lee 2005's sample).

Calibration: the 39 weeks to 1997-09-30; holdout: what each of the 2,357 customers did
after it (tests/data/CDNOW_sample.txt, copied from the lifetimes 0.11.3 wheel).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from custcare.batch import CustomerBatch
from custcare.churn import BetaGeoModel, ChurnRiskScorer, RiskBand, calibration_holdout_summary
from custcare.errors import DataError

DATA = Path(__file__).parent / "data"
SPLIT = datetime(1997, 9, 30, tzinfo=timezone.utc)
END = datetime(1998, 6, 30, tzinfo=timezone.utc)
DAY = 86_400.0


def _roc_auc(score: NDArray[np.float64], positive: NDArray[np.bool_]) -> float:
    """Mann-Whitney AUC, average ranks for ties."""
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    avg_rank = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = avg_rank[inverse.ravel()]
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


class _Cdnow:
    def __init__(self) -> None:
        raw = np.loadtxt(DATA / "CDNOW_sample.txt", dtype=str)
        day = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
        self.ids = raw[:, 1].astype(int)
        self.day = day
        self.amount = raw[:, 4].astype(float)
        self.seconds = day.astype("datetime64[s]").astype(np.float64)

    def batch(self, upto: datetime) -> CustomerBatch:
        """Every order up to ``upto``, customers in id order (1..2357)."""
        keep = self.seconds <= upto.timestamp()
        cust = self.ids[keep] - 1
        first = np.full(2357, np.inf)
        np.minimum.at(first, cust, self.seconds[keep])
        return CustomerBatch.from_arrays(
            customer_ids=[str(i) for i in range(1, 2358)],
            created_at=first - DAY,
            order_customer=cust,
            order_time=self.seconds[keep],
            order_total=self.amount[keep],
            currency="USD",
        )

    def returned(self, weeks: float) -> NDArray[np.bool_]:
        """Who bought in ``(SPLIT, SPLIT + weeks]``, per customer 1..2357."""
        lo, hi = SPLIT.timestamp(), (SPLIT + timedelta(weeks=weeks)).timestamp()
        later = (self.seconds > lo) & (self.seconds <= hi)
        return np.bincount(self.ids[later] - 1, minlength=2357) > 0


@pytest.fixture(scope="module")
def cdnow() -> _Cdnow:
    return _Cdnow()


@pytest.fixture(scope="module")
def split_batch(cdnow: _Cdnow) -> CustomerBatch:
    return cdnow.batch(SPLIT)


def test_summary_of_the_batch_is_the_published_39_week_cdnow_split(
    cdnow: _Cdnow, split_batch: CustomerBatch
) -> None:
    """The batch the scorer sees is the paper's calibration period (no holdout orders)."""
    s = calibration_holdout_summary(
        cdnow.ids, cdnow.day, split_time="1997-09-30", end_time="1998-06-30"
    )
    assert s.customer_ids.tolist() == list(range(1, 2358))
    assert np.array_equal(s.frequency_holdout > 0, cdnow.returned(39.0))
    assert float(split_batch.order_time.max()) <= SPLIT.timestamp()


@pytest.fixture(scope="module")
def scores_39(split_batch: CustomerBatch) -> dict[str, NDArray[np.float64]]:
    out = {}
    for ranking in ("rerank", "expected_purchases", "p_no_purchase"):
        scorer = ChurnRiskScorer(horizon=39.0, ranking=ranking).fit(split_batch, as_of=SPLIT)
        out[ranking] = scorer.score_batch(split_batch, as_of=SPLIT).columns["risk"]
    return out


def test_rerank_auc_above_0_78_on_cdnow_39_week_holdout(
    cdnow: _Cdnow, scores_39: dict[str, NDArray[np.float64]]
) -> None:
    """The issue's goal: AUC above 0.78 on the CDNOW 39/39-week split."""
    auc = _roc_auc(-scores_39["rerank"], cdnow.returned(39.0))
    assert auc > 0.78


def test_rerank_beats_recency_alone_and_bgnbd_on_cdnow(
    cdnow: _Cdnow, split_batch: CustomerBatch, scores_39: dict[str, NDArray[np.float64]]
) -> None:
    """Above the anchors of the issue's table: recency alone and BG/NBD expected purchases."""
    returned = cdnow.returned(39.0)
    last = np.full(2357, -np.inf)
    np.maximum.at(last, split_batch.order_customer, split_batch.order_time)
    recency_auc = _roc_auc(last, returned)
    assert recency_auc == pytest.approx(0.771, abs=5e-4)  # the figure
    rerank = _roc_auc(-scores_39["rerank"], returned)
    expected = _roc_auc(-scores_39["expected_purchases"], returned)
    p_none = _roc_auc(-scores_39["p_no_purchase"], returned)
    assert expected == pytest.approx(0.773, abs=5e-4)  # lifetimes BG/NBD, the table
    assert p_none == pytest.approx(0.757, abs=5e-4)
    assert rerank > max(recency_auc, expected, p_none)


def test_rerank_is_fitted_on_an_earlier_cut_only(split_batch: CustomerBatch) -> None:
    """No look-ahead: orders after the fit moment change nothing in the fitted state."""
    scorer = ChurnRiskScorer(horizon=39.0).fit(split_batch, as_of=SPLIT)
    state = scorer.state_
    assert state is not None
    rr = state.reranker
    assert rr is not None
    # half the 39 weeks of history (the cohort's first purchases begin 1997-01-01)
    assert rr.horizon == pytest.approx(
        (SPLIT - datetime(1997, 1, 1, tzinfo=timezone.utc)).days / 14
    )
    assert rr.cut_as_of < SPLIT
    assert rr.n_train == 2357
    full = _Cdnow().batch(END)
    again = ChurnRiskScorer(horizon=39.0).fit(full, as_of=SPLIT)
    assert again.state_ == state


@pytest.mark.parametrize("weeks", [13.0, 26.0, 39.0])
def test_bands_monotone_in_observed_repurchase_rate_on_cdnow_holdout(
    cdnow: _Cdnow, split_batch: CustomerBatch, weeks: float
) -> None:
    """Active > cooling > at_risk > lapsed in the share who buy again within the horizon."""
    scorer = ChurnRiskScorer(horizon=weeks).fit(split_batch, as_of=SPLIT)
    band = scorer.score_batch(split_batch, as_of=SPLIT).columns["band"]
    returned = cdnow.returned(weeks)
    rates = []
    for b in (RiskBand.ACTIVE, RiskBand.COOLING, RiskBand.AT_RISK, RiskBand.LAPSED):
        members = band == b.value
        if members.sum() >= 20:  # a band with a handful of customers says nothing
            rates.append(float(returned[members].mean()))
    assert len(rates) >= 3, rates
    assert rates == sorted(rates, reverse=True), rates


def test_p_no_purchase_bands_are_not_monotone_at_39_weeks(
    cdnow: _Cdnow, split_batch: CustomerBatch
) -> None:
    """The issue's finding: BG/NBD P(no purchase) bands put 'lapsed' above 'at_risk'."""
    scorer = ChurnRiskScorer(horizon=39.0, ranking="p_no_purchase").fit(split_batch, as_of=SPLIT)
    band = scorer.score_batch(split_batch, as_of=SPLIT).columns["band"]
    returned = cdnow.returned(39.0)
    at_risk = returned[band == "at_risk"].mean()
    lapsed = returned[band == "lapsed"].mean()
    assert lapsed > at_risk


def test_too_short_a_history_falls_back_to_expected_purchases_and_says_so(
    cdnow: _Cdnow,
) -> None:
    batch = cdnow.batch(SPLIT)
    small = ChurnRiskScorer(rerank_min_customers=5000).fit(batch, as_of=SPLIT)
    state = small.state_
    assert state is not None
    assert state.reranker is None
    assert state.reranker_error is not None
    assert "too little history" in state.reranker_error
    explicit = ChurnRiskScorer(ranking="expected_purchases").fit(batch, as_of=SPLIT)
    a = small.score_batch(batch, as_of=SPLIT)
    b = explicit.score_batch(batch, as_of=SPLIT)
    assert np.array_equal(a.columns["risk"], b.columns["risk"], equal_nan=True)
    r = a.result(0)
    assert r.reasons[0].code == "churn.p_no_purchase"
    assert "no re-ranker: too little history" in r.reasons[0].message


def test_saved_reranker_is_validated_on_load(split_batch: CustomerBatch) -> None:
    scorer = ChurnRiskScorer(horizon=13.0).fit(split_batch, as_of=SPLIT)
    doc = json.loads(scorer.to_json())
    state = doc["state"]
    assert len(state["reranker"]["coef"]) == 9
    back = ChurnRiskScorer.from_json(json.dumps(doc))
    assert back.state_ == scorer.state_
    state["reranker"]["coef"] = state["reranker"]["coef"][:-1]
    with pytest.raises(DataError, match="wrong_length"):
        ChurnRiskScorer.from_json(json.dumps(doc))
    state["reranker"]["coef"] = [1.0] * 9
    state["reranker"]["scale"][0] = 0.0
    with pytest.raises(DataError, match="greater_than"):
        ChurnRiskScorer.from_json(json.dumps(doc))


def test_bgnbd_of_the_batch_is_the_published_cdnow_fit(split_batch: CustomerBatch) -> None:
    """The scorer fits BG/NBD on the paper's summary: r, alpha, a, b of Fader et al. 2005."""
    scorer = ChurnRiskScorer().fit(split_batch, as_of=SPLIT)
    state = scorer.state_
    assert state is not None
    assert state.bgnbd is not None
    p = state.bgnbd
    np.testing.assert_allclose(
        [p["r"], p["alpha"], p["a"], p["b"]], [0.243, 4.414, 0.793, 2.426], rtol=2e-3
    )
    assert isinstance(BetaGeoModel.from_params(**p), BetaGeoModel)


# --- CLV as money in the scorer ---------------------------------------------------------


def test_scorer_clv_is_lifetimes_customer_lifetime_value_times_the_margin_on_cdnow(
    split_batch: CustomerBatch,
) -> None:
    """The ``clv`` column against lifetimes 0.11.3 (tests/data/lifetimes_clv_reference.json)."""
    ref = json.loads((DATA / "lifetimes_clv_reference.json").read_text())
    scorer = ChurnRiskScorer(margin=0.3).fit(split_batch, as_of=SPLIT)
    clv = scorer.score_batch(split_batch, as_of=SPLIT).columns["clv"]
    np.testing.assert_allclose(
        clv[ref["rows"]], 0.3 * np.asarray(ref["clv"]["12_months_0.01"]), rtol=5e-3, atol=0.01
    )  # to the cent: one customer, all but surely gone, is worth 5e-8 dollars


def test_scorer_clv_uncertainty_is_finite_and_per_customer_equals_batch(
    split_batch: CustomerBatch,
) -> None:
    scorer = ChurnRiskScorer(clv_uncertainty=True, clv_months=24).fit(split_batch, as_of=SPLIT)
    scores = scorer.score_batch(split_batch, as_of=SPLIT)
    se, clv = scores.columns["clv_standard_error"], scores.columns["clv"]
    priced = np.isfinite(clv)
    assert priced.all()  # CDNOW's q is 3.7: every buyer has a finite mean spend
    assert np.all(se[priced] > 0)
    assert np.all(np.isfinite(se))
    for i in (0, 1, 40):
        r = scores.result(i)
        assert r.clv == clv[i]
        assert r.clv_standard_error == se[i]
        assert "lifetime value over 24 months" in r.reasons[3].message
    back = ChurnRiskScorer.from_json(scorer.to_json())
    assert np.array_equal(
        back.score_batch(split_batch, as_of=SPLIT).columns["clv_standard_error"], se
    )
    plain = ChurnRiskScorer().fit(split_batch, as_of=SPLIT).score_batch(split_batch, as_of=SPLIT)
    assert np.all(np.isnan(plain.columns["clv_standard_error"]))  # not asked for
    assert plain.result(0).clv_standard_error is None


def test_scorer_clv_is_none_with_the_reason_where_spend_has_no_finite_mean(
    split_batch: CustomerBatch,
) -> None:
    scorer = ChurnRiskScorer().fit(split_batch, as_of=SPLIT)
    state = scorer.state_
    assert state is not None
    scorer.state_ = state.model_copy(update={"gamma_gamma": {"p": 2.0, "q": 0.9, "gamma": 10.0}})
    scores = scorer.score_batch(split_batch, as_of=SPLIT)
    clv = scores.columns["clv"]
    one_time = ~np.isfinite(clv)
    assert one_time.sum() == 1411  # CDNOW's one-time buyers: p * 0 + q - 1 < 0
    r = scores.result(int(np.flatnonzero(one_time)[0]))
    assert r.clv is None
    assert "churn.no_finite_mean" in r.reason_codes
    assert np.all(np.isfinite(clv[~one_time]))
