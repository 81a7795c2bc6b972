"""BG/NBD, Gamma-Gamma, the simulator and the holdout helpers.

External truth: the CDNOW sample (2,357 customers, 39-week calibration) and the
parameter estimates published for it by Fader, Hardie & Lee (2005) and Fader & Hardie
(2013); see tests/data/README.md for where the files come from.
"""

from __future__ import annotations

import doctest
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import integrate, special

from custcare.churn import (
    CLV_SOURCES,
    BetaGeoModel,
    BetaGeoParams,
    GammaGammaModel,
    GammaGammaParams,
    _bgnbd,
    _fitting,
    _gamma_gamma,
    _holdout,
    _simulate,
    calibration_holdout_summary,
    compare_holdout,
    customer_lifetime_value,
    simulate_bgnbd,
    simulate_gamma_gamma,
    summarise_transactions,
)
from custcare.errors import (
    ConvergenceError,
    CustcareUsageError,
    DataError,
    NotFittedError,
    NotIdentifiableError,
)

DATA = Path(__file__).parent / "data"
CDNOW_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def cdnow_model() -> BetaGeoModel:
    return BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


@pytest.fixture(scope="module")
def cdnow() -> NDArray[np.void]:
    """The published 39-week CDNOW summary: ID, x, t_x, T, zbar."""
    return np.genfromtxt(
        DATA / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True
    )


@pytest.fixture(scope="module")
def cdnow_transactions() -> tuple[NDArray[np.int64], NDArray[np.datetime64], NDArray[np.float64]]:
    raw = np.loadtxt(DATA / "CDNOW_sample.txt", dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    return raw[:, 1].astype(np.int64), dates, raw[:, 4].astype(np.float64)


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow: NDArray[np.void]) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])


# --------------------------------------------------------------------------- CDNOW truth


def test_bgnbd_params_match_fader_hardie_lee_2005_cdnow(cdnow_bgnbd: BetaGeoModel) -> None:
    # Marketing Science 24(2), section 5: r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4
    for name, published in CDNOW_PARAMS.items():
        assert rel(cdnow_bgnbd.params_[name], published) < 0.01, name
    assert rel(cdnow_bgnbd.log_likelihood_, -9582.4) < 0.01
    assert cdnow_bgnbd.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert cdnow_bgnbd.n_customers_ == 2357


def test_bgnbd_standard_errors_match_lifetimes_cdnow_docs(cdnow_bgnbd: BetaGeoModel) -> None:
    # lifetimes' quickstart prints these standard errors for the same fit.
    published = {"r": 0.012557, "alpha": 0.378221, "a": 0.185719, "b": 0.705345}
    for name, se in published.items():
        assert rel(cdnow_bgnbd.standard_errors_[name], se) < 0.01, name


def test_gamma_gamma_params_match_fader_hardie_2013_note_cdnow(cdnow: NDArray[np.void]) -> None:
    # "The Gamma-Gamma model of monetary value": p=6.25, q=3.74, gamma=15.44 (946 buyers)
    model = GammaGammaModel().fit(cdnow["x"], cdnow["zbar"])
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    for name, value in published.items():
        assert rel(model.params_[name], value) < 0.01, name
    assert model.n_customers_ == 946


