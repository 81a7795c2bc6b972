"""The ``churn.risk`` scorer: is this customer still with us, and what are they worth?

Two methods, and the result says which one produced it:

* ``bgnbd`` (default): BG/NBD fitted on the population (Fader, Hardie & Lee 2005)
  gives P(alive), expected purchases and the probability of no purchase in the next
  horizon; Gamma-Gamma on repeat buyers gives the expected order value, and with
  BG/NBD a predicted value over the horizon. What ranks customers (``risk``) and sets
  the band is chosen by ``ranking``: by default (``"rerank"``) a small logistic
  re-ranker fitted on an earlier split of the shop's own history (``_rerank.py``),
  measured above BG/NBD and recency alone on CDNOW (benchmarks/cdnow_ranking.py).
* ``gap``: model-free; days since the last purchase over the customer's own median
  gap (the population's for one-time buyers). Needs no fit; ``fit`` learns the
  population's median gap when given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from custcare.batch import CustomerBatch, to_epoch_seconds
from custcare.churn._bgnbd import BetaGeoModel
from custcare.churn._clv import customer_lifetime_value
from custcare.churn._gamma_gamma import GammaGammaModel
from custcare.churn._gap import GAP_BANDS, gap_band_index, gap_kernel, median_gap_days
from custcare.churn._rerank import (
    RERANK_FEATURES,
    fit_logistic,
    logistic_logit,
    rerank_features,
    sigmoid,
)
from custcare.churn._summary import PurchaseSummary, purchase_summary
from custcare.errors import DataError
from custcare.models import LabelledEnum
from custcare.scoring import (
    BatchScores,
    PopulationScorer,
    Ragged,
    Reason,
    ReasonColumns,
    ReasonSlot,
    ScorerConfig,
    ScoreResult,
    ScorerTraits,
)
from custcare.scoring._scorer import FittedState

__all__ = [
    "ChurnRiskConfig",
    "ChurnRiskResult",
    "ChurnRiskScorer",
    "ChurnRiskScores",
    "ChurnRiskState",
    "RerankerState",
    "RiskBand",
]


class RiskBand(LabelledEnum):
    """Churn risk bands."""

    ACTIVE = ("active", "活跃", "Active")
    COOLING = ("cooling", "降温", "Cooling")
    AT_RISK = ("at_risk", "有流失风险", "At risk")
    LAPSED = ("lapsed", "已流失", "Lapsed")
    NO_PURCHASES = ("no_purchases", "未购买", "No purchases yet")


_MAX_DAYS = 36_500.0  # a hundred years: the longest time span a config may give

_BANDS = tuple(RiskBand)
assert tuple(b.value for b in _BANDS) == GAP_BANDS


class ChurnRiskConfig(ScorerConfig):
    """Parameters of `ChurnRiskScorer`.

    Ranges (outside, a pydantic ``ValidationError`` names the field; NaN and
    infinity are refused): ``time_unit_days`` 0.001 .. 36,500; ``horizon`` above 0
    with ``horizon * time_unit_days`` at most 36,500 days; ``population_gap_days``
    above 0, at most 36,500; the penalizers 0 .. 10^6.

    Examples:
        >>> ChurnRiskConfig(method="gap").method
        'gap'
    """

    method: Literal["bgnbd", "gap"] = "bgnbd"
    ranking: Literal["rerank", "expected_purchases", "p_no_purchase"] = Field(
        "rerank",
        description="bgnbd: what ranks customers and sets the band. 'rerank' (measured "
        "best, the default): a logistic re-ranker fitted on an earlier split of the "
        "shop's history, falling back to 'expected_purchases' when it cannot be fitted; "
        "'expected_purchases': BG/NBD expected purchases in the horizon; "
        "'p_no_purchase': BG/NBD P(no purchase in the horizon).",
    )
    rerank_min_customers: Annotated[int, Field(ge=10, le=10**9)] = Field(
        200,
        description="rerank: fewer customers (or fewer than a tenth of that returning, "
        "or not returning) at the earlier cut and the re-ranker is not fitted.",
    )
    time_unit_days: Annotated[
        float,
        Field(
            ge=1e-3, le=_MAX_DAYS, allow_inf_nan=False, description="Model time unit (7 = weeks)."
        ),
    ] = 7.0
    horizon: Annotated[
        float, Field(gt=0.0, allow_inf_nan=False, description="Look-ahead, in time units.")
    ] = 13.0
    band_edges: tuple[float, float, float] = Field(
        (0.5, 0.7, 0.9),
        description="bgnbd: P(no purchase in horizon) edges active|cooling|at_risk|lapsed.",
    )
    population_gap_days: Annotated[float, Field(gt=0.0, le=_MAX_DAYS, allow_inf_nan=False)] = Field(
        90.0, description="gap: typical gap for one-time buyers when not learnt by fit."
    )
    penalizer: Annotated[
        float, Field(ge=0.0, le=1e6, allow_inf_nan=False, description="BG/NBD L2 penalty.")
    ] = 0.0
    spend_penalizer: Annotated[
        float, Field(ge=0.0, le=1e6, allow_inf_nan=False, description="Gamma-Gamma L2 penalty.")
    ] = 0.0
    margin: Annotated[
        float,
        Field(gt=0.0, le=1.0, allow_inf_nan=False, description="Share of revenue that is profit."),
    ] = 1.0
    clv_months: Annotated[
        int, Field(ge=1, le=1200, description="CLV horizon, in months (4.345 weeks each).")
    ] = 12
    monthly_discount_rate: Annotated[
        float, Field(ge=0.0, le=1.0, allow_inf_nan=False, description="CLV discount a month.")
    ] = 0.01
    clv_uncertainty: bool = Field(
        False,
        description="Also give the CLV's delta-method standard error (about 15 times the "
        "CLV's work).",
    )

    @model_validator(mode="after")
    def _horizon_in_range(self) -> ChurnRiskConfig:
        if self.horizon * self.time_unit_days > _MAX_DAYS:
            raise PydanticCustomError(
                "horizon_too_long",
                "horizon * time_unit_days is {days:g} days; at most {limit} days are supported",
                {"days": self.horizon * self.time_unit_days, "limit": _MAX_DAYS},
            )
        return self

    @field_validator("band_edges")
    @classmethod
    def _edges(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        if not 0.0 < value[0] < value[1] < value[2] < 1.0:
            raise ValueError(f"band_edges must increase strictly inside (0, 1), got {value}")
        return value


_BGNBD_PARAMS = ("r", "alpha", "a", "b")
_GG_PARAMS = ("p", "q", "gamma")


def _params(value: dict[str, float] | None, names: tuple[str, ...]) -> dict[str, float] | None:
    if value is None:
        return value
    if set(value) != set(names):
        raise PydanticCustomError(
            "wrong_parameters",
            "parameters must be exactly {names}, got {got}",
            {"names": ", ".join(names), "got": ", ".join(sorted(value)) or "none"},
        )
    bad = [k for k in names if not value[k] > 0]  # NaN and inf are refused by the model
    if bad:
        raise PydanticCustomError(
            "not_positive", "parameters {bad} must be > 0", {"bad": ", ".join(bad)}
        )
    return {k: value[k] for k in names}


class RerankerState(BaseModel):
    """The fitted re-ranker (``ranking="rerank"``): a logistic regression on `RERANK_FEATURES`.

    Attributes:
        horizon: The window it predicts a purchase in, in time units (> 0): the
            scorer's horizon, or half the history when that was shorter.
        cut_as_of: The earlier cut it was trained at (``fitted_as_of - horizon``).
        features: The feature names, in order (must equal `RERANK_FEATURES`).
        coef: Intercept then one coefficient per feature.
        mean: Per-feature mean used to standardise.
        scale: Per-feature scale used to standardise (> 0).
        n_train: Customers it was trained on.
        n_returned: Of them, those who bought in the window.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    horizon: Annotated[float, Field(gt=0.0)]
    cut_as_of: AwareDatetime
    features: tuple[str, ...] = RERANK_FEATURES
    coef: tuple[float, ...]
    mean: tuple[float, ...]
    scale: tuple[Annotated[float, Field(gt=0.0)], ...]
    n_train: Annotated[int, Field(ge=1)]
    n_returned: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _shapes(self) -> RerankerState:
        k = len(RERANK_FEATURES)
        if self.features != RERANK_FEATURES:
            raise PydanticCustomError(
                "unknown_features",
                "re-ranker features must be {want}, got {got}",
                {"want": ", ".join(RERANK_FEATURES), "got": ", ".join(self.features)},
            )
        if (len(self.coef), len(self.mean), len(self.scale)) != (k + 1, k, k):
            raise PydanticCustomError(
                "wrong_length",
                "re-ranker needs {k1} coefficients and {k} means and scales, got {c}, {m} and {s}",
                {
                    "k1": k + 1,
                    "k": k,
                    "c": len(self.coef),
                    "m": len(self.mean),
                    "s": len(self.scale),
                },
            )
        if self.n_returned >= self.n_train:
            raise PydanticCustomError(
                "inconsistent_state", "re-ranker trained where everybody returned"
            )
        return self


