"""Who is this customer to us: member levels, RFM segments and the 80/20 value pyramid.

Three scorers, each with one vectorised batch path (`score_batch`, whose scores
carry the reasons as columns and build any row's full result) and a per-customer
path (`score`) that is a one-row view of it:

* `ThresholdTierScorer` (``loyalty.threshold``): seller member levels (会员等级)
  from completed spend and order counts, with the gap to the next level.
* `RFMScorer` (``loyalty.rfm``): recency, frequency and monetary scores 1..5 and
  a named segment (Champions, At risk, ...).
* `PyramidScorer` (``loyalty.pyramid``): the 80/20 value pyramid (二八法则) by
  margin-aware value, with each customer's level, rank and share of value.

Examples:
    >>> from custcare.datasets import sample_shop
    >>> from custcare.loyalty import ThresholdTierScorer
    >>> shop = sample_shop()
    >>> ThresholdTierScorer().score(shop.histories[0], as_of=shop.as_of).label_en
    'VIP'
"""

from custcare.loyalty._common import LevelLabel
from custcare.loyalty._value import (
    VALUE_SOURCES,
    HasCustomerValue,
    HasPredictedValue,
    customer_value,
    customer_value_columns,
)
from custcare.loyalty.pyramid import (
    DEFAULT_PYRAMID_LEVELS,
    FUTURE_SOURCE,
    PyramidConfig,
    PyramidResult,
    PyramidScorer,
    PyramidScores,
    PyramidState,
)
from custcare.loyalty.rfm import (
    DEFAULT_SEGMENTS,
    NO_PURCHASE,
    QUANTILES,
    RFMConfig,
    RFMResult,
    RFMScorer,
    RFMScores,
    RFMSegment,
    RFMState,
)
from custcare.loyalty.threshold import (
    DEFAULT_LEVELS,
    NON_MEMBER,
    ThresholdConfig,
    ThresholdTierScorer,
    TierLevel,
    TierResult,
    TierScores,
)

__all__ = [
    "DEFAULT_LEVELS",
    "DEFAULT_PYRAMID_LEVELS",
    "DEFAULT_SEGMENTS",
    "FUTURE_SOURCE",
    "NON_MEMBER",
    "NO_PURCHASE",
    "QUANTILES",
    "VALUE_SOURCES",
    "HasCustomerValue",
    "HasPredictedValue",
    "LevelLabel",
    "PyramidConfig",
    "PyramidResult",
    "PyramidScorer",
    "PyramidScores",
    "PyramidState",
    "RFMConfig",
    "RFMResult",
    "RFMScorer",
    "RFMScores",
    "RFMSegment",
    "RFMState",
    "ThresholdConfig",
    "ThresholdTierScorer",
    "TierLevel",
    "TierResult",
    "TierScores",
    "customer_value",
    "customer_value_columns",
]
