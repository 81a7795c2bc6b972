"""Fitting machinery shared by the churn models (BG/NBD and Gamma-Gamma).

Both models are fitted the same way, so this is written once:

* input checks that name the argument and the rule (`DataError`), and the penalizer
  check (`CustcareUsageError`);
* compression of identical rows into weights, so the cost grows with the number of
  distinct rows rather than customers;
* maximum likelihood on log-parameters: L-BFGS-B (optionally warm-started from a fixed
  subsample), Newton polish with a finite-difference Hessian of the analytic gradient,
  the inverse Hessian as covariance, and the `NotIdentifiableError` checks for
  estimates running off to a boundary or a flat likelihood;
* BLAS threads limited to one while fitting (`blas_thread_limit`): the objectives are
  dot products over at most a few hundred thousand rows, where extra BLAS threads only
  fight other processes for cores (fits were 3-25x slower on a busy 2-core machine);
* the fitted state (a frozen pydantic model, serialised to JSON) and the accessors
  every fitted model offers (`params_`, standard errors, confidence intervals,
  `to_json`).

The model-specific mathematics (likelihoods and predictions, with their equation
numbers) live in ``_bgnbd.py`` and ``_gamma_gamma.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from scipy import optimize, stats
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]  # no stubs

from custcare.errors import (
    ConvergenceError,
    CustcareUsageError,
    DataError,
    NotFittedError,
    NotIdentifiableError,
)

# Everything here is internal to custcare.churn (the models re-export what users see).
__all__: list[str] = []

FloatArray = NDArray[np.float64]

_PositiveFinite = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]

#: Bounds of the log-parameters (internal units: time rescaled to max T = 1, money to
#: the median value) during the search, to keep exp() finite.
_LOG_BOUND = 25.0
#: An estimate beyond e^±_FAR in those units is treated as running off to 0 or infinity.
_FAR = 10.0


# --------------------------------------------------------------------------------------
# Input validation shared by the churn models
# --------------------------------------------------------------------------------------


def _first_bad(mask: NDArray[np.bool_], values: NDArray[Any]) -> str:
    flat = np.flatnonzero(mask.ravel())
    i = int(flat[0])
    return f"{int(flat.size)} value(s); first at index {i}: {values.ravel()[i]!r}"


def _as_float(name: str, value: ArrayLike) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric: {exc}") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataError(f"{name} must be finite (no NaN or infinity): {_first_bad(bad, arr)}")
    return arr


def _broadcast(named: Mapping[str, FloatArray]) -> list[FloatArray]:
    try:
        out = np.broadcast_arrays(*named.values())
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in named.items())
        raise DataError(
            f"{', '.join(named)} must have the same length (or be scalars); got shapes {shapes}"
        ) from None
    return [np.asarray(a, dtype=np.float64) for a in out]


def _check_frequency(frequency: FloatArray) -> None:
    bad = frequency < 0
    if bad.any():
        raise DataError(f"frequency must be >= 0: {_first_bad(bad, frequency)}")
    bad = frequency != np.floor(frequency)
    if bad.any():
        raise DataError(
            "frequency must be whole numbers (the count of repeat purchases): "
            f"{_first_bad(bad, frequency)}"
        )


#: The supported scale of the data the churn models are fitted on: the largest time
#: (T) or money value (monetary_value) must lie in [_MIN_SCALE, _MAX_SCALE] of its
#: unit. Inside, fits are invariant to the unit (time is rescaled to max T = 1, money
#: to the median); far outside, squares of the scale under- or overflow.
_MIN_SCALE = 1e-12
_MAX_SCALE = 1e12


def _check_scale(name: str, values: FloatArray, hint: str) -> None:
    """Refuse data whose largest value is outside the supported scale (DataError)."""
    top = float(values.max()) if values.size else 0.0
    if top > _MAX_SCALE or 0.0 < top < _MIN_SCALE:
        raise DataError(
            f"{name}: the largest value is outside the supported range "
            f"[{_MIN_SCALE:g}, {_MAX_SCALE:g}] of its unit; {hint}"
        )


def _weights_array(weights: ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n)
    w = _as_float("weights", weights).ravel()
    if w.size != n:
        raise DataError(f"weights must have one value per customer ({n}); got {w.size}")
    bad = w < 0
    if bad.any():
        raise DataError(f"weights must be >= 0: {_first_bad(bad, w)}")
    return w


def _check_penalizer(penalizer: float) -> float:
    try:
        value = float(penalizer)
    except (TypeError, ValueError):
        value = float("nan")
    if not (np.isfinite(value) and value >= 0):
        raise CustcareUsageError(
            f"penalizer must be a finite number >= 0, got {penalizer!r}", code="bad_argument"
        )
    return value


#: Packed row codes (product of the columns' distinct counts) must stay below this.
_MAX_PACK = 2**62
#: Up to this many distinct values, rows find theirs by binary search (the table stays
#: in cache); beyond, by inverting an argsort.
_FEW_DISTINCT = 2**16


def _rank(column: NDArray[Any], *, dense: bool = True) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Sorted distinct values of a column and each row's index among them.

    With ``dense``, whole numbers in a short range (frequencies) index themselves, and
    the "values" are that whole range (some perhaps absent). Otherwise a value sort
    finds the distinct values; few of them (a table that stays in cache) are found by
    binary search, many by the inverse of an argsort. Either is several times faster
    than a lexsort of float columns.
    """
    lo, hi = column.min(), column.max()
    if dense and hi - lo < 2**20 and np.array_equal(column, np.floor(column)):
        return np.arange(lo, hi + 1, dtype=column.dtype), (column - lo).astype(np.int64)
    values = np.sort(column)
    new = np.empty(values.size, dtype=bool)
    new[0] = True
    np.not_equal(values[1:], values[:-1], out=new[1:])
    if int(new.sum()) <= _FEW_DISTINCT:
        distinct = values[new]
        return distinct, np.searchsorted(distinct, column).astype(np.int64)
    order = np.argsort(column)
    rank = np.empty(column.size, dtype=np.int64)
    rank[order] = np.cumsum(new) - 1  # column[order] equals values
    return values[new], rank


