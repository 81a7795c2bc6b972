"""Typed views of the upstream results ``care.plan`` reads: the churn cause.

A churn-cause result offers ``top_cause``, ``risk_band`` and ``low_confidence``
(`ChurnCauseView`, e.g. `custcare.churn.ChurnCauseResult`); batch scores that offer
them as columns (`ChurnCauseColumns`) are read without building per-row results.
``care.plan`` reads them through these protocols, never by a scorer's name and
``getattr``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = ["ChurnCauseColumns", "ChurnCauseView"]


@runtime_checkable
class ChurnCauseView(Protocol):
    """A per-customer result naming why the customer is leaving.

    ``top_cause`` may be a `custcare.models.LabelledEnum` member or a plain code;
    its ``str`` is the code (`custcare.churn.ChurnCause`).
    """

    @property
    def top_cause(self) -> str:
        """The most probable cause code, e.g. ``"price"``."""
        ...

    @property
    def risk_band(self) -> str:
        """The churn risk band the cause was found for, e.g. ``"at_risk"``."""
        ...

    @property
    def low_confidence(self) -> bool:
        """Whether the evidence is too thin to trust the cause."""
        ...


@runtime_checkable
class ChurnCauseColumns(Protocol):
    """Batch scores giving every row's churn cause as columns.

    Examples:
        >>> class Causes:
        ...     top_cause = np.array(["price"])
        ...     risk_band = np.array(["at_risk"])
        ...     low_confidence = np.array([False])
        >>> isinstance(Causes(), ChurnCauseColumns)
        True
    """

    @property
    def top_cause(self) -> NDArray[np.str_]:
        """The cause code per row."""
        ...

    @property
    def risk_band(self) -> NDArray[np.str_]:
        """The risk band per row, ``""`` where there is none."""
        ...

    @property
    def low_confidence(self) -> NDArray[np.bool_]:
        """Whether each row's cause is uncertain."""
        ...
