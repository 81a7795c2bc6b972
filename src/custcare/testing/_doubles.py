"""Test doubles shipped with the kit."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import numpy as np

from custcare.batch import CustomerBatch
from custcare.models import CustomerHistory
from custcare.scoring import (
    BaseScorer,
    BatchScores,
    Reason,
    ScorerConfig,
    ScoreResult,
    ScorerTraits,
    Upstream,
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

    def _score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream
    ) -> ConstantResult:
        purchases = history.purchases
        return ConstantResult(
            scorer=self.name,
            customer_id=history.customer.id,
            as_of=as_of,
            value=self.config.value,
            purchases=len(purchases),
            reasons=(
                Reason(
                    code="testing.constant",
                    message=f"Constant value {self.config.value:g} for every customer.",
                    evidence=tuple(o.id for o in purchases[-1:]),
                ),
            ),
        )

    def score_batch(self, batch: CustomerBatch, *, as_of: datetime) -> BatchScores:
        """Vectorised path: the value and the purchase count of every customer."""
        counted = batch.until(as_of).order_count()
        return BatchScores.build(
            self.name,
            batch.customer_ids,
            {"value": np.full(batch.n_customers, self.config.value), "purchases": counted},
        )
