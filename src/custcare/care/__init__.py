"""Care: how satisfied each customer is, and what the shop should do for them next.

* ``care.satisfaction`` (`SatisfactionScorer`): satisfaction on the seeds' scale
  (it's OK 40, satisfied 60, very satisfied 100), ``unknown`` when the customer
  said nothing, the weak part (process, quality, price), and the customer's effort.
"""

from custcare.care._labels import ActionKind, Channel, SatisfactionLevel, SatisfactionPart
from custcare.care._satisfaction import (
    COMPLAINT_PARTS,
    SatisfactionConfig,
    SatisfactionResult,
    SatisfactionScorer,
    SatisfactionScores,
)

__all__ = [
    "COMPLAINT_PARTS",
    "ActionKind",
    "Channel",
    "SatisfactionConfig",
    "SatisfactionLevel",
    "SatisfactionPart",
    "SatisfactionResult",
    "SatisfactionScorer",
    "SatisfactionScores",
]
