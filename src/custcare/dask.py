"""custcare on Dask: fit once on the whole population, score partitions in parallel.

An order log too big for one machine's memory is a Dask DataFrame split into
partitions. custcare's scoring is per customer once the population scorers are
fitted, so the log is scored in two passes:

1. **fit**: every partition is read into a `custcare.batch.CustomerBatch`
   (`custcare.frames.batch_from_frames`, the same rules as in memory) and cut to
   what fitting reads: the orders that count up to ``as_of``, as numbers (time,
   total, cost, units, discount flag; 33 bytes an order), and each customer's id
   and creation time. Order ids, uncounted orders, reviews and complaints are
   dropped. These fit batches are gathered, put in customer-id order, and the
   pipeline is fitted once on them (`custcare.scoring.Pipeline.fit`: the same
   code as in memory, so the fitted states are the same).
2. **score**: the fitted pipeline goes to the workers and each partition is
   scored with `Pipeline.run` (`map_partitions`); the result is a lazy Dask
   DataFrame of the `custcare.scoring.ResultTable` columns, reasons and
   evidence included, that ``to_parquet`` writes.

Each partition must hold whole customers (all their orders, reviews and
complaints). `OrderLog.from_frames` shuffles the tables by customer id for you
unless you say they are already partitioned that way; a customer found in two
partitions is an error, never a silent double row.

When even the fit batches are too big for the machine that fits, fit on a sample
of customers (``fit_fraction``): a customer is in it or not by a hash of their id,
so the sample is the same on every run.

Needs the ``dask`` extra (``pip install 'custcare[dask]'``). `score_frames` (one
partition's pandas tables to the result table) does not import Dask: Spark's
``applyInPandas`` calls it too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from custcare.batch import CustomerBatch
from custcare.errors import ColumnError, CustcareUsageError, DataError
from custcare.frames import (
    ComplaintColumns,
    CustomerColumns,
    OrderColumns,
    ReviewColumns,
    batch_from_frames,
)
from custcare.models import OrderStatus
from custcare.scoring import Pipeline, ResultTable
from custcare.scoring._scorer import check_as_of

__all__ = [
    "FIT_BYTES_PER_CUSTOMER",
    "FIT_BYTES_PER_ORDER",
    "FrameSpec",
    "OrderLog",
    "fit",
    "fit_batch",
    "result_frame",
    "run",
    "score_frames",
]

FIT_BYTES_PER_ORDER = 8 + 8 + 8 + 8 + 8 + 1
"""Bytes a counted order takes in a fit batch: customer row, time, total, cost, units,
discount flag (order ids, uncounted orders and care records are not kept)."""

FIT_BYTES_PER_CUSTOMER = 8
"""Bytes a customer takes in a fit batch besides their id (creation time); the id
takes 4 bytes a character (numpy text)."""

_TABLES = ("orders", "customers", "reviews", "complaints")


@dataclass(frozen=True)
class FrameSpec:
    """How to read one partition's pandas tables: the column mappings and options.

    Everything `custcare.frames.batch_from_frames` takes besides the tables, so a
    worker (Dask, or Spark's ``applyInPandas``) reads its partition exactly as the
    in-memory path reads the whole log. Small and picklable.

    Examples:
        >>> spec = FrameSpec(
        ...     columns=OrderColumns(customer_id="user", placed_at="t", total="amount"),
        ...     timezone="Asia/Shanghai", currency="CNY")
        >>> spec.customer_column("orders"), spec.customer_column("reviews")
        ('user', None)
    """

    columns: OrderColumns
    timezone: str
    currency: str | None = None
    customer_columns: CustomerColumns | None = None
    review_columns: ReviewColumns | None = None
    complaint_columns: ComplaintColumns | None = None
    status_map: Mapping[str, OrderStatus | str] | None = None
    ids_as_text: bool = False

    def customer_column(self, table: str) -> str | None:
        """The column holding the customer id in ``table`` (None: no such table)."""
        if table == "orders":
            return self.columns.customer_id
        if table == "customers":
            return None if self.customer_columns is None else self.customer_columns.id
        if table == "reviews":
            return None if self.review_columns is None else self.review_columns.customer_id
        if table == "complaints":
            return None if self.complaint_columns is None else self.complaint_columns.customer_id
        raise CustcareUsageError(f"no table {table!r}", code="bad_argument")

    def mapping(
        self, table: str
    ) -> OrderColumns | CustomerColumns | ReviewColumns | ComplaintColumns:
        """The column mapping of ``table`` (it must be given)."""
        found = {
            "orders": self.columns,
            "customers": self.customer_columns,
            "reviews": self.review_columns,
            "complaints": self.complaint_columns,
        }[table]
        if found is None:  # pragma: no cover - callers ask for given tables only
            raise CustcareUsageError(f"no column mapping for {table}", code="bad_argument")
        return found

    def order_keys(self) -> list[str]:
        """The columns a partition's orders are sorted by before they are read.

        Customer id, then order id when there is one (unique: a total order), else
        time, total, cost and units. Sums are then added in the same order however
        the rows were shuffled, so the results do not depend on the partitioning.
        """
        c = self.columns
        rest = [c.order_id] if c.order_id is not None else [c.placed_at, c.total, c.cost, c.units]
        return [c.customer_id, *(k for k in rest if k is not None)]

    def batch(
        self,
        orders: Any,
        *,
        customers: Any = None,
        reviews: Any = None,
        complaints: Any = None,
    ) -> CustomerBatch:
        """One partition's tables as a batch (`custcare.frames.batch_from_frames` rules).

        The orders are read in `order_keys` order (the batch's customers are then
        in id order too).

        Raises:
            ColumnError: a column is missing or a row breaks a rule (rows are
                numbered within the partition).
        """
        batch, _ = batch_from_frames(
            orders=orders.reset_index(drop=True).sort_values(self.order_keys(), kind="stable"),
            columns=self.columns,
            timezone=self.timezone,
            customers=customers,
            customer_columns=self.customer_columns,
            reviews=reviews,
            review_columns=self.review_columns,
            complaints=complaints,
            complaint_columns=self.complaint_columns,
            currency=self.currency,
            status_map=self.status_map,
            ids_as_text=self.ids_as_text,
        )
        return batch


def score_frames(
    pipeline: Pipeline,
    spec: FrameSpec,
    orders: Any,
    *,
    as_of: datetime,
    customers: Any = None,
    reviews: Any = None,
    complaints: Any = None,
) -> Any:
    """Score one partition's pandas tables with a fitted pipeline: the result table as pandas.

    The tables must hold whole customers (every order, review and complaint of
    each of their customers). This is what each Dask partition runs, and what a
    Spark ``groupBy(...).applyInPandas`` function calls. Needs pandas and pyarrow,
    not Dask.

    Returns:
        `result_frame` of the result table: one row per customer, the same
        columns for every partition (reason codes and evidence as Arrow lists).

    Examples:
        >>> import pytest
        >>> pd = pytest.importorskip("pandas")
        >>> from datetime import datetime, timezone
        >>> from custcare.loyalty import ThresholdTierScorer
        >>> orders = pd.DataFrame({"user": ["a", "a", "b"], "amount": [10.0, 990.0, 5.0],
        ...     "t": pd.to_datetime(["2026-01-02", "2026-03-04", "2026-05-06"], utc=True)})
        >>> spec = FrameSpec(columns=OrderColumns(customer_id="user", placed_at="t",
        ...     total="amount"), timezone="UTC", currency="CNY")
        >>> out = score_frames(Pipeline([ThresholdTierScorer(currency="CNY")]), spec, orders,
        ...     as_of=datetime(2026, 6, 30, tzinfo=timezone.utc))
        >>> out["customer_id"].tolist(), out["loyalty.threshold.level"].tolist()
        (['a', 'b'], ['senior_member', 'ordinary_member'])
    """
    as_of = check_as_of(as_of)
    batch = spec.batch(orders, customers=customers, reviews=reviews, complaints=complaints)
    return result_frame(pipeline.run(batch, as_of=as_of))


def result_frame(table: ResultTable) -> Any:
    """A result table as pandas, list columns (reason codes, evidence) Arrow-typed.

    ``ResultTable.to_pandas()`` with one difference: the list columns keep their
    Arrow type (``pandas.ArrowDtype``, list of text) instead of being Python
    objects, so an empty partition still tells Dask (and ``to_parquet``) their
    type. Every other column is as ``to_pandas`` gives it.

    Examples:
        >>> import pytest
        >>> _ = pytest.importorskip("pandas")
        >>> from custcare.datasets import sample_shop
        >>> from custcare.loyalty import ThresholdTierScorer
        >>> shop = sample_shop()
        >>> table = Pipeline([ThresholdTierScorer()]).run(shop.histories, as_of=shop.as_of)
        >>> str(result_frame(table)["loyalty.threshold.reason_codes"].dtype)
        'list<item: string>[pyarrow]'
    """
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    import pyarrow as pa

    def mapper(kind: Any) -> Any:
        return pd.ArrowDtype(kind) if pa.types.is_list(kind) else None

    return table.to_arrow().to_pandas(types_mapper=mapper)


def fit_batch(batch: CustomerBatch, *, as_of: datetime) -> CustomerBatch:
    """What fitting reads of a batch: counted orders up to ``as_of``, as numbers.

    Customers (ids and creation times) are all kept; order ids, the orders that
    do not count and the care records are dropped: no population scorer's fit
    reads them. `Pipeline.fit` on the concatenated fit batches of a log's
    partitions is `Pipeline.fit` on the whole log.

    Examples:
        >>> from datetime import datetime, timezone
        >>> b = CustomerBatch.from_arrays(customer_ids=["a"], created_at=[0.0],
        ...     order_customer=[0, 0], order_time=[1.0, 2e9], order_total=[1.0, 2.0],
        ...     currency="CNY", order_ids=["o1", "o2"])
        >>> f = fit_batch(b, as_of=datetime(2000, 1, 1, tzinfo=timezone.utc))
        >>> f.n_orders, f.order_ids is None
        (1, True)
    """
    cut = batch.until(check_as_of(as_of))
    return CustomerBatch(
        customer_ids=cut.customer_ids,
        created_at=cut.created_at,
        order_customer=cut.order_customer,
        order_time=cut.order_time,
        order_total=cut.order_total,
        order_cost=cut.order_cost,
        order_units=cut.order_units,
        order_discounted=cut.order_discounted,
        currency=cut.currency,
        timezone=cut.timezone,
    )


def _sample(batch: CustomerBatch, fraction: float) -> CustomerBatch:
    """The customers whose id hashes below ``fraction`` (the same ones on every run)."""
    if fraction >= 1.0:
        return batch
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    hashes = pd.util.hash_array(batch.customer_ids.astype(object))
    return batch.take(np.flatnonzero(hashes < np.uint64(fraction * 2.0**64)))


@dataclass(frozen=True)
class _FitPart:
    ids: NDArray[np.str_]  # every customer of the partition (split check)
    batch: CustomerBatch  # what the fit reads (a sample with fit_fraction < 1)


def _fit_part(
    spec: FrameSpec, as_of: datetime, fraction: float, tables: tuple[str, ...], *frames: Any
) -> _FitPart:
    given = dict(zip(tables, frames, strict=True))
    batch = spec.batch(
        given["orders"],
        customers=given.get("customers"),
        reviews=given.get("reviews"),
        complaints=given.get("complaints"),
    )
    return _FitPart(batch.customer_ids, _sample(fit_batch(batch, as_of=as_of), fraction))


def _fit_cell(
    spec: FrameSpec, as_of: datetime, fraction: float, tables: tuple[str, ...], *frames: Any
) -> Any:
    """`_fit_part` as the one cell of a one-row pandas frame (what `fit` gathers)."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    if all(len(f) == 0 for f in frames):  # Dask's meta, or an empty partition
        return pd.DataFrame({"part": pd.Series([], dtype=object)})
    cell = pd.Series([None], dtype=object)
    cell.iloc[0] = _fit_part(spec, as_of, fraction, tables, *frames)
    return pd.DataFrame({"part": cell})


def _score_part(
    pipeline: Pipeline, spec: FrameSpec, as_of: datetime, tables: tuple[str, ...], *frames: Any
) -> Any:
    given = dict(zip(tables, frames, strict=True))
    return score_frames(
        pipeline,
        spec,
        given["orders"],
        as_of=as_of,
        customers=given.get("customers"),
        reviews=given.get("reviews"),
        complaints=given.get("complaints"),
    )


def _concat(parts: list[CustomerBatch], timezone: str) -> CustomerBatch:
    """The fit batches of all partitions as one batch, customers in id order."""
    currencies = {p.currency for p in parts if p.currency is not None}
    if len(currencies) > 1:
        raise DataError(
            f"the partitions hold amounts in {len(currencies)} currencies "
            f"({', '.join(sorted(currencies))}); amounts in two currencies cannot be "
            "compared: convert them to one currency first"
        )
    offsets = np.cumsum([0, *(p.n_customers for p in parts)])
    ids = np.concatenate([p.customer_ids for p in parts])
    # Customers in id order, each one's orders together in the order they were read:
    # the batch the whole log sorted by `FrameSpec.order_keys` gives, whatever the
    # partitioning.
    rank = np.empty(ids.shape[0], dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(ids.shape[0])
    customer = rank[
        np.concatenate([p.order_customer + o for p, o in zip(parts, offsets[:-1], strict=True)])
    ]
    by = np.argsort(customer, kind="stable")

    def orders(column: Callable[[CustomerBatch], NDArray[Any]]) -> NDArray[Any]:
        return np.concatenate([column(p) for p in parts])[by]

    back = np.argsort(rank)
    whole = CustomerBatch(
        customer_ids=ids[back],
        created_at=np.concatenate([p.created_at for p in parts])[back],
        order_customer=customer[by],
        order_time=orders(lambda p: p.order_time),
        order_total=orders(lambda p: p.order_total),
        order_cost=orders(lambda p: p.order_cost),
        order_units=orders(lambda p: p.order_units),
        order_discounted=orders(lambda p: p.order_discounted),
        currency=currencies.pop() if currencies else None,
        timezone=timezone,
    )
    for column in (
        whole.customer_ids,
        whole.created_at,
        whole.order_customer,
        whole.order_time,
        whole.order_total,
        whole.order_cost,
        whole.order_units,
        whole.order_discounted,
    ):
        column.flags.writeable = False  # a batch is immutable, as from_arrays leaves it
    return whole


def _check_whole_customers(ids: list[NDArray[np.str_]]) -> None:
    """Raise if a customer id is in two partitions (counts only: ids may be personal)."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    every = pd.Index(np.concatenate(ids).astype(object)) if ids else pd.Index([])
    if every.has_duplicates:
        n = int(every.duplicated().sum())
        raise DataError(
            f"orders.customer_id: {n} customer(s) have rows in more than one partition "
            "[rule=customer_split_across_partitions]; every partition must hold whole "
            "customers: build the OrderLog with partitioned_by_customer=False (custcare "
            "shuffles by customer id), or repartition by customer id yourself"
        )


@dataclass(frozen=True)
class OrderLog:
    """A shop's order log (and reviews, complaints, customers) as Dask DataFrames.

    Build it with `OrderLog.from_frames`: the tables then have the same number of
    partitions and partition ``i`` of each holds the same customers, all of their
    rows. Fit with `fit`, score with `run`.

    Attributes:
        spec: How each partition is read (column mappings, time zone, currency).
        frames: The Dask DataFrames by table name (``"orders"`` and those given of
            ``"customers"``, ``"reviews"``, ``"complaints"``), partitioned alike.
    """

    spec: FrameSpec
    frames: Mapping[str, Any]

    @classmethod
    def from_frames(
        cls,
        *,
        orders: Any,
        columns: OrderColumns | Mapping[str, str | None],
        timezone: str,
        currency: str | None = None,
        customers: Any = None,
        customer_columns: CustomerColumns | Mapping[str, str | None] | None = None,
        reviews: Any = None,
        review_columns: ReviewColumns | Mapping[str, str | None] | None = None,
        complaints: Any = None,
        complaint_columns: ComplaintColumns | Mapping[str, str | None] | None = None,
        status_map: Mapping[str, OrderStatus | str] | None = None,
        ids_as_text: bool = False,
        partitioned_by_customer: bool = False,
    ) -> OrderLog:
        """Check the tables and partition them by customer id.

        Args:
            orders: A Dask DataFrame of orders, one row per order.
            columns: Which column holds what (`custcare.frames.OrderColumns`).
            timezone: The shop's IANA time zone.
            currency: The currency of every amount.
            customers: A Dask DataFrame of customers, with ``customer_columns``.
            customer_columns: Its columns (`custcare.frames.CustomerColumns`).
            reviews: A Dask DataFrame of reviews, with ``review_columns``.
            review_columns: Its columns (`custcare.frames.ReviewColumns`).
            complaints: A Dask DataFrame of complaints, with ``complaint_columns``.
            complaint_columns: Its columns (`custcare.frames.ComplaintColumns`).
            status_map: Your status words (as for `batch_from_frames`).
            ids_as_text: Write integer ids in decimal instead of refusing them.
            partitioned_by_customer: True when partition ``i`` of every table
                already holds whole customers, the same ones (e.g. written so);
                custcare then does not shuffle, and `fit` raises if a customer is
                in two partitions. False (default): every table is shuffled by
                its customer-id column into as many partitions as ``orders`` has.

        Raises:
            ColumnError: a mapped column is not in its table (rule ``missing_column``).
            CustcareUsageError: a table without its column mapping (or the reverse),
                a table that is not a Dask DataFrame, or (with
                ``partitioned_by_customer=True``) tables with different numbers of
                partitions.

        Examples:
            >>> import pytest
            >>> pd, dd = pytest.importorskip("pandas"), pytest.importorskip("dask.dataframe")
            >>> orders = pd.DataFrame({"user": ["a", "b", "a"], "amount": [10.0, 5.0, 7.0],
            ...     "t": pd.to_datetime(["2026-01-02", "2026-03-04", "2026-05-06"], utc=True)})
            >>> log = OrderLog.from_frames(orders=dd.from_pandas(orders, npartitions=2),
            ...     columns={"customer_id": "user", "placed_at": "t", "total": "amount"},
            ...     timezone="UTC", currency="CNY")
            >>> sorted(log.frames), log.frames["orders"].npartitions
            (['orders'], 2)
        """
        import dask.dataframe as dd

        def mapping(model: Any, given: Any, table: str, frame: Any) -> Any:
            if (given is None) != (frame is None):
                raise CustcareUsageError(
                    f"{table} and {table[:-1]}_columns go together: give both or neither",
                    code="bad_argument",
                )
            return None if given is None or isinstance(given, model) else model(**given)

        spec = FrameSpec(
            columns=columns if isinstance(columns, OrderColumns) else OrderColumns(**columns),
            timezone=timezone,
            currency=currency,
            customer_columns=mapping(CustomerColumns, customer_columns, "customers", customers),
            review_columns=mapping(ReviewColumns, review_columns, "reviews", reviews),
            complaint_columns=mapping(
                ComplaintColumns, complaint_columns, "complaints", complaints
            ),
            status_map=None if status_map is None else dict(status_map),
            ids_as_text=ids_as_text,
        )
        given = {
            "orders": orders,
            "customers": customers,
            "reviews": reviews,
            "complaints": complaints,
        }
        frames = {t: f for t, f in given.items() if f is not None}
        for table, frame in frames.items():
            if not isinstance(frame, dd.DataFrame):
                raise CustcareUsageError(
                    f"{table} must be a Dask DataFrame, got {type(frame).__name__} "
                    "(custcare.frames.batch_from_frames reads in-memory tables)",
                    code="bad_argument",
                )
            present = set(frame.columns)
            for field, column in spec.mapping(table).model_dump().items():
                if column is not None and column not in present:
                    raise ColumnError(
                        f"{table}.{column}",
                        "missing_column",
                        f"the {table} table has no column {column!r} (mapped as {field})",
                    )
        n = orders.npartitions
        if partitioned_by_customer:
            uneven = {t: f.npartitions for t, f in frames.items() if f.npartitions != n}
            if uneven:
                raise CustcareUsageError(
                    f"partitioned_by_customer=True, but orders has {n} partitions and "
                    + ", ".join(f"{t} {k}" for t, k in uneven.items())
                    + "; partition i of every table must hold the same customers",
                    code="bad_argument",
                )
        else:
            frames = {
                t: _shuffle(f, spec.customer_column(t), n, spec.ids_as_text)
                for t, f in frames.items()
            }
        return cls(spec, frames)

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables given, in a fixed order (orders first)."""
        return tuple(t for t in _TABLES if t in self.frames)


def _shuffle(frame: Any, column: str | None, npartitions: int, ids_as_text: bool) -> Any:
    """The frame hash-partitioned by its customer-id column (text, so tables agree)."""
    assert column is not None
    # Hash the id as text in every table, so partition i of each holds the same ids
    # whatever dtype each table stores them in.
    key = "__custcare_customer__"
    ids = frame[column].astype(str) if ids_as_text else frame[column]
    keyed = frame.assign(**{key: ids.astype(object)})
    return keyed.shuffle(on=key, npartitions=npartitions).drop(columns=[key])


def fit(
    pipeline: Pipeline,
    log: OrderLog,
    *,
    as_of: datetime,
    fit_fraction: float = 1.0,
    scheduler: str | None = None,
) -> Pipeline:
    """Fit the pipeline's population scorers once on the whole log; returns the pipeline.

    Each partition is read and cut to its fit batch (`fit_batch`) on the workers;
    the fit batches are gathered, put in customer-id order and fitted with
    `Pipeline.fit`. The results equal ``Pipeline.fit`` on the whole log read in
    memory with its customers in id order (the order only matters in the last bits
    of a model's parameters: summation order).

    Args:
        pipeline: The pipeline; scorers already fitted are kept as they are.
        log: The tables (`OrderLog.from_frames`).
        as_of: A timezone-aware moment.
        fit_fraction: Fit on this share of customers (0 < f <= 1), chosen by a hash
            of their id (the same customers on every run), when the fit batches of
            all customers do not fit in memory (see `FIT_BYTES_PER_ORDER`).
        scheduler: The Dask scheduler for this pass (``"threads"``,
            ``"processes"``, ``"sync"``; None: Dask's configured one).

    Raises:
        DataError: a customer is in two partitions (rule
            ``customer_split_across_partitions``; the message gives the count, no
            id), or the partitions hold two currencies.
        ColumnError: a row of a partition breaks a rule (`batch_from_frames`).
        CustcareUsageError: ``fit_fraction`` not in (0, 1].

    Examples:
        >>> import pytest
        >>> pd, dd = pytest.importorskip("pandas"), pytest.importorskip("dask.dataframe")
        >>> from datetime import datetime, timezone
        >>> from custcare.loyalty import RFMScorer
        >>> orders = pd.DataFrame({"user": ["a", "b", "a", "c"],
        ...     "amount": [10.0, 5.0, 7.0, 1.0], "t": pd.to_datetime(
        ...     ["2026-01-02", "2026-03-04", "2026-05-06", "2026-06-01"], utc=True)})
        >>> log = OrderLog.from_frames(orders=dd.from_pandas(orders, npartitions=2),
        ...     columns={"customer_id": "user", "placed_at": "t", "total": "amount"},
        ...     timezone="UTC", currency="CNY")
        >>> as_of = datetime(2026, 6, 30, tzinfo=timezone.utc)
        >>> fitted = fit(Pipeline([RFMScorer()]), log, as_of=as_of, scheduler="sync")
        >>> fitted.order
        ('loyalty.rfm',)
        >>> fit(Pipeline([RFMScorer()]), log, as_of=as_of, fit_fraction=0.0)
        Traceback (most recent call last):
        ...
        custcare.errors.CustcareUsageError: fit_fraction must be in (0, 1], got 0.0 [code=...]
    """
    import dask

    as_of = check_as_of(as_of)
    if not (isinstance(fit_fraction, (int, float)) and 0.0 < fit_fraction <= 1.0):
        raise CustcareUsageError(
            f"fit_fraction must be in (0, 1], got {fit_fraction!r}", code="bad_argument"
        )
    import dask.dataframe as dd
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    from dask.base import compute

    # Each partition's fit part travels as the one cell of a one-row frame, and the
    # graph is fused, so reading a partition and cutting it are one task: with the
    # process scheduler only the small fit part comes back to this process, never
    # the partition's rows (unfused, every partition passes through this process).
    cells = dd.map_partitions(  # type: ignore[no-untyped-call,unused-ignore]
        _fit_cell,
        log.spec,
        as_of,
        float(fit_fraction),
        log.tables,
        *(log.frames[t] for t in log.tables),
        meta=pd.DataFrame({"part": pd.Series([], dtype=object)}),
        align_dataframes=False,
        enforce_metadata=False,
    )
    # One result per partition, not one concatenated frame: concatenating would
    # gather every fit part in one worker first (with 50M orders, 7.5 GB there).
    with dask.config.set({"dataframe.convert-string": False}):
        frames = compute(*cells.optimize(fuse=True).to_delayed(), scheduler=scheduler)  # type: ignore[no-untyped-call,unused-ignore]
    parts = [part for frame in frames for part in frame["part"]]
    del frames
    _check_whole_customers([p.ids for p in parts])
    batch = _concat([p.batch for p in parts], log.spec.timezone)
    return pipeline.fit(batch, as_of=as_of)


def run(pipeline: Pipeline, log: OrderLog, *, as_of: datetime) -> Any:
    """Score every partition with a fitted pipeline: a lazy Dask DataFrame of the results.

    Each partition becomes the `ResultTable` of its customers as pandas
    (`score_frames`, `result_frame`) through ``map_partitions``: its columns, reason
    codes and evidence as Arrow lists. Nothing runs until you compute it or write it
    (``.to_parquet(path)``). The pipeline is sent to the workers with the tasks
    (pickled by Dask); its fitted states are small. With the local process
    scheduler, fuse the graph before computing, so that a partition's rows and
    results stay in its worker: ``result.to_parquet(path, compute=False)
    .optimize(fuse=True).compute(scheduler="processes")``.

    Raises:
        NotFittedError: a population scorer is not fitted (call `fit` first).

    Examples:
        >>> import pytest
        >>> pd, dd = pytest.importorskip("pandas"), pytest.importorskip("dask.dataframe")
        >>> from datetime import datetime, timezone
        >>> from custcare.loyalty import RFMScorer
        >>> orders = pd.DataFrame({"user": ["a", "b", "a", "c"],
        ...     "amount": [10.0, 5.0, 7.0, 1.0], "t": pd.to_datetime(
        ...     ["2026-01-02", "2026-03-04", "2026-05-06", "2026-06-01"], utc=True)})
        >>> log = OrderLog.from_frames(orders=dd.from_pandas(orders, npartitions=2),
        ...     columns={"customer_id": "user", "placed_at": "t", "total": "amount"},
        ...     timezone="UTC", currency="CNY")
        >>> as_of = datetime(2026, 6, 30, tzinfo=timezone.utc)
        >>> pipeline = fit(Pipeline([RFMScorer()]), log, as_of=as_of, scheduler="sync")
        >>> out = run(pipeline, log, as_of=as_of).compute(scheduler="sync")
        >>> out.sort_values("customer_id")["loyalty.rfm.frequency"].tolist()
        [2, 1, 1]
    """
    import dask.dataframe as dd

    as_of = check_as_of(as_of)
    meta = _meta(pipeline, log, as_of)
    args = [log.frames[t] for t in log.tables]
    return dd.map_partitions(  # type: ignore[no-untyped-call,unused-ignore]
        _score_part,
        pipeline,
        log.spec,
        as_of,
        log.tables,
        *args,
        meta=meta,
        align_dataframes=False,
        enforce_metadata=False,
    )


def _meta(pipeline: Pipeline, log: OrderLog, as_of: datetime) -> Any:
    """The result's columns and dtypes: the pipeline run on the tables' empty metas.

    Also checks, before any work is sent out, that the pipeline is fitted.
    """
    empties = [log.frames[t]._meta for t in log.tables]
    return _score_part(pipeline, log.spec, as_of, log.tables, *empties)
