"""The customer's value in ``[0, 1]`` as other scorers read it from loyalty results."""

from __future__ import annotations

from custcare.scoring import Upstream

__all__ = ["VALUE_SOURCES", "customer_value"]

VALUE_SOURCES: tuple[str, ...] = ("loyalty.pyramid", "loyalty.threshold", "loyalty.rfm")
"""Loyalty scorers whose results carry ``customer_value``, in the order they are read."""


def customer_value(upstream: Upstream) -> tuple[float, str | None]:
    """The customer's value in ``[0, 1]`` from loyalty results, and where it came from.

    Reads ``customer_value`` from the first result present in `VALUE_SOURCES`
    order; ``(0.0, None)`` when none is.

    Examples:
        >>> customer_value({})
        (0.0, None)
    """
    for name in VALUE_SOURCES:
        value = getattr(upstream.get(name), "customer_value", None)
        if isinstance(value, float | int):
            return float(min(max(value, 0.0), 1.0)), name
    return 0.0, None