def _compress(
    columns: list[FloatArray], weights: FloatArray
) -> tuple[list[FloatArray], FloatArray]:
    """Merge identical rows, summing their weights (rows with weight 0 are dropped).

    Rows come back sorted lexicographically by the columns (first column first). Each
    row becomes one int64 code from its columns' ranks, so merging is a value sort of
    one integer column; a lexsort remains for codes that would overflow.

    Example:
        >>> cols, w = _compress([np.array([2.0, 1.0, 2.0]), np.array([0.5, 3.0, 0.5])],
        ...                     np.array([1.0, 1.0, 2.5]))
        >>> [c.tolist() for c in cols], w.tolist()
        ([[1.0, 2.0], [3.0, 0.5]], [1.0, 3.5])
    """
    keep = weights > 0
    cols = [c[keep] + 0.0 for c in columns]  # + 0.0 folds -0.0 into 0.0
    w = weights[keep]
    if w.size == 0:
        return [np.empty(0) for _ in columns], np.empty(0)
    ranked = [_rank(c) for c in cols]
    if np.prod([float(v.size) for v, _ in ranked]) >= _MAX_PACK:
        return _compress_lexsort(cols, w)
    code = ranked[0][1]
    for values, rank in ranked[1:]:
        code = code * np.int64(values.size) + rank
    codes, group = _rank(code, dense=False)  # only the codes present
    # bincount adds each group's weights in row order, as a stable sort would.
    summed: FloatArray = np.bincount(group, weights=w, minlength=codes.size).astype(np.float64)
    out = []
    for values, _ in reversed(ranked):  # decode, last column first
        size = np.int64(values.size)
        out.append(values[codes % size])
        codes = codes // size
    return out[::-1], summed


