"""Per-customer summaries from raw transactions, and calibration/holdout checks.

Input is plain arrays, one entry per transaction: ``customer_ids`` (str or int),
``times`` and optionally ``amounts``. Times are either numbers (time units since any
fixed origin) or ``numpy.datetime64`` values.

Counting convention (chosen to reproduce the published CDNOW summary of Fader, Hardie &
Lee 2005, which counts distinct purchase *days* and measures time in *weeks*):

* Transactions are grouped into **purchase occasions**: all transactions of a customer
  whose times fall in the same period of length ``resolution`` count as one purchase,
  with the sum of their amounts as its value. For ``datetime64`` times the default
  resolution is the calendar day (``"D"``); for numeric times the default is no grouping
  beyond identical time values.
* ``frequency`` is the number of occasions after the first (repeat purchases), as in
  the BG/NBD paper; ``recency`` is the time from the first to the last occasion and
  ``T`` the time from the first occasion to the end of the window, both in
  ``time_unit`` (for ``datetime64`` input: seconds, minutes, hours, days or weeks).
* ``monetary_value`` is the mean value of the repeat occasions (the first is excluded,
  0 when there is none), the Gamma-Gamma convention.
* The calibration window includes ``split_time`` itself; the holdout window is
  ``(split_time, end_time]``. Only customers whose first purchase falls in the
  calibration window are summarised (a cohort observed from its first purchase).

The counting itself is the kernel `purchase_summary` uses too (``_summary.py``: one sort
of a packed integer (customer, time key) column), so both paths give the same numbers.
Integer customer ids in a compact range are ranked without a sort.

This differs from counting every transaction row (CDNOW has 80 customers with two
orders on one day) and from lifetimes' ``freq='W'``, which counts at most one purchase
per calendar week and measures in whole weeks; pass ``resolution="D"`` with
``time_unit="weeks"`` for the paper's convention.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custcare.churn._summary import _customer_stats, _CustomerStats, _Occasions, _occasions
from custcare.errors import DataError

__all__ = [
    "CalibrationHoldoutSummary",
    "HoldoutComparison",
    "TransactionSummary",
    "calibration_holdout_summary",
    "compare_holdout",
    "summarise_transactions",
]

FloatArray = NDArray[np.float64]
TimeLike = float | int | str | np.datetime64

_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86_400, "weeks": 604_800}
_RESOLUTION_SECONDS = {"s": 1, "m": 60, "h": 3600, "D": 86_400}


class _PurchaseModel(Protocol):
    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray: ...


@dataclass(frozen=True, eq=False)
class TransactionSummary:
    """Per-customer (frequency, recency, T, monetary value), one row per customer.

    Attributes:
        customer_ids: The customers, sorted (as ``numpy.unique`` sorts them).
        frequency: Repeat purchase occasions.
        recency: Time from the first to the last occasion.
        T: Time from the first occasion to the end of the window.
        monetary_value: Mean value of the repeat occasions (0 without any).
        time_unit: Unit of recency and T.
    """

    customer_ids: NDArray[Any]
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray
    time_unit: str


@dataclass(frozen=True, eq=False)
class CalibrationHoldoutSummary:
    """Calibration summary plus what each customer did in the holdout window.

    Attributes:
        customer_ids: Customers whose first purchase is in the calibration window.
        frequency: Repeat purchase occasions in the calibration window.
        recency: Calibration recency.
        T: Time from the first purchase to ``split_time``.
        monetary_value: Mean value of the calibration repeat occasions.
        frequency_holdout: Purchase occasions in ``(split_time, end_time]``.
        monetary_value_holdout: Mean value of the holdout occasions (0 without any).
        duration_holdout: Length of the holdout window.
        time_unit: Unit of all durations.
    """

    customer_ids: NDArray[Any]
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray
    frequency_holdout: FloatArray
    monetary_value_holdout: FloatArray
    duration_holdout: float
    time_unit: str


@dataclass(frozen=True, eq=False)
class HoldoutComparison:
    """Predicted against actual holdout purchases.

    Attributes:
        predicted: Expected purchases in the holdout, per customer.
        actual: Observed purchase occasions in the holdout, per customer.
        total_predicted: Sum of ``predicted``.
        total_actual: Sum of ``actual``.
        mean_absolute_error: Mean of ``|predicted - actual|`` over customers.
        frequency_bins: Calibration frequency of each bin (the last is "this or more").
        bin_customers: Customers per bin.
        bin_mean_predicted: Mean predicted holdout purchases per bin (NaN if empty).
        bin_mean_actual: Mean actual holdout purchases per bin (NaN if empty).
    """

    predicted: FloatArray
    actual: FloatArray
    total_predicted: float
    total_actual: float
    mean_absolute_error: float
    frequency_bins: NDArray[np.int64]
    bin_customers: NDArray[np.int64]
    bin_mean_predicted: FloatArray
    bin_mean_actual: FloatArray


@dataclass(frozen=True, eq=False)
class _Transactions:
    """Transactions up to the end of the window, as integer customer rows and keys."""

    ids: NDArray[Any]  # unique customer ids, sorted
    cust: NDArray[np.int64]  # row in ids of each transaction
    key: NDArray[Any]  # time in resolution units: int64, float64 for non-integer times
    amount: FloatArray | None  # value of each transaction
    to_units: float  # multiply key differences by this to get time_unit


#: Float keys that are whole numbers below this convert to int64 exactly (and pack).
_EXACT_INT = 2.0**53


def _integer_keys(keys: FloatArray) -> NDArray[Any]:
    """Whole-number float keys as int64 (the kernel's fast path); others unchanged."""
    if keys.size and np.all(np.abs(keys) < _EXACT_INT) and np.array_equal(keys, np.floor(keys)):
        return keys.astype(np.int64)
    return keys


def _time_keys(
    times: ArrayLike,
    cuts: dict[str, TimeLike],
    time_unit: str,
    resolution: str | float | None,
) -> tuple[NDArray[Any], dict[str, float], float]:
    """Convert times and cut points to comparable numeric keys and a unit factor."""
    arr = np.asarray(times)
    if arr.ndim != 1:
        raise DataError(f"times must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind == "M":
        res = "D" if resolution is None else resolution
        if not isinstance(res, str) or res not in _RESOLUTION_SECONDS:
            raise DataError(
                "resolution must be one of 'D', 'h', 'm', 's' (numpy datetime units) for "
                f"datetime64 times, got {res!r}"
            )
        if time_unit not in _UNIT_SECONDS:
            raise DataError(
                f"time_unit must be one of {', '.join(_UNIT_SECONDS)} for datetime64 "
                f"times, got {time_unit!r}"
            )
        unit = f"datetime64[{res}]"
        if np.isnat(arr).any():
            raise DataError(f"times must not contain NaT: {_first(np.isnat(arr), arr)}")
        keys = arr.astype(unit).astype(np.int64)
        cut_keys: dict[str, float] = {}
        for name, value in cuts.items():
            try:
                stamp = value if isinstance(value, np.datetime64) else np.datetime64(str(value))
            except (TypeError, ValueError) as exc:
                raise DataError(f"{name} must be a datetime64 or date string: {exc}") from None
            if np.isnat(stamp):
                raise DataError(f"{name} must not be NaT")
            cut_keys[name] = float(stamp.astype(unit).astype(np.int64))
        return keys, cut_keys, _RESOLUTION_SECONDS[res] / _UNIT_SECONDS[time_unit]
    try:
        values = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"times must be numbers or numpy datetime64 values, got dtype {arr.dtype}"
        ) from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(f"times must be finite: {_first(bad, values)}")
    step = 1.0
    if resolution is not None:
        if isinstance(resolution, str) or not (np.isfinite(resolution) and resolution > 0):
            raise DataError(
                f"resolution must be a number > 0 for numeric times, got {resolution!r}"
            )
        step = float(resolution)
    cut_keys = {}
    for name, value in cuts.items():
        if isinstance(value, str | np.datetime64):
            raise DataError(f"{name} must be a number when times are numbers, got {value!r}")
        v = float(value)
        if not np.isfinite(v):
            raise DataError(f"{name} must be finite, got {value!r}")
        cut_keys[name] = v
    if resolution is None:
        return _integer_keys(values), cut_keys, 1.0
    return (
        _integer_keys(np.floor(values / step)),
        {k: float(np.floor(v / step)) for k, v in cut_keys.items()},
        step,
    )


def _first(mask: NDArray[np.bool_], values: NDArray[Any]) -> str:
    i = int(np.flatnonzero(mask)[0])
    return f"{int(mask.sum())} value(s); first at index {i}: {values[i]!r}"


def _factorize(ids: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Sorted unique ids and each id's row among them (as ``numpy.unique`` gives).

    Integer ids in a compact range (the usual case) are ranked through a lookup table
    instead of a sort.
    """
    if ids.dtype.kind in "iu" and ids.size:
        lo, hi = int(ids.min()), int(ids.max())
        if hi - lo <= 4 * ids.size + 2**20 and hi < 2**63:
            offset = ids.astype(np.int64) - lo
            seen = np.zeros(hi - lo + 1, dtype=bool)
            seen[offset] = True
            rank = np.cumsum(seen) - 1
            unique = (np.flatnonzero(seen) + lo).astype(ids.dtype)
            return unique, rank[offset].astype(np.int64, copy=False)
    unique, inverse = np.unique(ids, return_inverse=True)
    return unique, inverse.ravel().astype(np.int64, copy=False)


def _transactions(
    customer_ids: ArrayLike,
    times: ArrayLike,
    amounts: ArrayLike | None,
    cuts: dict[str, TimeLike],
    time_unit: str,
    resolution: str | float | None,
) -> tuple[_Transactions, dict[str, float]]:
    ids = np.asarray(customer_ids)
    keys, cut_keys, to_units = _time_keys(times, cuts, time_unit, resolution)
    if ids.ndim != 1 or ids.shape[0] != keys.shape[0]:
        raise DataError(
            "customer_ids and times must be one-dimensional with one entry per "
            f"transaction; got shapes {ids.shape} and {keys.shape}"
        )
    if ids.dtype.kind == "f" and np.isnan(ids).any():
        raise DataError(f"customer_ids must not be NaN: {_first(np.isnan(ids), ids)}")
    amount: FloatArray | None = None
    if amounts is not None:
        try:
            amount = np.asarray(amounts, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError("amounts must be numeric") from None
        if amount.shape != keys.shape:
            raise DataError(
                f"amounts must have one value per transaction ({keys.shape[0]}); got "
                f"shape {amount.shape}"
            )
        bad = ~np.isfinite(amount)
        if bad.any():
            raise DataError(f"amounts must be finite: {_first(bad, amount)}")
    keep = keys <= cut_keys["end_time"]
    if not keep.all():
        ids, keys = ids[keep], keys[keep]
        amount = None if amount is None else amount[keep]
    unique_ids, cust = _factorize(ids)
    return _Transactions(unique_ids, cust, keys, amount, to_units), cut_keys


def _summary_columns(
    st: _CustomerStats, end_key: float, to_units: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Frequency, recency, T and monetary value; zeros for customers without occasions."""
    present = st.purchases > 0
    frequency = np.maximum(st.purchases - 1, 0).astype(np.float64)
    monetary = np.zeros(frequency.size)
    rep = frequency > 0
    monetary[rep] = st.repeat_value[rep] / frequency[rep]
    recency = (st.last - st.first) * to_units
    big_t = np.where(present, (end_key - st.first) * to_units, 0.0)
    return frequency, recency.astype(np.float64), big_t, monetary


def summarise_transactions(
    customer_ids: ArrayLike,
    times: ArrayLike,
    amounts: ArrayLike | None = None,
    *,
    end_time: TimeLike,
    time_unit: str = "weeks",
    resolution: str | float | None = None,
) -> TransactionSummary:
    """Summarise transactions up to ``end_time`` into (frequency, recency, T, value).

    See the module docstring for the counting convention (purchase occasions).

    Args:
        customer_ids: Customer of each transaction (str or int).
        times: Time of each transaction: numbers, or ``numpy.datetime64`` values.
        amounts: Optional value of each transaction (finite).
        end_time: End of the observation window (inclusive); same kind as ``times``
            (a date string is accepted for datetime64 times).
        time_unit: For datetime64 times, the unit of recency and T: ``"seconds"``,
            ``"minutes"``, ``"hours"``, ``"days"`` or ``"weeks"``. For numeric times a
            label only.
        resolution: Length of a purchase occasion: a numpy datetime unit (``"D"``,
            ``"h"``, ``"m"``, ``"s"``; default ``"D"``) for datetime64 times; a number
            of time units (default: none, identical times only) for numeric times.

    Returns:
        The per-customer summary, customers sorted by id.

    Raises:
        DataError: If an input is malformed (the message names it and the rule).

    Example:
        >>> import numpy as np
        >>> days = np.array(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"],
        ...                 dtype="datetime64[D]")
        >>> s = summarise_transactions(["a", "a", "a", "b"], days, [10.0, 5.0, 20.0, 7.0],
        ...                            end_time="2024-01-29", time_unit="weeks")
        >>> s.frequency.tolist(), s.recency.tolist(), s.T.tolist(), s.monetary_value.tolist()
        ([1.0, 0.0], [2.0, 0.0], [4.0, 3.0], [20.0, 0.0])
    """
    tr, cut = _transactions(
        customer_ids, times, amounts, {"end_time": end_time}, time_unit, resolution
    )
    n = tr.ids.size
    st = _customer_stats(_occasions(tr.cust, tr.key, n), tr.cust, tr.key, tr.amount, n)
    frequency, recency, big_t, monetary = _summary_columns(st, cut["end_time"], tr.to_units)
    return TransactionSummary(tr.ids, frequency, recency, big_t, monetary, time_unit)


def calibration_holdout_summary(
    customer_ids: ArrayLike,
    times: ArrayLike,
    amounts: ArrayLike | None = None,
    *,
    split_time: TimeLike,
    end_time: TimeLike,
    time_unit: str = "weeks",
    resolution: str | float | None = None,
) -> CalibrationHoldoutSummary:
    """Split transactions at ``split_time``: calibration summary and holdout counts.

    Args:
        customer_ids: Customer of each transaction (str or int).
        times: Time of each transaction: numbers, or ``numpy.datetime64`` values.
        amounts: Optional value of each transaction.
        split_time: End of the calibration window (inclusive).
        end_time: End of the holdout window (inclusive), not before ``split_time``.
        time_unit: Unit of the durations (see `summarise_transactions`).
        resolution: Length of a purchase occasion (see `summarise_transactions`).

    Returns:
        The summary of the customers whose first purchase is in the calibration window.

    Raises:
        DataError: If an input is malformed or ``end_time`` precedes ``split_time``.

    Example:
        >>> s = calibration_holdout_summary([1, 1, 1, 2, 3], [0.0, 2.0, 5.0, 1.0, 4.5],
        ...                                 split_time=3.0, end_time=6.0, time_unit="days")
        >>> s.customer_ids.tolist(), s.frequency.tolist(), s.frequency_holdout.tolist()
        ([1, 2], [1.0, 0.0], [1.0, 0.0])
        >>> s.T.tolist(), s.duration_holdout
        ([3.0, 2.0], 3.0)
    """
    tr, cut = _transactions(
        customer_ids,
        times,
        amounts,
        {"split_time": split_time, "end_time": end_time},
        time_unit,
        resolution,
    )
    split, end = cut["split_time"], cut["end_time"]
    if end < split:
        raise DataError(f"end_time ({end_time!r}) must not be before split_time ({split_time!r})")
    n_all = tr.ids.size
    occ = _occasions(tr.cust, tr.key, n_all)
    cal = occ.key <= split  # a mask keeps the (customer, key) order: no second sort
    cal_occ = _Occasions(occ.cust[cal], occ.key[cal])
    st = _customer_stats(cal_occ, tr.cust, tr.key, tr.amount, n_all, upto=split)
    frequency, recency, big_t, monetary = _summary_columns(st, split, tr.to_units)
    in_cohort = st.purchases > 0
    count_h = np.bincount(occ.cust[~cal], minlength=n_all).astype(np.float64)
    total_h: FloatArray = np.zeros(n_all)
    if tr.amount is not None:
        later = np.where(tr.key > split, tr.amount, 0.0)
        total_h = np.bincount(tr.cust, weights=later, minlength=n_all).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary_h = np.where(count_h > 0, total_h / np.maximum(count_h, 1.0), 0.0)
    c = in_cohort
    return CalibrationHoldoutSummary(
        customer_ids=tr.ids[c],
        frequency=frequency[c],
        recency=recency[c],
        T=big_t[c],
        monetary_value=monetary[c],
        frequency_holdout=count_h[c],
        monetary_value_holdout=monetary_h[c],
        duration_holdout=float((end - split) * tr.to_units),
        time_unit=time_unit,
    )


def compare_holdout(
    model: _PurchaseModel, summary: CalibrationHoldoutSummary, *, max_frequency: int = 7
) -> HoldoutComparison:
    """Compare a fitted model's expected holdout purchases with what happened.

    The model predicts, for each customer, purchases in the holdout window from their
    calibration summary (BG/NBD eq. 10); the comparison gives per-customer values,
    totals, and means by calibration frequency (the paper's Figure 4 uses 0..7+).

    Args:
        model: A fitted purchase model, e.g. `BetaGeoModel`.
        summary: Output of `calibration_holdout_summary`.
        max_frequency: Last frequency bin; customers with more repeat purchases join it.

    Returns:
        The comparison.

    Example:
        >>> from custcare.churn import BetaGeoModel
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = calibration_holdout_summary([1, 1, 2], [0.0, 10.0, 5.0], split_time=39.0,
        ...                                 end_time=78.0)
        >>> c = compare_holdout(m, s)
        >>> c.total_actual, c.bin_customers[:2].tolist()
        (0.0, [1, 1])
    """
    predicted = np.asarray(
        model.expected_purchases(
            summary.duration_holdout, summary.frequency, summary.recency, summary.T
        ),
        dtype=np.float64,
    )
    actual = summary.frequency_holdout
    bins = np.minimum(summary.frequency, max_frequency).astype(np.int64)
    k = max_frequency + 1
    counts = np.bincount(bins, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_pred = np.bincount(bins, weights=predicted, minlength=k) / counts
        mean_act = np.bincount(bins, weights=actual, minlength=k) / counts
    return HoldoutComparison(
        predicted=predicted,
        actual=actual,
        total_predicted=float(predicted.sum()),
        total_actual=float(actual.sum()),
        mean_absolute_error=float(np.mean(np.abs(predicted - actual))) if actual.size else 0.0,
        frequency_bins=np.arange(k, dtype=np.int64),
        bin_customers=counts.astype(np.int64),
        bin_mean_predicted=mean_pred,
        bin_mean_actual=mean_act,
    )