def test_summarise_transactions_reproduces_published_cdnow_summary(
    cdnow: NDArray[np.void],
    cdnow_transactions: tuple[NDArray[np.int64], NDArray[np.datetime64], NDArray[np.float64]],
) -> None:
    ids, dates, amounts = cdnow_transactions
    s = summarise_transactions(ids, dates, amounts, end_time="1997-09-30", time_unit="weeks")
    assert s.customer_ids.tolist() == cdnow["ID"].astype(int).tolist()
    np.testing.assert_array_equal(s.frequency, cdnow["x"])
    # The published file rounds to 2 decimals.
    np.testing.assert_allclose(s.recency, cdnow["t_x"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(s.T, cdnow["T"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(s.monetary_value, cdnow["zbar"], atol=0.005 + 1e-9)


def test_counting_rows_instead_of_purchase_days_does_not_match_cdnow(
    cdnow: NDArray[np.void],
    cdnow_transactions: tuple[NDArray[np.int64], NDArray[np.datetime64], NDArray[np.float64]],
) -> None:
    ids, dates, amounts = cdnow_transactions
    # Give every row its own second within its day, and count at second resolution.
    stamps = dates.astype("datetime64[s]") + np.arange(dates.size).astype("timedelta64[s]")
    s = summarise_transactions(ids, stamps, amounts, end_time="1997-09-30T23:59:59", resolution="s")
    assert np.sum(s.frequency != cdnow["x"]) == 80  # customers with 2+ orders on a day


def test_cdnow_holdout_split_and_comparison(
    cdnow_transactions: tuple[NDArray[np.int64], NDArray[np.datetime64], NDArray[np.float64]],
    cdnow_bgnbd: BetaGeoModel,
) -> None:
    ids, dates, amounts = cdnow_transactions
    s = calibration_holdout_summary(
        ids, dates, amounts, split_time="1997-09-30", end_time="1998-06-30"
    )
    assert s.customer_ids.size == 2357
    assert s.duration_holdout == pytest.approx(39.0)
    c = compare_holdout(cdnow_bgnbd, s)
    assert c.total_actual == s.frequency_holdout.sum() > 1500
    assert rel(c.total_predicted, c.total_actual) < 0.15
    assert c.bin_customers.sum() == 2357
    assert c.bin_customers[0] == 1411  # one-time buyers in calibration
    # Conditional expectations increase with calibration frequency, as in the paper.
    assert np.all(np.diff(c.bin_mean_predicted) > 0)
    np.testing.assert_allclose(c.bin_mean_predicted, c.bin_mean_actual, atol=0.4)


# --------------------------------------------------------------------------- formulas


def test_conditional_expectation_matches_eq_10_with_direct_hyp2f1() -> None:
    r, alpha, a, b = CDNOW_PARAMS.values()
    m = cdnow_model()
    x = np.array([0.0, 1.0, 2.0, 7.0, 20.0])
    tx = np.array([0.0, 10.0, 30.43, 35.0, 38.0])
    big_t = np.full(5, 38.86)
    for t in (1.0, 39.0, 200.0):
        z = t / (alpha + big_t + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        bracket = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp
        den = 1 + (x > 0) * (a / (b + x - 1)) * ((alpha + big_t) / (alpha + tx)) ** (r + x)
        direct = (a + b + x - 1) / (a - 1) * bracket / den
        np.testing.assert_allclose(m.expected_purchases(t, x, tx, big_t), direct, rtol=1e-10)


@pytest.mark.parametrize(
    ("params", "x", "big_t", "t"),
    [
        ((0.243, 4.414, 0.793, 2.426), 0, 38.86, 39.0),
        ((0.243, 4.414, 0.793, 2.426), 3, 20.0, 0.01),
        ((2.0, 10.0, 1.0 + 1e-7, 3.0), 5, 50.0, 80.0),  # a ~ 1
        ((0.5, 1.0, 0.3, 0.4), 0, 2.0, 500.0),  # a + b < 1, long horizon
        ((1.5, 2.0, 3.0, 0.5), 40, 10.0, 5.0),
    ],
)
def test_expected_purchases_alive_matches_numerical_posterior_integral(
    params: tuple[float, float, float, float], x: int, big_t: float, t: float
) -> None:
    # E[Y(t) | alive] = E_p[(1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p], p ~ beta(a, b+x).
    r, alpha, a, b = params
    beta = alpha + big_t

    def h(p: float) -> float:
        if p == 0.0:
            return (r + x) * t / beta
        return float(-np.expm1(-(r + x) * np.log1p(p * t / beta)) / p)

    # quad's algebraic weight p^(a-1) (1-p)^(b+x-1) handles the endpoint singularities.
    weighted = integrate.quad(h, 0, 1, weight="alg", wvar=(a - 1, b + x - 1), epsrel=1e-11)[0]
    expected = weighted / special.beta(a, b + x)
    m = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    # recency = T: P(alive) < 1 for x > 0, so divide it out
    got = m.expected_purchases(t, x, big_t if x else 0.0, big_t) / m.probability_alive(
        x, big_t if x else 0.0, big_t
    )
    assert float(got) == pytest.approx(expected, rel=1e-6)


def test_new_customer_expectation_is_eq_9() -> None:
    r, alpha, a, b = CDNOW_PARAMS.values()
    m = cdnow_model()
    t = np.array([0.0, 1.0, 39.0, 78.0])
    eq9 = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
    np.testing.assert_allclose(m.expected_purchases_new_customer(t), eq9, rtol=1e-10, atol=1e-15)


def test_probability_alive_is_one_for_one_time_buyers() -> None:
    m = cdnow_model()
    assert np.all(m.probability_alive([0, 0, 0], 0, [1.0, 39.0, 1e6]) == 1.0)
    # ...while the chance of no purchase grows with the time since the only purchase.
    p0 = m.probability_no_purchase(39.0, [0, 0, 0], 0, [1.0, 39.0, 1e6])
    assert np.all(np.diff(p0) > 0)


def test_probability_no_purchase_closed_form() -> None:
    r, alpha, a, b = CDNOW_PARAMS.values()
    m = cdnow_model()
    x, tx, big_t, t = 2.0, 30.43, 38.86, 39.0
    pa = 1 / (1 + a / (b + x - 1) * ((alpha + big_t) / (alpha + tx)) ** (r + x))
    want = 1 - pa + pa * ((alpha + big_t) / (alpha + big_t + t)) ** (r + x)
    assert float(m.probability_no_purchase(t, x, tx, big_t)) == pytest.approx(want, rel=1e-12)
    assert float(m.probability_no_purchase(0.0, x, tx, big_t)) == pytest.approx(1.0)


def test_gamma_gamma_expected_value_is_weighted_average() -> None:
    p, q, g = 6.25, 3.74, 15.44
    m = GammaGammaModel.from_params(p=p, q=q, gamma=g)
    x, mx = np.array([0.0, 1.0, 10.0]), np.array([99.0, 11.77, 40.0])
    w = p * x / (p * x + q - 1)
    want = (1 - w) * p * g / (q - 1) + w * np.where(x > 0, mx, 0)
    np.testing.assert_allclose(m.expected_average_value(x, mx), want, rtol=1e-12)
    assert np.isinf(GammaGammaModel.from_params(p=2, q=0.5, gamma=1).expected_average_value(0, 0))


def test_expected_spend_is_purchases_times_value() -> None:
    bg = cdnow_model()
    gg = GammaGammaModel.from_params(p=6.25, q=3.74, gamma=15.44)
    args = ([0, 2, 5], [0.0, 30.43, 20.0], 38.86)
    spend = gg.expected_spend(52, bg, *args, [0.0, 22.35, 40.0])
    want = bg.expected_purchases(52, *args) * gg.expected_average_value([0, 2, 5], [0, 22.35, 40])
    np.testing.assert_allclose(spend, want)


# --------------------------------------------------------------------------- fitting


def test_identical_rows_and_weights_give_the_same_fit(cdnow: NDArray[np.void]) -> None:
    x, tx, big_t = cdnow["x"], cdnow["t_x"], cdnow["T"]
    doubled = BetaGeoModel().fit(np.r_[x, x], np.r_[tx, tx], np.r_[big_t, big_t])
    weighted = BetaGeoModel().fit(x, tx, big_t, weights=np.full(x.size, 2.0))
    for name in CDNOW_PARAMS:
        assert doubled.params_[name] == pytest.approx(weighted.params_[name], rel=1e-7)
    assert doubled.log_likelihood_ == pytest.approx(weighted.log_likelihood_, rel=1e-10)
    assert doubled.n_customers_ == weighted.n_customers_ == 2 * 2357
    # Twice the data: standard errors shrink by sqrt(2).
    single = BetaGeoModel().fit(x, tx, big_t)
    for name in CDNOW_PARAMS:
        ratio = single.standard_errors_[name] / weighted.standard_errors_[name]
        assert ratio == pytest.approx(np.sqrt(2), rel=1e-4)


def test_zero_weight_rows_are_ignored(cdnow: NDArray[np.void]) -> None:
    x, tx, big_t = cdnow["x"], cdnow["t_x"], cdnow["T"]
    base = BetaGeoModel().fit(x, tx, big_t)
    padded = BetaGeoModel().fit(
        np.r_[x, 50.0], np.r_[tx, 1.0], np.r_[big_t, 2.0], weights=np.r_[np.ones(x.size), 0.0]
    )
    assert padded.params_["r"] == pytest.approx(base.params_["r"], rel=1e-8)


def test_fit_is_invariant_to_the_time_unit(
    cdnow: NDArray[np.void], cdnow_bgnbd: BetaGeoModel
) -> None:
    days = BetaGeoModel(time_unit="days").fit(cdnow["x"], cdnow["t_x"] * 7, cdnow["T"] * 7)
    assert days.params_["alpha"] == pytest.approx(7 * cdnow_bgnbd.params_["alpha"], rel=1e-6)
    for name in ("r", "a", "b"):
        assert days.params_[name] == pytest.approx(cdnow_bgnbd.params_[name], rel=1e-6)
    # The likelihood is a density in time: it shifts by -sum(x) log(7).
    shift = -cdnow["x"].sum() * np.log(7)
    assert days.log_likelihood_ - cdnow_bgnbd.log_likelihood_ == pytest.approx(shift, rel=1e-8)
    assert days.state_.time_unit == "days"
    p_w = cdnow_bgnbd.probability_no_purchase(39, 2, 30.43, 38.86)
    p_d = days.probability_no_purchase(273, 2, 30.43 * 7, 38.86 * 7)
    assert float(p_d) == pytest.approx(float(p_w), rel=1e-6)


def test_gamma_gamma_is_invariant_to_the_currency_unit(cdnow: NDArray[np.void]) -> None:
    dollars = GammaGammaModel().fit(cdnow["x"], cdnow["zbar"])
    cents = GammaGammaModel().fit(cdnow["x"], cdnow["zbar"] * 100)
    assert cents.params_["gamma"] == pytest.approx(100 * dollars.params_["gamma"], rel=1e-6)
    assert cents.params_["p"] == pytest.approx(dollars.params_["p"], rel=1e-6)


def test_simulated_bgnbd_parameters_are_recovered_within_99pct_ci() -> None:
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    rng = np.random.default_rng(20240605)
    big_t = rng.uniform(26.0, 78.0, size=50_000)
    sim = simulate_bgnbd(truth, big_t, rng=rng)
    model = BetaGeoModel().fit(sim.frequency, sim.recency, sim.T)
    ci = model.confidence_intervals(0.99)
    for name, value in truth.items():
        lo, hi = ci[name]
        assert lo < value < hi, (name, lo, value, hi)
    assert set(model.confidence_intervals_) == set(truth)


def test_simulated_gamma_gamma_parameters_are_recovered_within_99pct_ci() -> None:
    truth = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    rng = np.random.default_rng(7)
    x = rng.integers(1, 10, size=20_000).astype(np.float64)
    mx = simulate_gamma_gamma(truth, x, rng=rng)
    model = GammaGammaModel().fit(x, mx)
    for name, value in truth.items():
        lo, hi = model.confidence_intervals(0.99)[name]
        assert lo < value < hi, (name, lo, value, hi)


def test_predictions_match_simulated_holdout() -> None:
    # With the true parameters, predictions are calibrated against the generative model.
    truth = CDNOW_PARAMS
    rng = np.random.default_rng(11)
    sim = simulate_bgnbd(truth, rng.uniform(30.0, 39.0, size=50_000), rng=rng, horizon=39.0)
    m = cdnow_model()
    args = (sim.frequency, sim.recency, sim.T)
    p_alive = m.probability_alive(*args)
    p_none = m.probability_no_purchase(39.0, *args)
    expected = m.expected_purchases(39.0, *args)
    n = sim.frequency.size
    repeat = sim.frequency > 0
    # Means of probabilities against observed fractions: within 4 standard errors.
    assert abs(p_alive[repeat].mean() - sim.alive[repeat].mean()) < 4 * 0.5 / np.sqrt(repeat.sum())
    observed_none = (sim.frequency_holdout == 0).mean()
    assert abs(p_none.mean() - observed_none) < 4 * 0.5 / np.sqrt(n)
    sd = sim.frequency_holdout.std() / np.sqrt(n)
    assert abs(expected.mean() - sim.frequency_holdout.mean()) < 4 * sd


def test_penalizer_shrinks_and_is_validated(cdnow: NDArray[np.void]) -> None:
    plain = BetaGeoModel().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    shrunk = BetaGeoModel(penalizer=0.1).fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert shrunk.params_["b"] < plain.params_["b"]
    assert shrunk.state_.penalizer == 0.1
    with pytest.raises(CustcareUsageError, match="penalizer"):
        BetaGeoModel(penalizer=-1.0).fit(cdnow["x"], cdnow["t_x"], cdnow["T"])


def test_a_million_customers_compress_and_fit() -> None:
    rng = np.random.default_rng(3)
    sim = simulate_bgnbd(CDNOW_PARAMS, np.full(1_000_000, 39.0), rng=rng)
    recency = np.round(sim.recency * 7) / 7  # daily data, in weeks
    recency[(sim.frequency > 0) & (recency == 0)] = 1 / 7
    model = BetaGeoModel().fit(sim.frequency, recency, sim.T)
    assert model.n_customers_ == 1_000_000
    assert all(np.isfinite(v) and v > 0 for v in model.standard_errors_.values())
    assert model.params_["r"] == pytest.approx(CDNOW_PARAMS["r"], rel=0.05)


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def test_fits_run_with_one_blas_thread_and_restore_the_pool(
    cdnow: NDArray[np.void], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Extra BLAS threads made fits 3-25x slower on a busy 2-core machine.
    seen: list[list[int]] = []
    for objective in (_bgnbd._BGNBDObjective, _gamma_gamma._GammaGammaObjective):
        call = objective.__call__

        def spy(self: object, z: NDArray[np.float64], call: object = call) -> object:
            seen.append(_blas_threads())
            return call(self, z)  # type: ignore[operator]

        monkeypatch.setattr(objective, "__call__", spy)
    before = _blas_threads()
    BetaGeoModel().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    GammaGammaModel().fit(cdnow["x"], cdnow["zbar"])
    assert seen and all(n == 1 for threads in seen for n in threads)
    assert _blas_threads() == before


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 40).map(float),
            st.sampled_from([0.0, -0.0, 0.5, 1 / 7, 3.25, 1e6]),
            st.floats(0.0, 1e3, allow_nan=False),
            st.sampled_from([0.0, 1.0, 2.5]),
        ),
        max_size=60,
    ),
    few=st.sampled_from([2**16, 2]),  # 2: rank by argsort, not binary search
)
def test_compress_merges_identical_rows_in_lexicographic_order(
    rows: list[tuple[float, float, float, float]], few: int
) -> None:
    from collections import defaultdict
    from unittest import mock

    cols = [np.array([r[i] for r in rows], dtype=np.float64) for i in range(3)]
    weights = np.array([r[3] for r in rows], dtype=np.float64)
    merged: dict[tuple[float, ...], float] = defaultdict(float)
    for *key, w in rows:
        if w > 0:
            merged[tuple(k + 0.0 for k in key)] += w
    with mock.patch.object(_fitting, "_FEW_DISTINCT", few):
        got, summed = _fitting._compress(cols, weights)
    assert list(zip(*(c.tolist() for c in got), strict=True)) == sorted(merged)
    assert summed.tolist() == [merged[k] for k in sorted(merged)]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("frequency", "recency", "big_t", "match"),
    [
        ([1, -1], [1.0, 0.0], [2.0, 2.0], r"frequency must be >= 0.*index 1"),
        ([1.5, 1], [1.0, 1.0], [2.0, 2.0], r"frequency must be whole numbers.*index 0"),
        ([1, 1], [1.0, 3.0], [2.0, 2.0], r"recency must be <= T.*index 1"),
        ([1, 1], [0.0, 1.0], [2.0, 2.0], r"recency must be > 0 when frequency > 0"),
        ([0, 1], [0.5, 1.0], [2.0, 2.0], r"recency must be 0 when frequency is 0"),
        ([1, 1], [np.nan, 1.0], [2.0, 2.0], r"recency must be finite"),
        ([1, 1], [1.0, 1.0], [2.0, np.inf], r"T must be finite"),
        ([1, 1], [1.0, 1.0], [2.0, -2.0], r"T must be >= 0"),
        ([1, 1, 1], [1.0, 1.0], [2.0, 2.0], r"frequency, recency, T must have the same length"),
        (["a", 1], [1.0, 1.0], [2.0, 2.0], r"frequency must be numeric"),
    ],
)
def test_bad_summary_raises_data_error_naming_argument_and_rule(
    frequency: list[object], recency: list[float], big_t: list[float], match: str
) -> None:
    with pytest.raises(DataError, match=match):
        BetaGeoModel().fit(frequency, recency, big_t)
    with pytest.raises(DataError, match=match):
        cdnow_model().probability_alive(frequency, recency, big_t)


def test_bad_weights_and_horizon_raise_data_error() -> None:
    with pytest.raises(DataError, match="weights must have one value per customer"):
        BetaGeoModel().fit([1, 2], [1.0, 2.0], [3.0, 3.0], weights=[1.0])
    with pytest.raises(DataError, match="weights must be >= 0"):
        BetaGeoModel().fit([1, 2], [1.0, 2.0], [3.0, 3.0], weights=[1.0, -1.0])
    m = cdnow_model()
    with pytest.raises(DataError, match=r"t \(the horizon\) must be >= 0"):
        m.probability_no_purchase(-1.0, 1, 1.0, 2.0)
    with pytest.raises(DataError, match="t must be finite"):
        m.expected_purchases(np.nan, 1, 1.0, 2.0)


@pytest.mark.parametrize(
    ("frequency", "recency", "big_t", "match"),
    [
        ([], [], [], "no customers"),
        ([3], [2.0], [5.0], "one customer"),
        ([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 6.0, 7.0], "no customer has a repeat purchase"),
    ],
)
def test_unidentifiable_data_raises(
    frequency: list[float], recency: list[float], big_t: list[float], match: str
) -> None:
    with pytest.raises(NotIdentifiableError, match=match):
        BetaGeoModel().fit(frequency, recency, big_t)


def test_data_without_dropout_evidence_is_not_silently_fitted() -> None:
    # Every customer bought right at the end of the window: nobody looks dead.
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0] * 20)
    with pytest.raises(NotIdentifiableError, match=r"penalizer > 0"):
        BetaGeoModel().fit(x, np.full(x.size, 10.0), np.full(x.size, 10.0))


