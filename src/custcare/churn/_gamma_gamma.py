"""The Gamma-Gamma model of the average transaction value of repeat customers.

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "RFM and CLV: using iso-value
curves for customer base analysis", *Journal of Marketing Research* 42(4), 415-430; and
Fader, P. S. and Hardie, B. G. S. (2013), "The Gamma-Gamma model of monetary value"
(note), which fits it to the 946 repeat buyers of the CDNOW sample.

Model assumptions:

1. A customer's transaction values ``z_1, ..., z_x`` vary randomly around their own
   mean: each is gamma with shape ``p`` and rate ``nu``.
2. ``nu`` varies across customers as gamma with shape ``q`` and rate ``gamma``.
3. Transaction values are independent of the purchase process (frequency and recency),
   so the model combines with BG/NBD by multiplying expectations.

The data per customer are ``x`` (frequency: the number of **repeat** transactions) and
``m_x`` (monetary_value: their mean value). Customers with ``x = 0`` carry no
information about spend beyond the first purchase and are left out of the fit, as in the
note. ``gamma`` is in the currency unit of the values; ``p`` and ``q`` are unit-free.
"""

from __future__ import annotations

from typing import ClassVar, Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import ValidationError
from scipy import special

from custcare.churn._fitting import (
    _as_float,
    _blas_thread_limit,
    _broadcast,
    _check_frequency,
    _check_penalizer,
    _check_scale,
    _compress,
    _first_bad,
    _fit_log_params,
    _FittedState,
    _load_state,
    _ParametricModel,
    _PositiveFinite,
    _subsample,
    _weights_array,
)
from custcare.errors import DataError, NotIdentifiableError

__all__ = ["GammaGammaModel", "GammaGammaParams", "PurchaseModel"]

FloatArray = NDArray[np.float64]


