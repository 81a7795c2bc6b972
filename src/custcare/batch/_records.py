"""Reviews, complaints, deliveries and purchase lines of a population, as columns.

`CustomerBatch` holds the orders' money and times; `CareRecords` holds what the
``churn.cause`` and ``complaint.priority`` scorers read besides: every review and
complaint (with its text, for the classifier), each order's delivery promise and
delivery, the SKU and category of each purchase line, each customer's assigned
staff member and whether the customer is marked moved or deceased. Nothing else
about the customer is copied: no name, phone, e-mail, address, tags or attributes.

Times are epoch seconds (UTC) as in the batch; a missing time is NaN, a missing
id or category ``""``. Rows of the record tables are in no particular order; each
carries its customer's row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from custcare.models import ComplaintCategory, CustomerHistory

__all__ = ["DETAILED_RATINGS", "NATURAL_MARKERS", "CareRecords", "records_from_histories"]

NATURAL_MARKERS: tuple[str, ...] = tuple(
    sorted(
        {"moved", "moved_away", "relocated", "deceased", "搬家", "已搬走", "移民", "已故", "去世"}
    )
)
"""Customer tags (or attributes set to True) that mark a customer moved away or deceased.

Matched case-insensitively; `CareRecords.natural_markers` keeps which ones a
customer has, in this (sorted) order, never the tags themselves.
"""

DETAILED_RATINGS: tuple[str, ...] = ("description_match", "service_attitude", "logistics")
"""The columns of `CareRecords.review_detailed`, in order."""


def _frozen(arr: NDArray[Any]) -> NDArray[Any]:
    arr.flags.writeable = False
    return arr


def _rating(value: int | None) -> float:
    return np.nan if value is None else float(value)


def _texts(values: list[str]) -> NDArray[np.object_]:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return _frozen(out)


def _str(values: list[str]) -> NDArray[np.str_]:
    return _frozen(np.asarray(values, dtype=np.str_).reshape(-1))


def _float(values: list[float]) -> NDArray[np.float64]:
    return _frozen(np.asarray(values, dtype=np.float64).reshape(-1))


def _int(values: list[int]) -> NDArray[np.int64]:
    return _frozen(np.asarray(values, dtype=np.int64).reshape(-1))


def _bool(values: list[bool]) -> NDArray[np.bool_]:
    return _frozen(np.asarray(values, dtype=np.bool_).reshape(-1))


_NO_INTS: NDArray[np.int64] = np.empty(0, dtype=np.int64)
_NO_INTS.flags.writeable = False
_NO_FLOATS: NDArray[np.float64] = np.empty(0, dtype=np.float64)
_NO_FLOATS.flags.writeable = False


def _later(times: NDArray[np.float64], cut: float) -> NDArray[np.bool_]:
    """Where a fact is dated after ``cut`` (NaN, an unknown fact, never is)."""
    with np.errstate(invalid="ignore"):
        return times > cut


def _cleared(values: NDArray[Any], mask: NDArray[np.bool_], empty: Any) -> NDArray[Any]:
    if not mask.any():
        return values
    out = values.copy()
    out[mask] = empty
    return _frozen(out)


@dataclass(frozen=True, eq=False, repr=False)
class CareRecords:
    """The records beside orders that churn causes and complaint priority read, as columns.

    Build them with `records_from_histories` (`custcare.batch.from_histories` does),
    or from your own tables with `custcare.frames.batch_from_frames` (its
    ``reviews``, ``complaints`` and ``order_lines`` tables), which checks every
    cell before the columns go in.
    `until` and `take` cut them exactly as `CustomerHistory.until` and
    `CustomerBatch.take` do, so a batch and its records stay in step. The ``repr``
    shows sizes only: texts may hold personal data.

    Attributes:
        n_customers: Number of customers (rows of the batch).
        assigned_agent: ``(n,)`` the staff member who owns the relationship, ``""`` if none.
        natural_markers: ``(n, len(NATURAL_MARKERS))`` which `NATURAL_MARKERS` the
            customer's tags (or attributes set to True) hold.
        review_ids: ``(r,)`` review ids.
        review_customer: ``(r,)`` row of the reviewing customer.
        review_posted: ``(r,)`` when the review was posted.
        review_rating: ``(r,)`` the original star rating, 1..5.
        review_revised_rating: ``(r,)`` the revised rating, 0 when not (yet) revised.
        review_revised_at: ``(r,)`` when it was revised, NaN when not (yet).
        review_detailed: ``(r, 3)`` detailed ratings (`DETAILED_RATINGS`), NaN when not given.
        review_replied: ``(r,)`` the seller's reply time, NaN when none (yet).
        review_order_id: ``(r,)`` the order reviewed, ``""`` if none.
        review_text: ``(r,)`` the text (an object array of str).
        complaint_ids: ``(q,)`` complaint ids.
        complaint_customer: ``(q,)`` row of the complaining customer.
        complaint_opened: ``(q,)`` when it was opened.
        complaint_category: ``(q,)`` index of the recorded `ComplaintCategory`, -1 if none.
        complaint_public: ``(q,)`` raised on a public channel (a review).
        complaint_first_response: ``(q,)`` the first response, NaN when none (yet).
        complaint_resolved: ``(q,)`` when it was resolved, NaN while open.
        complaint_reopened: ``(q,)`` how many times it was reopened.
        complaint_review_id: ``(q,)`` the review it was raised from, ``""`` if none.
        complaint_order_id: ``(q,)`` the order it is about, ``""`` if none.
        complaint_promised_by: ``(q,)`` the promised fix time, NaN when none.
        complaint_text: ``(q,)`` the text (an object array of str).
        order_ids: ``(o,)`` every order's id, counted as a purchase or not.
        order_customer: ``(o,)`` row of the ordering customer.
        order_placed: ``(o,)`` when it was placed.
        order_counted: ``(o,)`` whether it counts as a purchase (completed).
        order_promised_delivery: ``(o,)`` the promised delivery time, NaN when none.
        order_delivered: ``(o,)`` the delivery time, NaN when not (yet) delivered.
        line_order: ``(l,)`` the row in the order table of each purchase line.
        line_sku: ``(l,)`` its SKU.
        line_category: ``(l,)`` its product category, ``""`` if none.
        marker_since: ``(n, len(NATURAL_MARKERS))`` since when each marker is known
            (the earliest ``Customer.tagged_at`` of its tags; an undated tag or an
            attribute counts from ``created_at``), NaN where the marker is absent;
            None when every marker counts as known from the start.
        reopen_complaint: ``(k,)`` the complaint row of each dated reopen
            (``Complaint.reopened_at``); a bare reopen count has none.
        reopen_time: ``(k,)`` when it was reopened.
    """

    n_customers: int
    assigned_agent: NDArray[np.str_]
    natural_markers: NDArray[np.bool_]
    review_ids: NDArray[np.str_]
    review_customer: NDArray[np.int64]
    review_posted: NDArray[np.float64]
    review_rating: NDArray[np.int64]
    review_revised_rating: NDArray[np.int64]
    review_revised_at: NDArray[np.float64]
    review_detailed: NDArray[np.float64]
    review_replied: NDArray[np.float64]
    review_order_id: NDArray[np.str_]
    review_text: NDArray[np.object_]
    complaint_ids: NDArray[np.str_]
    complaint_customer: NDArray[np.int64]
    complaint_opened: NDArray[np.float64]
    complaint_category: NDArray[np.int64]
    complaint_public: NDArray[np.bool_]
    complaint_first_response: NDArray[np.float64]
    complaint_resolved: NDArray[np.float64]
    complaint_reopened: NDArray[np.int64]
    complaint_review_id: NDArray[np.str_]
    complaint_order_id: NDArray[np.str_]
    complaint_promised_by: NDArray[np.float64]
    complaint_text: NDArray[np.object_]
    order_ids: NDArray[np.str_]
    order_customer: NDArray[np.int64]
    order_placed: NDArray[np.float64]
    order_counted: NDArray[np.bool_]
    order_promised_delivery: NDArray[np.float64]
    order_delivered: NDArray[np.float64]
    line_order: NDArray[np.int64]
    line_sku: NDArray[np.str_]
    line_category: NDArray[np.str_]
    marker_since: NDArray[np.float64] | None = None
    reopen_complaint: NDArray[np.int64] = field(default_factory=lambda: _NO_INTS)
    reopen_time: NDArray[np.float64] = field(default_factory=lambda: _NO_FLOATS)

    @classmethod
    def empty(cls, n_customers: int) -> CareRecords:
        """Records of ``n_customers`` customers with no review, complaint or order.

        Examples:
            >>> CareRecords.empty(3)
            CareRecords(n_customers=3, reviews=0, complaints=0, orders=0, lines=0)
        """
        return records_from_histories([])._with_customers(n_customers)

    def _with_customers(self, n: int) -> CareRecords:
        return replace(
            self,
            n_customers=n,
            assigned_agent=_frozen(np.full(n, "", dtype=np.str_)),
            natural_markers=_frozen(np.zeros((n, len(NATURAL_MARKERS)), dtype=np.bool_)),
            marker_since=None,
        )

    def __repr__(self) -> str:
        return (
            f"CareRecords(n_customers={self.n_customers}, reviews={self.review_ids.size}, "
            f"complaints={self.complaint_ids.size}, orders={self.order_ids.size}, "
            f"lines={self.line_order.size})"
        )

    # --- derived columns ------------------------------------------------------------------

    @property
    def review_effective_rating(self) -> NDArray[np.int64]:
        """``(r,)`` the revised rating when revised (追评/改评), else the original."""
        return np.where(
            self.review_revised_rating > 0, self.review_revised_rating, self.review_rating
        )

    @property
    def review_negative(self) -> NDArray[np.bool_]:
        """``(r,)`` neutral or negative (中差评): an effective rating of 3 or lower."""
        return self.review_effective_rating <= 3

    @property
    def complaint_open(self) -> NDArray[np.bool_]:
        """``(q,)`` the complaint has no resolution (yet)."""
        return np.isnan(self.complaint_resolved)

    @property
    def order_delivered_late(self) -> NDArray[np.bool_]:
        """``(o,)`` delivered after the promised delivery time (both known)."""
        with np.errstate(invalid="ignore"):
            return self.order_delivered > self.order_promised_delivery

    # --- cutting ---------------------------------------------------------------------------

    def until(self, cut: float) -> CareRecords:
        """The records as known at ``cut`` (epoch seconds): `CustomerHistory.until` on columns.

        Reviews, complaints and orders dated after ``cut`` are dropped; on those
        kept, facts dated after it are cleared: a seller's reply, a revision (time
        and rating), a first response, a resolution, a delivery. Customers are kept.
        Returns ``self`` when nothing changes.

        Examples:
            >>> from custcare.datasets import sample_shop
            >>> records = records_from_histories(sample_shop().histories)
            >>> records.until(0.0).review_ids.size, records.until(float("inf")) is records
            (0, True)
        """
        keep_r = self.review_posted <= cut
        keep_q = self.complaint_opened <= cut
        keep_o = self.order_placed <= cut
        replied = _later(self.review_replied, cut)
        revised = _later(self.review_revised_at, cut)
        responded = _later(self.complaint_first_response, cut)
        resolved = _later(self.complaint_resolved, cut)
        delivered = _later(self.order_delivered, cut)
        markers, since = self.natural_markers, self.marker_since
        if since is not None:
            with np.errstate(invalid="ignore"):
                known = since <= cut  # tagged later: not yet
            markers = markers & known
            since = np.where(known, since, np.nan) if not known.all() else since
        late_reopen = self.reopen_time > cut
        dropped = not (keep_r.all() and keep_q.all() and keep_o.all())
        later = bool(
            replied.any()
            or revised.any()
            or responded.any()
            or resolved.any()
            or late_reopen.any()
            or not np.array_equal(markers, self.natural_markers)
        )
        if not dropped and not later and not delivered.any():
            return self
        line_keep = keep_o[self.line_order]
        new_order = np.cumsum(keep_o) - 1
        reopened = self.complaint_reopened - np.bincount(
            self.reopen_complaint[late_reopen], minlength=self.complaint_ids.size
        )
        reopen_keep = ~late_reopen & keep_q[self.reopen_complaint]
        new_complaint = np.cumsum(keep_q) - 1
        return CareRecords(
            self.n_customers,
            self.assigned_agent,
            markers,
            self.review_ids[keep_r],
            self.review_customer[keep_r],
            self.review_posted[keep_r],
            self.review_rating[keep_r],
            _cleared(self.review_revised_rating, revised, 0)[keep_r],
            _cleared(self.review_revised_at, revised, np.nan)[keep_r],
            self.review_detailed[keep_r],
            _cleared(self.review_replied, replied, np.nan)[keep_r],
            self.review_order_id[keep_r],
            self.review_text[keep_r],
            self.complaint_ids[keep_q],
            self.complaint_customer[keep_q],
            self.complaint_opened[keep_q],
            self.complaint_category[keep_q],
            self.complaint_public[keep_q],
            _cleared(self.complaint_first_response, responded, np.nan)[keep_q],
            _cleared(self.complaint_resolved, resolved, np.nan)[keep_q],
            reopened[keep_q],
            self.complaint_review_id[keep_q],
            self.complaint_order_id[keep_q],
            self.complaint_promised_by[keep_q],
            self.complaint_text[keep_q],
            self.order_ids[keep_o],
            self.order_customer[keep_o],
            self.order_placed[keep_o],
            self.order_counted[keep_o],
            self.order_promised_delivery[keep_o],
            _cleared(self.order_delivered, delivered, np.nan)[keep_o],
            new_order[self.line_order[line_keep]],
            self.line_sku[line_keep],
            self.line_category[line_keep],
            since,
            new_complaint[self.reopen_complaint[reopen_keep]],
            self.reopen_time[reopen_keep],
        )._freeze()

    def take(self, new_row: NDArray[np.int64]) -> CareRecords:
        """The records of the customers kept by ``new_row`` (old row -> new row, -1 = drop).

        Examples:
            >>> from custcare.datasets import sample_shop
            >>> records = records_from_histories(sample_shop().histories[:3])
            >>> back = records.take(np.array([-1, 0, -1]))
            >>> back.n_customers, set(back.review_customer.tolist()) <= {0}
            (1, True)
        """
        new_row = np.asarray(new_row, dtype=np.int64)
        kept = new_row >= 0
        n = int(kept.sum())
        old = np.flatnonzero(kept)
        placed = np.empty(n, dtype=np.int64)
        placed[new_row[old]] = old  # new row -> old row
        keep_r = new_row[self.review_customer] >= 0
        keep_q = new_row[self.complaint_customer] >= 0
        keep_o = new_row[self.order_customer] >= 0
        line_keep = keep_o[self.line_order]
        new_order = np.cumsum(keep_o) - 1
        reopen_keep = keep_q[self.reopen_complaint]
        new_complaint = np.cumsum(keep_q) - 1
        return CareRecords(
            n,
            self.assigned_agent[placed],
            self.natural_markers[placed],
            self.review_ids[keep_r],
            new_row[self.review_customer[keep_r]],
            self.review_posted[keep_r],
            self.review_rating[keep_r],
            self.review_revised_rating[keep_r],
            self.review_revised_at[keep_r],
            self.review_detailed[keep_r],
            self.review_replied[keep_r],
            self.review_order_id[keep_r],
            self.review_text[keep_r],
            self.complaint_ids[keep_q],
            new_row[self.complaint_customer[keep_q]],
            self.complaint_opened[keep_q],
            self.complaint_category[keep_q],
            self.complaint_public[keep_q],
            self.complaint_first_response[keep_q],
            self.complaint_resolved[keep_q],
            self.complaint_reopened[keep_q],
            self.complaint_review_id[keep_q],
            self.complaint_order_id[keep_q],
            self.complaint_promised_by[keep_q],
            self.complaint_text[keep_q],
            self.order_ids[keep_o],
            new_row[self.order_customer[keep_o]],
            self.order_placed[keep_o],
            self.order_counted[keep_o],
            self.order_promised_delivery[keep_o],
            self.order_delivered[keep_o],
            new_order[self.line_order[line_keep]],
            self.line_sku[line_keep],
            self.line_category[line_keep],
            None if self.marker_since is None else self.marker_since[placed],
            new_complaint[self.reopen_complaint[reopen_keep]],
            self.reopen_time[reopen_keep],
        )._freeze()

    def _freeze(self) -> CareRecords:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and value.flags.writeable:
                value.flags.writeable = False
        return self


def records_from_histories(histories: Sequence[CustomerHistory]) -> CareRecords:
    """Columns of the histories' reviews, complaints, deliveries and purchase lines.

    One Python pass over the records (one tuple per record, turned into columns at
    the end); customer ``k`` is row ``k`` (the rows of `custcare.batch.from_histories`).
    Times are the same floats as `custcare.batch.to_epoch_seconds` gives.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> records = records_from_histories(shop.histories)
        >>> records.n_customers == len(shop.histories)
        True
        >>> records.review_ids.size == sum(len(h.reviews) for h in shop.histories)
        True
    """
    nan, inf = np.nan, np.inf
    agents: list[str] = []
    marks: list[tuple[bool, ...]] = []
    since: list[list[float]] = []
    reopens: list[tuple[int, float]] = []
    reviews: list[tuple[Any, ...]] = []
    complaints: list[tuple[Any, ...]] = []
    orders: list[tuple[Any, ...]] = []
    lines: list[tuple[int, str, str]] = []
    add_review, add_complaint = reviews.append, complaints.append
    add_order, add_line = orders.append, lines.append
    category_index = {c: i for i, c in enumerate(ComplaintCategory)}
    for row, h in enumerate(histories):
        c = h.customer
        agents.append(c.assigned_agent_id or "")
        # Which markers the customer has, and since when each is known: a dated tag
        # from its date; an undated tag or an attribute set to True from the
        # customer's creation (as CustomerHistory.until). inf: no such marker.
        created = c.created_at.timestamp()
        known = dict.fromkeys(NATURAL_MARKERS, inf)
        for tag in c.tags:
            m = tag.lower()
            if m in known:
                at = c.tagged_at[tag].timestamp() if tag in c.tagged_at else created
                known[m] = min(known[m], at)
        for key, value in c.attributes.items():
            if value is True and key.lower() in known:
                known[key.lower()] = min(known[key.lower()], created)
        marks.append(tuple(known[m] < inf for m in NATURAL_MARKERS))
        since.append([known[m] if known[m] < inf else nan for m in NATURAL_MARKERS])
        for r in h.reviews:
            d = r.detailed
            add_review(
                (
                    r.id,
                    row,
                    r.posted_at.timestamp(),
                    r.rating,
                    r.revised_rating or 0,
                    nan if r.revised_at is None else r.revised_at.timestamp(),
                    nan if d is None else _rating(d.description_match),
                    nan if d is None else _rating(d.service_attitude),
                    nan if d is None else _rating(d.logistics),
                    nan if r.seller_replied_at is None else r.seller_replied_at.timestamp(),
                    r.order_id or "",
                    r.text,
                )
            )
        for q in h.complaints:
            reopens.extend((len(complaints), t.timestamp()) for t in q.reopened_at)
            first, resolved, promised = q.first_response_at, q.resolved_at, q.promised_by
            add_complaint(
                (
                    q.id,
                    row,
                    q.opened_at.timestamp(),
                    -1 if q.category is None else category_index[q.category],
                    q.channel.is_public,
                    nan if first is None else first.timestamp(),
                    nan if resolved is None else resolved.timestamp(),
                    q.reopened,
                    q.review_id or "",
                    q.order_id or "",
                    nan if promised is None else promised.timestamp(),
                    q.text,
                )
            )
        for o in h.orders:
            counted = o.counts_as_purchase
            if counted:
                index = len(orders)
                for line in o.lines:
                    add_line((index, line.sku, line.category or ""))
            promised, delivered = o.promised_delivery_at, o.delivered_at
            add_order(
                (
                    o.id,
                    row,
                    o.placed_at.timestamp(),
                    counted,
                    nan if promised is None else promised.timestamp(),
                    nan if delivered is None else delivered.timestamp(),
                )
            )
    n = len(histories)
    r_cols = _columns(reviews, 12)
    q_cols = _columns(complaints, 12)
    o_cols = _columns(orders, 6)
    l_cols = _columns(lines, 3)
    detailed = np.stack([_float(r_cols[k]) for k in (6, 7, 8)], axis=1) if reviews else None
    return CareRecords(
        n,
        _str(agents),
        _frozen(np.asarray(marks, dtype=np.bool_).reshape(n, len(NATURAL_MARKERS))),
        _str(r_cols[0]),
        _int(r_cols[1]),
        _float(r_cols[2]),
        _int(r_cols[3]),
        _int(r_cols[4]),
        _float(r_cols[5]),
        _frozen(np.empty((0, len(DETAILED_RATINGS))) if detailed is None else detailed),
        _float(r_cols[9]),
        _str(r_cols[10]),
        _texts(r_cols[11]),
        _str(q_cols[0]),
        _int(q_cols[1]),
        _float(q_cols[2]),
        _int(q_cols[3]),
        _bool(q_cols[4]),
        _float(q_cols[5]),
        _float(q_cols[6]),
        _int(q_cols[7]),
        _str(q_cols[8]),
        _str(q_cols[9]),
        _float(q_cols[10]),
        _texts(q_cols[11]),
        _str(o_cols[0]),
        _int(o_cols[1]),
        _float(o_cols[2]),
        _bool(o_cols[3]),
        _float(o_cols[4]),
        _float(o_cols[5]),
        _int(l_cols[0]),
        _str(l_cols[1]),
        _str(l_cols[2]),
        _frozen(np.asarray(since, dtype=np.float64).reshape(n, len(NATURAL_MARKERS))),
        _int([k for k, _ in reopens]),
        _float([t for _, t in reopens]),
    )


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """The columns of a list of equal-length tuples (``width`` empty lists for none)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]