def test_gamma_gamma_without_spread_across_customers_is_not_identifiable() -> None:
    # Every customer has the same nu: q and gamma run off to infinity together.
    rng = np.random.default_rng(5)
    x = rng.integers(1, 10, size=2000).astype(np.float64)
    mx = rng.gamma(shape=3.0 * x, scale=1.0 / (x * 0.1))
    with pytest.raises(NotIdentifiableError, match=r"q \(-> infinity\), gamma"):
        GammaGammaModel().fit(x, mx)
    assert GammaGammaModel(penalizer=0.01).fit(x, mx).params_["q"] < 100


def test_gamma_gamma_errors() -> None:
    with pytest.raises(NotIdentifiableError, match="at least two customers with frequency > 0"):
        GammaGammaModel().fit([0, 0, 3], [0.0, 0.0, 10.0])
    with pytest.raises(NotIdentifiableError, match="same monetary_value"):
        GammaGammaModel().fit([1, 2, 3], [10.0, 10.0, 10.0])
    with pytest.raises(DataError, match="monetary_value must be > 0 where frequency > 0"):
        GammaGammaModel().fit([1, 2], [10.0, 0.0])
    with pytest.raises(DataError, match="monetary_value must be >= 0"):
        GammaGammaModel().fit([1, 2], [10.0, -5.0])
    with pytest.raises(DataError, match="monetary_value must be finite"):
        GammaGammaModel().fit([1, 2], [10.0, np.nan])
    with pytest.raises(DataError, match="frequency must be whole numbers"):
        GammaGammaModel().fit([1.5, 2], [10.0, 5.0])


