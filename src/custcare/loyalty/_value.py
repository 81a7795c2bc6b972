"""What loyalty scorers read from other results: the customer's value, a predicted value.

Per-customer results are read through small runtime-checkable protocols
(`HasCustomerValue`, `HasPredictedValue`), the per-result twins of the batch
protocols `custcare.scoring.CustomerValueScores` and
`custcare.scoring.PredictedValueScores`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from custcare.scoring import Upstream

__all__ = ["VALUE_SOURCES", "HasCustomerValue", "HasPredictedValue", "customer_value"]

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
