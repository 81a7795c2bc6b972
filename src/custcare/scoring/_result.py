"""What every scorer returns: a frozen result carrying its reasons."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from custcare.models import AwareDatetime

__all__ = ["Reason", "ScoreResult"]


class Reason(BaseModel):
    """One reason behind a score.

    Attributes:
        code: A stable machine string, e.g. ``"tier.spend_threshold_met"``.
        message: A short human sentence; personal data is masked.
        weight: This reason's share in the decision, in ``[0, 1]``.
        evidence: Ids of the records (orders, reviews, complaints) that support it.

    Examples:
        >>> Reason(code="churn.no_recent_purchase", message="No purchase for 120 days.",
        ...        weight=0.7, evidence=("o17",)).evidence
        ('o17',)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")]
    message: Annotated[str, Field(min_length=1)]
    weight: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    evidence: tuple[str, ...] = ()

    @field_validator("weight")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("weight must be a finite number")
        return value


class ScoreResult(BaseModel):
    """Base of every scorer's result.

    Subclasses add their own fields (a tier, a probability, a deadline). Results
    are frozen, reject unknown fields and round-trip through JSON exactly.

    Attributes:
        scorer: The registered name of the scorer that produced it.
        customer_id: Whose result it is.
        as_of: The moment the score describes; no record after it was used.
        reasons: Why, most important first.

    Examples:
        >>> from datetime import datetime, timezone
        >>> r = ScoreResult(scorer="demo.constant", customer_id="u1",
        ...                 as_of=datetime(2026, 1, 1, tzinfo=timezone.utc),
        ...                 reasons=(Reason(code="demo.constant", message="Always 1."),))
        >>> ScoreResult.model_validate_json(r.model_dump_json()) == r
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    scorer: Annotated[str, Field(min_length=1)]
    customer_id: Annotated[str, Field(min_length=1)]
    as_of: AwareDatetime
    reasons: tuple[Reason, ...]

    @property
    def evidence(self) -> frozenset[str]:
        """Every record id cited by any reason."""
        return frozenset(e for reason in self.reasons for e in reason.evidence)

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """The codes of the reasons, in order."""
        return tuple(reason.code for reason in self.reasons)
