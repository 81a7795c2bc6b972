"""Orders (订单) and their lines. Money is `Decimal`; totals are derived, never stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from custcare.models._base import AwareDatetime, DomainModel, Money, NonEmptyStr
from custcare.models._labels import LabelledEnum

__all__ = ["COUNTED_STATUSES", "Order", "OrderLine", "OrderStatus"]


class OrderStatus(LabelledEnum):
    """The life of an order, Taobao-style.

    Examples:
        >>> OrderStatus("completed").label_zh
        '交易成功'
    """

    PENDING_PAYMENT = ("pending_payment", "等待买家付款", "Pending payment")
    PAID = ("paid", "买家已付款", "Paid")
    SHIPPED = ("shipped", "卖家已发货", "Shipped")
    COMPLETED = ("completed", "交易成功", "Completed")
    CANCELLED = ("cancelled", "交易关闭", "Cancelled")
    REFUNDED = ("refunded", "已退款", "Refunded")
    RETURNED = ("returned", "已退货", "Returned")


COUNTED_STATUSES: frozenset[OrderStatus] = frozenset({OrderStatus.COMPLETED})
"""Statuses that count as a purchase for spend, tiers and purchase frequency.

Only a completed order is money the customer has kept spending with the shop: a
pending, paid or shipped order can still be cancelled, refunded or returned.
"""


class OrderLine(DomainModel):
    """One SKU on an order.

    Examples:
        >>> from decimal import Decimal
        >>> OrderLine(sku="A1", quantity=3, unit_price=Decimal("9.90")).revenue
        Decimal('29.70')
    """

    sku: NonEmptyStr
    quantity: Annotated[int, Field(ge=1, strict=True)]
    unit_price: Money
    unit_cost: Money | None = None
    category: str | None = None

    @property
    def revenue(self) -> Decimal:
        """``quantity × unit_price``, before order-level discount."""
        return self.unit_price * self.quantity

    @property
    def cost(self) -> Decimal | None:
        """``quantity × unit_cost``, or None when the cost is unknown."""
        return None if self.unit_cost is None else self.unit_cost * self.quantity


class Order(DomainModel):
    """An order placed by one customer, in one currency.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from decimal import Decimal
        >>> o = Order(
        ...     id="o1", customer_id="u1", currency="CNY", status="completed",
        ...     placed_at=datetime(2026, 3, 1, 10, tzinfo=timezone.utc),
        ...     lines=[OrderLine(sku="A1", quantity=2, unit_price=Decimal("99"),
        ...                      unit_cost=Decimal("60"))],
        ...     discount=Decimal("10"),
        ... )
        >>> o.subtotal, o.total, o.margin
        (Decimal('198'), Decimal('188'), Decimal('68'))
    """

    id: NonEmptyStr
    customer_id: NonEmptyStr
    placed_at: AwareDatetime
    currency: Annotated[str, Field(description="ISO 4217 code, three capital letters.")]
    lines: Annotated[tuple[OrderLine, ...], Field(min_length=1)]
    discount: Money = Decimal(0)
    status: OrderStatus
    paid_at: AwareDatetime | None = None
    promised_delivery_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    channel: str | None = None

    @field_validator("currency")
    @classmethod
    def _check_currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isascii() or not value.isalpha() or not value.isupper():
            raise PydanticCustomError(
                "currency_code",
                "currency must be an ISO 4217 code of three capital letters, got '{value}'",
                {"value": value},
            )
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> Order:
        if self.discount > self.subtotal:
            raise PydanticCustomError(
                "discount_exceeds_subtotal",
                "discount ({discount}) must not exceed the lines' subtotal ({subtotal})",
                {"discount": str(self.discount), "subtotal": str(self.subtotal)},
            )
        for name in ("paid_at", "delivered_at", "promised_delivery_at"):
            value = getattr(self, name)
            if value is not None and value < self.placed_at:
                raise PydanticCustomError(
                    "before_placed",
                    "{field} ({value}) must not be before placed_at ({placed})",
                    {
                        "field": name,
                        "value": value.isoformat(),
                        "placed": self.placed_at.isoformat(),
                    },
                )
        return self

    @property
    def subtotal(self) -> Decimal:
        """Sum of the lines' revenue, before discount."""
        return sum((line.revenue for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        """What the customer pays: subtotal less discount."""
        return self.subtotal - self.discount

    @property
    def cost(self) -> Decimal | None:
        """Total cost of goods, or None when any line's cost is unknown."""
        costs = [line.cost for line in self.lines]
        if any(c is None for c in costs):
            return None
        return sum((c for c in costs if c is not None), Decimal(0))

    @property
    def margin(self) -> Decimal | None:
        """Gross profit (total less cost), or None when a line's cost is unknown."""
        cost = self.cost
        return None if cost is None else self.total - cost

    @property
    def counts_as_purchase(self) -> bool:
        """Whether this order counts for spend and frequency (see `COUNTED_STATUSES`)."""
        return self.status in COUNTED_STATUSES

    @property
    def is_discounted(self) -> bool:
        """Whether the order was bought with a discount."""
        return self.discount > 0

    @property
    def delivered_late(self) -> bool:
        """Delivered after the promised delivery time (both must be known)."""
        return (
            self.promised_delivery_at is not None
            and self.delivered_at is not None
            and self.delivered_at > self.promised_delivery_at
        )

    @property
    def time(self) -> AwareDatetime:
        """The moment the record enters the history (``placed_at``)."""
        return self.placed_at
