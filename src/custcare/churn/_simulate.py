"""Draw customers from the BG/NBD and Gamma-Gamma models (for tests and what-ifs).

The draws follow the models' stories exactly (Fader, Hardie & Lee 2005, section 3;
Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"):

* BG/NBD: each customer gets a purchase rate ``lambda ~ gamma(r, rate alpha)`` and a
  dropout probability ``p ~ beta(a, b)``; after their first purchase at time 0 they buy
  at the arrivals of a Poisson process with rate ``lambda`` and drop out right after
  each repeat purchase with probability ``p``. The number of repeat purchases until
  dropout is geometric, so with ``N(T) ~ Poisson(lambda T)`` arrivals in ``(0, T]`` the
  frequency is ``x = min(J, N(T))`` with ``P(J > j) = (1-p)^j``, and recency is the
  ``x``-th of ``N(T)`` uniform arrival times: ``t_x = T * Beta(x, N(T) - x + 1)``.
* Gamma-Gamma: each customer gets ``nu ~ gamma(q, rate gamma)``; each transaction value
  is ``gamma(p, rate nu)``, so the mean of ``x`` values is ``gamma(p x, rate x nu)``.

The caller passes a seeded ``numpy.random.Generator``; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custcare.errors import DataError

__all__ = ["SimulatedCustomers", "simulate_bgnbd", "simulate_gamma_gamma"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class SimulatedCustomers:
    """Customers drawn from a BG/NBD model, one row per customer.

    Attributes:
        frequency: Repeat purchases in ``(0, T]``.
        recency: Time of the last purchase since the first (0 if frequency is 0).
        T: Observation window since the first purchase (as given).
        frequency_holdout: Purchases in ``(T, T + horizon]`` (all 0 if horizon is 0).
        alive: Whether the customer is still active at ``T``.
        purchase_rate: The drawn ``lambda``.
        dropout_probability: The drawn ``p``.
    """

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    frequency_holdout: FloatArray
    alive: NDArray[np.bool_]
    purchase_rate: FloatArray
    dropout_probability: FloatArray


def _positive_params(params: Mapping[str, float], names: tuple[str, ...]) -> list[float]:
    out = []
    for name in names:
        if name not in params:
            raise DataError(f"params must have keys {', '.join(names)}; {name!r} is missing")
        value = float(params[name])
        if not (np.isfinite(value) and value > 0):
            raise DataError(f"params[{name!r}] must be a finite number > 0, got {value!r}")
        out.append(value)
    return out


def simulate_bgnbd(
    params: Mapping[str, float],
    T: ArrayLike,  # noqa: N803 - the model's name for the observation window
    *,
    rng: np.random.Generator,
    horizon: float = 0.0,
) -> SimulatedCustomers:
    """Draw one BG/NBD customer per entry of ``T``.

    Args:
        params: Mapping with keys ``r, alpha, a, b`` (e.g. a fitted model's ``params_``).
        T: Observation window of each customer since their first purchase (>= 0).
        rng: The random generator (seed it for reproducible draws).
        horizon: Length of a holdout period after ``T`` whose purchases are also drawn.

    Returns:
        The simulated summaries and latent values.

    Raises:
        DataError: If a parameter is missing or not positive, or T/horizon is invalid.

    Example:
        >>> import numpy as np
        >>> sim = simulate_bgnbd({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        ...                      np.full(3, 39.0), rng=np.random.default_rng(42))
        >>> sim.frequency.shape, bool(np.all(sim.recency <= sim.T))
        ((3,), True)
    """
    r, alpha, a, b = _positive_params(params, ("r", "alpha", "a", "b"))
    big_t = np.asarray(T, dtype=np.float64).ravel()
    if not np.all(np.isfinite(big_t)) or np.any(big_t < 0):
        raise DataError("T must be finite and >= 0")
    if not (np.isfinite(horizon) and horizon >= 0):
        raise DataError(f"horizon must be finite and >= 0, got {horizon!r}")
    n = big_t.size
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    # Repeat purchases until dropout, J >= 1 with P(J > j) = (1 - p)^j (float, may be inf).
    u = rng.random(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        j = np.floor(np.log1p(-u) / np.log1p(-p)) + 1.0
    j = np.where(np.isfinite(j) & (j >= 1), j, np.where(p <= 0, np.inf, 1.0))
    arrivals = rng.poisson(lam * big_t).astype(np.float64)
    x = np.minimum(j, arrivals)
    recency = np.zeros(n)
    rep = x > 0
    recency[rep] = big_t[rep] * rng.beta(x[rep], arrivals[rep] - x[rep] + 1.0)
    later = rng.poisson(lam * horizon).astype(np.float64) if horizon > 0 else np.zeros(n)
    holdout = np.minimum(j, arrivals + later) - x
    return SimulatedCustomers(
        frequency=x,
        recency=recency,
        T=big_t,
        frequency_holdout=holdout,
        alive=j > x,
        purchase_rate=lam,
        dropout_probability=p,
    )


def simulate_gamma_gamma(
    params: Mapping[str, float], frequency: ArrayLike, *, rng: np.random.Generator
) -> FloatArray:
    """Draw each customer's mean transaction value from the Gamma-Gamma model.

    Args:
        params: Mapping with keys ``p, q, gamma`` (e.g. a fitted model's ``params_``).
        frequency: Number of (repeat) transactions averaged per customer (whole, >= 0).
        rng: The random generator.

    Returns:
        Mean transaction value per customer; 0 where frequency is 0.

    Raises:
        DataError: If a parameter is missing or not positive, or frequency is invalid.

    Example:
        >>> import numpy as np
        >>> z = simulate_gamma_gamma({"p": 6.25, "q": 3.74, "gamma": 15.44}, [0, 1, 5],
        ...                          rng=np.random.default_rng(0))
        >>> float(z[0]), bool(np.all(z[1:] > 0))
        (0.0, True)
    """
    p, q, gamma = _positive_params(params, ("p", "q", "gamma"))
    x = np.asarray(frequency, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.floor(x)):
        raise DataError("frequency must be whole numbers >= 0")
    nu = rng.gamma(shape=q, scale=1.0 / gamma, size=x.size)
    out = np.zeros(x.size)
    rep = x > 0
    out[rep] = rng.gamma(shape=p * x[rep], scale=1.0 / (x[rep] * nu[rep]))
    return out
