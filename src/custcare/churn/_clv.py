"""Customer lifetime value as money: discounted, with the shop's margin and its uncertainty.

``CLV = margin * sum_{k=1..months} E[Z] * (E[Y(k)] - E[Y(k-1)]) / (1 + d)^k`` where
``E[Y(k)]`` is the purchase model's expected purchases in the first ``k`` months after
the observation window (BG/NBD eq. 10 of Fader, Hardie & Lee 2005), ``E[Z]`` the
Gamma-Gamma expected order value given the customer's history (Fader & Hardie 2013,
eq. 5) and ``d`` the monthly discount rate: the discounted-cash-flow sum of lifetimes'
``GammaGammaFitter.customer_lifetime_value`` (which has no margin, i.e. ``margin=1``),
matched to it in tests/test_churn_models.py.

Uncertainty comes from the fitted standard errors by the delta method: the gradient
of each customer's CLV with respect to the seven parameters (central differences in
log-parameters) times the block-diagonal covariance of the two fits (they are fitted
separately). No random numbers, so the same input gives the same output.

When the spend model has no finite mean for a customer (``p x + q - 1 <= 0``; with
``q <= 1`` every one-time buyer), there is no value to discount. The result never holds
inf or NaN: such customers get the caller's ``fallback_value`` (e.g. their observed mean
order value), flagged per customer, or, without one, a `DataError` names them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custcare.churn._bgnbd import BetaGeoModel
from custcare.churn._gamma_gamma import GammaGammaModel
from custcare.errors import DataError, NotFittedError

__all__ = ["CLV_SOURCES", "CustomerValue", "customer_lifetime_value"]

FloatArray = NDArray[np.float64]

#: Where each customer's expected order value came from (`CustomerValue.source`).
CLV_SOURCES = ("model", "fallback")

#: Model time units per month for common units (lifetimes' factors: 4.345 weeks, 30 days).
_PER_MONTH = {"weeks": 4.345, "days": 30.0, "months": 1.0}


@dataclass(frozen=True, eq=False)
class CustomerValue:
    """Discounted CLV per customer, with its delta-method standard error.

    Attributes:
        value: Discounted value over the horizon, times the margin (finite, >= 0 for
            non-negative amounts).
        standard_error: Delta-method standard error of ``value`` from the fitted
            covariances; None when a model has no covariance (built with
            ``from_params``); NaN for a customer where it is undefined (the value
            has no derivative there), never 0.
        source: Index into `CLV_SOURCES` per customer: 0 = the spend model's expected
            order value, 1 = the caller's ``fallback_value`` (no finite model mean).
        expected_order_value: The order value used per customer.
    """

    value: FloatArray
    standard_error: FloatArray | None
    source: NDArray[np.int64]
    expected_order_value: FloatArray

    def interval(self, z: float = 1.96) -> tuple[FloatArray, FloatArray]:
        """Normal interval ``value -/+ z * standard_error`` (lower end at 0 at least).

        Raises:
            DataError: If there is no standard error (a model without covariance).
        """
        if self.standard_error is None:
            raise DataError("no standard error: a model was built without a fit (from_params)")
        # NaN where the error is undefined: no interval, rather than a zero-width one.
        with np.errstate(invalid="ignore"):
            lower = np.fmax(self.value - z * self.standard_error, 0.0)
        lower = np.where(np.isnan(self.standard_error), np.nan, lower)
        return lower, self.value + z * self.standard_error


def _clv(
    bg: BetaGeoModel,
    gg: GammaGammaModel,
    x: FloatArray,
    tx: FloatArray,
    big_t: FloatArray,
    m: FloatArray,
    months: int,
    per_month: float,
    rate: float,
    fallback: FloatArray | None,
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    value = gg.expected_average_value(x, m)
    missing = ~np.isfinite(value)
    if fallback is not None:
        value = np.where(missing, fallback, value)
    total = np.zeros(x.shape)
    before = np.zeros(x.shape)
    for k in range(1, months + 1):
        now = bg.expected_purchases(k * per_month, x, tx, big_t)
        total += (now - before) / (1.0 + rate) ** k
        before = now
    return total * np.where(missing & (fallback is None), 0.0, value), value, missing


def customer_lifetime_value(
    purchase_model: BetaGeoModel,
    spend_model: GammaGammaModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803
    monetary_value: ArrayLike,
    *,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    margin: float = 1.0,
    time_unit: str = "weeks",
    fallback_value: ArrayLike | None = None,
    customer_ids: ArrayLike | None = None,
    periods_per_month: float | None = None,
    covariances: tuple[ArrayLike, ArrayLike] | None = None,
    standard_errors: bool = True,
) -> CustomerValue:
    """Discounted customer lifetime value over ``months`` months, as money.

    Args:
        purchase_model: A fitted (or `from_params`) `BetaGeoModel`.
        spend_model: A fitted (or `from_params`) `GammaGammaModel`.
        frequency: Repeat purchases.
        recency: Time from the first to the last purchase.
        T: Time from the first purchase to the end of the window.
        monetary_value: Mean value of the repeat purchases.
        months: Horizon in months (1 .. 1200).
        monthly_discount_rate: Discount rate per month (0 .. 1).
        margin: Share of revenue that is profit (0 < margin <= 1), e.g. 0.3.
        time_unit: The models' time unit: ``weeks`` (4.345 a month), ``days`` (30) or
            ``months``.
        fallback_value: Per customer (or one number), the order value to use where the
            spend model has no finite mean. Without it such customers raise.
        customer_ids: Names for the error message (row numbers otherwise).
        periods_per_month: Model time units per month, instead of ``time_unit``'s.
        covariances: The BG/NBD (4 x 4) and Gamma-Gamma (3 x 3) covariances, instead
            of the models' own (for models rebuilt from saved parameters).
        standard_errors: False skips the delta method (15 times the work).

    Returns:
        A `CustomerValue`.

    Raises:
        DataError: If an option is out of range, or the spend model has no finite
            mean for some customer and no ``fallback_value`` is given (names them).

    Example:
        >>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> gg = GammaGammaModel.from_params(p=6.25, q=3.74, gamma=15.44)
        >>> v = customer_lifetime_value(bg, gg, [2], [30.43], [38.86], [22.35])
        >>> round(float(v.value[0]), 2), v.standard_error is None
        (36.29, True)
    """
    if not 1 <= months <= 1200:
        raise DataError(f"months must be 1 .. 1200, got {months}")
    if not 0.0 <= monthly_discount_rate <= 1.0:
        raise DataError(f"monthly_discount_rate must be 0 .. 1, got {monthly_discount_rate}")
    if not 0.0 < margin <= 1.0:
        raise DataError(f"margin must be in (0, 1], got {margin}")
    if time_unit not in _PER_MONTH:
        raise DataError(f"time_unit must be one of {', '.join(_PER_MONTH)}, got {time_unit!r}")
    per_month = _PER_MONTH[time_unit] if periods_per_month is None else periods_per_month
    if not (np.isfinite(per_month) and per_month > 0):
        raise DataError(f"periods_per_month must be > 0, got {per_month}")
    x, tx, big_t, m = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (frequency, recency, T, monetary_value))
    )
    fallback = None
    if fallback_value is not None:
        fallback = np.broadcast_to(np.asarray(fallback_value, dtype=np.float64), x.shape)
        if not np.all(np.isfinite(fallback)):
            raise DataError("fallback_value must be finite")

    def clv(
        bg: BetaGeoModel, gg: GammaGammaModel
    ) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
        return _clv(bg, gg, x, tx, big_t, m, months, per_month, monthly_discount_rate, fallback)

    value, order_value, missing = clv(purchase_model, spend_model)
    if fallback is None and missing.any():
        rows = np.flatnonzero(missing)
        names = rows if customer_ids is None else np.asarray(customer_ids)[rows]
        shown = ", ".join(repr(str(v)) for v in names[:5])
        more = f" and {rows.size - 5} more" if rows.size > 5 else ""
        q = spend_model.params_["q"]
        raise DataError(
            f"no finite expected order value for customer(s) {shown}{more} (spend model q = "
            f"{q:.3g}: p x + q - 1 <= 0); pass fallback_value= (e.g. their observed mean "
            "order value) to value them explicitly"
        )
    value = value * margin
    se = (
        _delta_se(purchase_model, spend_model, clv, margin, covariances)
        if standard_errors
        else None
    )
    source = missing.astype(np.int64)
    return CustomerValue(value, se, source, order_value)


def _delta_se(
    bg: BetaGeoModel,
    gg: GammaGammaModel,
    clv: Callable[
        [BetaGeoModel, GammaGammaModel], tuple[FloatArray, FloatArray, NDArray[np.bool_]]
    ],
    margin: float,
    covariances: tuple[ArrayLike, ArrayLike] | None,
) -> FloatArray | None:
    """Delta-method standard error from both fits' covariances (None without one)."""
    if covariances is not None:
        cov_bg, cov_gg = (np.asarray(c, dtype=np.float64) for c in covariances)
    else:
        try:
            cov_bg, cov_gg = bg.covariance_, gg.covariance_
        except NotFittedError:
            return None
    pb, pg = dict(bg.params_), dict(gg.params_)
    theta = np.array([pb["r"], pb["alpha"], pb["a"], pb["b"], pg["p"], pg["q"], pg["gamma"]])
    cov = np.zeros((7, 7))
    cov[:4, :4] = cov_bg
    cov[4:, 4:] = cov_gg
    h = 1e-4
    grads = []
    for j in range(7):
        vals = []
        for sign in (1.0, -1.0):
            t = theta.copy()
            t[j] *= np.exp(sign * h)
            b2 = BetaGeoModel.from_params(r=t[0], alpha=t[1], a=t[2], b=t[3])
            g2 = GammaGammaModel.from_params(p=t[4], q=t[5], gamma=t[6])
            vals.append(clv(b2, g2)[0])
        # d value / d theta_j = (d value / d log theta_j) / theta_j
        grads.append(margin * (vals[0] - vals[1]) / (2.0 * h * theta[j]))
    g = np.stack(grads, axis=-1)
    var = np.einsum("...i,ij,...j->...", g, cov, g)
    # Where the value has no derivative (a customer on the edge of p x + q - 1 > 0) or
    # the quadratic form is clearly negative, the error is undefined: NaN, never a
    # zero that would claim certainty. Rounding below zero counts as zero.
    tol = 1e-9 * np.einsum("...i,ii,...i->...", np.abs(g), np.abs(cov), np.abs(g))
    defined = np.isfinite(var) & (var >= -tol)
    return np.asarray(np.where(defined, np.sqrt(np.maximum(var, 0.0)), np.nan))