class ChurnRiskState(FittedState):
    """What ``fit`` learnt; JSON-serialisable and checked field by field on load.

    Attributes:
        bgnbd: BG/NBD parameters ``r, alpha, a, b`` (all > 0); None for ``gap``.
        log_likelihood: BG/NBD log-likelihood at the estimate (finite).
        gamma_gamma: Gamma-Gamma parameters ``p, q, gamma`` (all > 0), or None
            when no spend model could be fitted (``gamma_gamma_error`` says why).
            With ``q <= 1`` the population's mean spend does not exist: customers
            whose expected order value is then infinite get no value
            (``churn.no_finite_mean``).
        gamma_gamma_error: Why there is no spend model.
        population_gap_days: The learnt typical gap (> 0), None when not learnt.
        n_customers: Buyers the models were fitted on.
        n_zero_value_repeats: Repeat buyers whose repeat purchases are worth 0 in
            all, left out of the Gamma-Gamma fit (it models positive values only).
        reranker: The re-ranker (``ranking="rerank"``), None when not fitted
            (``reranker_error`` says why; ranking then falls back to expected
            purchases, and each customer's first reason says so).
        reranker_error: Why there is no re-ranker.
        bgnbd_covariance: 4 x 4 covariance of ``r, alpha, a, b`` (for the CLV's
            standard error), None when not known.
        gamma_gamma_covariance: 3 x 3 covariance of ``p, q, gamma``, None when not known.
    """

    bgnbd: dict[str, float] | None = None
    log_likelihood: float | None = None
    gamma_gamma: dict[str, float] | None = None
    gamma_gamma_error: str | None = None
    population_gap_days: Annotated[float, Field(gt=0.0)] | None = None
    n_customers: Annotated[int, Field(ge=0)] = 0
    n_zero_value_repeats: Annotated[int, Field(ge=0)] = 0
    reranker: RerankerState | None = None
    reranker_error: str | None = None
    bgnbd_covariance: tuple[tuple[float, ...], ...] | None = None
    gamma_gamma_covariance: tuple[tuple[float, ...], ...] | None = None

    @field_validator("bgnbd")
    @classmethod
    def _bgnbd(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        return _params(value, _BGNBD_PARAMS)

    @field_validator("gamma_gamma")
    @classmethod
    def _gamma_gamma(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        return _params(value, _GG_PARAMS)

    @model_validator(mode="after")
    def _consistent(self) -> ChurnRiskState:
        if self.bgnbd is None and (self.gamma_gamma is not None or self.log_likelihood is not None):
            raise PydanticCustomError(
                "inconsistent_state",
                "a spend model or a log-likelihood without BG/NBD parameters",
            )
        for name, k, params in (
            ("bgnbd_covariance", 4, self.bgnbd),
            ("gamma_gamma_covariance", 3, self.gamma_gamma),
        ):
            cov = getattr(self, name)
            if cov is None:
                continue
            if params is None or len(cov) != k or any(len(row) != k for row in cov):
                raise PydanticCustomError(
                    "inconsistent_state",
                    "{name} must be {k} x {k} and come with its model's parameters",
                    {"name": name, "k": k},
                )
        if self.bgnbd is None and self.reranker is not None:
            raise PydanticCustomError("inconsistent_state", "a re-ranker without BG/NBD parameters")
        if self.bgnbd is not None and self.log_likelihood is None:
            raise PydanticCustomError(
                "inconsistent_state", "BG/NBD parameters without their log-likelihood"
            )
        return self


class ChurnRiskResult(ScoreResult):
    """Churn risk of one customer.

    Attributes:
        method: ``bgnbd`` or ``gap``.
        band: The risk band (its labels: `label_zh`, `label_en`).
        risk: The ranking quantity, higher = more at risk: P(no purchase in the
            horizon) for ``bgnbd``; ``ratio / (1 + ratio)`` of the gap ratio for ``gap``
            (a monotone transform, not a probability). None without purchases.
        p_alive: BG/NBD probability the customer is still active.
        p_no_purchase: BG/NBD probability of no purchase in the horizon.
        expected_purchases: BG/NBD expected purchases in the horizon.
        expected_order_value: Gamma-Gamma expected average order value.
        predicted_value: expected purchases × expected order value over the horizon.
        clv: Discounted customer lifetime value as money: ``margin`` times the
            expected spend of each of the next ``clv_months`` months discounted at
            ``monthly_discount_rate`` (lifetimes' ``customer_lifetime_value``); None
            exactly where ``predicted_value`` is None (the reasons say why).
        clv_standard_error: Its delta-method standard error from the fitted
            covariances (``clv_uncertainty=True``), else None.
        days_since_last: Days since the last purchase.
        typical_gap_days: The gap the ``gap`` method compared with.
        horizon_days: The horizon, in days.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from custcare.models import Customer, CustomerHistory
        >>> as_of = datetime(2025, 1, 1, tzinfo=timezone.utc)
        >>> new = CustomerHistory(customer=Customer(id="u1", created_at=as_of))
        >>> r = ChurnRiskScorer(method="gap").score(new, as_of=as_of)
        >>> r.band.value, r.label_zh, r.label_en, r.risk
        ('no_purchases', '未购买', 'No purchases yet', None)
    """

    batch_columns: ClassVar[tuple[str, ...]] = (
        "method",
        "band",
        "label_zh",
        "label_en",
        "risk",
        "p_alive",
        "p_no_purchase",
        "expected_purchases",
        "expected_order_value",
        "predicted_value",
        "clv",
        "clv_standard_error",
        "days_since_last",
        "typical_gap_days",
    )

    method: Literal["bgnbd", "gap"]
    band: RiskBand
    risk: float | None
    p_alive: float | None = None
    p_no_purchase: float | None = None
    expected_purchases: float | None = None
    expected_order_value: float | None = None
    predicted_value: float | None = None
    clv: float | None = None
    clv_standard_error: float | None = None
    days_since_last: float | None = None
    typical_gap_days: float | None = None
    horizon_days: float

    @property
    def label_zh(self) -> str:
        """Chinese label of the band, e.g. ``有流失风险``."""
        return self.band.label_zh

    @property
    def label_en(self) -> str:
        """English label of the band, e.g. ``At risk``."""
        return self.band.label_en


class ChurnRiskScores(BatchScores):
    """`ChurnRiskScorer.score_batch` output; offers its columns to other scorers.

    The value pyramid (``loyalty.pyramid``) reads ``predicted_value`` through
    `custcare.scoring.PredictedValueScores` as the future value of each customer;
    ``churn.cause`` reads ``band`` and ``method``.
    """

    @property
    def band(self) -> NDArray[np.str_]:
        """The risk band code per row, e.g. ``"at_risk"`` (`RiskBand` values)."""
        return self.columns["band"]

    @property
    def method(self) -> NDArray[np.str_]:
        """The method that gave each row's band: ``"bgnbd"`` or ``"gap"``."""
        return self.columns["method"]

    @property
    def predicted_value(self) -> NDArray[np.float64]:
        """Predicted value over the horizon per row; NaN where there is none.

        There is none for a customer without a purchase, with the ``gap`` method,
        and when no spend model could be fitted.
        """
        return self.columns["predicted_value"]


# The float columns of the kernel, which are also float | None fields of the result.
_VALUES: tuple[str, ...] = (
    "risk",
    "p_alive",
    "p_no_purchase",
    "expected_purchases",
    "expected_order_value",
    "predicted_value",
    "clv",
    "clv_standard_error",
    "days_since_last",
    "typical_gap_days",
)


_SPEND_VALUES = frozenset({"expected_order_value", "predicted_value", "clv", "clv_standard_error"})
# Per buyer, with a spend model: a predicted value, or why there is none.
_SPEND_CODES = ("churn.predicted_value", "churn.no_finite_mean", "churn.zero_value_repeats")
_PRICED, _NO_FINITE_MEAN, _ZERO_VALUE = 0, 1, 2


@dataclass(frozen=True, eq=False)
class _Columns:
    band: NDArray[np.int64]
    risk: NDArray[np.float64]
    p_alive: NDArray[np.float64]
    p_no_purchase: NDArray[np.float64]
    expected_purchases: NDArray[np.float64]
    expected_order_value: NDArray[np.float64]
    predicted_value: NDArray[np.float64]
    clv: NDArray[np.float64]
    clv_standard_error: NDArray[np.float64]
    days_since_last: NDArray[np.float64]
    typical_gap_days: NDArray[np.float64]
    frequency: NDArray[np.float64]
    last_order_row: NDArray[np.int64]
    unpriced: NDArray[np.int64]  # index into _SPEND_CODES (0: priced, or not applicable)


class ChurnRiskScorer(PopulationScorer[ChurnRiskConfig, ChurnRiskResult, ChurnRiskState]):
    """Churn risk from BG/NBD + Gamma-Gamma fitted on the population, or the gap rule.

    One columnar path computes every customer's values and reasons
    (`score_batch`); `score` is a one-row view of it.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> scorer = ChurnRiskScorer().fit(shop.histories, as_of=shop.as_of)
        >>> r = scorer.score(shop.histories[0], as_of=shop.as_of)
        >>> r.method, 0.0 <= r.p_no_purchase <= 1.0
        ('bgnbd', True)

        The batch path (`score_batch`), with reasons as columns:

        >>> from custcare.batch import from_histories
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> scorer = ChurnRiskScorer(spend_penalizer=0.001).fit(shop.histories,
        ...                                                     as_of=shop.as_of)
        >>> scores = scorer.score_batch(from_histories(shop.histories), as_of=shop.as_of)
        >>> scores.reasons.codes_of(0)[:2]
        ('churn.p_no_purchase', 'churn.recency')
        >>> scores.result(0) == scorer.score(shop.histories[0], as_of=shop.as_of)
        True
    """

    name: ClassVar[str] = "churn.risk"
    description: ClassVar[str] = (
        "Churn risk: BG/NBD P(alive) and P(no purchase), predicted value, or a gap rule."
    )
    config_model = ChurnRiskConfig
    state_model = ChurnRiskState
    traits: ClassVar[ScorerTraits] = ScorerTraits(population=True, batch=True)

    def _check_ready(self) -> None:
        if self.config.method == "bgnbd":
            super()._check_ready()

    def _fit_batch(self, batch: CustomerBatch, *, as_of: datetime) -> ChurnRiskState:
        cfg = self.config
        gap = _positive(median_gap_days(batch))
        fitted = {"fitted_as_of": as_of, "currency": batch.currency}
        if cfg.method == "gap":
            return ChurnRiskState(**fitted, population_gap_days=gap, n_customers=batch.n_customers)
        s = purchase_summary(batch, to_epoch_seconds(as_of), cfg.time_unit_days)
        bought = s.purchases > 0
        bg = BetaGeoModel(penalizer=cfg.penalizer).fit(
            s.frequency[bought], s.recency[bought], s.T[bought]
        )
        gg_params, gg_error, gg_cov = None, None, None
        # Gamma-Gamma models positive order values: repeat buyers whose repeat
        # purchases are worth 0 in all are left out of its fit (lifetimes refuses
        # them), counted in the state, and get no predicted value.
        zero = _zero_value_repeats(s.frequency, s.monetary_value)
        repeat = (s.frequency > 0) & ~zero
        try:
            gg = GammaGammaModel(penalizer=cfg.spend_penalizer).fit(
                s.frequency[repeat], s.monetary_value[repeat]
            )
            gg_params = dict(gg.params_)
            gg_cov = _square(gg.covariance_)
        except DataError as exc:  # the spend model is optional; say why it is absent
            gg_error = str(exc)
        reranker, reranker_error = None, None
        if cfg.ranking == "rerank":
            reranker, reranker_error = self._fit_reranker(batch, as_of, s)
        return ChurnRiskState(
            **fitted,
            reranker=reranker,
            reranker_error=reranker_error,
            bgnbd_covariance=_square(bg.covariance_),
            gamma_gamma_covariance=gg_cov,
            bgnbd=dict(bg.params_),
            log_likelihood=float(bg.log_likelihood_),
            gamma_gamma=gg_params,
            gamma_gamma_error=gg_error,
            population_gap_days=gap,
            n_customers=int(bought.sum()),
            n_zero_value_repeats=int(zero.sum()),
        )

    def _fit_reranker(
        self, batch: CustomerBatch, as_of: datetime, now: PurchaseSummary
    ) -> tuple[RerankerState | None, str | None]:
        """Fit the re-ranker on an earlier cut of the same history (no look-ahead).

        Returns the state, or None and why it could not be fitted.
        """
        cfg = self.config
        end = to_epoch_seconds(as_of)
        unit = cfg.time_unit_days * 86_400.0
        times = batch.order_time[batch.order_time <= end]
        if times.size == 0:
            return None, "no orders before the fit moment"
        span = (end - float(times.min())) / unit
        horizon = min(cfg.horizon, span / 2.0)
        cut = end - horizon * unit
        before = purchase_summary(batch, cut, cfg.time_unit_days)
        known = before.purchases > 0
        returned = now.purchases[known] > before.purchases[known]
        n, k = int(known.sum()), int(returned.sum())
        small = max(cfg.rerank_min_customers // 10, 1)
        if n < cfg.rerank_min_customers or k < small or n - k < small:
            return None, (
                f"too little history for the re-ranker: at the earlier cut "
                f"({horizon:.3g} time units before the fit) {n} customers had bought and "
                f"{k} of them bought again by the fit (at least "
                f"{cfg.rerank_min_customers} customers and {small} returning and "
                f"{small} not returning are needed)"
            )
        try:
            bg = BetaGeoModel(penalizer=cfg.penalizer).fit(
                before.frequency[known], before.recency[known], before.T[known]
            )
        except DataError as exc:
            return None, f"BG/NBD could not be fitted at the earlier cut: {exc}"
        X = _rerank_matrix(batch, cut, before, bg, horizon)[known]  # noqa: N806
        coef, mean, scale = fit_logistic(X, returned)
        if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(mean))):
            return None, "the re-ranker's logistic regression did not converge"
        state = RerankerState(
            horizon=horizon,
            cut_as_of=datetime.fromtimestamp(cut, tz=as_of.tzinfo),
            coef=tuple(float(x) for x in coef),
            mean=tuple(float(x) for x in mean),
            scale=tuple(float(x) for x in scale),
            n_train=n,
            n_returned=k,
        )
        return state, None

    # --- the vectorised kernel --------------------------------------------------------------

    def _columns(self, batch: CustomerBatch, as_of: datetime) -> _Columns:
        """Every customer's numbers, NaN where they do not apply (batch cut at ``as_of``)."""
        cfg = self.config
        now = to_epoch_seconds(as_of)
        s = purchase_summary(batch, now, cfg.time_unit_days)
        nan = np.full(batch.n_customers, np.nan)
        state = self.state_
        learnt = None if state is None else _positive(state.population_gap_days)
        pop_gap = cfg.population_gap_days if learnt is None else learnt
        g = gap_kernel(batch, now, pop_gap)
        bought = s.purchases > 0
        if cfg.method == "gap":
            band = gap_band_index(g)
            with np.errstate(invalid="ignore"):
                risk = np.where(bought, g.ratio / (1.0 + g.ratio), np.nan)
            return _Columns(
                band,
                risk,
                nan,
                nan,
                nan,
                nan,
                nan,
                nan,
                nan,
                g.days_since_last,
                g.typical_gap_days,
                s.frequency,
                s.last_order_row,
                np.zeros(batch.n_customers, dtype=np.int64),
            )
        assert state is not None
        assert state.bgnbd is not None
        p = state.bgnbd
        bg = BetaGeoModel.from_params(r=p["r"], alpha=p["alpha"], a=p["a"], b=p["b"])
        f, r, t = s.frequency[bought], s.recency[bought], s.T[bought]
        p_alive, p_none, expected = nan.copy(), nan.copy(), nan.copy()
        # Parameters far outside what a fit gives (a loaded state) can over- or
        # underflow: such values are refused, naming the customers, by _check_finite.
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            p_alive[bought] = bg.probability_alive(f, r, t)
            p_none[bought] = bg.probability_no_purchase(cfg.horizon, f, r, t)
            expected[bought] = bg.expected_purchases(cfg.horizon, f, r, t)
        value, predicted, clv, clv_se = nan.copy(), nan.copy(), nan.copy(), nan.copy()
        unpriced = np.zeros(batch.n_customers, dtype=np.int64)
        # Over- and underflow (extreme parameters of a loaded state, huge amounts) are
        # refused by _check_finite, naming the customers.
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            if state.gamma_gamma is not None:
                q = state.gamma_gamma
                gg = GammaGammaModel.from_params(p=q["p"], q=q["q"], gamma=q["gamma"])
                # No value where it does not exist: E[Z | x] is infinite when
                # p x + q - 1 <= 0 (with q <= 1, every one-time buyer), and the model
                # does not describe repeat purchases worth 0 in all.
                no_mean = bought & (q["p"] * s.frequency + q["q"] - 1.0 <= 0.0)
                zero = bought & _zero_value_repeats(s.frequency, s.monetary_value)
                unpriced[no_mean] = _NO_FINITE_MEAN
                unpriced[zero] = _ZERO_VALUE
                priced = bought & (unpriced == _PRICED)
                value[priced] = gg.expected_average_value(
                    s.frequency[priced], s.monetary_value[priced]
                )
                predicted[priced] = expected[priced] * value[priced]
                # an order value that overflowed is refused by _check_finite, naming the customer
                finite = priced & np.isfinite(value)
                clv, clv_se = self._clv(state, bg, gg, s, finite)
        risk = self._ranking_risk(batch, now, s, bg, bought, p_none, expected)
        edges = np.asarray(cfg.band_edges)
        band = np.where(
            bought, np.searchsorted(edges, np.nan_to_num(risk), side="right"), len(_BANDS) - 1
        )
        return _Columns(
            band.astype(np.int64),
            risk,
            p_alive,
            p_none,
            expected,
            value,
            predicted,
            clv,
            clv_se,
            g.days_since_last,
            g.typical_gap_days,
            s.frequency,
            s.last_order_row,
            unpriced,
        )

    def _clv(
        self,
        state: ChurnRiskState,
        bg: BetaGeoModel,
        gg: GammaGammaModel,
        s: PurchaseSummary,
        priced: NDArray[np.bool_],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Discounted CLV (and its standard error when asked) of the priced customers."""
        cfg = self.config
        n = priced.size
        clv, se = np.full(n, np.nan), np.full(n, np.nan)
        if not priced.any():
            return clv, se
        uncertainty = cfg.clv_uncertainty and _has_covariances(state)
        covs = (state.bgnbd_covariance, state.gamma_gamma_covariance) if uncertainty else None
        v = customer_lifetime_value(
            bg,
            gg,
            s.frequency[priced],
            s.recency[priced],
            s.T[priced],
            s.monetary_value[priced],
            months=cfg.clv_months,
            monthly_discount_rate=cfg.monthly_discount_rate,
            margin=cfg.margin,
            periods_per_month=_WEEKS_PER_MONTH * 7.0 / cfg.time_unit_days,
            covariances=covs,  # type: ignore[arg-type]
            standard_errors=uncertainty,
        )
        clv[priced] = v.value
        if v.standard_error is not None:
            se[priced] = v.standard_error
        return clv, se

    def _ranking_risk(
        self,
        batch: CustomerBatch,
        now: float,
        s: PurchaseSummary,
        bg: BetaGeoModel,
        bought: NDArray[np.bool_],
        p_none: NDArray[np.float64],
        expected: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """The ranking quantity (higher = more at risk) the config's ``ranking`` asks for."""
        ranking = self._effective_ranking()
        if ranking == "p_no_purchase":
            return p_none
        if ranking == "expected_purchases":
            with np.errstate(invalid="ignore"):
                return np.asarray(1.0 / (1.0 + expected), dtype=np.float64)
        state = self.state_
        assert state is not None
        assert state.reranker is not None
        rr = state.reranker
        X = _rerank_matrix(batch, now, s, bg, rr.horizon)  # noqa: N806
        logit = logistic_logit(X, np.asarray(rr.coef), np.asarray(rr.mean), np.asarray(rr.scale))
        risk = np.full(batch.n_customers, np.nan)
        risk[bought] = 1.0 - sigmoid(logit[bought])
        return risk

    def _effective_ranking(self) -> str:
        """The ranking in use: 'rerank' falls back to expected purchases without a re-ranker."""
        ranking = self.config.ranking
        state = self.state_
        if ranking == "rerank" and (state is None or state.reranker is None):
            return "expected_purchases"
        return ranking

    def _check_finite(self, batch: CustomerBatch, c: _Columns, bought: NDArray[np.bool_]) -> None:
        """Refuse values a result could not hold: inf anywhere, NaN where a value is due."""
        cfg, state = self.config, self.state_
        due = {"risk", "days_since_last", "typical_gap_days"}
        if cfg.method == "bgnbd":
            due |= {"p_alive", "p_no_purchase", "expected_purchases"}
            if state is not None and state.gamma_gamma is not None:
                # clv_standard_error may be NaN where it is undefined (no derivative):
                # the result then says so rather than claiming an error of 0.
                due |= {"expected_order_value", "predicted_value", "clv"}
        priced = bought & (c.unpriced == _PRICED)
        bad_rows = np.zeros(batch.n_customers, dtype=np.bool_)
        names = []
        for name in _VALUES:
            col: NDArray[np.float64] = getattr(c, name)
            bad = np.isinf(col)
            if name in due:
                bad |= (priced if name in _SPEND_VALUES else bought) & np.isnan(col)
            if bad.any():
                names.append(name)
                bad_rows |= bad
        if names:
            rows = np.flatnonzero(bad_rows)
            shown = ", ".join(repr(str(x)) for x in batch.customer_ids[rows[:5]])
            more = f" and {rows.size - 5} more" if rows.size > 5 else ""
            raise DataError(
                f"{self.name}: {', '.join(names)} not finite for customer(s) {shown}{more} "
                f"(rows {rows[:5].tolist()}); the fitted parameters or the order amounts are "
                "out of the models' numerical range"
            )

    # --- the one columnar path; the per-customer path is a one-row view of it ----------

    def _scores(self, batch: CustomerBatch, as_of: datetime) -> ChurnRiskScores:
        """Columns, reasons and per-row results of a batch already cut at ``as_of``."""
        n = batch.n_customers
        c = self._columns(batch, as_of)
        bought = c.band != len(_BANDS) - 1
        self._check_finite(batch, c, bought)
        last = _last_order_ids(batch, c.last_order_row)
        state = self.state_
        # One code per slot (no text per row); a customer without a purchase has one
        # reason, and nothing to cite.
        slots = [ReasonSlot("churn.no_purchases", ~bought)]
        if self.config.method == "gap":
            slots.append(ReasonSlot("churn.gap_ratio", bought, last))
        else:
            # With a spend model a buyer has a finite predicted value, or a reason
            # why there is none (no finite mean spend; repeat purchases worth 0).
            priced = state is not None and state.gamma_gamma is not None
            slots += [
                ReasonSlot("churn.p_no_purchase", bought, last),
                ReasonSlot("churn.recency", bought, last),
                ReasonSlot("churn.p_alive", bought, last),
                ReasonSlot(_SPEND_CODES, bought, last, index=c.unpriced)
                if priced
                else ReasonSlot("churn.no_spend_model", bought),
            ]
        slots.append(ReasonSlot("churn.method", bought))
        reasons = ReasonColumns.build(n, slots)
        columns: dict[str, NDArray[Any]] = {
            "method": np.repeat(np.asarray([self.config.method], dtype=np.str_), n),
            "band": np.asarray([b.value for b in _BANDS], dtype=np.str_)[c.band],
            "label_zh": np.asarray([b.label_zh for b in _BANDS], dtype=np.str_)[c.band],
            "label_en": np.asarray([b.label_en for b in _BANDS], dtype=np.str_)[c.band],
        }
        columns.update((name, getattr(c, name)) for name in _VALUES)
        ids = batch.customer_ids
        return ChurnRiskScores.build(
            self.name,
            ids,
            columns,
            reasons=reasons,
            as_of=as_of,
            explain=lambda i: self._result(c, reasons, str(ids[i]), i, as_of),
        )

    def _result(
        self, c: _Columns, reasons: ReasonColumns, customer_id: str, i: int, as_of: datetime
    ) -> ChurnRiskResult:
        """Row ``i``'s result: its values from the columns, its reasons as sentences."""
        cfg = self.config
        band = _BANDS[int(c.band[i])]
        values = {name: _opt(getattr(c, name)[i]) for name in _VALUES}
        frequency = float(c.frequency[i])
        return ChurnRiskResult(
            scorer=self.name,
            customer_id=customer_id,
            as_of=as_of,
            method=cfg.method,
            band=band,
            horizon_days=cfg.horizon * cfg.time_unit_days,
            reasons=tuple(
                self._reason(code, reasons.evidence_of(i, j), band, values, frequency)
                for j, code in enumerate(reasons.codes_of(i))
            ),
            **values,
        )

    def _ranking_message(self, v: dict[str, float | None], band: RiskBand, days: float) -> str:
        """What ranked the customer and set the band, in one sentence."""
        cfg, state = self.config, self.state_
        assert state is not None
        bgnbd = f"Probability of no purchase in the next {days:.0f} days: {v['p_no_purchase']:.2f}"
        banded = f"band {band.value} ({band.label_en})"
        ranking = self._effective_ranking()
        if ranking == "p_no_purchase":
            return f"{bgnbd}: {banded}."
        if ranking == "rerank":
            rr = state.reranker
            assert rr is not None
            return (
                f"Probability of no purchase in the next {rr.horizon * cfg.time_unit_days:.0f} "
                f"days, learnt from who bought again in the shop's own history "
                f"({rr.n_returned} of {rr.n_train} customers): {v['risk']:.2f}: {banded}; "
                f"BG/NBD alone: {bgnbd[0].lower()}{bgnbd[1:]}."
            )
        note = ""
        if cfg.ranking == "rerank":
            why = state.reranker_error or "the saved state has no re-ranker"
            note = f" (no re-ranker: {why}; ranked by expected purchases instead)"
        return (
            f"Expected purchases in the next {days:.0f} days: {v['expected_purchases']:.2f} "
            f"(risk {v['risk']:.2f} = 1 / (1 + expected)): {banded}{note}; {bgnbd}."
        )

    # --- reasons ----------------------------------------------------------------------------

    def _reason(
        self,
        code: str,
        evidence: tuple[str, ...],
        band: RiskBand,
        v: dict[str, float | None],
        frequency: float,
    ) -> Reason:
        """The sentence of one reason code the columnar path gave a row."""
        cfg = self.config
        days = cfg.horizon * cfg.time_unit_days
        if code == "churn.no_purchases":
            return Reason(
                code=code,
                message="No completed purchase yet: churn risk does not apply.",
                weight=1.0,
            )
        since = f"Last purchase {v['days_since_last']:.0f} days ago"
        if code == "churn.gap_ratio":
            whose = "the customer's own median gap" if frequency > 0 else "the population's gap"
            return Reason(
                code=code,
                message=f"{since}; {whose} is {v['typical_gap_days']:.0f} days: band "
                f"{band.value} ({band.label_en}).",
                weight=1.0,
                evidence=evidence,
            )
        if code == "churn.method" and cfg.method == "gap":
            return Reason(code=code, message="Model-free gap rule (no fit needed).", weight=0.0)
        state = self.state_
        assert state is not None
        assert state.bgnbd is not None
        if code == "churn.p_no_purchase":
            return Reason(
                code=code,
                message=self._ranking_message(v, band, days),
                weight=0.6,
                evidence=evidence,
            )
        if code == "churn.recency":
            return Reason(
                code=code,
                message=f"{since}; {frequency:.0f} repeat purchase day(s).",
                weight=0.25,
                evidence=evidence,
            )
        if code == "churn.p_alive":
            note = (
                " (a one-time buyer is always 'alive' in BG/NBD, so ranking uses the "
                "probability of no purchase)"
                if frequency == 0
                else ""
            )
            return Reason(
                code=code,
                message=f"P(alive) = {v['p_alive']:.2f}{note}.",
                weight=0.15,
                evidence=evidence,
            )
        if code == "churn.predicted_value":
            se = v["clv_standard_error"]
            pm = "" if se is None else f" +/- {se:.2f}"
            if se is None and cfg.clv_uncertainty:
                pm = " (its standard error is undefined for this customer)"
            return Reason(
                code=code,
                message=f"Predicted value over {days:.0f} days: {v['predicted_value']:.2f} "
                f"({v['expected_purchases']:.2f} purchases x {v['expected_order_value']:.2f}); "
                f"lifetime value over {cfg.clv_months} months at margin {cfg.margin:g}, "
                f"discounted {cfg.monthly_discount_rate:.2%} a month: {v['clv']:.2f}{pm}.",
                weight=0.0,
                evidence=evidence,
            )
        if code == "churn.no_finite_mean":
            gg = state.gamma_gamma
            assert gg is not None
            return Reason(
                code=code,
                message=f"No predicted value: the spend model's q is {gg['q']:.3g} (p "
                f"{gg['p']:.3g}), so the expected order value of a customer with "
                f"{frequency:.0f} repeat purchase day(s) is unbounded (the population's "
                "mean spend does not exist); predicted_value is None.",
                weight=0.0,
            )
        if code == "churn.zero_value_repeats":
            return Reason(
                code=code,
                message="No predicted value: the repeat purchases are worth 0 in all, and "
                "the spend model (Gamma-Gamma) describes positive order values only; such "
                f"customers ({state.n_zero_value_repeats} at fit) are left out of its fit.",
                weight=0.0,
            )
        if code == "churn.no_spend_model":
            return Reason(
                code=code,
                message=f"No spend model: {state.gamma_gamma_error or 'not fitted'}.",
                weight=0.0,
            )
        assert code == "churn.method", code
        p = state.bgnbd
        return Reason(
            code=code,
            message=f"BG/NBD fitted on {state.n_customers} customers (r={p['r']:.3f}, "
            f"alpha={p['alpha']:.3f}, a={p['a']:.3f}, b={p['b']:.3f}; unit "
            f"{cfg.time_unit_days:g} days).",
            weight=0.0,
        )


def _rerank_matrix(
    batch: CustomerBatch, now: float, s: PurchaseSummary, bg: BetaGeoModel, horizon: float
) -> NDArray[np.float64]:
    """Every customer's re-ranker features at ``now`` (rows without purchases are junk)."""
    upto = batch.order_time <= now
    total = np.bincount(
        batch.order_customer[upto], weights=batch.order_total[upto], minlength=batch.n_customers
    ).astype(np.float64)
    first_value = total - s.monetary_value * s.frequency
    bought = s.purchases > 0
    expected = np.ones(batch.n_customers)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        expected[bought] = bg.expected_purchases(
            horizon, s.frequency[bought], s.recency[bought], s.T[bought]
        )
    return rerank_features(expected, s.frequency, s.recency, s.T, first_value, s.monetary_value)


_WEEKS_PER_MONTH = 4.345  # lifetimes' factor for freq="W"


def _square(cov: NDArray[np.float64]) -> tuple[tuple[float, ...], ...] | None:
    """A covariance matrix as nested tuples, None when not finite (then no CLV error)."""
    if not np.all(np.isfinite(cov)):
        return None
    return tuple(tuple(float(v) for v in row) for row in cov)


def _has_covariances(state: ChurnRiskState) -> bool:
    return state.bgnbd_covariance is not None and state.gamma_gamma_covariance is not None


def _last_order_ids(batch: CustomerBatch, last_order_row: NDArray[np.int64]) -> Ragged:
    """Each customer's last counted order id (none without purchases or ids)."""
    n = batch.n_customers
    if batch.order_ids is None:
        return Ragged.empty(n)
    cites = last_order_row >= 0
    rows = last_order_row[cites]
    named = batch.order_ids[rows] != ""
    cites[cites] = named
    # Rows are in customer order already: the offsets are a running count.
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(cites, out=offsets[1:])
    positions = rows[named].astype(np.int64)
    offsets.flags.writeable = False
    positions.flags.writeable = False
    return Ragged(offsets, positions, batch.order_ids)


def _zero_value_repeats(
    frequency: NDArray[np.float64], monetary_value: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Repeat buyers whose repeat purchases are worth 0 in all (Gamma-Gamma cannot model them)."""
    return np.asarray((frequency > 0) & (monetary_value <= 0), dtype=np.bool_)


def _positive(gap: float | None) -> float | None:
    """A typical gap, or None when it is not a positive number (all orders split, say)."""
    return gap if gap is not None and gap > 0 else None


def _opt(x: np.floating | float) -> float | None:
    value = float(x)
    return None if np.isnan(value) else value
