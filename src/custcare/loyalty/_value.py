"""What loyalty scorers read from other results: the customer's value, a predicted value.

Per-customer results are read through small runtime-checkable protocols
(`HasCustomerValue`, `HasPredictedValue`), the per-result twins of the batch
protocols `custcare.scoring.CustomerValueScores` and
`custcare.scoring.PredictedValueScores`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from custcare.scoring import CustomerValueScores, Upstream, UpstreamScores

__all__ = [
    "VALUE_SOURCES",
    "HasCustomerValue",
    "HasPredictedValue",
    "customer_value",
    "customer_value_columns",
]

VALUE_SOURCES: tuple[str, ...] = ("loyalty.pyramid", "loyalty.threshold", "loyalty.rfm")
"""Loyalty scorers whose results carry ``customer_value``, in the order they are read."""


@runtime_checkable
class HasCustomerValue(Protocol):
    """A result that gives the customer's value in ``[0, 1]`` (loyalty results).

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> from custcare.loyalty import ThresholdTierScorer
        >>> shop = sample_shop()
        >>> r = ThresholdTierScorer().score(shop.histories[0], as_of=shop.as_of)
        >>> isinstance(r, HasCustomerValue), r.customer_value
        (True, 0.75)
    """

    @property
    def customer_value(self) -> float:
        """The customer's value, in ``[0, 1]``."""
        ...


@runtime_checkable
class HasPredictedValue(Protocol):
    """A result that predicts the customer's future value in the shop's currency.

    ``None`` means no prediction (e.g. too little history).

    Examples:
        >>> from custcare.churn import ChurnRiskScorer
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> r = ChurnRiskScorer(method="gap").score(shop.histories[0], as_of=shop.as_of)
        >>> isinstance(r, HasPredictedValue), r.predicted_value
        (True, None)
    """

    @property
    def predicted_value(self) -> float | None:
        """The predicted future value, or None."""
        ...


def customer_value(upstream: Upstream) -> tuple[float, str | None]:
    """The customer's value in ``[0, 1]`` from loyalty results, and where it came from.

    Reads ``customer_value`` (`HasCustomerValue`) from the first result present in
    `VALUE_SOURCES` order that offers a number; ``(0.0, None)`` when none does.

    Examples:
        >>> customer_value({})
        (0.0, None)
    """
    for name in VALUE_SOURCES:
        result = upstream.get(name)
        if not isinstance(result, HasCustomerValue):
            continue
        value = result.customer_value
        if isinstance(value, float | int):
            return float(min(max(value, 0.0), 1.0)), name
    return 0.0, None


def customer_value_columns(
    upstream: UpstreamScores, n: int
) -> tuple[NDArray[np.float64], NDArray[np.str_]]:
    """Customer value in ``[0, 1]`` per row, and its source, from batch scores.

    The batch twin of `customer_value`: per row, the first of `VALUE_SOURCES`
    that gives one (``""`` as the source, value 0, when none does).

    Scores satisfying `CustomerValueScores` give a column; other scores with
    per-row results are read row by row through `custcare.loyalty.customer_value`,
    so a row gets the value the per-customer path would read.
    """
    value = np.zeros(n)
    source = np.full(n, "", dtype=object)
    todo = np.ones(n, dtype=np.bool_)
    for name in VALUE_SOURCES:
        scores = upstream.get(name)
        if scores is None or not todo.any():
            continue
        if isinstance(scores, CustomerValueScores):
            column = np.clip(np.nan_to_num(np.asarray(scores.customer_value, float)), 0.0, 1.0)
            value[todo], source[todo] = column[todo], name
            todo[:] = False
        elif scores.explain is not None:
            for i in np.flatnonzero(todo):
                v, s = customer_value({name: scores.result(int(i))})
                if s is not None:
                    value[i], source[i], todo[i] = v, s, False
    return value, source.astype(np.str_)
