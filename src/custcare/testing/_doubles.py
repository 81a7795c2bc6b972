"""Test doubles shipped with the kit."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import numpy as np

from custcare.batch import CustomerBatch
from custcare.scoring import (
    BaseScorer,
    BatchScores,
    Ragged,
    Reason,
    ReasonColumns,
    ReasonSlot,
    ScorerConfig,
    ScoreResult,
    ScorerTraits,
)

__all__ = ["ConstantConfig", "ConstantResult", "ConstantScorer"]


class ConstantConfig(ScorerConfig):
    """Parameters of `ConstantScorer`."""

    value: float = 1.0


class ConstantResult(ScoreResult):
    """The constant value, and how many purchases the customer had."""

    batch_columns: ClassVar[tuple[str, ...]] = ("value", "purchases")

    value: float
    purchases: int


class ConstantScorer(BaseScorer[ConstantConfig, ConstantResult]):
    """Gives every customer the same value: a minimal, contract-abiding scorer.

    Use it to test pipelines and reports without depending on a real model.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> ConstantScorer(value=3.0).score(shop.histories[0], as_of=shop.as_of).value
        3.0
    """

    name: ClassVar[str] = "testing.constant"
    description: ClassVar[str] = "Gives every customer the same value (a test double)."
    config_model = ConstantConfig
    traits: ClassVar[ScorerTraits] = ScorerTraits(batch=True)

    def _scores(self, batch: CustomerBatch, as_of: datetime) -> BatchScores:
        n = batch.n_customers
        counted = batch.order_count()
        last = np.zeros(0, dtype=np.int64)
        if batch.order_ids is not None and batch.n_orders:
            by = np.lexsort((batch.order_ids, batch.order_time, batch.order_customer))
            cust = batch.order_customer[by]
            last = by[np.r_[cust[1:] != cust[:-1], True]]
        ids = np.zeros(0, dtype=np.str_) if batch.order_ids is None else batch.order_ids
        evidence = Ragged.cite(batch.order_customer[last], last, ids, n)
        reasons = ReasonColumns.build(n, [ReasonSlot("testing.constant", True, evidence)])
        value = self.config.value

        def explain(i: int) -> ConstantResult:
            return ConstantResult(
                scorer=self.name,
                customer_id=str(batch.customer_ids[i]),
                as_of=as_of,
                value=value,
                purchases=int(counted[i]),
                reasons=(
                    Reason(
                        code="testing.constant",
                        message=f"Constant value {value:g} for every customer.",
                        evidence=evidence.row(i),
                    ),
                ),
            )

        return BatchScores.build(
            self.name,
            batch.customer_ids,
            {"value": np.full(n, value), "purchases": counted},
            reasons=reasons,
            as_of=as_of,
            explain=explain,
        )
