"""Buyer reviews (评价) with the shop's dynamic rating dimensions."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import InitErrorDetails

from custcare.models._base import (
    AwareDatetime,
    DomainModel,
    MasksText,
    NonEmptyStr,
    RecordText,
    Text,
    raise_errors,
    rule_error,
)

__all__ = ["DetailedRatings", "Rating", "Review"]

Rating = Annotated[int, Field(ge=1, le=5, strict=True, description="A star rating, 1..5.")]


class DetailedRatings(DomainModel):
    """The shop's dynamic rating dimensions (店铺动态评分), each 1..5 when given.

    Examples:
        >>> DetailedRatings(description_match=5, service_attitude=2).service_attitude
        2
    """

    description_match: Rating | None = Field(default=None, description="宝贝与描述相符")
    service_attitude: Rating | None = Field(default=None, description="卖家的服务态度")
    logistics: Rating | None = Field(default=None, description="物流服务的质量")


class Review(MasksText):
    """A review posted by a customer, perhaps about one order, perhaps later revised.

    The text is the customer's own words: ``repr()`` masks it and `redacted` gives
    a dump with it masked.

    Examples:
        >>> from datetime import datetime, timezone
        >>> r = Review(id="r1", customer_id="u1", rating=2, text="物流太慢了",
        ...            posted_at=datetime(2026, 5, 2, tzinfo=timezone.utc))
        >>> r.is_negative, r.effective_rating
        (True, 2)
    """

    id: NonEmptyStr
    customer_id: NonEmptyStr
    order_id: NonEmptyStr | None = None
    posted_at: AwareDatetime
    rating: Rating
    detailed: DetailedRatings | None = None
    text: RecordText = ""
    language: Text | None = Field(
        default=None, description="BCP 47 tag of the text, e.g. 'zh', 'zh-Hant', 'en'."
    )
    seller_replied_at: AwareDatetime | None = None
    revised_rating: Rating | None = None
    revised_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _check_times(self) -> Review:
        errors: list[InitErrorDetails] = []
        for name in ("seller_replied_at", "revised_at"):
            value = getattr(self, name)
            if value is not None and value < self.posted_at:
                errors.append(
                    rule_error(
                        (name,),
                        "before_posted",
                        "{field} ({value}) must not be before posted_at ({posted})",
                        {
                            "field": name,
                            "value": value.isoformat(),
                            "posted": self.posted_at.isoformat(),
                        },
                        value=value,
                    )
                )
        if (self.revised_rating is None) != (self.revised_at is None):
            missing = "revised_at" if self.revised_at is None else "revised_rating"
            errors.append(
                rule_error(
                    (missing,),
                    "revision_incomplete",
                    "revised_rating and revised_at must be given together ({field} is missing)",
                    {"field": missing},
                    value=None,
                )
            )
        raise_errors(type(self).__name__, errors)
        return self

    @property
    def effective_rating(self) -> int:
        """The revised rating when the buyer revised it (追评/改评), else the original."""
        return self.revised_rating if self.revised_rating is not None else self.rating

    @property
    def is_negative(self) -> bool:
        """Neutral or negative (中差评): an effective rating of 3 or lower."""
        return self.effective_rating <= 3

    @property
    def time(self) -> AwareDatetime:
        """The moment the record enters the history (``posted_at``)."""
        return self.posted_at
