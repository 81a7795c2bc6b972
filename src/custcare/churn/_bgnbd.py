"""The BG/NBD model of repeat purchasing ("buy till you die").

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "'Counting your customers' the
easy way: an alternative to the Pareto/NBD model", *Marketing Science* 24(2), 275-284;
with Fader, Hardie and Lee (2008), "Computing P(alive) using the BG/NBD model" (the note
that corrects P(alive) for customers with no repeat purchase).

Model assumptions (the paper's section 3), for a customer observed from their first
purchase at time 0 until time ``T``:

1. While active, the customer's purchases follow a Poisson process with rate ``lambda``.
2. ``lambda`` varies across customers as gamma with shape ``r`` and rate ``alpha``.
3. After **each repeat purchase** the customer becomes inactive ("dies") with probability
   ``p``; the first purchase at time 0 is never followed by dropout.
4. ``p`` varies across customers as beta with parameters ``a`` and ``b``.
5. ``lambda`` and ``p`` are independent across customers and of each other.

The data per customer are the summary ``(x, t_x, T)`` = (frequency, recency, T):
the number of repeat purchases, the time of the last purchase and the length of the
observation window, both measured from the first purchase in one time unit (the model's
``time_unit`` label). ``alpha`` is in that unit; ``r``, ``a`` and ``b`` are unit-free.

Everything is computed in log space with ``scipy.special`` (``gammaln``, ``betaln``,
``digamma``, ``expit``); the conditional expectation (eq. 10) needs one Gauss
hypergeometric function, evaluated after an Euler transformation (and a series for small
arguments) so that it neither overflows for large ``x`` nor cancels for short horizons.

Fitting is maximum likelihood (eq. 6) with ``scipy.optimize.minimize`` on log-parameters
with an analytic gradient, on rows compressed to the distinct ``(x, t_x, T)`` triples,
after rescaling time so that ``max(T) = 1``; a few Newton steps with a finite-difference
Hessian polish the optimum, and the inverse Hessian gives standard errors (delta method
back to the natural parameters). That machinery, shared with Gamma-Gamma, is in
``_fitting.py``; this module holds the BG/NBD likelihood and predictions.
"""

from __future__ import annotations

import warnings
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import ValidationError
from scipy import integrate, optimize, special

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

__all__ = ["BetaGeoModel", "BetaGeoParams"]

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------------------
# Input validation of a (frequency, recency, T) summary
# --------------------------------------------------------------------------------------


def _summary_arrays(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803 - the model's own name for the observation length
    *,
    t: ArrayLike | None = None,
) -> list[FloatArray]:
    """Validate and broadcast a (frequency, recency, T[, t]) summary; raise DataError."""
    named = {
        "frequency": _as_float("frequency", frequency),
        "recency": _as_float("recency", recency),
        "T": _as_float("T", T),
    }
    if t is not None:
        named["t"] = _as_float("t", t)
    arrays = _broadcast(named)
    x, tx, big_t = arrays[0], arrays[1], arrays[2]
    _check_frequency(x)
    for name, arr in (("recency", tx), ("T", big_t)):
        bad = arr < 0
        if bad.any():
            raise DataError(f"{name} must be >= 0: {_first_bad(bad, arr)}")
    bad = tx > big_t
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise DataError(
            "recency must be <= T (the last purchase happens within the observation "
            f"window): {int(bad.sum())} value(s); first at index {i}: recency "
            f"{tx.ravel()[i]!r} > T {big_t.ravel()[i]!r}"
        )
    bad = (x > 0) & (tx == 0)
    if bad.any():
        raise DataError(
            "recency must be > 0 when frequency > 0 (repeat purchases happen after the "
            f"first one): {_first_bad(bad, tx)}"
        )
    bad = (x == 0) & (tx != 0)
    if bad.any():
        raise DataError(
            "recency must be 0 when frequency is 0 (recency is measured from the first "
            f"purchase to the last repeat purchase): {_first_bad(bad, tx)}"
        )
    if t is not None:
        bad = arrays[3] < 0
        if bad.any():
            raise DataError(f"t (the horizon) must be >= 0: {_first_bad(bad, arrays[3])}")
    return arrays


