"""Orders (订单) and their lines. Money is `Decimal`; totals are derived, never stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from custcare.models._base import (
    MAX_AMOUNT,
    MAX_QUANTITY,
    MONEY_CONTEXT,
    AwareDatetime,
    DomainModel,
    Money,
    NonEmptyStr,
    Text,
    UnitMoney,
    is_whole_minor_units,
    minor_unit_digits,
    money_sum,
    raise_errors,
    rule_error,
)
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


def _too_large(loc: tuple[int | str, ...], what: str, amount: Decimal) -> InitErrorDetails:
    return rule_error(
        loc,
        "amount_too_large",
        "{what} ({amount}) must be below {limit} (10^10), the largest amount custcare supports",
        {"what": what, "amount": str(amount), "limit": str(MAX_AMOUNT)},
        value=amount,
    )


_MULTIPLY = MONEY_CONTEXT.multiply
_ADD = MONEY_CONTEXT.add


class OrderLine(DomainModel):
    """One SKU on an order.

    ``quantity`` is 1 .. `MAX_QUANTITY`; ``unit_price`` and ``unit_cost`` are
    below `MAX_AMOUNT` with at most six decimal places, and so are the line's
    revenue and cost (``amount_too_large``). The order checks that revenue and
    cost are whole minor units of its currency.

    Examples:
        >>> from decimal import Decimal
        >>> OrderLine(sku="A1", quantity=3, unit_price=Decimal("9.90")).revenue
        Decimal('29.70')
    """

    sku: NonEmptyStr
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY, strict=True)]
    unit_price: UnitMoney
    unit_cost: UnitMoney | None = None
    category: Text | None = None

    @model_validator(mode="after")
    def _check_range(self) -> OrderLine:
        revenue, cost = self.revenue, self.cost
        if revenue >= MAX_AMOUNT or (cost is not None and cost >= MAX_AMOUNT):
            errors: list[InitErrorDetails] = []
            if revenue >= MAX_AMOUNT:
                errors.append(_too_large(("quantity",), "quantity × unit_price", revenue))
            if cost is not None and cost >= MAX_AMOUNT:
                errors.append(_too_large(("quantity",), "quantity × unit_cost", cost))
            raise_errors(type(self).__name__, errors)
        return self

    @property
    def revenue(self) -> Decimal:
        """``quantity × unit_price``, before order-level discount (exact)."""
        return _MULTIPLY(self.unit_price, self.quantity)

    @property
    def cost(self) -> Decimal | None:
        """``quantity × unit_cost`` (exact), or None when the cost is unknown."""
        return None if self.unit_cost is None else _MULTIPLY(self.unit_cost, self.quantity)


class Order(DomainModel):
    """An order placed by one customer, in one currency.

    Money is exact and in range: the discount, and each line's revenue and cost,
    must be whole minor units of the currency (cents for ``CNY``, yen for ``JPY``,
    fils for ``KWD``: `minor_unit_digits`), else ``sub_minor_unit``; the
    subtotal and the cost must stay below `MAX_AMOUNT` (``amount_too_large``).
    custcare never rounds money: a line of 100 × 0.004 is 0.40, but one unit at
    0.004 is refused, because no one can pay it. Every problem is reported, each
    at the field at fault (e.g. ``("lines", 2, "unit_price")``).

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
    currency: Annotated[Text, Field(description="ISO 4217 code, three capital letters.")]
    lines: Annotated[tuple[OrderLine, ...], Field(min_length=1)]
    discount: Money = Decimal(0)
    status: OrderStatus
    paid_at: AwareDatetime | None = None
    promised_delivery_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    channel: Text | None = None

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
        errors = self._money_errors()
        for name in ("paid_at", "delivered_at", "promised_delivery_at"):
            value = getattr(self, name)
            if value is not None and value < self.placed_at:
                errors.append(
                    rule_error(
                        (name,),
                        "before_placed",
                        "{field} ({value}) must not be before placed_at ({placed})",
                        {
                            "field": name,
                            "value": value.isoformat(),
                            "placed": self.placed_at.isoformat(),
                        },
                        value=value,
                    )
                )
        raise_errors(type(self).__name__, errors)
        return self

    def _money_errors(self) -> list[InitErrorDetails]:
        digits = minor_unit_digits(self.currency)
        subtotal = cost = Decimal(0)
        cost_known = True
        bad: list[tuple[tuple[int | str, ...], str, Decimal]] = []
        for i, line in enumerate(self.lines):
            revenue, line_cost = line.revenue, line.cost
            subtotal = _ADD(subtotal, revenue)
            if not is_whole_minor_units(revenue, digits):
                bad.append((("lines", i, "unit_price"), f"lines[{i}] revenue", revenue))
            if line_cost is None:
                cost_known = False
            else:
                cost = _ADD(cost, line_cost)
                if not is_whole_minor_units(line_cost, digits):
                    bad.append((("lines", i, "unit_cost"), f"lines[{i}] cost", line_cost))
        if not is_whole_minor_units(self.discount, digits):
            bad.append((("discount",), "discount", self.discount))
        errors = [
            rule_error(
                loc,
                "sub_minor_unit",
                "{what} ({amount}) is not a whole number of {currency} minor units "
                "({digits} decimal places); custcare does not round money, round it first",
                {"what": what, "amount": str(amount), "currency": self.currency, "digits": digits},
                value=amount,
            )
            for loc, what, amount in bad
        ]
        if subtotal >= MAX_AMOUNT:
            errors.append(_too_large(("lines",), "the subtotal", subtotal))
        if cost_known and cost >= MAX_AMOUNT:
            errors.append(_too_large(("lines",), "the cost", cost))
        if self.discount > subtotal:
            errors.append(
                rule_error(
                    ("discount",),
                    "discount_exceeds_subtotal",
                    "discount ({discount}) must not exceed the lines' subtotal ({subtotal})",
                    {"discount": str(self.discount), "subtotal": str(subtotal)},
                    value=self.discount,
                )
            )
        return errors

    @property
    def subtotal(self) -> Decimal:
        """Sum of the lines' revenue, before discount (exact)."""
        return money_sum(line.revenue for line in self.lines)

    @property
    def total(self) -> Decimal:
        """What the customer pays: subtotal less discount (exact)."""
        return MONEY_CONTEXT.subtract(self.subtotal, self.discount)

    @property
    def cost(self) -> Decimal | None:
        """Total cost of goods, or None when any line's cost is unknown."""
        costs = [line.cost for line in self.lines]
        if any(c is None for c in costs):
            return None
        return money_sum(c for c in costs if c is not None)

    @property
    def margin(self) -> Decimal | None:
        """Gross profit (total less cost), or None when a line's cost is unknown."""
        cost = self.cost
        return None if cost is None else MONEY_CONTEXT.subtract(self.total, cost)

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
