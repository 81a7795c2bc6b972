"""Typed views of the upstream scores ``churn.cause`` reads: the churn risk band.

A churn risk scorer's batch scores offer ``band`` and ``method`` columns
(`RiskBandScores`); its per-customer results offer ``band`` and ``method`` fields
(`RiskBandResult`). ``churn.cause`` reads them through these protocols, never by a
scorer's name and ``getattr``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = ["RiskBandResult", "RiskBandScores"]


@runtime_checkable
class RiskBandScores(Protocol):
    """Batch scores that give each customer's churn risk band and the method behind it.

    Examples:
        >>> class Bands:
        ...     band = np.array(["at_risk"])
        ...     method = np.array(["bgnbd"])
        >>> isinstance(Bands(), RiskBandScores)
        True
    """

    @property
    def band(self) -> NDArray[np.str_]:
        """The band code per row, e.g. ``"at_risk"``; ``""`` where there is none."""
        ...

    @property
    def method(self) -> NDArray[np.str_]:
        """The method per row that gave the band, e.g. ``"bgnbd"`` or ``"gap"``."""
        ...


@runtime_checkable
class RiskBandResult(Protocol):
    """A per-customer result that gives the churn risk band (e.g. ``ChurnRiskResult``).

    ``band`` may be a `custcare.models.LabelledEnum` member or a plain code; its
    ``str`` is the code.
    """

    @property
    def band(self) -> str:
        """The band code."""
        ...

    @property
    def method(self) -> str:
        """The method that gave the band."""
        ...