# --------------------------------------------------------------------------------------
# Fitted state
# --------------------------------------------------------------------------------------


class BetaGeoParams(_FittedState):
    """The fitted (or given) state of a `BetaGeoModel`, serialisable to JSON.

    Attributes:
        version: Schema version of this record.
        kind: Always ``"BetaGeoModel"``.
        r: Shape of the gamma distribution of purchase rates.
        alpha: Rate (scale parameter in ``time_unit``) of that gamma distribution.
        a: First shape of the beta distribution of dropout probabilities.
        b: Second shape of that beta distribution.
        time_unit: Label of the time unit of ``alpha``, recency and T.
        penalizer: L2 penalty used in the fit.
        log_likelihood: Log-likelihood at the estimate (eq. 6), in ``time_unit``.
        n_customers: Number of customers (sum of weights) the model was fitted on.
        covariance: 4x4 covariance of (r, alpha, a, b), or None.

    Example:
        >>> BetaGeoParams.model_json_schema()["properties"]["alpha"]["exclusiveMinimum"]
        0.0
    """

    kind: Literal["BetaGeoModel"] = "BetaGeoModel"
    r: _PositiveFinite
    alpha: _PositiveFinite
    a: _PositiveFinite
    b: _PositiveFinite
    time_unit: str = "weeks"

    _names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")


# --------------------------------------------------------------------------------------
# BG/NBD mathematics
# --------------------------------------------------------------------------------------


