"""One customer's history: the customer and their orders, reviews and complaints."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from pydantic import model_validator
from pydantic_core import InitErrorDetails

from custcare.errors import CustcareUsageError, NaiveDatetimeError, NotYetCreatedError
from custcare.models._base import DomainModel, raise_errors, rule_error
from custcare.models.complaint import Complaint
from custcare.models.customer import Customer
from custcare.models.order import Order
from custcare.models.review import Review

__all__ = ["CustomerHistory", "Record", "check_moment", "population_until"]

Record = Order | Review | Complaint
"""Any dated record in a history."""


def _sort_key(record: Record) -> tuple[datetime, str]:
    return (record.time, record.id)


def check_moment(value: object, argument: str = "as_of") -> datetime:
    """Check a moment argument: an aware `datetime` (not a `date`), returned as is.

    Raises:
        CustcareUsageError: (code ``bad_argument``) if it is not a datetime, e.g. a
            `date`.
        NaiveDatetimeError: (a ``ValueError``) if it has no time zone.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> check_moment(datetime(2026, 1, 1, tzinfo=timezone.utc)).year
        2026
        >>> check_moment(date(2026, 1, 1))
        Traceback (most recent call last):
        ...
        custcare.errors.CustcareUsageError: as_of must be a timezone-aware datetime, got date ...
    """
    if not isinstance(value, datetime):
        raise CustcareUsageError(
            f"{argument} must be a timezone-aware datetime, got {type(value).__name__} "
            "(for a day, pass datetime(y, m, d, tzinfo=...) at the moment you mean)",
            code="bad_argument",
        )
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(argument, value)
    return value


class CustomerHistory(DomainModel):
    """A validated, time-sorted history of one customer.

    Checks, each failing with the field at fault and the rule; every problem is
    reported, not only the first, each at the record's place in the input (e.g.
    ``("orders", 3, "customer_id")``):

    * every order, review and complaint has ``customer_id == customer.id``
      (``foreign_record``);
    * record ids are unique across orders, reviews and complaints, so a reason's
      evidence id names exactly one record (``duplicate_id``);
    * a review or complaint that names an order names one in this history
      (``unknown_order``), and is not dated before that order was placed
      (``before_order``);
    * all orders share one currency (``mixed_currencies``; convert before building
      the history).

    Errors name ids, times and currencies, never the customer's personal data or
    text. Records are sorted by time, then id, so the same records in any order
    give an equal history.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from decimal import Decimal
        >>> from custcare import Customer, Order, OrderLine
        >>> t = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> h = CustomerHistory(
        ...     customer=Customer(id="u1", created_at=datetime(2025, 1, 1, tzinfo=timezone.utc)),
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

    @model_validator(mode="after")
    def _check_consistency(self) -> CustomerHistory:
        errors = self._consistency_errors()
        raise_errors(type(self).__name__, errors)
        # Sorted only now, so that error locations are places in the input.
        for kind, records in self._kinds():
            self.__dict__[kind] = tuple(sorted(records, key=_sort_key))
        return self

    def _consistency_errors(self) -> list[InitErrorDetails]:
        cid = self.customer.id
        errors: list[InitErrorDetails] = []
        seen: dict[str, str] = {}
        for kind, records in self._kinds():
            for i, record in enumerate(records):
                if record.customer_id != cid:
                    errors.append(
                        rule_error(
                            (kind, i, "customer_id"),
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
                            value=record.customer_id,
                        )
                    )
                if record.id in seen:
                    errors.append(
                        rule_error(
                            (kind, i, "id"),
                            "duplicate_id",
                            "{kind} id '{id}' is used twice (also in {other}); record ids "
                            "must be unique within a history",
                            {"kind": kind, "id": record.id, "other": seen[record.id]},
                            value=record.id,
                        )
                    )
                else:
                    seen[record.id] = kind
        if self.orders:
            first = min(self.orders, key=_sort_key)
            for i, order in enumerate(self.orders):
                if order.currency != first.currency:
                    errors.append(
                        rule_error(
                            ("orders", i, "currency"),
                            "mixed_currencies",
                            "orders use several currencies ({currency} here, {first} in the "
                            "first order '{first_id}'); convert them to one currency before "
                            "building the history",
                            {
                                "currency": order.currency,
                                "first": first.currency,
                                "first_id": first.id,
                            },
                            value=order.currency,
                        )
                    )
        orders = {o.id: o for o in self.orders}
        linked: list[tuple[str, int, Review | Complaint]] = [
            *(("reviews", i, r) for i, r in enumerate(self.reviews)),
            *(("complaints", i, c) for i, c in enumerate(self.complaints)),
        ]
        for kind, i, record in linked:
            if record.order_id is None:
                continue
            linked_order = orders.get(record.order_id)
            if linked_order is None:
                errors.append(
                    rule_error(
                        (kind, i, "order_id"),
                        "unknown_order",
                        "{kind} id '{id}' names order_id '{order_id}', which is not in this "
                        "history",
                        {"kind": kind, "id": record.id, "order_id": record.order_id},
                        value=record.order_id,
                    )
                )
            elif record.time < linked_order.placed_at:
                field = "posted_at" if isinstance(record, Review) else "opened_at"
                errors.append(
                    rule_error(
                        (kind, i, field),
                        "before_order",
                        "{kind} id '{id}' is dated {time}, before its order '{order_id}' was "
                        "placed ({placed})",
                        {
                            "kind": kind,
                            "id": record.id,
                            "time": record.time.isoformat(),
                            "order_id": linked_order.id,
                            "placed": linked_order.placed_at.isoformat(),
                        },
                        value=record.time,
                    )
                )
        return errors

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

    def exists_at(self, as_of: datetime) -> bool:
        """Whether the customer had been created by ``as_of`` (``created_at <= as_of``).

        Raises:
            CustcareUsageError: if ``as_of`` is not a datetime.
            NaiveDatetimeError: if ``as_of`` is naive.
        """
        return self.customer.created_at <= check_moment(as_of)

    def until(self, as_of: datetime) -> CustomerHistory:
        """The history as it was known at ``as_of``.

        Records dated after ``as_of`` are dropped, and facts on kept records that
        happened later (a payment, a delivery, a reply, a revision, a first
        response, a resolution, a dated reopen) are cleared, so nothing from the
        future leaks in. Tags dated after ``as_of`` (``Customer.tagged_at``) are
        dropped too. Undated facts count as known since their record began: an
        order's ``status`` (its history of changes is not recorded), a bare
        ``Complaint.reopened`` count, undated tags and the attributes.

        A customer created after ``as_of`` was not a customer then: the cut is
        refused. To cut a population, use `population_until`, which leaves such
        customers out.

        Args:
            as_of: A timezone-aware moment, any year from 1 to 9999.

        Raises:
            CustcareUsageError: (code ``bad_argument``) if ``as_of`` is not a
                datetime (e.g. a ``date``).
            NaiveDatetimeError: (a ``ValueError``) if ``as_of`` is naive.
            NotYetCreatedError: (a ``ValueError``) if the customer was created
                after ``as_of``.

        Examples:
            >>> from datetime import datetime, timezone
            >>> from custcare.datasets import sample_shop
            >>> h = sample_shop().histories[0]
            >>> early = h.until(h.customer.created_at)
            >>> (len(early.orders), len(early.reviews), len(early.complaints))
            (0, 0, 0)
        """
        check_moment(as_of)
        customer = self.customer
        if customer.created_at > as_of:
            raise NotYetCreatedError(customer.id, customer.created_at, as_of)
        return CustomerHistory.model_construct(
            customer=customer.known_at(as_of),
            orders=tuple(_clip(o, as_of) for o in self.orders if o.placed_at <= as_of),
            reviews=tuple(_clip(r, as_of) for r in self.reviews if r.posted_at <= as_of),
            complaints=tuple(_clip(c, as_of) for c in self.complaints if c.opened_at <= as_of),
        )

    def redacted(self) -> dict[str, Any]:
        """A JSON-ready dump with the customer's personal data and all texts masked.

        Examples:
            >>> from custcare.datasets import sample_shop
            >>> dump = sample_shop().histories[0].redacted()
            >>> dump["customer"]["phone"]
            '136****9241'
        """
        data = self.model_dump(mode="json")
        data["customer"] = self.customer.redacted()
        data["reviews"] = [r.redacted() for r in self.reviews]
        data["complaints"] = [c.redacted() for c in self.complaints]
        return data


def population_until(
    histories: Iterable[CustomerHistory], as_of: datetime
) -> list[CustomerHistory]:
    """The population as known at ``as_of``: each existing customer's history, cut.

    Customers created after ``as_of`` are left out (they were not customers then);
    the others are cut with `CustomerHistory.until`. Fitting a population model
    on ``population_until(histories, as_of)`` is what fitting "as of" means.

    Raises:
        CustcareUsageError: if ``as_of`` is not a datetime.
        NaiveDatetimeError: if ``as_of`` is naive.

    Examples:
        >>> from datetime import timedelta
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> first = min(h.customer.created_at for h in shop.histories)
        >>> len(population_until(shop.histories, first - timedelta(days=1)))
        0
        >>> len(population_until(shop.histories, shop.as_of)) == len(shop.histories)
        True
    """
    check_moment(as_of)
    return [h.until(as_of) for h in histories if h.customer.created_at <= as_of]


_LATER_FACTS: dict[type[DomainModel], tuple[tuple[str, ...], ...]] = {
    Order: (("paid_at",), ("delivered_at",)),
    Review: (("seller_replied_at",), ("revised_at", "revised_rating")),
    Complaint: (("first_response_at",), ("resolved_at",)),
}


def _clip(record: Record, as_of: datetime) -> Any:
    """The record with facts dated after ``as_of`` cleared (a copy; the record is kept)."""
    update: dict[str, Any] = {}
    for group in _LATER_FACTS[type(record)]:
        moment = getattr(record, group[0])
        if moment is not None and moment > as_of:
            update.update(dict.fromkeys(group))
    if isinstance(record, Complaint) and record.reopened_at and record.reopened_at[-1] > as_of:
        kept = tuple(t for t in record.reopened_at if t <= as_of)
        update.update(reopened_at=kept, reopened=len(kept))
    return record.model_copy(update=update) if update else record
