"""Reviews, complaints and order lines of a population as columns (stub, filled in next)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from custcare.models import CustomerHistory

__all__ = ["CareRecords", "records_from_histories"]


@dataclass(frozen=True, eq=False)
class CareRecords:
    """The records beside orders that churn causes and complaint priority read."""

    n_customers: int

    def until(self, cut: float) -> CareRecords:
        """The records known at ``cut`` (epoch seconds)."""
        return self

    def take(self, new_row: NDArray[np.int64]) -> CareRecords:
        """The records of the customers kept by ``new_row`` (old row -> new row, -1 = drop)."""
        return CareRecords(int((new_row >= 0).sum()))


def records_from_histories(histories: Sequence[CustomerHistory]) -> CareRecords:
    """Columns of the histories' reviews, complaints and order lines."""
    return CareRecords(len(histories))
