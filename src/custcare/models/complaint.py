"""Complaints (抱怨/投诉) and their categories."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_core import InitErrorDetails

from custcare.errors import DataError
from custcare.models._base import (
    MAX_COUNT,
    AwareDatetime,
    MasksText,
    NonEmptyStr,
    RecordText,
    raise_errors,
    rule_error,
)
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


class Complaint(MasksText):
    """A customer complaint, opened on some channel and perhaps answered and resolved.

    Reopens: ``reopened_at`` gives the time of each reopen (each not before
    ``opened_at``, and ``resolved_at``, when given, is the last resolution, not
    before any reopen); ``reopened`` is then their count. A bare ``reopened``
    count without times is still accepted and counts as known since
    ``opened_at``: give ``reopened_at`` so that
    `custcare.models.CustomerHistory.until` can cut reopens at a past moment.

    The text is the customer's own words: ``repr()`` masks it and `redacted` gives
    a dump with it masked.

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
    text: RecordText = ""
    category: ComplaintCategory | None = None
    promised_by: AwareDatetime | None = Field(
        default=None, description="When the shop promised the customer a fix or an answer."
    )
    first_response_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    reopened: Annotated[
        int, Field(ge=0, le=MAX_COUNT, description="How many times it was reopened.")
    ] = 0
    reopened_at: tuple[AwareDatetime, ...] = Field(
        default=(), description="When it was reopened, each time (sorted on validation)."
    )
    review_id: NonEmptyStr | None = Field(
        default=None, description="The review this complaint was raised from, if any."
    )

    @field_validator("reopened_at", mode="after")
    @classmethod
    def _sort_reopens(cls, value: tuple[datetime, ...]) -> tuple[datetime, ...]:
        return tuple(sorted(value))

    @model_validator(mode="after")
    def _check_times(self) -> Complaint:
        errors: list[InitErrorDetails] = []
        dated: list[tuple[tuple[int | str, ...], str, datetime]] = [
            ((name,), name, value)
            for name in ("first_response_at", "resolved_at")
            if (value := getattr(self, name)) is not None
        ]
        dated += [(("reopened_at", i), "reopened_at", t) for i, t in enumerate(self.reopened_at)]
        for loc, name, value in dated:
            if value < self.opened_at:
                errors.append(
                    rule_error(
                        loc,
                        "before_opened",
                        "{field} ({value}) must not be before opened_at ({opened})",
                        {
                            "field": name,
                            "value": value.isoformat(),
                            "opened": self.opened_at.isoformat(),
                        },
                        value=value,
                    )
                )
        if self.reopened_at:
            if "reopened" not in self.model_fields_set:
                self.__dict__["reopened"] = len(self.reopened_at)
            elif self.reopened != len(self.reopened_at):
                errors.append(
                    rule_error(
                        ("reopened",),
                        "reopen_count_mismatch",
                        "reopened ({count}) must equal the number of reopened_at times ({n})",
                        {"count": self.reopened, "n": len(self.reopened_at)},
                        value=self.reopened,
                    )
                )
            last = self.reopened_at[-1]
            if self.resolved_at is not None and self.resolved_at < last:
                errors.append(
                    rule_error(
                        ("resolved_at",),
                        "resolved_before_reopen",
                        "resolved_at ({value}) is before the last reopen ({last}); a complaint "
                        "reopened after its resolution is open (resolved_at None) until "
                        "resolved again",
                        {"value": self.resolved_at.isoformat(), "last": last.isoformat()},
                        value=self.resolved_at,
                    )
                )
        raise_errors(type(self).__name__, errors)
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
            DataError: (a ``ValueError``) if the review is positive (rating 4 or 5).

        Examples:
            >>> from datetime import datetime, timezone
            >>> r = Review(id="r9", customer_id="u1", rating=1, text="质量太差",
            ...            posted_at=datetime(2026, 5, 2, tzinfo=timezone.utc))
            >>> Complaint.from_review(r).id
            'review:r9'
        """
        if review.effective_rating > 3:
            raise DataError(
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
