"""Columnar per-customer data for population work (vectorised numpy, no per-row loops)."""

from custcare.batch._columns import (
    MAX_CUSTOMER_TOTAL,
    MAX_CUSTOMER_UNITS,
    SECONDS_PER_DAY,
    CustomerBatch,
    from_histories,
    hash_text,
    to_epoch_seconds,
)
from custcare.batch._filter import (
    AttributeRange,
    FilterReport,
    FilterResult,
    PopulationFilter,
)
from custcare.batch._records import (
    DETAILED_RATINGS,
    NATURAL_MARKERS,
    CareRecords,
    records_from_histories,
)

__all__ = [
    "DETAILED_RATINGS",
    "MAX_CUSTOMER_TOTAL",
    "MAX_CUSTOMER_UNITS",
    "NATURAL_MARKERS",
    "SECONDS_PER_DAY",
    "AttributeRange",
    "CareRecords",
    "CustomerBatch",
    "FilterReport",
    "FilterResult",
    "PopulationFilter",
    "from_histories",
    "hash_text",
    "records_from_histories",
    "to_epoch_seconds",
]