def test_using_a_model_before_fit_raises_not_fitted() -> None:
    for model, call in (
        (BetaGeoModel(), lambda m: m.probability_alive(1, 1.0, 2.0)),
        (BetaGeoModel(), lambda m: m.params_),
        (GammaGammaModel(), lambda m: m.expected_average_value(1, 10.0)),
        (GammaGammaModel(), lambda m: m.to_json()),
    ):
        with pytest.raises(
            NotFittedError, match=f"{type(model).__name__} is not fitted yet; call fit"
        ):
            call(model)
    assert not hasattr(BetaGeoModel(), "params_")  # NotFittedError is an AttributeError
    given = cdnow_model()
    with pytest.raises(NotFittedError, match="no log-likelihood or standard errors"):
        _ = given.standard_errors_


def test_from_params_validates() -> None:
    with pytest.raises(DataError, match="alpha"):
        BetaGeoModel.from_params(r=1.0, alpha=-1.0, a=1.0, b=1.0)
    with pytest.raises(DataError, match="gamma"):
        GammaGammaModel.from_params(p=1.0, q=1.0, gamma=float("nan"))


def test_confidence_level_is_validated(cdnow_bgnbd: BetaGeoModel) -> None:
    with pytest.raises(CustcareUsageError, match="level"):
        cdnow_bgnbd.confidence_intervals(1.5)
    narrow, wide = cdnow_bgnbd.confidence_intervals(0.5), cdnow_bgnbd.confidence_intervals(0.99)
    assert wide["r"][0] < narrow["r"][0] < cdnow_bgnbd.params_["r"] < narrow["r"][1] < wide["r"][1]


