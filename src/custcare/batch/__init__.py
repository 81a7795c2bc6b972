"""Columnar per-customer data for population work (vectorised numpy, no per-row loops)."""

from custcare.batch._columns import (
    SECONDS_PER_DAY,
    CustomerBatch,
    from_histories,
    to_epoch_seconds,
)

__all__ = ["SECONDS_PER_DAY", "CustomerBatch", "from_histories", "to_epoch_seconds"]
