"""The ``churn.risk`` scorer: is this customer still with us, and what are they worth?

Two methods, and the result says which one produced it:

* ``bgnbd`` (default): BG/NBD fitted on the population (Fader, Hardie & Lee 2005)
  gives P(alive), expected purchases and, for ranking, the probability of **no
  purchase in the next horizon**; Gamma-Gamma on repeat buyers gives the expected
  order value, and with BG/NBD a predicted value over the horizon.
* ``gap``: model-free; days since the last purchase over the customer's own median
  gap (the population's for one-time buyers). Needs no fit; ``fit`` learns the
  population's median gap when given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator

from custcare.batch import CustomerBatch, from_histories, to_epoch_seconds
from custcare.churn._bgnbd import BetaGeoModel
from custcare.churn._gamma_gamma import GammaGammaModel
from custcare.churn._gap import GAP_BANDS, gap_band_index, gap_kernel, median_gap_days
from custcare.churn._summary import purchase_summary
from custcare.errors import DataError
from custcare.models import CustomerHistory, LabelledEnum
from custcare.scoring import (
    BatchScores,
    PopulationScorer,
    Reason,
    ScorerConfig,
    ScoreResult,
    ScorerTraits,
    Upstream,
)

__all__ = ["ChurnRiskConfig", "ChurnRiskResult", "ChurnRiskScorer", "ChurnRiskState", "RiskBand"]


class RiskBand(LabelledEnum):
    """Churn risk bands."""

    ACTIVE = ("active", "活跃", "Active")
    COOLING = ("cooling", "降温", "Cooling")
    AT_RISK = ("at_risk", "有流失风险", "At risk")
    LAPSED = ("lapsed", "已流失", "Lapsed")
    NO_PURCHASES = ("no_purchases", "未购买", "No purchases yet")


_BANDS = tuple(RiskBand)
assert tuple(b.value for b in _BANDS) == GAP_BANDS


class ChurnRiskConfig(ScorerConfig):
    """Parameters of `ChurnRiskScorer`.

    Examples:
        >>> ChurnRiskConfig(method="gap").method
        'gap'
    """

    method: Literal["bgnbd", "gap"] = "bgnbd"
    time_unit_days: Annotated[float, Field(gt=0.0, description="Model time unit (7 = weeks).")] = (
        7.0
    )
    horizon: Annotated[float, Field(gt=0.0, description="Look-ahead, in time units.")] = 13.0
    band_edges: tuple[float, float, float] = Field(
        (0.5, 0.7, 0.9),
        description="bgnbd: P(no purchase in horizon) edges active|cooling|at_risk|lapsed.",
    )
    population_gap_days: Annotated[float, Field(gt=0.0)] = Field(
        90.0, description="gap: typical gap for one-time buyers when not learnt by fit."
    )
    penalizer: Annotated[float, Field(ge=0.0, description="BG/NBD L2 penalty.")] = 0.0
    spend_penalizer: Annotated[float, Field(ge=0.0, description="Gamma-Gamma L2 penalty.")] = 0.0

    @field_validator("band_edges")
    @classmethod
    def _edges(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        if not 0.0 < value[0] < value[1] < value[2] < 1.0:
            raise ValueError(f"band_edges must increase strictly inside (0, 1), got {value}")
        return value


class ChurnRiskState(BaseModel):
    """What ``fit`` learnt; JSON-serialisable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bgnbd: dict[str, float] | None = None
    log_likelihood: float | None = None
    gamma_gamma: dict[str, float] | None = None
    gamma_gamma_error: str | None = None
    population_gap_days: float | None = None
    n_customers: int = 0