def test_convergence_error_is_a_data_error() -> None:
    assert issubclass(ConvergenceError, DataError)


# --------------------------------------------------------------------------- JSON


def test_fitted_models_round_trip_through_json(
    cdnow: NDArray[np.void], cdnow_bgnbd: BetaGeoModel
) -> None:
    text = cdnow_bgnbd.to_json()
    loaded = BetaGeoModel.from_json(text)
    assert loaded.params_ == cdnow_bgnbd.params_
    assert loaded.log_likelihood_ == cdnow_bgnbd.log_likelihood_
    assert loaded.standard_errors_ == cdnow_bgnbd.standard_errors_
    assert json.loads(text)["version"] == 1
    assert json.loads(text)["kind"] == "BetaGeoModel"
    np.testing.assert_array_equal(
        loaded.probability_no_purchase(39, cdnow["x"], cdnow["t_x"], cdnow["T"]),
        cdnow_bgnbd.probability_no_purchase(39, cdnow["x"], cdnow["t_x"], cdnow["T"]),
    )
    gg = GammaGammaModel().fit(cdnow["x"], cdnow["zbar"])
    assert GammaGammaModel.from_json(gg.to_json()).params_ == gg.params_
    assert set(BetaGeoParams.model_json_schema()["properties"]) >= {"version", "r", "alpha"}
    assert "gamma" in GammaGammaParams.model_json_schema()["properties"]


def test_from_json_rejects_bad_state() -> None:
    with pytest.raises(DataError, match="not a valid BetaGeoModel JSON state"):
        BetaGeoModel.from_json('{"r": 1, "alpha": 1, "a": 1}')
    gg = GammaGammaModel.from_params(p=1.0, q=2.0, gamma=3.0).to_json()
    with pytest.raises(DataError, match="not a valid BetaGeoModel"):
        BetaGeoModel.from_json(gg)
    with pytest.raises(DataError, match="covariance"):
        BetaGeoModel.from_json(
            '{"r": 1, "alpha": 1, "a": 1, "b": 1, "covariance": [[1, 0], [0, 1]]}'
        )


