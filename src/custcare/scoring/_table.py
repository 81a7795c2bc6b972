"""The result of a pipeline run: one row per customer, every scorer's columns and reasons."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, SerializeAsAny

from custcare.models import AwareDatetime
from custcare.scoring._batch import BatchScores, Ragged, arrow_text
from custcare.scoring._result import ScoreResult

if TYPE_CHECKING:
    from custcare.errors import ScoringError

__all__ = ["Report", "ResultTable"]


class Report(BaseModel):
    """Every scorer's result for one customer, by scorer name, in run order.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> from custcare.scoring import Pipeline
        >>> from custcare.testing import ConstantScorer
        >>> shop = sample_shop()
        >>> table = Pipeline([ConstantScorer()]).run(shop.histories[:1], as_of=shop.as_of)
        >>> list(table.explain(shop.histories[0].customer.id).results)
        ['testing.constant']
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: str
    as_of: AwareDatetime
    results: dict[str, SerializeAsAny[ScoreResult]]

    def __getitem__(self, scorer: str) -> ScoreResult:
        return self.results[scorer]


class ResultTable:
    """One row per customer: every scorer's columns, labels, reason codes and evidence.

    Columns are named ``"<scorer>.<column>"`` (e.g. ``"loyalty.threshold.level"``),
    after a first ``"customer_id"`` column. Each scorer adds ``"<scorer>.reason_codes"``
    (its reason codes, most important first) and ``"<scorer>.evidence"`` (ids of the
    records behind them). `explain` gives one customer's full results, exactly what
    the per-customer path returns.

    Convert it with no glue: ``pyarrow.table(t)``, ``polars.DataFrame(t)`` and
    ``pandas.DataFrame.from_arrow(t)`` read it through the Arrow stream interface
    (pyarrow installed); `to_pandas` does the last; `to_dict` gives numpy arrays.
    Missing numbers are NaN in numpy and null in Arrow.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> from custcare.loyalty import ThresholdTierScorer
        >>> from custcare.scoring import Pipeline
        >>> shop = sample_shop()
        >>> table = Pipeline([ThresholdTierScorer()]).run(shop.histories, as_of=shop.as_of)
        >>> cols = table.to_dict()
        >>> str(cols["customer_id"][0]), str(cols["loyalty.threshold.level"][0])
        ('C0001', 'vip')
        >>> cols["loyalty.threshold.reason_codes"][0][0]
        'loyalty.threshold.qualified'
        >>> table.explain("C0001")["loyalty.threshold"].label_zh
        'VIP会员'
    """

    def __init__(
        self,
        customer_ids: NDArray[np.str_],
        as_of: datetime,
        scores: Mapping[str, BatchScores],
        *,
        errors: tuple[ScoringError, ...] = (),
    ) -> None:
        for name, s in scores.items():
            if not np.array_equal(s.customer_ids, customer_ids):
                raise ValueError(f"scores of {name} are not for the table's customers")
        self._ids = customer_ids
        self._as_of = as_of
        self._scores = MappingProxyType(dict(scores))
        self._rows: dict[str, int] | None = None
        self._errors = errors

    @property
    def customer_ids(self) -> NDArray[np.str_]:
        """The customers, one per row."""
        return self._ids

    @property
    def as_of(self) -> datetime:
        """The moment every score describes."""
        return self._as_of

    @property
    def scorers(self) -> tuple[str, ...]:
        """Scorer names in run order."""
        return tuple(self._scores)

    @property
    def errors(self) -> tuple[ScoringError, ...]:
        """What failed in a ``Pipeline.run(..., errors="collect")``, in run order.

        Each `custcare.scoring.ScoringError` names the scorer and the customer (None
        when a batch path failed for everyone). Empty when nothing failed.
        """
        return self._errors

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def __getitem__(self, scorer: str) -> BatchScores:
        """One scorer's batch scores."""
        return self._scores[scorer]

    def __repr__(self) -> str:
        return f"ResultTable({len(self)} customers, scorers={list(self.scorers)})"

    def row_of(self, customer_id: str) -> int:
        """The row of a customer.

        Raises:
            KeyError: if the customer is not in the table.
        """
        if self._rows is None:
            self._rows = {str(c): i for i, c in enumerate(self._ids.tolist())}
        return self._rows[customer_id]

    def explain(self, customer_id: str) -> Report:
        """One customer's full results, reasons with messages, from every scorer.

        Each result equals what the scorer's per-customer ``score`` returns.

        Raises:
            KeyError: if the customer is not in the table.
        """
        i = self.row_of(customer_id)
        return Report(
            customer_id=customer_id,
            as_of=self._as_of,
            results={name: s.result(i) for name, s in self._scores.items()},
        )

    def reports(self) -> list[Report]:
        """Every customer's `Report`, in row order (builds every result: slow for millions)."""
        return [self.explain(str(c)) for c in self._ids.tolist()]

    def _parts(self) -> list[tuple[str, NDArray[Any] | Ragged]]:
        parts: list[tuple[str, NDArray[Any] | Ragged]] = [("customer_id", self._ids)]
        for name, s in self._scores.items():
            parts.extend((f"{name}.{col}", values) for col, values in s.columns.items())
            if s.reasons is not None:
                parts.append((f"{name}.reason_codes", s.reasons.code_lists()))
                parts.append((f"{name}.evidence", s.reasons.evidence_lists()))
        return parts

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """The columns as numpy arrays; reason codes and evidence as arrays of tuples.

        ``pandas.DataFrame(table.to_dict())`` works without pyarrow.
        """
        return {
            name: values.to_objects() if isinstance(values, Ragged) else values
            for name, values in self._parts()
        }

    def to_arrow(self) -> Any:
        """The table as a ``pyarrow.Table`` (list columns built without a Python loop).

        Raises:
            ImportError: if pyarrow is not installed.
        """
        try:
            import pyarrow as pa
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "ResultTable.to_arrow needs pyarrow: pip install 'custcare[frames]'"
            ) from exc
        parts = self._parts()
        arrays = []
        pools: dict[int, Any] = {}  # pools converted once; `parts` keeps them alive
        for _, values in parts:
            if isinstance(values, Ragged):
                arrays.append(values.to_arrow(pools))
            elif values.dtype.kind == "f":
                arrays.append(pa.array(values, from_pandas=True))  # NaN -> null
            elif values.dtype.kind == "U":
                arrays.append(arrow_text(values))
            else:
                arrays.append(pa.array(values))
        return pa.Table.from_arrays(arrays, names=[name for name, _ in parts])

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (through Arrow; needs pyarrow and pandas)."""
        return self.to_arrow().to_pandas()

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow PyCapsule stream interface: polars, pyarrow and pandas read it."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)
