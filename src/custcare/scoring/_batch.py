"""Column results of a vectorised batch path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from custcare.batch import CustomerBatch

__all__ = ["BatchScorer", "BatchScores"]


@dataclass(frozen=True, eq=False)
class BatchScores:
    """The answers of a batch path, one array per column, one row per customer.

    The column names match fields of the scorer's per-customer result (listed in
    its ``batch_columns``), so both paths can be compared value by value.

    Examples:
        >>> import numpy as np
        >>> s = BatchScores.build("demo", np.array(["a", "b"]), {"score": np.array([1.0, 2.0])})
        >>> s["score"].tolist(), s.row("b")
        ([1.0, 2.0], {'score': 2.0})
    """

    scorer: str
    customer_ids: NDArray[np.str_]
    columns: Mapping[str, NDArray[Any]]

    @classmethod
    def build(
        cls, scorer: str, customer_ids: NDArray[np.str_], columns: Mapping[str, NDArray[Any]]
    ) -> BatchScores:
        """Freeze the arrays and check every column has one value per customer."""
        frozen: dict[str, NDArray[Any]] = {}
        for name, col in columns.items():
            arr = np.array(col, copy=True)
            if arr.shape[:1] != customer_ids.shape:
                raise ValueError(
                    f"batch column {name!r} has shape {arr.shape}, expected "
                    f"{customer_ids.shape[0]} rows"
                )
            arr.flags.writeable = False
            frozen[name] = arr
        return cls(scorer, customer_ids, MappingProxyType(frozen))

    def __getitem__(self, column: str) -> NDArray[Any]:
        return self.columns[column]

    def __len__(self) -> int:
        return int(self.customer_ids.shape[0])

    def row(self, customer_id: str) -> dict[str, Any]:
        """One customer's values as plain Python scalars."""
        hits = np.flatnonzero(self.customer_ids == customer_id)
        if hits.size == 0:
            raise KeyError(customer_id)
        i = int(hits[0])
        return {name: col[i].item() for name, col in self.columns.items()}


@runtime_checkable
class BatchScorer(Protocol):
    """A scorer with a vectorised path over `CustomerBatch` columns."""

    name: str

    def score_batch(self, batch: CustomerBatch, *, as_of: datetime) -> BatchScores:
        """Score every customer of the batch as of a moment, without per-row loops."""
        ...