def test_params_mapping_is_read_only(cdnow_bgnbd: BetaGeoModel) -> None:
    with pytest.raises(TypeError):
        cdnow_bgnbd.params_["r"] = 1.0  # type: ignore[index]
    assert list(cdnow_bgnbd.params_) == ["r", "alpha", "a", "b"]


# --------------------------------------------------------------------------- properties

params_st = st.tuples(*(st.floats(-2.0, 2.0).map(lambda v: float(10**v)) for _ in range(4)))


@st.composite
def summaries(draw: st.DrawFn) -> tuple[float, float, float, float]:
    x = draw(st.one_of(st.just(0), st.integers(1, 20), st.integers(1, 100_000)))
    big_t = draw(st.one_of(st.floats(1e-3, 100.0), st.floats(100.0, 1e6), st.just(1e6)))
    if x == 0:
        return float(x), 0.0, big_t, draw(st.floats(0.0, 1e6))
    frac = draw(st.one_of(st.just(1.0), st.floats(1e-6, 1.0)))
    return float(x), max(frac * big_t, 1e-9), big_t, draw(st.floats(0.0, 1e6))


@settings(max_examples=150, deadline=None)
@given(params=params_st, summary=summaries())
def test_scores_are_finite_probabilities_for_any_valid_summary(
    params: tuple[float, float, float, float], summary: tuple[float, float, float, float]
) -> None:
    r, alpha, a, b = params
    x, tx, big_t, t = summary
    m = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    pa = float(m.probability_alive(x, tx, big_t))
    p0 = float(m.probability_no_purchase(t, x, tx, big_t))
    e = float(m.expected_purchases(t, x, tx, big_t))
    assert 0.0 <= pa <= 1.0
    assert 0.0 <= p0 <= 1.0
    assert np.isfinite(e) and e >= 0.0
    # At least one purchase is no likelier than the expected number of purchases.
    assert 1.0 - p0 <= e * (1 + 1e-6) + 1e-12
    # Dead customers never buy: P(no purchase) >= P(dead).
    assert p0 >= (1.0 - pa) - 1e-12


@settings(max_examples=60, deadline=None)
@given(params=params_st, summary=summaries(), extra=st.floats(0.0, 1e3))
def test_longer_horizons_mean_more_purchases(
    params: tuple[float, float, float, float],
    summary: tuple[float, float, float, float],
    extra: float,
) -> None:
    r, alpha, a, b = params
    x, tx, big_t, t = summary
    m = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    e1, e2 = m.expected_purchases([t, t + extra], x, tx, big_t)
    p1, p2 = m.probability_no_purchase([t, t + extra], x, tx, big_t)
    assert e2 >= e1 * (1 - 1e-6) - 1e-12
    assert p2 <= p1 * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(
    params=st.tuples(*(st.floats(-1.0, 1.5).map(lambda v: float(10**v)) for _ in range(3))),
    x=st.integers(0, 10_000),
    mx=st.floats(1e-3, 1e6),
)
def test_gamma_gamma_value_lies_between_population_and_own_mean(
    params: tuple[float, float, float], x: int, mx: float
) -> None:
    p, q, g = params
    m = GammaGammaModel.from_params(p=p, q=q, gamma=g)
    v = float(m.expected_average_value(x, mx))
    if q <= 1:
        return
    pop = p * g / (q - 1)
    own = mx if x > 0 else pop
    assert min(pop, own) * (1 - 1e-9) <= v <= max(pop, own) * (1 + 1e-9)


# --------------------------------------------------------------------------- holdout helpers


def test_summarise_numeric_times_with_and_without_resolution() -> None:
    ids = ["b", "a", "a", "a", "a"]
    times = [1.0, 0.0, 0.2, 2.5, 2.7]
    amounts = [5.0, 10.0, 1.0, 4.0, 6.0]
    plain = summarise_transactions(ids, times, amounts, end_time=3.0, time_unit="days")
    assert plain.customer_ids.tolist() == ["a", "b"]
    assert plain.frequency.tolist() == [3.0, 0.0]
    assert plain.recency.tolist() == [2.7, 0.0]
    assert plain.T.tolist() == [3.0, 2.0]
    assert plain.monetary_value[0] == pytest.approx((1 + 4 + 6) / 3)
    daily = summarise_transactions(ids, times, amounts, end_time=3.0, resolution=1.0)
    assert daily.frequency.tolist() == [1.0, 0.0]  # days 0 and 2
    assert daily.recency.tolist() == [2.0, 0.0]
    assert daily.monetary_value[0] == 10.0


def test_summarise_ignores_transactions_after_end_time() -> None:
    s = summarise_transactions([1, 1, 2], [0.0, 5.0, 6.0], end_time=4.0)
    assert s.customer_ids.tolist() == [1]
    assert s.frequency.tolist() == [0.0]


def test_datetime_resolution_and_time_units() -> None:
    stamps = np.array(
        ["2024-01-01T09:00", "2024-01-01T18:00", "2024-01-02T09:00"], dtype="datetime64[m]"
    )
    by_day = summarise_transactions([1, 1, 1], stamps, end_time="2024-01-03", time_unit="days")
    assert by_day.frequency.tolist() == [1.0]
    assert by_day.T.tolist() == [2.0]
    by_hour = summarise_transactions(
        [1, 1, 1], stamps, end_time="2024-01-03", time_unit="hours", resolution="h"
    )
    assert by_hour.frequency.tolist() == [2.0]
    assert by_hour.recency.tolist() == [24.0]