def _compress_lexsort(cols: list[FloatArray], w: FloatArray) -> tuple[list[FloatArray], FloatArray]:
    order = np.lexsort(cols[::-1])
    cols = [c[order] for c in cols]
    change = np.zeros(w.size, dtype=bool)
    change[0] = True
    for c in cols:
        change[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(change)
    summed: FloatArray = np.add.reduceat(w[order], starts).astype(np.float64)
    return [c[starts] for c in cols], summed


# --------------------------------------------------------------------------------------
# Maximum likelihood on log-parameters, shared by BG/NBD and Gamma-Gamma
# --------------------------------------------------------------------------------------

Objective = Callable[[FloatArray], tuple[float, FloatArray]]


def _hessian(objective: Objective, z: FloatArray, step: float = 1e-5) -> FloatArray:
    """Central finite differences of the analytic gradient, symmetrised."""
    k = z.size
    h = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = step
        h[i] = (objective(z + e)[1] - objective(z - e)[1]) / (2 * step)
    return np.asarray(0.5 * (h + h.T), dtype=np.float64)


def _lbfgs(objective: Objective, z0: FloatArray) -> Any:
    with np.errstate(all="ignore"):
        return optimize.minimize(
            objective,
            z0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * z0.size,
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9, "maxcor": 20},
        )


def _newton(
    objective: Objective, z: FloatArray, hess: FloatArray, max_iter: int
) -> tuple[FloatArray, float, FloatArray, bool]:
    """Newton steps with a fixed Hessian and a backtracking line search.

    Returns the last point, its value and gradient, and whether the largest gradient
    component fell below 1e-9 (the objective is a mean over customers, so this is tight).
    """
    f, g = objective(z)
    for _ in range(max_iter):
        if np.max(np.abs(g)) < 1e-9:
            return z, f, g, True
        try:
            step = -np.linalg.solve(hess, g)
        except np.linalg.LinAlgError:
            break
        slope = float(step @ g)
        if not np.all(np.isfinite(step)) or slope >= 0:
            break
        size = 1.0
        while size > 1e-4:
            z_new = np.clip(z + size * step, -_LOG_BOUND, _LOG_BOUND)
            f_new, g_new = objective(z_new)
            if np.isfinite(f_new) and f_new <= f + 1e-4 * size * slope:
                break
            size /= 2
        else:
            break
        z, f, g = z_new, f_new, g_new
    return z, f, g, bool(np.max(np.abs(g)) < 1e-9)


