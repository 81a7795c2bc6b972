"""Complaints (抱怨/投诉) and their categories."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from custcare.models._base import AwareDatetime, DomainModel, NonEmptyStr
from custcare.models._labels import LabelledEnum
from custcare.models.review import Review

__all__ = ["Complaint", "ComplaintCategory", "ComplaintChannel"]


class ComplaintCategory(LabelledEnum):
    """The ten complaint reasons of the domain brief (auto-repair list), with labels.

    Examples:
        >>> ComplaintCategory("long_wait").label_zh
        '等待时间过长'
    """

    STAFF_ATTITUDE = ("staff_attitude", "服务态度差", "Staff attitude / poor service")
    OVERCHARGING = ("overcharging", "收费过高", "Charging too much")
    LONG_WAIT = ("long_wait", "等待时间过长", "Waiting too long")
    PRODUCT_QUALITY = ("product_quality", "产品质量问题", "Product quality")
    PROMISE_NOT_KEPT = ("promise_not_kept", "承诺未兑现", "Promise not kept")
    NOT_FIXED_FIRST_TIME = ("not_fixed_first_time", "一次未修好", "Not fixed the first time")
    WARRANTY_DISPUTE = ("warranty_dispute", "保修纠纷", "Warranty dispute")
    POOR_AFTER_SALES = ("poor_after_sales", "售后服务差", "Poor after-sales service")
    EXAGGERATED_ADVERTISING = (
        "exaggerated_advertising",
        "夸大宣传",
        "Exaggerated advertising",
    )
    UNTRUE = ("untrue", "不实投诉", "Untrue complaint")


class ComplaintChannel(LabelledEnum):
    """Where a complaint reached the shop. ``review`` is public; the others are private."""

    PHONE = ("phone", "电话", "Phone")
    CHAT = ("chat", "在线聊天", "Chat")
    EMAIL = ("email", "电子邮件", "Email")
    REVIEW = ("review", "评价", "Public review")
    IN_PERSON = ("in_person", "当面", "In person")

    @property
    def is_public(self) -> bool:
        """Whether other customers can see complaints on this channel."""
        return self is ComplaintChannel.REVIEW


class Complaint(DomainModel):
    """A customer complaint, opened on some channel and perhaps answered and resolved.

    Examples:
        >>> from datetime import datetime, timezone
        >>> c = Complaint(
        ...     id="c1", customer_id="u1", opened_at=datetime(2026, 5, 1, tzinfo=timezone.utc),
        ...     channel="phone", text="等了两个小时还没修好", category="long_wait",
        ... )
        >>> c.category.label_en, c.is_open
        ('Waiting too long', True)
    """

    id: NonEmptyStr
    customer_id: NonEmptyStr
    order_id: NonEmptyStr | None = None
    opened_at: AwareDatetime
    channel: ComplaintChannel
    text: str = ""
    category: ComplaintCategory | None = None
    promised_by: AwareDatetime | None = Field(
        default=None, description="When the shop promised the customer a fix or an answer."
    )
    first_response_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    reopened: Annotated[int, Field(ge=0, description="How many times it was reopened.")] = 0
    review_id: NonEmptyStr | None = Field(
        default=None, description="The review this complaint was raised from, if any."
    )

    @model_validator(mode="after")
    def _check_times(self) -> Complaint:
        for name in ("first_response_at", "resolved_at"):
            value = getattr(self, name)
            if value is not None and value < self.opened_at:
                raise PydanticCustomError(
                    "before_opened",
                    "{field} ({value}) must not be before opened_at ({opened})",
                    {
                        "field": name,
                        "value": value.isoformat(),
                        "opened": self.opened_at.isoformat(),
                    },
                )
        return self

    @property
    def is_open(self) -> bool:
        """True while the complaint has no ``resolved_at``."""
        return self.resolved_at is None

    @property
    def time(self) -> AwareDatetime:
        """The moment the record enters the history (``opened_at``)."""
        return self.opened_at

    @classmethod
    def from_review(
        cls, review: Review, *, id: str | None = None, category: ComplaintCategory | None = None
    ) -> Complaint:
        """Turn a negative (or neutral) review into an open complaint on the review channel.

        Args:
            review: The review; its rating must be 3 or lower (中差评).
            id: The complaint id; defaults to ``"review:<review id>"``.
            category: A category if already known.

        Raises:
            ValueError: if the review is positive (rating 4 or 5).

        Examples:
            >>> from datetime import datetime, timezone
            >>> r = Review(id="r9", customer_id="u1", rating=1, text="质量太差",
            ...            posted_at=datetime(2026, 5, 2, tzinfo=timezone.utc))
            >>> Complaint.from_review(r).id
            'review:r9'
        """
        if review.effective_rating > 3:
            raise ValueError(
                f"review {review.id!r} has rating {review.effective_rating}; only reviews "
                "rated 1..3 (negative or neutral) become complaints"
            )
        return cls(
            id=id if id is not None else f"review:{review.id}",
            customer_id=review.customer_id,
            order_id=review.order_id,
            opened_at=review.posted_at,
            channel=ComplaintChannel.REVIEW,
            text=review.text,
            category=category,
            first_response_at=review.seller_replied_at,
            review_id=review.id,
        )