def test_holdout_counts_only_the_calibration_cohort() -> None:
    s = calibration_holdout_summary(
        ["a", "a", "a", "b", "c"],
        [0.0, 3.0, 4.0, 1.0, 3.5],
        [1.0, 2.0, 3.0, 4.0, 5.0],
        split_time=3.0,
        end_time=6.0,
    )
    assert s.customer_ids.tolist() == ["a", "b"]  # c first bought in the holdout
    assert s.frequency.tolist() == [1.0, 0.0]  # split time is in the calibration window
    assert s.frequency_holdout.tolist() == [1.0, 0.0]
    assert s.monetary_value_holdout.tolist() == [3.0, 0.0]
    assert s.duration_holdout == 3.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"customer_ids": [1, 2], "times": [0.0]}, "customer_ids and times"),
        ({"times": [0.0, np.nan]}, "times must be finite"),
        ({"amounts": [1.0]}, "amounts must have one value per transaction"),
        ({"amounts": [1.0, np.inf]}, "amounts must be finite"),
        ({"end_time": "2024-01-01"}, "end_time must be a number"),
        ({"resolution": "D"}, "resolution must be a number > 0"),
        ({"resolution": -1.0}, "resolution must be a number > 0"),
        (
            {
                "times": np.array(["2024-01-01", "NaT"], dtype="datetime64[D]"),
                "end_time": "2024-02-01",
            },
            "must not contain NaT",
        ),
        (
            {
                "times": np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[D]"),
                "end_time": "2024-02-01",
                "resolution": "W",
            },
            "resolution must be one of",
        ),
        (
            {
                "times": np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[D]"),
                "end_time": "2024-02-01",
                "time_unit": "months",
            },
            "time_unit must be one of",
        ),
    ],
)
def test_bad_transactions_raise_data_error(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"customer_ids": [1, 2], "times": [0.0, 1.0], "end_time": 5.0}
    args.update(kwargs)
    with pytest.raises(DataError, match=match):
        summarise_transactions(**args)  # type: ignore[arg-type]


def test_holdout_end_before_split_is_an_error() -> None:
    with pytest.raises(DataError, match="must not be before split_time"):
        calibration_holdout_summary([1], [0.0], split_time=5.0, end_time=4.0)


# --------------------------------------------------------------------------- docs


@pytest.mark.parametrize("module", [_bgnbd, _fitting, _gamma_gamma, _holdout, _simulate])
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)  # type: ignore[arg-type]
    assert result.failed == 0
    assert result.attempted > 0


def test_public_names_are_exported_from_custcare_churn() -> None:
    import custcare.churn

    names = (
        "BetaGeoModel",
        "BetaGeoParams",
        "GammaGammaModel",
        "GammaGammaParams",
        "PurchaseModel",
        "SimulatedCustomers",
        "simulate_bgnbd",
        "simulate_gamma_gamma",
        "CalibrationHoldoutSummary",
        "HoldoutComparison",
        "TransactionSummary",
        "calibration_holdout_summary",
        "compare_holdout",
        "summarise_transactions",
    )
    missing = [n for n in names if n not in custcare.churn.__all__]
    assert missing == [], f"add to custcare/churn/__init__.py: {missing}"


@pytest.mark.parametrize("scale", [1e-9, 1e9])
def test_bgnbd_is_scale_invariant_inside_the_supported_range(scale: float) -> None:
    sim = simulate_bgnbd(
        {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5},
        np.full(2000, 39.0),
        rng=np.random.default_rng(1),
    )
    base = BetaGeoModel().fit(sim.frequency, sim.recency, sim.T).params_
    scaled = BetaGeoModel().fit(sim.frequency, sim.recency * scale, sim.T * scale).params_
    np.testing.assert_allclose(
        [scaled["r"], scaled["alpha"] / scale, scaled["a"], scaled["b"]],
        [base["r"], base["alpha"], base["a"], base["b"]],
        rtol=1e-5,
    )


# --------------------------------------------------------------------------- CLV as money


@pytest.fixture(scope="module")
def clv_reference() -> dict[str, Any]:
    """lifetimes 0.11.3 customer_lifetime_value on CDNOW (tests/data/lifetimes_clv_reference.py)."""
    ref: dict[str, Any] = json.loads((DATA / "lifetimes_clv_reference.json").read_text())
    return ref


def _reference_models(ref: dict[str, Any]) -> tuple[BetaGeoModel, GammaGammaModel]:
    b, g = ref["bgnbd"], ref["gamma_gamma"]
    return (
        BetaGeoModel.from_params(r=b["r"], alpha=b["alpha"], a=b["a"], b=b["b"]),
        GammaGammaModel.from_params(p=g["p"], q=g["q"], gamma=g["v"]),
    )


@pytest.mark.parametrize(("months", "rate"), [(12, 0.01), (24, 0.02)])
def test_clv_matches_lifetimes_customer_lifetime_value_on_cdnow(
    clv_reference: dict[str, Any], months: int, rate: float
) -> None:
    bg, gg = _reference_models(clv_reference)
    ref = clv_reference
    v = customer_lifetime_value(
        bg,
        gg,
        ref["frequency"],
        ref["recency"],
        ref["T"],
        ref["monetary_value"],
        months=months,
        monthly_discount_rate=rate,
        fallback_value=0.0,
    )
    np.testing.assert_allclose(v.value, ref["clv"][f"{months}_months_{rate}"], rtol=1e-6)
    assert v.standard_error is None  # models from given parameters carry no covariance