class ChurnRiskResult(ScoreResult):
    """Churn risk of one customer.

    Attributes:
        method: ``bgnbd`` or ``gap``.
        band: The risk band.
        risk: The ranking quantity, higher = more at risk: P(no purchase in the
            horizon) for ``bgnbd``; ``ratio / (1 + ratio)`` of the gap ratio for ``gap``
            (a monotone transform, not a probability). None without purchases.
        p_alive: BG/NBD probability the customer is still active.
        p_no_purchase: BG/NBD probability of no purchase in the horizon.
        expected_purchases: BG/NBD expected purchases in the horizon.
        expected_order_value: Gamma-Gamma expected average order value.
        predicted_value: expected purchases × expected order value over the horizon.
        days_since_last: Days since the last purchase.
        typical_gap_days: The gap the ``gap`` method compared with.
        horizon_days: The horizon, in days.
    """

    batch_columns: ClassVar[tuple[str, ...]] = (
        "band",
        "risk",
        "p_alive",
        "p_no_purchase",
        "expected_purchases",
        "expected_order_value",
        "predicted_value",
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
    days_since_last: float | None = None
    typical_gap_days: float | None = None
    horizon_days: float


@dataclass(frozen=True, eq=False)
class _Columns:
    band: NDArray[np.int64]
    risk: NDArray[np.float64]
    p_alive: NDArray[np.float64]
    p_no_purchase: NDArray[np.float64]
    expected_purchases: NDArray[np.float64]
    expected_order_value: NDArray[np.float64]
    predicted_value: NDArray[np.float64]
    days_since_last: NDArray[np.float64]
    typical_gap_days: NDArray[np.float64]
    frequency: NDArray[np.float64]
    last_order_row: NDArray[np.int64]


class ChurnRiskScorer(PopulationScorer[ChurnRiskConfig, ChurnRiskResult, ChurnRiskState]):
    """Churn risk from BG/NBD + Gamma-Gamma fitted on the population, or the gap rule.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> scorer = ChurnRiskScorer().fit(shop.histories, as_of=shop.as_of)
        >>> r = scorer.score(shop.histories[0], as_of=shop.as_of)
        >>> r.method, 0.0 <= r.p_no_purchase <= 1.0
        ('bgnbd', True)
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
        gap = median_gap_days(batch)
        if cfg.method == "gap":
            return ChurnRiskState(population_gap_days=gap, n_customers=batch.n_customers)
        s = purchase_summary(batch, to_epoch_seconds(as_of), cfg.time_unit_days)
        bought = s.purchases > 0
        bg = BetaGeoModel(penalizer=cfg.penalizer).fit(
            s.frequency[bought], s.recency[bought], s.T[bought]
        )
        gg_params, gg_error = None, None
        repeat = s.frequency > 0
        try:
            gg = GammaGammaModel(penalizer=cfg.spend_penalizer).fit(
                s.frequency[repeat], s.monetary_value[repeat]
            )
            gg_params = dict(gg.params_)
        except DataError as exc:  # the spend model is optional; say why it is absent
            gg_error = str(exc)
        return ChurnRiskState(
            bgnbd=dict(bg.params_),
            log_likelihood=float(bg.log_likelihood_),
            gamma_gamma=gg_params,
            gamma_gamma_error=gg_error,
            population_gap_days=gap,
            n_customers=int(bought.sum()),
        )

    def _columns(self, batch: CustomerBatch, as_of: datetime) -> _Columns:
        cfg = self.config
        now = to_epoch_seconds(as_of)
        batch = batch.until(as_of)
        s = purchase_summary(batch, now, cfg.time_unit_days)
        nan = np.full(batch.n_customers, np.nan)
        state = self.state_
        pop_gap = (
            state.population_gap_days
            if state is not None and state.population_gap_days is not None
            else cfg.population_gap_days
        )
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
                g.days_since_last,
                g.typical_gap_days,
                s.frequency,
                s.last_order_row,
            )
        assert state is not None
        assert state.bgnbd is not None
        p = state.bgnbd
        bg = BetaGeoModel.from_params(r=p["r"], alpha=p["alpha"], a=p["a"], b=p["b"])
        f, r, t = s.frequency[bought], s.recency[bought], s.T[bought]
        p_alive, p_none, expected = nan.copy(), nan.copy(), nan.copy()
        p_alive[bought] = bg.probability_alive(f, r, t)
        p_none[bought] = bg.probability_no_purchase(cfg.horizon, f, r, t)
        expected[bought] = bg.expected_purchases(cfg.horizon, f, r, t)
        value, predicted = nan.copy(), nan.copy()
        if state.gamma_gamma is not None:
            q = state.gamma_gamma
            gg = GammaGammaModel.from_params(p=q["p"], q=q["q"], gamma=q["gamma"])
            value[bought] = gg.expected_average_value(f, s.monetary_value[bought])
            predicted[bought] = expected[bought] * value[bought]
        edges = np.asarray(cfg.band_edges)
        band = np.where(
            bought, np.searchsorted(edges, np.nan_to_num(p_none), side="right"), len(_BANDS) - 1
        )
        return _Columns(
            band.astype(np.int64),
            p_none,
            p_alive,
            p_none,
            expected,
            value,
            predicted,
            g.days_since_last,
            g.typical_gap_days,
            s.frequency,
            s.last_order_row,
        )

    def score_batch(self, batch: CustomerBatch, *, as_of: datetime) -> BatchScores:
        """Vectorised path over columns; the same numbers as `score`."""
        self._check_ready()
        c = self._columns(batch, as_of)
        cols = {name: getattr(c, name) for name in ChurnRiskResult.batch_columns if name != "band"}
        cols["band"] = np.asarray([b.value for b in _BANDS], dtype=np.str_)[c.band]
        return BatchScores.build(self.name, batch.customer_ids, cols)

    def _score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream
    ) -> ChurnRiskResult:
        batch = from_histories([history])
        c = self._columns(batch, as_of)
        band = _BANDS[int(c.band[0])]
        values = {
            name: _opt(getattr(c, name)[0])
            for name in ChurnRiskResult.batch_columns
            if name != "band"
        }
        last_id = (
            str(batch.order_ids[c.last_order_row[0]])
            if batch.order_ids is not None and c.last_order_row[0] >= 0
            else None
        )
        return ChurnRiskResult(
            scorer=self.name,
            customer_id=history.customer.id,
            as_of=as_of,
            method=self.config.method,
            band=band,
            horizon_days=self.config.horizon * self.config.time_unit_days,
            reasons=self._reasons(band, values, float(c.frequency[0]), last_id),
            **values,
        )

    def _reasons(
        self, band: RiskBand, v: dict[str, float | None], frequency: float, last_id: str | None
    ) -> tuple[Reason, ...]:
        cfg, state = self.config, self.state_
        ev = (last_id,) if last_id else ()
        days = cfg.horizon * cfg.time_unit_days
        if band is RiskBand.NO_PURCHASES:
            return (
                Reason(
                    code="churn.no_purchases",
                    message="No completed purchase yet: churn risk does not apply.",
                    weight=1.0,
                ),
            )
        since = f"Last purchase {v['days_since_last']:.0f} days ago"
        out: list[Reason] = []
        if cfg.method == "gap":
            gap = v["typical_gap_days"]
            whose = "the customer's own median gap" if frequency > 0 else "the population's gap"
            out.append(
                Reason(
                    code="churn.gap_ratio",
                    message=f"{since}; {whose} is {gap:.0f} days: band {band.value} "
                    f"({band.label_en}).",
                    weight=1.0,
                    evidence=ev,
                )
            )
            out.append(
                Reason(
                    code="churn.method", message="Model-free gap rule (no fit needed).", weight=0.0
                )
            )
            return tuple(out)
        assert state is not None
        assert state.bgnbd is not None
        out.append(
            Reason(
                code="churn.p_no_purchase",
                message=f"Probability of no purchase in the next {days:.0f} days: "
                f"{v['p_no_purchase']:.2f}: band {band.value} ({band.label_en}).",
                weight=0.6,
                evidence=ev,
            )
        )
        out.append(
            Reason(
                code="churn.recency",
                message=f"{since}; {frequency:.0f} repeat purchase day(s).",
                weight=0.25,
                evidence=ev,
            )
        )
        note = (
            " (a one-time buyer is always 'alive' in BG/NBD, so ranking uses the "
            "probability of no purchase)"
            if frequency == 0
            else ""
        )
        out.append(
            Reason(
                code="churn.p_alive",
                message=f"P(alive) = {v['p_alive']:.2f}{note}.",
                weight=0.15,
                evidence=ev,
            )
        )
        if v["predicted_value"] is not None:
            out.append(
                Reason(
                    code="churn.predicted_value",
                    message=f"Predicted value over {days:.0f} days: {v['predicted_value']:.2f} "
                    f"({v['expected_purchases']:.2f} purchases x {v['expected_order_value']:.2f}).",
                    weight=0.0,
                    evidence=ev,
                )
            )
        else:
            out.append(
                Reason(
                    code="churn.no_spend_model",
                    message=f"No spend model: {state.gamma_gamma_error or 'not fitted'}.",
                    weight=0.0,
                )
            )
        p = state.bgnbd
        out.append(
            Reason(
                code="churn.method",
                message=f"BG/NBD fitted on {state.n_customers} customers (r={p['r']:.3f}, "
                f"alpha={p['alpha']:.3f}, a={p['a']:.3f}, b={p['b']:.3f}; unit "
                f"{cfg.time_unit_days:g} days).",
                weight=0.0,
            )
        )
        return tuple(out)


def _opt(x: np.floating | float) -> float | None:
    value = float(x)
    return None if np.isnan(value) else value