class PurchaseModel(Protocol):
    """Anything that predicts purchases in a horizon, such as a fitted `BetaGeoModel`."""

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Expected number of purchases in the next ``t`` periods."""
        ...


class GammaGammaParams(_FittedState):
    """The fitted (or given) state of a `GammaGammaModel`, serialisable to JSON.

    Attributes:
        version: Schema version of this record.
        kind: Always ``"GammaGammaModel"``.
        p: Shape of the gamma distribution of a customer's transaction values.
        q: Shape of the gamma distribution of ``nu`` across customers.
        gamma: Rate of that distribution, in the currency unit of the values.
        penalizer: L2 penalty used in the fit.
        log_likelihood: Log-likelihood at the estimate.
        n_customers: Number of repeat customers (sum of weights) in the fit.
        covariance: 3x3 covariance of (p, q, gamma), or None.

    Example:
        >>> GammaGammaParams(p=6.25, q=3.74, gamma=15.44).values()
        {'p': 6.25, 'q': 3.74, 'gamma': 15.44}
    """

    kind: Literal["GammaGammaModel"] = "GammaGammaModel"
    p: _PositiveFinite
    q: _PositiveFinite
    gamma: _PositiveFinite

    _names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")


def _spend_arrays(
    frequency: ArrayLike, monetary_value: ArrayLike, *, strict: bool
) -> tuple[FloatArray, FloatArray]:
    x, m = _broadcast(
        {
            "frequency": _as_float("frequency", frequency),
            "monetary_value": _as_float("monetary_value", monetary_value),
        }
    )
    _check_frequency(x)
    bad = m < 0
    if bad.any():
        raise DataError(f"monetary_value must be >= 0: {_first_bad(bad, m)}")
    if strict:
        bad = (x > 0) & (m <= 0)
        if bad.any():
            raise DataError(
                "monetary_value must be > 0 where frequency > 0 (Gamma-Gamma models "
                f"positive transaction values): {_first_bad(bad, m)}"
            )
    return x, m


class _GammaGammaObjective:
    """Mean negative log-likelihood of the Gamma-Gamma model on log-parameters.

    Special functions of ``p x`` are computed once per distinct ``x``.
    """

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray, penalizer: float) -> None:
        self.ux, inv = np.unique(x, return_inverse=True)
        self.inv = inv.ravel()
        self.w = w
        self.wx = np.bincount(self.inv, weights=w, minlength=self.ux.size)  # weight per x
        self.xm = x * m
        self.w_x = w * x
        log_xm = np.log(self.xm)
        self.w_log_m = float(w @ np.log(m))
        self.w_x_log_xm = float(self.w_x @ log_xm)
        self.total = float(w.sum())
        self.penalizer = penalizer

    def __call__(self, z: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = np.exp(z)
        ux, w = self.ux, self.w
        # f(m_x | p, q, gamma, x) = G(px+q) / (G(px) G(q)) * gamma^q x^(px) m_x^(px-1)
        #                           / (gamma + x m_x)^(px+q)
        # log f = -B(px, q) + px (log(x m_x) - log gamma) - (px + q) log1p(x m_x / gamma)
        #         - log m_x, accurate also when q and gamma are huge.
        pu = p * ux
        log_gamma = np.log(gamma)
        lu = np.log1p(self.xm / gamma)
        coef = p * self.w_x + q * w  # (px + q) per row, times the weight
        ll = (
            -float(self.wx @ special.betaln(pu, q))
            + p * (self.w_x_log_xm - float(self.w_x.sum()) * log_gamma)
            - float(coef @ lu)
            - self.w_log_m
        )
        psi_pq = special.digamma(pu + q)
        d_p = (
            float((self.wx * ux) @ (psi_pq - special.digamma(pu)))
            + self.w_x_log_xm
            - float(self.w_x.sum()) * log_gamma
            - float(self.w_x @ lu)
        )
        d_q = float(self.wx @ (psi_pq - special.digamma(q))) - float(w @ lu)
        # d/d gamma = (q u - p x) / (gamma (1 + u)), u = x m_x / gamma
        u = self.xm / gamma
        d_gamma = float(w @ ((q * u - p * (self.w_x / w)) / (gamma * (1.0 + u))))
        theta = np.array([p, q, gamma])
        grad = np.array([d_p, d_q, d_gamma]) * theta
        pen = self.penalizer
        value = -ll / self.total + pen * float(theta @ theta)
        return value, -grad / self.total + 2 * pen * theta * theta


class GammaGammaModel(_ParametricModel[GammaGammaParams]):
    """Gamma-Gamma model of average transaction value, fitted on repeat customers.

    Args:
        penalizer: L2 penalty ``penalizer * (p² + q² + (gamma/s)²)`` added to the mean
            negative log-likelihood, ``s`` being the median monetary value (so the
            penalty does not depend on the currency unit). 0 is plain maximum
            likelihood.

    Attributes:
        params_: Estimates, a read-only mapping with keys ``p, q, gamma``.
        log_likelihood_: Log-likelihood at the estimate.
        standard_errors_: Standard errors of the estimates.
        confidence_intervals_: 95% confidence intervals.
        covariance_: Covariance matrix of the estimates.
        n_customers_: Number of repeat customers (sum of weights) in the fit.

    Example:
        >>> m = GammaGammaModel.from_params(p=6.25, q=3.74, gamma=15.44)
        >>> m.expected_average_value([0, 2], [0.0, 22.35]).round(2)
        array([35.22, 24.66])
    """

    _names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer
        self._state: GammaGammaParams | None = None

    @classmethod
    def from_params(cls, *, p: float, q: float, gamma: float) -> GammaGammaModel:
        """Build a model from known parameter values (no fit, no standard errors).

        Args:
            p: Shape of transaction values around a customer's mean.
            q: Shape of ``nu`` across customers.
            gamma: Rate of ``nu`` across customers (currency unit).

        Returns:
            A model ready to score.

        Raises:
            DataError: If a parameter is not a finite positive number.

        Example:
            >>> GammaGammaModel.from_params(p=6.25, q=3.74, gamma=15.44)
            GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
        """
        try:
            state = GammaGammaParams(p=p, q=q, gamma=gamma)
        except ValidationError as exc:
            raise DataError(f"GammaGammaModel parameters are invalid: {exc}") from None
        model = cls()
        model._state = state
        return model

    @classmethod
    def from_json(cls, text: str | bytes) -> GammaGammaModel:
        """Load a model written by `to_json`.

        Args:
            text: The JSON string.

        Returns:
            The model with the saved state.

        Raises:
            DataError: If the JSON is not a valid ``GammaGammaParams`` state.

        Example:
            >>> s = GammaGammaModel.from_params(p=6.25, q=3.74, gamma=15.44).to_json()
            >>> GammaGammaModel.from_json(s).params_["q"]
            3.74
        """
        state = _load_state(cls.__name__, GammaGammaParams, text)
        model = cls(penalizer=state.penalizer)
        model._state = state
        return model

    def fit(
        self,
        frequency: ArrayLike,
        monetary_value: ArrayLike,
        *,
        weights: ArrayLike | None = None,
    ) -> GammaGammaModel:
        """Estimate ``p, q, gamma`` by maximum likelihood on the repeat customers.

        Customers with frequency 0 are left out (their monetary_value is ignored, by
        convention 0); identical rows are merged into weights.

        Args:
            frequency: Repeat transactions per customer (whole numbers >= 0).
            monetary_value: Mean value of those repeat transactions (> 0 where
                frequency > 0).
            weights: Optional number of customers each row stands for (>= 0).

        Returns:
            self, fitted.

        Raises:
            DataError: If an input breaks a rule (the message names it).
            NotIdentifiableError: If fewer than two repeat customers are given, or the
                estimates run off to 0 or infinity (e.g. all values equal).
            ConvergenceError: If the optimiser fails.

        Example:
            >>> import numpy as np
            >>> from custcare.churn import simulate_gamma_gamma
            >>> rng = np.random.default_rng(0)
            >>> x = rng.integers(1, 6, size=3000).astype(float)
            >>> m_x = simulate_gamma_gamma({"p": 6.0, "q": 4.0, "gamma": 15.0}, x, rng=rng)
            >>> fitted = GammaGammaModel().fit(x, m_x)
            >>> fitted.n_customers_
            3000.0
        """
        with _blas_thread_limit():
            return self._fit(frequency, monetary_value, weights)

    def _fit(
        self, frequency: ArrayLike, monetary_value: ArrayLike, weights: ArrayLike | None
    ) -> GammaGammaModel:
        penalizer = _check_penalizer(self.penalizer)
        x, m = (a.ravel() for a in _spend_arrays(frequency, monetary_value, strict=True))
        w = _weights_array(weights, x.size) * (x > 0)
        _check_scale(
            "monetary_value",
            m[w > 0],
            "express money in another unit (e.g. thousands, or cents)",
        )
        (x, m), w = _compress([x, m], w)
        n_repeat = float(w.sum())
        if n_repeat < 2:
            raise NotIdentifiableError(
                f"GammaGammaModel: needs at least two customers with frequency > 0 (got "
                f"{n_repeat:g}); spend varies across customers, so it cannot be learnt "
                "from fewer"
            )
        if np.unique(m).size < 2:
            raise NotIdentifiableError(
                "GammaGammaModel: every repeat customer has the same monetary_value, so "
                "the spread of spend across customers cannot be estimated"
            )
        scale = float(np.median(m))
        obj = _GammaGammaObjective(x, m / scale, w, penalizer)
        sub = _subsample(x.size)
        warm = (
            None if sub is None else _GammaGammaObjective(x[sub], m[sub] / scale, w[sub], penalizer)
        )
        z, cov_log = _fit_log_params(
            obj, np.zeros(3), self._names, n_repeat, "GammaGammaModel", warm_start=warm
        )
        theta = np.exp(z)
        theta[2] *= scale
        cov = cov_log * np.outer(theta, theta)
        p, q, gamma = (float(v) for v in theta)
        ll = -_GammaGammaObjective(x, m, w, 0.0)(np.log(theta))[0] * n_repeat
        self._state = GammaGammaParams(
            p=p,
            q=q,
            gamma=gamma,
            penalizer=penalizer,
            log_likelihood=ll,
            n_customers=n_repeat,
            covariance=tuple(tuple(float(v) for v in row) for row in cov),
        )
        return self

    def expected_average_value(self, frequency: ArrayLike, monetary_value: ArrayLike) -> FloatArray:
        """Expected mean transaction value of each customer, given their history.

        ``E[Z | x, m_x] = (gamma + x m_x) p / (p x + q - 1)``, a weighted average of the
        population mean ``p gamma / (q - 1)`` and the customer's own mean ``m_x`` with
        weight ``p x / (p x + q - 1)`` on the latter. For ``x = 0`` it is the population
        mean (infinite if ``q <= 1``: then the population mean does not exist).

        Args:
            frequency: Repeat transactions (whole numbers >= 0).
            monetary_value: Mean value of the repeat transactions (>= 0; ignored where
                frequency is 0).

        Returns:
            Expected average value, broadcast to the inputs' shape.

        Example:
            >>> m = GammaGammaModel.from_params(p=6.25, q=3.74, gamma=15.44)
            >>> round(float(m.expected_average_value(1, 11.77)), 2)
            18.92
        """
        s = self._fitted()
        p, q, gamma = s.p, s.q, s.gamma
        x, m = _spend_arrays(frequency, monetary_value, strict=False)
        m = np.where(x > 0, m, 0.0)
        den = p * x + q - 1
        with np.errstate(divide="ignore"):
            out = np.where(den > 0, (gamma + x * m) * p / np.where(den > 0, den, 1.0), np.inf)
        return np.asarray(out, dtype=np.float64)

    def expected_spend(
        self,
        t: ArrayLike,
        purchase_model: PurchaseModel,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
        monetary_value: ArrayLike,
    ) -> FloatArray:
        """Expected total spend in the next ``t`` periods (undiscounted).

        ``purchase_model.expected_purchases(t, ...) * expected_average_value(...)``: the
        product of expectations is the expectation of the product because the model
        assumes spend is independent of the purchase process. No discounting and no
        margin: multiply by a margin, or discount period by period, yourself.

        Args:
            t: Horizon length, in the purchase model's time unit.
            purchase_model: A fitted purchase model, e.g. `BetaGeoModel`.
            frequency: Repeat purchases.
            recency: Time of the last purchase since the first.
            T: Observation window since the first purchase.
            monetary_value: Mean value of the repeat purchases.

        Returns:
            Expected spend, broadcast to the inputs' shape.

        Example:
            >>> from custcare.churn import BetaGeoModel
            >>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> gg = GammaGammaModel.from_params(p=6.25, q=3.74, gamma=15.44)
            >>> round(float(gg.expected_spend(39, bg, 2, 30.43, 38.86, 22.35)), 2)
            30.24
        """
        value = self.expected_average_value(frequency, monetary_value)
        purchases = purchase_model.expected_purchases(t, frequency, recency, T)
        return np.asarray(purchases * value, dtype=np.float64)
