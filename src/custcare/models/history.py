"""One customer's history: the customer and their orders, reviews and complaints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import field_validator, model_validator
from pydantic_core import PydanticCustomError

from custcare.models._base import DomainModel, _require_aware
from custcare.models.complaint import Complaint
from custcare.models.customer import Customer
from custcare.models.order import Order
from custcare.models.review import Review

__all__ = ["CustomerHistory", "Record"]

Record = Order | Review | Complaint
"""Any dated record in a history."""


def _sort_key(record: Record) -> tuple[datetime, str]:
    return (record.time, record.id)


class CustomerHistory(DomainModel):
    """A validated, time-sorted history of one customer.

    Checks, each failing with the field and the rule:

    * every order, review and complaint has ``customer_id == customer.id``;
    * record ids are unique across orders, reviews and complaints, so a reason's
      evidence id names exactly one record;
    * a review or complaint that names an order names one in this history, and is
      not dated before that order was placed;
    * all orders share one currency (convert before building the history).

    Records are sorted by time, then id, so the same records in any order give an
    equal history.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from decimal import Decimal
        >>> from custcare import Customer, Order, OrderLine
        >>> t = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> h = CustomerHistory(
        ...     customer=Customer(id="u1", created_at=t),
        ...     orders=[Order(id="o1", customer_id="u1", placed_at=t, currency="CNY",
        ...                   status="completed",
        ...                   lines=[OrderLine(sku="A", quantity=1, unit_price=Decimal("5"))])],
        ... )
        >>> h.currency, len(h.until(datetime(2026, 1, 1, tzinfo=timezone.utc)).orders)
        ('CNY', 0)
    """

    customer: Customer
    orders: tuple[Order, ...] = ()
    reviews: tuple[Review, ...] = ()
    complaints: tuple[Complaint, ...] = ()

    @field_validator("orders", "reviews", "complaints", mode="after")
    @classmethod
    def _sort(cls, records: tuple[Record, ...]) -> tuple[Record, ...]:
        return tuple(sorted(records, key=_sort_key))

    @model_validator(mode="after")
    def _check_consistency(self) -> CustomerHistory:
        cid = self.customer.id
        seen: dict[str, str] = {}
        for kind, records in self._kinds():
            for i, record in enumerate(records):
                if record.customer_id != cid:
                    raise PydanticCustomError(
                        "foreign_record",
                        "{kind}[{index}] (id '{id}') has customer_id '{other}', but this "
                        "history is customer '{cid}'",
                        {
                            "kind": kind,
                            "index": i,
                            "id": record.id,
                            "other": record.customer_id,
                            "cid": cid,
                        },
                    )
                if record.id in seen:
                    raise PydanticCustomError(
                        "duplicate_id",
                        "{kind} id '{id}' is used twice (also in {other}); record ids must be "
                        "unique within a history",
                        {"kind": kind, "id": record.id, "other": seen[record.id]},
                    )
                seen[record.id] = kind
        orders = {o.id: o for o in self.orders}
        currencies = sorted({o.currency for o in self.orders})
        if len(currencies) > 1:
            raise PydanticCustomError(
                "mixed_currencies",
                "orders use several currencies {currencies}; convert them to one currency "
                "before building the history",
                {"currencies": currencies},
            )
        linked: list[tuple[str, Review | Complaint]] = [
            *(("reviews", r) for r in self.reviews),
            *(("complaints", c) for c in self.complaints),
        ]
        for kind, record in linked:
            if record.order_id is None:
                continue
            order = orders.get(record.order_id)
            if order is None:
                raise PydanticCustomError(
                    "unknown_order",
                    "{kind} id '{id}' names order_id '{order_id}', which is not in this history",
                    {"kind": kind, "id": record.id, "order_id": record.order_id},
                )
            if record.time < order.placed_at:
                raise PydanticCustomError(
                    "before_order",
                    "{kind} id '{id}' is dated {time}, before its order '{order_id}' was "
                    "placed ({placed})",
                    {
                        "kind": kind,
                        "id": record.id,
                        "time": record.time.isoformat(),
                        "order_id": order.id,
                        "placed": order.placed_at.isoformat(),
                    },
                )
        return self

    def _kinds(self) -> Iterator[tuple[str, tuple[Record, ...]]]:
        yield "orders", self.orders
        yield "reviews", self.reviews
        yield "complaints", self.complaints

    @property
    def customer_id(self) -> str:
        """The customer's id."""
        return self.customer.id

    @property
    def currency(self) -> str | None:
        """The currency of the orders, or None when there are no orders."""
        return self.orders[0].currency if self.orders else None

    @property
    def record_ids(self) -> frozenset[str]:
        """Ids of every order, review and complaint in the history."""
        return frozenset(r.id for _, records in self._kinds() for r in records)

    @property
    def purchases(self) -> tuple[Order, ...]:
        """Orders that count as purchases (completed), in time order."""
        return tuple(o for o in self.orders if o.counts_as_purchase)

    def until(self, as_of: datetime) -> CustomerHistory:
        """The history as it was known at ``as_of``.

        Records dated after ``as_of`` are dropped, and facts on kept records that
        happened later (a delivery, a reply, a revision, a first response, a
        resolution) are cleared, so nothing from the future leaks in. An order's
        ``status`` is taken as given: its history of changes is not recorded.

        Args:
            as_of: A timezone-aware moment.

        Raises:
            ValueError: if ``as_of`` is naive.

        Examples:
            >>> from datetime import datetime, timezone
            >>> from custcare.datasets import sample_shop
            >>> h = sample_shop().histories[0]
            >>> early = h.until(datetime(2000, 1, 1, tzinfo=timezone.utc))
            >>> (len(early.orders), len(early.reviews), len(early.complaints))
            (0, 0, 0)
        """
        try:
            _require_aware(as_of)
        except PydanticCustomError as exc:
            raise ValueError(f"as_of: {exc.message()}") from None
        return CustomerHistory.model_construct(
            customer=self.customer,
            orders=tuple(_clip(o, as_of) for o in self.orders if o.placed_at <= as_of),
            reviews=tuple(_clip(r, as_of) for r in self.reviews if r.posted_at <= as_of),
            complaints=tuple(_clip(c, as_of) for c in self.complaints if c.opened_at <= as_of),
        )


_LATER_FACTS: dict[type[DomainModel], tuple[tuple[str, ...], ...]] = {
    Order: (("paid_at",), ("delivered_at",)),
    Review: (("seller_replied_at",), ("revised_at", "revised_rating")),
    Complaint: (("first_response_at",), ("resolved_at",)),
}


def _clip(record: Record, as_of: datetime) -> Any:
    """The record with facts dated after ``as_of`` cleared (a validated copy)."""
    update: dict[str, None] = {}
    for group in _LATER_FACTS[type(record)]:
        moment = getattr(record, group[0])
        if moment is not None and moment > as_of:
            update.update(dict.fromkeys(group))
    return record.model_copy(update=update) if update else record