def test_clv_of_fitted_models_matches_lifetimes_fit_on_cdnow(
    cdnow: NDArray[np.void], cdnow_bgnbd: BetaGeoModel, clv_reference: dict[str, Any]
) -> None:
    """custcare's own fits (BG/NBD on all, Gamma-Gamma on x > 0, zbar > 0) give lifetimes' CLV."""
    x, m = cdnow["x"], cdnow["zbar"]
    rep = (x > 0) & (m > 0)
    gg = GammaGammaModel().fit(x[rep], m[rep])
    rows = clv_reference["rows"]
    v = customer_lifetime_value(
        cdnow_bgnbd, gg, x[rows], cdnow["t_x"][rows], cdnow["T"][rows], m[rows], margin=0.3
    )
    np.testing.assert_allclose(
        v.value, 0.3 * np.asarray(clv_reference["clv"]["12_months_0.01"]), rtol=2e-3
    )
    assert v.standard_error is not None
    assert np.all(np.isfinite(v.standard_error))
    assert np.all(v.standard_error > 0)
    lo, hi = v.interval()
    assert np.all((lo <= v.value) & (v.value <= hi))


def test_clv_delta_method_error_agrees_with_parameter_sampling_on_cdnow(
    cdnow: NDArray[np.void], cdnow_bgnbd: BetaGeoModel
) -> None:
    """The delta-method standard error matches 400 log-parameter draws (fixed seed).

    Draws are log-normal (positive parameters; covariance moved to the log scale) and
    the spread is half the 16-84 % range, robust to the heavy tail of 1 / (q - 1).
    """
    x, tx, big_t, m = cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["zbar"]
    rep = (x > 0) & (m > 0)
    gg = GammaGammaModel().fit(x[rep], m[rep])
    rows = np.array([0, 1, 2, 5, 17, 40])  # IDs 1, 2, 3 (x = 0), 6, 18, 41 (x = 0)
    args = (x[rows], tx[rows], big_t[rows], m[rows])
    v = customer_lifetime_value(cdnow_bgnbd, gg, *args)
    rng = np.random.default_rng(20051)
    draws = []
    for model in (cdnow_bgnbd, gg):
        theta = np.array(list(model.params_.values()))
        cov_log = model.covariance_ / np.outer(theta, theta)
        draws.append(theta * np.exp(rng.multivariate_normal(np.zeros(theta.size), cov_log, 400)))
    values = []
    for b, g in zip(*draws, strict=True):
        bg2 = BetaGeoModel.from_params(r=b[0], alpha=b[1], a=b[2], b=b[3])
        gg2 = GammaGammaModel.from_params(p=g[0], q=g[1], gamma=g[2])
        values.append(customer_lifetime_value(bg2, gg2, *args, fallback_value=0.0).value)
    lo, hi = np.percentile(values, [15.87, 84.13], axis=0)
    assert v.standard_error is not None
    np.testing.assert_allclose(v.standard_error, (hi - lo) / 2, rtol=0.25)


def test_clv_without_a_finite_mean_names_the_customers_and_falls_back_only_when_asked() -> None:
    bg = cdnow_model()
    gg = GammaGammaModel.from_params(p=2.0, q=0.8, gamma=10.0)  # q <= 1: no population mean
    f, r, t, m = [0.0, 3.0], [0.0, 20.0], [38.0, 38.0], [0.0, 25.0]
    with pytest.raises(DataError, match=r"customer\(s\) 'new'.*fallback_value"):
        customer_lifetime_value(bg, gg, f, r, t, m, customer_ids=["new", "regular"])
    v = customer_lifetime_value(bg, gg, f, r, t, m, fallback_value=[12.0, 0.0])
    assert v.source.tolist() == [1, 0]
    assert CLV_SOURCES[1] == "fallback"
    assert v.expected_order_value[0] == 12.0
    assert np.all(np.isfinite(v.value))
    spend_one = customer_lifetime_value(
        bg, GammaGammaModel.from_params(p=2.0, q=0.8, gamma=10.0), f, r, t, m, fallback_value=1.0
    )
    assert v.value[0] == pytest.approx(12.0 * spend_one.value[0])


def test_clv_margin_and_discount_are_checked_and_scale_the_value() -> None:
    bg = cdnow_model()
    gg = GammaGammaModel.from_params(p=6.25, q=3.74, gamma=15.44)
    args = ([2.0], [30.43], [38.86], [22.35])
    full = customer_lifetime_value(bg, gg, *args).value[0]
    assert customer_lifetime_value(bg, gg, *args, margin=0.25).value[0] == pytest.approx(
        0.25 * full
    )
    undiscounted = customer_lifetime_value(bg, gg, *args, monthly_discount_rate=0.0).value[0]
    spend = gg.expected_spend(12 * 4.345, bg, *args)[0]
    assert undiscounted == pytest.approx(spend, rel=1e-9)  # no discount: expected spend
    assert full < undiscounted
    for bad in ({"margin": 0.0}, {"margin": 1.5}, {"months": 0}, {"monthly_discount_rate": -0.1}):
        with pytest.raises(DataError):
            customer_lifetime_value(bg, gg, *args, **bad)  # type: ignore[arg-type]


def test_clv_interval_is_undefined_where_the_standard_error_is_not_zero_width() -> None:
    from custcare.churn import CustomerValue

    v = CustomerValue(
        value=np.array([10.0, 20.0]),
        standard_error=np.array([1.0, np.nan]),
        source=np.zeros(2, dtype=np.int64),
        expected_order_value=np.array([5.0, 5.0]),
    )
    lower, upper = v.interval()
    assert lower[0] == pytest.approx(10.0 - 1.96) and upper[0] == pytest.approx(11.96)
    assert np.isnan(lower[1]) and np.isnan(upper[1])