def _fit_log_params(
    objective: Objective,
    z0: FloatArray,
    names: tuple[str, ...],
    total_weight: float,
    model: str,
    *,
    warm_start: Objective | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Minimise a mean negative log-likelihood over log-parameters.

    With ``warm_start`` (the same objective on a subsample), its optimum and Hessian
    start Newton iterations on the full objective, so the full data are evaluated only
    a few dozen times. Otherwise, or if that fails, L-BFGS-B runs on the full objective,
    followed by Newton steps. The finite-difference Hessian at the optimum is inverted.

    Returns:
        The optimum and the covariance of the log-parameters (inverse Hessian of the
        total, i.e. ``total_weight`` times the mean, objective).

    Raises:
        NotIdentifiableError: The optimum is on the boundary (a parameter runs off to 0
            or infinity) or the Hessian is not positive definite.
        ConvergenceError: The optimiser failed otherwise.
    """
    message, iterations = "Newton iterations from a subsample fit", 0
    z, f, g, done = z0, float("nan"), np.full(z0.size, np.nan), False
    if warm_start is not None:
        pre = _lbfgs(warm_start, z0)
        pre_z = np.asarray(pre.x, dtype=np.float64)
        if np.all(np.isfinite(pre_z)) and np.all(np.abs(pre_z) < _FAR):
            pre_hess = _hessian(warm_start, pre_z)
            if np.all(np.isfinite(pre_hess)) and np.linalg.eigvalsh(pre_hess)[0] > 0:
                z, f, g, done = _newton(objective, pre_z, pre_hess, max_iter=8)
                if not done and np.all(np.isfinite(z)):  # refresh the Hessian on all data
                    z, f, g, done = _newton(objective, z, _hessian(objective, z), max_iter=10)
                if not (np.all(np.isfinite(z)) and np.isfinite(f)):
                    z = z0
    if not done:
        res = _lbfgs(objective, z)
        message, iterations = str(res.message), int(res.nit)
        z = np.asarray(res.x, dtype=np.float64)
        if not np.all(np.isfinite(z)) or not np.isfinite(res.fun):
            raise ConvergenceError(
                f"{model}: the optimiser ended on a non-finite point ({message}); "
                "check the data or try penalizer > 0"
            )
        # Newton polish: L-BFGS-B stops near 1e-9; the Hessian is needed anyway.
        z, f, g, done = _newton(objective, z, _hessian(objective, z), max_iter=10)
    _raise_if_diverging(z, names, model)
    hess = _hessian(objective, z)
    total_hess = total_weight * hess
    eigen = np.linalg.eigvalsh(total_hess) if np.all(np.isfinite(total_hess)) else None
    if eigen is None or eigen[0] <= 1e-9 * max(float(eigen[-1]), 1e-300):
        detail = "non-finite" if eigen is None else f"eigenvalues {np.array2string(eigen)}"
        raise NotIdentifiableError(
            f"{model}: the Hessian of the log-likelihood at the estimate is not positive "
            f"definite ({detail}), so the data do not identify {', '.join(names)} (the "
            "likelihood is flat in some direction; standard errors would be infinite); "
            "use more varied data or penalizer > 0"
        )
    grad_norm = float(np.max(np.abs(g)))
    if not np.isfinite(f) or grad_norm > 1e-6:
        raise ConvergenceError(
            f"{model}: the optimiser did not converge ({message}; {iterations} "
            f"iterations; largest gradient component {grad_norm:.3g}); check the data or "
            "try penalizer > 0"
        )
    cov = np.linalg.inv(total_hess)
    cov = 0.5 * (cov + cov.T)
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        raise NotIdentifiableError(
            f"{model}: the covariance of the estimates is not finite and positive; the "
            "data do not identify the parameters"
        )
    return z, cov


def _raise_if_diverging(z: FloatArray, names: tuple[str, ...], model: str) -> None:
    """Raise NotIdentifiableError if parameters run off to 0 or infinity.

    In the optimiser's units (time rescaled to max T = 1, money to the median value) a
    parameter beyond e^±10 means the likelihood keeps rising towards a boundary, e.g.
    ``q`` and ``gamma`` together to infinity when spend does not vary across customers,
    or ``b`` to infinity when nobody looks inactive. Such a likelihood is flat along a
    ridge there, so even a finite-difference Hessian cannot be trusted.
    """
    far = np.abs(z) > _FAR
    if far.any():
        which = ", ".join(
            f"{n} ({'-> 0' if v < 0 else '-> infinity'})"
            for n, v, b in zip(names, z, far, strict=True)
            if b
        )
        raise NotIdentifiableError(
            f"{model}: the likelihood keeps increasing towards a boundary ({which}), so "
            "the data cannot identify the parameters (e.g. customers do not differ "
            "enough, or nobody looks inactive); use more varied data or penalizer > 0"
        )


def _subsample(n_rows: int, size: int = 20_000) -> NDArray[np.int64] | None:
    """Rows of a fixed pseudo-random subsample for warm starts (None if small)."""
    if n_rows <= 2 * size:
        return None
    rng = np.random.default_rng(0)  # fixed: fits are deterministic
    return np.sort(rng.choice(n_rows, size=size, replace=False)).astype(np.int64)


#: BLAS threads while fitting. The objectives are dot products over (compressed) rows;
#: more threads barely help an idle machine and, on a busy one, make every call wait for
#: a thread that lost its core (3-25x slower fits measured on 2 cores).
_FIT_BLAS_THREADS = 1


@lru_cache(maxsize=1)
def _thread_controller() -> ThreadpoolController:
    # Scanning the loaded libraries takes ~1 ms, so do it once; numpy's and scipy's BLAS
    # are loaded by the imports of this module, before the first fit.
    return ThreadpoolController()


@contextmanager
def _blas_thread_limit(limit: int = _FIT_BLAS_THREADS) -> Iterator[None]:
    """Limit the BLAS thread pools (numpy's and scipy's) for the duration of a fit.

    The previous limits are restored on exit, also when the fit raises.

    Example:
        >>> from threadpoolctl import threadpool_info
        >>> with _blas_thread_limit():
        ...     all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
        True
    """
    with _thread_controller().limit(limits=limit, user_api="blas"):
        yield


# --------------------------------------------------------------------------------------
# Fitted state (pydantic, JSON-serialisable) and the shared model base
# --------------------------------------------------------------------------------------


class _FittedState(BaseModel):
    """Fields shared by the fitted state of the churn models."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    penalizer: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)
    log_likelihood: float | None = Field(default=None, allow_inf_nan=False)
    n_customers: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    covariance: tuple[tuple[float, ...], ...] | None = Field(
        default=None,
        description="Covariance matrix of the estimates (natural parameters, in the "
        "order of the parameter fields), from the inverse Hessian; None if not fitted.",
    )

    _names: ClassVar[tuple[str, ...]] = ()

    @field_validator("covariance")
    @classmethod
    def _square_finite(
        cls, value: tuple[tuple[float, ...], ...] | None
    ) -> tuple[tuple[float, ...], ...] | None:
        if value is None:
            return value
        k = len(cls._names)
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != (k, k) or not np.all(np.isfinite(arr)) or np.any(np.diag(arr) <= 0):
            raise ValueError(f"covariance must be a finite {k}x{k} matrix with positive diagonal")
        return value

    def values(self) -> dict[str, float]:
        """The parameter values by name.

        Returns:
            A new dict mapping each parameter name to its value.

        Example:
            >>> from custcare.churn import BetaGeoParams
            >>> BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426).values()["r"]
            0.243
        """
        return {n: float(getattr(self, n)) for n in self._names}


S = TypeVar("S", bound=_FittedState)


class _ParametricModel(Generic[S]):
    """Accessors shared by the fitted churn models (the state lives in ``_state``)."""

    _state: S | None

    def _fitted(self) -> S:
        state = self._state
        if state is None:
            name = type(self).__name__
            raise NotFittedError(
                f"{name} is not fitted yet; call fit(...) first, or build it from known "
                f"parameters with {name}.from_params(...)"
            )
        return state

    def _fitted_on_data(self) -> S:
        state = self._fitted()
        if state.covariance is None or state.log_likelihood is None:
            name = type(self).__name__
            raise NotFittedError(
                f"{name} was built from given parameters, so it has no log-likelihood or "
                "standard errors; call fit(...) on data to get them"
            )
        return state

    @property
    def state_(self) -> S:
        """The fitted state as a frozen pydantic model (what `to_json` writes).

        Example:
            >>> from custcare.churn import BetaGeoModel
            >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> m.state_.version, m.state_.time_unit
            (1, 'weeks')
        """
        return self._fitted()

    @property
    def params_(self) -> Mapping[str, float]:
        """The parameter estimates, a read-only mapping of name to value.

        Example:
            >>> from custcare.churn import BetaGeoModel
            >>> dict(BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426).params_)
            {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
        """
        return MappingProxyType(self._fitted().values())

    @property
    def log_likelihood_(self) -> float:
        """Log-likelihood at the estimate (without the penalty term).

        Example:
            >>> import numpy as np
            >>> from custcare.churn import BetaGeoModel, simulate_bgnbd
            >>> sim = simulate_bgnbd({"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5},
            ...                      np.full(2000, 39.0), rng=np.random.default_rng(1))
            >>> m = BetaGeoModel().fit(sim.frequency, sim.recency, sim.T)
            >>> m.log_likelihood_ < 0
            True
        """
        value = self._fitted_on_data().log_likelihood
        assert value is not None
        return value

    @property
    def n_customers_(self) -> float:
        """Number of customers (sum of weights) used in the fit.

        Example:
            >>> import numpy as np
            >>> from custcare.churn import BetaGeoModel, simulate_bgnbd
            >>> sim = simulate_bgnbd({"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5},
            ...                      np.full(2000, 39.0), rng=np.random.default_rng(1))
            >>> m = BetaGeoModel().fit(sim.frequency, sim.recency, sim.T)
            >>> m.n_customers_
            2000.0
        """
        value = self._fitted_on_data().n_customers
        assert value is not None
        return value

    @property
    def covariance_(self) -> FloatArray:
        """Covariance matrix of the estimates, in the order of `params_`.

        Example:
            >>> import numpy as np
            >>> from custcare.churn import BetaGeoModel, simulate_bgnbd
            >>> sim = simulate_bgnbd({"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5},
            ...                      np.full(2000, 39.0), rng=np.random.default_rng(1))
            >>> m = BetaGeoModel().fit(sim.frequency, sim.recency, sim.T)
            >>> m.covariance_.shape
            (4, 4)
        """
        cov = self._fitted_on_data().covariance
        assert cov is not None
        return np.array(cov, dtype=np.float64)

    @property
    def standard_errors_(self) -> Mapping[str, float]:
        """Standard errors of the estimates (inverse Hessian, delta method).

        Example:
            >>> import numpy as np
            >>> from custcare.churn import BetaGeoModel, simulate_bgnbd
            >>> sim = simulate_bgnbd({"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5},
            ...                      np.full(2000, 39.0), rng=np.random.default_rng(1))
            >>> m = BetaGeoModel().fit(sim.frequency, sim.recency, sim.T)
            >>> all(0 < se < m.params_[k] for k, se in m.standard_errors_.items())
            True
        """
        se = np.sqrt(np.diag(self.covariance_))
        return MappingProxyType({n: float(s) for n, s in zip(self.params_, se, strict=True)})

    def confidence_intervals(self, level: float = 0.95) -> Mapping[str, tuple[float, float]]:
        """Wald confidence intervals, computed on the log scale so they stay positive.

        The interval for a parameter ``θ`` is ``θ * exp(±z * se(θ) / θ)``, with ``z`` the
        normal quantile for ``level`` and ``se(θ)/θ`` the standard error of ``log θ``.

        Args:
            level: Coverage, strictly between 0 and 1.

        Returns:
            A read-only mapping of parameter name to ``(lower, upper)``.

        Raises:
            CustcareUsageError: If ``level`` is not in (0, 1).
            NotFittedError: If the model was not fitted on data.

        Example:
            >>> import numpy as np
            >>> from custcare.churn import BetaGeoModel, simulate_bgnbd
            >>> sim = simulate_bgnbd({"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5},
            ...                      np.full(2000, 39.0), rng=np.random.default_rng(1))
            >>> m = BetaGeoModel().fit(sim.frequency, sim.recency, sim.T)
            >>> lo, hi = m.confidence_intervals(0.95)["r"]
            >>> bool(lo < m.params_["r"] < hi)
            True
        """
        if not (isinstance(level, float | int) and 0 < level < 1):
            raise CustcareUsageError(
                f"level must be a number strictly between 0 and 1, got {level!r}",
                code="bad_argument",
            )
        z = float(stats.norm.ppf(0.5 + level / 2))
        out: dict[str, tuple[float, float]] = {}
        for (name, value), se in zip(
            self.params_.items(), self.standard_errors_.values(), strict=True
        ):
            spread = np.exp(z * se / value)
            out[name] = (float(value / spread), float(value * spread))
        return MappingProxyType(out)

    @property
    def confidence_intervals_(self) -> Mapping[str, tuple[float, float]]:
        """95% confidence intervals, see `confidence_intervals`.

        Example:
            >>> import numpy as np
            >>> from custcare.churn import BetaGeoModel, simulate_bgnbd
            >>> sim = simulate_bgnbd({"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5},
            ...                      np.full(2000, 39.0), rng=np.random.default_rng(1))
            >>> m = BetaGeoModel().fit(sim.frequency, sim.recency, sim.T)
            >>> sorted(m.confidence_intervals_)
            ['a', 'alpha', 'b', 'r']
        """
        return self.confidence_intervals(0.95)

    def to_json(self) -> str:
        """Serialise the fitted state to a JSON string.

        Returns:
            The JSON of the state model (``BetaGeoParams`` or ``GammaGammaParams``).

        Raises:
            NotFittedError: If the model is neither fitted nor built from parameters.

        Example:
            >>> from custcare.churn import BetaGeoModel
            >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> BetaGeoModel.from_json(m.to_json()).params_ == m.params_
            True
        """
        return self._fitted().model_dump_json()

    def __repr__(self) -> str:
        name = type(self).__name__
        if self._state is None:
            return f"{name}(not fitted)"
        values = ", ".join(f"{k}={v:.4g}" for k, v in self._state.values().items())
        return f"{name}({values})"


def _load_state(cls_name: str, state_type: type[S], text: str | bytes) -> S:
    try:
        return state_type.model_validate_json(text)
    except ValidationError as exc:
        raise DataError(f"not a valid {cls_name} JSON state: {exc}") from None