class _BGNBDObjective:
    """Mean negative log-likelihood (eq. 6) and its gradient on log-parameters.

    Rows are distinct (x, t_x, T) triples with weights. Customers with ``x = 0``
    contribute ``-r log1p(T / alpha)`` only; for the others, terms that depend on
    ``x`` alone are computed once per distinct ``x``.
    """

    def __init__(
        self,
        x: FloatArray,
        tx: FloatArray,
        big_t: FloatArray,
        w: FloatArray,
        penalizer: float,
    ) -> None:
        zero = x == 0
        self.t0, self.w0 = big_t[zero], w[zero]
        rep = ~zero
        self.ux, inv = np.unique(x[rep], return_inverse=True)
        self.inv = inv.ravel()
        self.x, self.tx, self.T, self.w = x[rep], tx[rep], big_t[rep], w[rep]
        self.total = float(w.sum())
        self.wx = np.bincount(self.inv, weights=self.w, minlength=self.ux.size)
        self.penalizer = penalizer

    def __call__(self, z: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(z)
        ux, inv, w = self.ux, self.inv, self.w
        # Eq. 6: L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
        #          + [x>0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))
        # written with alpha^r / (alpha+T)^(r+x) = exp(-r log1p(T/alpha) - x log(alpha+T))
        # and G(r+x)/G(r) = G(x)/B(x, r), which stay accurate when r and alpha are huge.
        # x = 0: L = (alpha / (alpha+T))^r.
        log_alpha = np.log(alpha)
        l0 = np.log1p(self.t0 / alpha)
        ll = -r * float(self.w0 @ l0)
        d_r = -float(self.w0 @ l0)
        d_alpha = r * float(self.w0 @ (self.t0 / (alpha * (alpha + self.t0))))
        # x > 0
        betaln_ab = special.betaln(a, b)
        c1_u = special.betaln(a, b + ux) - betaln_ab
        c2_u = special.betaln(a + 1, b + ux - 1) - betaln_ab
        g_u = special.gammaln(ux) - special.betaln(ux, r)  # log G(r+x)/G(r)
        l1 = np.log1p(self.T / alpha)
        l2 = np.log1p(self.tx / alpha)
        x = self.x
        t1 = c1_u[inv] - r * l1 - x * (log_alpha + l1)
        t2 = c2_u[inv] - r * l2 - x * (log_alpha + l2)
        lse = _logaddexp(t1, t2)
        w2 = np.exp(t2 - lse)  # weight of the "dropped out after t_x" term
        ll += float(self.wx @ g_u) + float(w @ lse)
        d_r += float(self.wx @ (special.digamma(r + ux) - special.digamma(r)))
        d_r -= float(w @ (l1 + w2 * (l2 - l1)))
        # d/d alpha of -r log1p(s/alpha) - x log(alpha+s) = (r s/alpha - x) / (alpha+s)
        da1 = (r * self.T / alpha - x) / (alpha + self.T)
        da2 = (r * self.tx / alpha - x) / (alpha + self.tx)
        d_alpha += float(w @ (da1 + w2 * (da2 - da1)))
        ww2 = np.bincount(inv, weights=w * w2, minlength=ux.size)
        ww1 = self.wx - ww2
        psi_ab = special.digamma(a + b)
        psi_abx = special.digamma(a + b + ux)
        d_a = float(self.wx @ (psi_ab - psi_abx)) + float(ww2.sum()) / a
        psi_b = special.digamma(b)
        d_b = float(ww1 @ (special.digamma(b + ux) - psi_abx - psi_b + psi_ab))
        d_b += float(ww2 @ (special.digamma(b + ux - 1) - psi_abx - psi_b + psi_ab))
        theta = np.array([r, alpha, a, b])
        grad = np.array([d_r, d_alpha, d_a, d_b]) * theta
        pen = self.penalizer
        value = -ll / self.total + pen * float(theta @ theta)
        grad_z = -grad / self.total + 2 * pen * theta * theta
        return value, grad_z


def _logaddexp(a: FloatArray, b: FloatArray) -> FloatArray:
    """``np.logaddexp(a, b)`` as ``max + log1p(exp(-|a - b|))`` with vectorised exp and log1p.

    The ufunc evaluates that formula one element at a time and took about half of each
    likelihood evaluation; this is the same formula, several times faster.
    """
    hi = np.maximum(a, b)
    if not np.all(np.isfinite(hi)):  # infinities: keep the ufunc's conventions
        return np.asarray(np.logaddexp(a, b), dtype=np.float64)
    out = np.subtract(a, b)
    np.abs(out, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += hi
    return out


def _log_likelihood(
    theta: tuple[float, float, float, float],
    x: FloatArray,
    tx: FloatArray,
    big_t: FloatArray,
    w: FloatArray,
) -> float:
    """Total weighted log-likelihood (eq. 6) at natural parameters."""
    obj = _BGNBDObjective(x, tx, big_t, w, penalizer=0.0)
    value, _ = obj(np.log(np.asarray(theta, dtype=np.float64)))
    return -value * obj.total


def _scaled_hyp2f1_series(
    a_p: float, a: float, c_p: FloatArray, z: FloatArray, max_terms: int
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """``c' (2F1(a', a-1; c'; z) - 1) / (a - 1)`` as a power series, and where it converged.

    The series is ``sum_{k>=1} (a')_k (a)_{k-1} z^k / ((c'+1)_{k-1} k!)``: exact at
    ``a = 1`` and finite for any ``c' > -1`` (including ``c' <= 0``). It converges
    geometrically for ``z <= 1/2``, and in a few terms for any ``z < 1`` when ``c'`` is
    large compared with ``a'`` and ``a``.
    """
    term = a_p * z
    total = term.copy()
    done = term == 0
    for k in range(1, max_terms):
        term = term * (a_p + k) * (a + k - 1) * z / ((c_p + k) * (k + 1))
        total += term
        done = np.abs(term) <= 1e-17 * np.abs(total)
        if done.all():
            break
    return np.asarray(total, dtype=np.float64), np.asarray(done & np.isfinite(total))


def _scaled_hyp2f1(a_p: float, b_p: float, c_p: FloatArray, z: FloatArray) -> FloatArray:
    """``c' * 2F1(a', b'; c'; z)``, also for ``-1 < c' < 1`` where scipy's 2F1 is unreliable.

    For small ``c'`` it uses the contiguous relation (DLMF 15.5.18) with ``c = c' + 1``:
    ``(c-1) F(c-1) = -([c-1-(2c-a'-b'-1) z] F(c) + (c-a')(c-b') z F(c+1) / c) / (z-1)``.
    """
    out = np.empty_like(z)
    direct = c_p >= 1
    if direct.any():
        out[direct] = c_p[direct] * special.hyp2f1(a_p, b_p, c_p[direct], z[direct])
    shift = ~direct
    if shift.any():
        c = c_p[shift] + 1.0
        zz = z[shift]
        f0 = special.hyp2f1(a_p, b_p, c, zz)
        f1 = special.hyp2f1(a_p, b_p, c + 1.0, zz)
        num = (c - 1 - (2 * c - a_p - b_p - 1) * zz) * f0 + (c - a_p) * (c - b_p) * zz * f1 / c
        out[shift] = num / (1.0 - zz)
    return out


def _alive_expectation(
    r: float, alpha: float, a: float, b: float, t: FloatArray, x: FloatArray, big_t: FloatArray
) -> FloatArray:
    """Expected purchases in ``(T, T+t]`` of a customer alive at ``T`` (eqs. 9 and 10).

    ``(a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)]``
    with ``z = t/(alpha+T+t)``. Euler's transformation ``2F1(A, B; C; z) =
    (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)`` turns ``(1-z)^(r+x) 2F1(...)`` into
    ``(1-z)^(a-1) 2F1(a', a-1; c'; z)`` with ``a' = a+b-1-r``, ``c' = a+b+x-1``, whose
    first two parameters do not grow with ``x``. Then:

    * a power series (no division by ``a - 1``, no cancellation for short horizons) where
      it converges fast without cancellation: ``z <= 1/2`` or ``c'`` large (large ``x``)
      when ``a' > -1``, and where its terms shrink twofold from the start otherwise;
    * elsewhere scipy's 2F1, interpolated across ``a = 1`` when ``|a - 1| < 1e-4``;
    * any value outside the bounds ``P(>= 1 purchase | alive) <= E <= E[lambda] t`` (a
      sign of an inaccurate 2F1 in an extreme corner) is recomputed by quadrature of the
      posterior integral.
    """
    beta = alpha + big_t
    z = t / (beta + t)
    log1mz = -np.log1p(t / beta)  # log(1 - z), exact for tiny t
    a_p = a + b - 1 - r
    if abs(a_p) < 1e-10:  # 2F1(0, ...) = 1; scipy misbehaves for tiny first parameters
        a_p = 0.0
    c_p = a + b + x - 1
    out = np.full_like(z, np.nan)
    if a_p > -1:  # all terms of the series have one sign: no cancellation
        fast = (z <= 0.5) | ((c_p >= 50) & (c_p >= 4 * (a_p + 1) * (abs(a - 1) + 1)))
    else:  # alternating terms: only where they shrink at least twofold from the start
        fast = -a_p * max(a, 1.0) * z <= c_p / 2
    if fast.any():
        # c' [1 - (1-z)^(a-1) (1 + (a-1) G)] / (a-1)
        #   = c' [-expm1((a-1) L) / (a-1)] - (1-z)^(a-1) c' G,   L = log(1-z)
        lz = log1mz[fast]
        h, ok = _scaled_hyp2f1_series(a_p, a, c_p[fast], z[fast], max_terms=2000)
        with np.errstate(over="ignore", invalid="ignore"):
            val = -c_p[fast] * lz * special.exprel((a - 1) * lz) - np.exp((a - 1) * lz) * h
        out[np.flatnonzero(fast)[ok]] = val[ok]
    rest = np.isnan(out)
    if rest.any():
        lz, zz, xl = log1mz[rest], z[rest], x[rest]

        def value(a_: float) -> FloatArray:
            cc = a_ + b + xl - 1
            first = 0.0 if abs(a_ + b - 1 - r) < 1e-10 else a_ + b - 1 - r
            with np.errstate(all="ignore"):
                cf = _scaled_hyp2f1(first, a_ - 1, cc, zz)
                val = (cc - np.exp((a_ - 1) * lz) * cf) / (a_ - 1)
            return np.asarray(val, dtype=np.float64)

        delta = 1e-4
        if abs(a - 1) >= delta:
            out[rest] = value(a)
        else:  # a ~ 1: the division by (a - 1) cancels; interpolate across a = 1
            lo, hi = value(1 - delta), value(1 + delta)
            out[rest] = lo + (a - (1 - delta)) / (2 * delta) * (hi - lo)
    c = r + x
    tau = t / beta
    low = -np.expm1(-c * np.log1p(tau))
    high = c * tau
    with np.errstate(invalid="ignore"):
        suspect = ~((out >= low * (1 - 1e-9)) & (out <= high * (1 + 1e-9)))
    for i in np.flatnonzero(suspect):
        out[i] = _alive_expectation_quad(a, b + float(x[i]), float(c[i]), float(tau[i]))
    return np.clip(out, low, high)


def _alive_expectation_quad(a: float, b_x: float, c: float, tau: float) -> float:
    """Slow, robust fallback: ``E_p[(1 - (1 + p tau)^-c) / p]`` for ``p ~ beta(a, b+x)``.

    Adaptive quadrature in ``y = logit(p)``, where the beta density is log-concave, over
    the range holding all but ``e^-60`` of its mass, with breakpoints at the mode and
    where ``p tau c = 1``. Used only where the closed form fails its bounds check.
    """
    log_norm = special.betaln(a, b_x)

    def log_density(y: float) -> float:
        return float(a * special.log_expit(y) + b_x * special.log_expit(-y) - log_norm)

    def integrand(y: float) -> float:
        p = float(special.expit(y))
        h = c * tau if p * tau < 1e-300 else float(-np.expm1(-c * np.log1p(p * tau)) / p)
        return h * float(np.exp(log_density(y)))

    mode = float(np.log(a) - np.log(b_x))
    top = log_density(mode)

    def edge(direction: float) -> float:
        inner, width = mode, 1.0
        while log_density(mode + direction * width) > top - 60:
            inner = mode + direction * width
            width *= 2
            if width > 1e6:
                return inner
        outer = mode + direction * width
        lo, hi = min(inner, outer), max(inner, outer)
        return float(optimize.brentq(lambda y: log_density(y) - (top - 60), lo, hi))

    lo, hi = sorted((edge(-1.0), edge(1.0)))
    knee = float(special.logit(min(max(1.0 / (c * tau), 1e-300), 1 - 1e-16)))
    points = [v for v in (mode, knee) if lo < v < hi]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        total = integrate.quad(integrand, lo, hi, points=points, limit=500, epsrel=1e-10)[0]
    return float(total)


def _log_odds_dead(
    r: float, alpha: float, a: float, b: float, x: FloatArray, tx: FloatArray, big_t: FloatArray
) -> FloatArray:
    """``log[(a/(b+x-1)) ((alpha+T)/(alpha+t_x))^(r+x)]`` for x > 0, -inf for x = 0."""
    out = np.full(x.shape, -np.inf)
    rep = x > 0
    if rep.any():
        xr, txr, tr = x[rep], tx[rep], big_t[rep]
        out[rep] = np.log(a) - np.log(b + xr - 1) + (r + xr) * np.log1p((tr - txr) / (alpha + txr))
    return out


# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------


class BetaGeoModel(_ParametricModel[BetaGeoParams]):
    """BG/NBD (beta-geometric/negative binomial) model of repeat purchasing.

    The constructor only stores settings; `fit` estimates ``r, alpha, a, b`` by maximum
    likelihood and sets the attributes ending in ``_``.

    Args:
        penalizer: L2 penalty ``penalizer * (r² + (alpha/s)² + a² + b²)`` added to the
            mean negative log-likelihood, with ``s = max(T)`` so that the penalty does
            not depend on the time unit. 0 (the default) is plain maximum likelihood;
            a small value (e.g. 0.001) keeps estimates finite on data that barely
            identify the model, at the cost of bias.
        time_unit: Label of the time unit of recency, T and ``alpha`` (stored with the
            state; the numbers themselves are whatever unit the data use).

    Attributes:
        params_: Estimates, a read-only mapping with keys ``r, alpha, a, b``.
        log_likelihood_: Log-likelihood at the estimate (eq. 6).
        standard_errors_: Standard errors of the estimates.
        confidence_intervals_: 95% confidence intervals (see `confidence_intervals`).
        covariance_: Covariance matrix of the estimates.
        n_customers_: Number of customers (sum of weights) used in the fit.

    Example:
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(float(m.probability_alive(2, 30.43, 38.86)), 4)
        0.7266
    """

    _names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")

    def __init__(self, penalizer: float = 0.0, time_unit: str = "weeks") -> None:
        self.penalizer = penalizer
        self.time_unit = time_unit
        self._state: BetaGeoParams | None = None

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_params(
        cls, *, r: float, alpha: float, a: float, b: float, time_unit: str = "weeks"
    ) -> BetaGeoModel:
        """Build a model from known parameter values (no fit, no standard errors).

        Args:
            r: Gamma shape of purchase rates.
            alpha: Gamma rate of purchase rates, in ``time_unit``.
            a: Beta shape of the dropout probability.
            b: Beta shape of the dropout probability.
            time_unit: Label of the time unit.

        Returns:
            A model ready to score.

        Raises:
            DataError: If a parameter is not a finite positive number.

        Example:
            >>> BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
            BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
        """
        try:
            state = BetaGeoParams(r=r, alpha=alpha, a=a, b=b, time_unit=time_unit)
        except ValidationError as exc:
            raise DataError(f"BetaGeoModel parameters are invalid: {exc}") from None
        model = cls(time_unit=time_unit)
        model._state = state
        return model

    @classmethod
    def from_json(cls, text: str | bytes) -> BetaGeoModel:
        """Load a model written by `to_json`.

        Args:
            text: The JSON string.

        Returns:
            The model with the saved state (estimates, log-likelihood, covariance).

        Raises:
            DataError: If the JSON is not a valid ``BetaGeoParams`` state.

        Example:
            >>> s = BetaGeoModel.from_params(r=1.0, alpha=2.0, a=0.5, b=3.0).to_json()
            >>> BetaGeoModel.from_json(s).params_["alpha"]
            2.0
        """
        state = _load_state(cls.__name__, BetaGeoParams, text)
        model = cls(penalizer=state.penalizer, time_unit=state.time_unit)
        model._state = state
        return model

    # ---------------------------------------------------------------- fitting

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
        *,
        weights: ArrayLike | None = None,
    ) -> BetaGeoModel:
        """Estimate ``r, alpha, a, b`` by maximum likelihood (eq. 6).

        Identical ``(frequency, recency, T)`` rows are merged into weights first, so the
        cost grows with the number of distinct rows (rounding recency and T to a day
        makes millions of customers cheap).

        Args:
            frequency: Repeat purchases per customer (whole numbers >= 0).
            recency: Time from the first to the last purchase (0 if frequency is 0).
            T: Time from the first purchase to the end of the observation window.
            weights: Optional number of customers each row stands for (>= 0).

        Returns:
            self, fitted.

        Raises:
            DataError: If an input breaks a rule (the message names it).
            NotIdentifiableError: If the data cannot identify the model (no customers,
                one customer, no repeat purchases, estimates running off to 0 or
                infinity, singular Hessian).
            ConvergenceError: If the optimiser fails.
            CustcareUsageError: If ``penalizer`` is negative or not finite.

        Example:
            >>> import numpy as np
            >>> from custcare.churn import simulate_bgnbd
            >>> sim = simulate_bgnbd({"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5},
            ...                      np.full(5000, 39.0), rng=np.random.default_rng(0))
            >>> m = BetaGeoModel().fit(sim.frequency, sim.recency, sim.T)
            >>> sorted(m.params_), m.n_customers_
            (['a', 'alpha', 'b', 'r'], 5000.0)
        """
        with _blas_thread_limit():
            return self._fit(frequency, recency, T, weights)

    def _fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
        weights: ArrayLike | None,
    ) -> BetaGeoModel:
        penalizer = _check_penalizer(self.penalizer)
        x, tx, big_t = (arr.ravel() for arr in _summary_arrays(frequency, recency, T))
        w = _weights_array(weights, x.size)
        _check_scale("T", big_t, "express time in another unit (e.g. weeks, not seconds)")
        (x, tx, big_t), w = _compress([x, tx, big_t], w)
        _check_identifiable(x, w)
        scale = float(big_t.max())
        obj = _BGNBDObjective(x, tx / scale, big_t / scale, w, penalizer)
        rate = float(np.dot(w, x) / max(float(np.dot(w, big_t)) / scale, 1e-12))
        z0 = np.log(np.array([1.0, 1.0 / max(rate, 1e-6), 1.0, 1.0]))
        sub = _subsample(x.size)
        warm = (
            None
            if sub is None
            else _BGNBDObjective(x[sub], tx[sub] / scale, big_t[sub] / scale, w[sub], penalizer)
        )
        z, cov_log = _fit_log_params(
            obj, z0, self._names, obj.total, "BetaGeoModel", warm_start=warm
        )
        theta = np.exp(z)
        theta[1] *= scale  # alpha back to the data's time unit
        cov = cov_log * np.outer(theta, theta)  # delta method: d theta = theta d log(theta)
        r, alpha, a, b = (float(v) for v in theta)
        ll = _log_likelihood((r, alpha, a, b), x, tx, big_t, w)
        self._state = BetaGeoParams(
            r=r,
            alpha=alpha,
            a=a,
            b=b,
            time_unit=self.time_unit,
            penalizer=penalizer,
            log_likelihood=ll,
            n_customers=obj.total,
            covariance=tuple(tuple(float(v) for v in row) for row in cov),
        )
        return self

    # ---------------------------------------------------------------- scoring

    def _theta(self) -> tuple[float, float, float, float]:
        s = self._fitted()
        return s.r, s.alpha, s.a, s.b

    def probability_alive(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Probability that each customer is still active at ``T``.

        Fader, Hardie & Lee (2008 note, correcting the paper's eq. 13):
        ``P(alive) = 1 / (1 + [x>0] (a/(b+x-1)) ((alpha+T)/(alpha+t_x))^(r+x))``.
        A customer with no repeat purchase has P(alive) = 1: in BG/NBD dropout can only
        follow a repeat purchase. To rank one-time buyers use `probability_no_purchase`.

        Args:
            frequency: Repeat purchases.
            recency: Time of the last purchase since the first.
            T: Length of the observation window since the first purchase.

        Returns:
            Probabilities in [0, 1], broadcast to the inputs' shape.

        Example:
            >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> m.probability_alive([0, 2, 2], [0.0, 30.43, 5.0], 38.86).round(3)
            array([1.   , 0.727, 0.124])
        """
        r, alpha, a, b = self._theta()
        x, tx, big_t = _summary_arrays(frequency, recency, T)
        lo = _log_odds_dead(r, alpha, a, b, x, tx, big_t)
        return np.asarray(special.expit(-lo), dtype=np.float64)

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Expected number of purchases in ``(T, T + t]`` given the history (eq. 10).

        ``E[Y(t) | x, t_x, T] = P(alive) * (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
        2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]``, evaluated stably (also for ``a`` near 1
        and large ``x``).

        Args:
            t: Horizon length (>= 0), in the model's time unit.
            frequency: Repeat purchases.
            recency: Time of the last purchase since the first.
            T: Length of the observation window since the first purchase.

        Returns:
            Expected purchases (>= 0), broadcast to the inputs' shape.

        Example:
            >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> round(float(m.expected_purchases(39, 2, 30.43, 38.86)), 4)
            1.226
        """
        r, alpha, a, b = self._theta()
        x, tx, big_t, tt = _summary_arrays(frequency, recency, T, t=t)
        # Eq. 10 = P(alive) x E[purchases in t | alive at T].
        p_alive = special.expit(-_log_odds_dead(r, alpha, a, b, x, tx, big_t))
        flat = [v.ravel() for v in (tt, x, big_t)]
        out = p_alive * _alive_expectation(r, alpha, a, b, *flat).reshape(x.shape)
        return np.asarray(np.maximum(out, 0.0), dtype=np.float64)

    def probability_no_purchase(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Probability of no purchase in ``(T, T + t]`` given the history, closed form.

        ``P(0 in t) = 1 - P(alive) + P(alive) * ((alpha+T)/(alpha+T+t))^(r+x)``: a dead
        customer never buys; an alive one makes no purchase in ``t`` with probability
        ``exp(-lambda t)``, averaged over the posterior gamma(r+x, alpha+T) of lambda (no
        purchase means no dropout chance either). Unlike P(alive) it separates one-time
        buyers by how long ago they bought.

        Args:
            t: Horizon length (>= 0), in the model's time unit.
            frequency: Repeat purchases.
            recency: Time of the last purchase since the first.
            T: Length of the observation window since the first purchase.

        Returns:
            Probabilities in [0, 1], broadcast to the inputs' shape.

        Example:
            >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> x, t_x, T = [0, 0, 2], [0.0, 0.0, 30.43], [5.0, 38.86, 38.86]
            >>> p0 = m.probability_no_purchase(39, x, t_x, T)
            >>> p0.round(3)
            array([0.672, 0.855, 0.445])
        """
        r, alpha, a, b = self._theta()
        x, tx, big_t, tt = _summary_arrays(frequency, recency, T, t=t)
        lo = _log_odds_dead(r, alpha, a, b, x, tx, big_t)
        p_dead = special.expit(lo)
        p_alive = special.expit(-lo)
        no_buy_if_alive = np.exp(-(r + x) * np.log1p(tt / (alpha + big_t)))
        out = p_dead + p_alive * no_buy_if_alive  # two non-negative terms, no cancellation
        return np.asarray(np.clip(out, 0.0, 1.0), dtype=np.float64)

    def expected_purchases_new_customer(self, t: ArrayLike) -> FloatArray:
        """Expected repeat purchases in ``(0, t]`` of a new customer (eq. 9).

        ``E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]``.

        Args:
            t: Time since the first purchase (>= 0), in the model's time unit.

        Returns:
            Expected purchases, shaped like ``t``.

        Example:
            >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> m.expected_purchases_new_customer([0.0, 39.0, 78.0]).round(3)
            array([0.   , 1.197, 1.861])
        """
        r, alpha, a, b = self._theta()
        tt = _as_float("t", t)
        bad = tt < 0
        if bad.any():
            raise DataError(f"t must be >= 0: {_first_bad(bad, tt)}")
        flat = tt.ravel()
        zero = np.zeros_like(flat)
        out = _alive_expectation(r, alpha, a, b, flat, zero, zero)  # eq. 9: x = 0, T = 0
        return np.asarray(np.maximum(out, 0.0), dtype=np.float64).reshape(tt.shape)


def _check_identifiable(x: FloatArray, w: FloatArray) -> None:
    total = float(w.sum())
    if x.size == 0 or total == 0:
        raise NotIdentifiableError(
            "BetaGeoModel: no customers to fit (frequency, recency and T are empty, or "
            "all weights are 0)"
        )
    if total < 2:
        raise NotIdentifiableError(
            "BetaGeoModel: one customer cannot identify the four parameters r, alpha, a, "
            "b; fit on a population of customers"
        )
    if not np.any(x > 0):
        raise NotIdentifiableError(
            "BetaGeoModel: no customer has a repeat purchase (all frequency == 0), so "
            "purchase rates and dropout cannot be estimated; use a longer observation "
            "window or more customers"
        )
