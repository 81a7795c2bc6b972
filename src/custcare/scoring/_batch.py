"""Column results of a vectorised batch path, with their reasons as columns too."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from custcare.batch import CustomerBatch, hash_text
from custcare.errors import CustcareUsageError
from custcare.scoring._result import ScoreResult

__all__ = [
    "BatchScorer",
    "BatchScores",
    "CustomerValueScores",
    "PredictedValueScores",
    "Ragged",
    "ReasonColumns",
    "ReasonSlot",
    "UpstreamScores",
    "check_upstream_rows",
]

ScoresT = TypeVar("ScoresT", bound="BatchScores")

_EMPTY_STR: NDArray[np.str_] = np.empty(0, dtype=np.str_)
_EMPTY_INT: NDArray[np.int64] = np.empty(0, dtype=np.int64)


def _frozen(arr: NDArray[Any]) -> NDArray[Any]:
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class Ragged:
    """Lists of strings of different lengths, one list per row, as flat arrays.

    Row ``i`` holds ``pool[index[offsets[i]:offsets[i + 1]]]``: the lists hold
    positions into a ``pool`` of strings (often the batch's own ``order_ids``), so
    a batch path cites records without copying their ids, and repeats are found by
    position. ``offsets`` is the layout of an Arrow list column, so a table
    converts without a Python loop.

    Examples:
        >>> r = Ragged.from_pairs(np.array([1, 0, 1]), np.array(["b1", "a1", "b2"]), 3)
        >>> r.row(0), r.row(1), r.row(2)
        (('a1',), ('b1', 'b2'), ())
        >>> ids = np.array(["o1", "o2", "o3"])
        >>> Ragged.cite(np.array([0, 0]), np.array([2, 0]), ids, 2).row(0)
        ('o3', 'o1')
    """

    offsets: NDArray[np.int64]
    index: NDArray[np.int64]
    pool: NDArray[np.str_]

    @classmethod
    def cite(
        cls,
        rows: NDArray[np.integer[Any]],
        positions: NDArray[np.integer[Any]],
        pool: NDArray[np.str_],
        n: int,
    ) -> Ragged:
        """Group the records at ``positions`` of ``pool`` by their owner ``rows``.

        Within a row, input order is kept. ``pool`` is held, not copied. It must
        hold each record once (the batch's order ids, say): repeats are found by
        position, so one record at two positions would be listed twice.
        """
        rows = np.asarray(rows, dtype=np.int64)
        positions = np.asarray(positions, dtype=np.int64)
        if rows.size and bool(np.all(rows[1:] >= rows[:-1])):
            by: NDArray[np.int64] | slice = slice(None)  # already grouped: no sort
        else:
            by = np.argsort(rows, kind="stable")
        counts = np.bincount(rows, minlength=n)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(_frozen(offsets), _frozen(positions[by]), pool)

    @classmethod
    def from_pairs(cls, rows: NDArray[np.integer[Any]], values: NDArray[Any], n: int) -> Ragged:
        """Group the strings ``values`` by owner ``rows``; within a row, input order is kept."""
        values = np.asarray(values, dtype=np.str_).reshape(-1)
        return cls.cite(rows, np.arange(values.size, dtype=np.int64), _frozen(values), n)

    @classmethod
    def from_flat(cls, offsets: NDArray[np.int64], values: NDArray[Any]) -> Ragged:
        """From offsets and the flat strings they slice."""
        values = np.asarray(values, dtype=np.str_).reshape(-1)
        return cls(_frozen(offsets), _frozen(np.arange(values.size, dtype=np.int64)), values)

    @classmethod
    def empty(cls, n: int) -> Ragged:
        """``n`` empty lists."""
        return cls(_frozen(np.zeros(n + 1, dtype=np.int64)), _EMPTY_INT, _EMPTY_STR)

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[str]]) -> Ragged:
        """From Python lists, one per row (for small tables and per-history results)."""
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls.from_flat(offsets, np.asarray([v for r in rows for v in r], dtype=np.str_))

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    @property
    def values(self) -> NDArray[np.str_]:
        """Every row's strings, one after the other (a copy out of the pool)."""
        return self.pool[self.index]

    def row(self, i: int) -> tuple[str, ...]:
        """The list of row ``i``."""
        return tuple(str(v) for v in self.pool[self.index[self.offsets[i] : self.offsets[i + 1]]])

    def owners(self) -> NDArray[np.int64]:
        """The row of each flat value."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.offsets))

    def to_objects(self) -> NDArray[np.object_]:
        """One tuple per row, as an object array (for pandas without Arrow)."""
        out = np.empty(len(self), dtype=object)
        out[:] = [self.row(i) for i in range(len(self))]
        return out

    def to_arrow(self, pools: dict[int, Any] | None = None) -> Any:
        """A ``pyarrow`` list-of-string array (pyarrow gathers; no Python loop).

        ``pools`` caches converted pools by identity, so lists that cite the same
        pool (the batch's order ids, say) convert it once.
        """
        import pyarrow as pa

        cache = {} if pools is None else pools
        pool = cache.get(id(self.pool))
        if pool is None:
            pool = arrow_text(self.pool)
            cache[id(self.pool)] = pool
        flat = pool.take(pa.array(self.index, type=pa.int64()))
        if isinstance(flat, pa.ChunkedArray):
            flat = flat.combine_chunks()
        if self.index.size < 2**31:
            offsets = pa.array(self.offsets.astype(np.int32), type=pa.int32())
            return pa.ListArray.from_arrays(offsets, flat)
        return pa.LargeListArray.from_arrays(pa.array(self.offsets), flat)  # pragma: no cover


def arrow_text(values: NDArray[np.str_]) -> Any:
    """A numpy text array as one ``pyarrow`` string array.

    Through Python strings: pyarrow converts a ``<U`` array (UTF-32) several
    times slower than the list of its strings. A long column of few distinct texts
    (labels, codes) converts its distinct texts only and gathers them, found by one
    integer sort of their hashes and checked as text (a collision falls back).

    Examples:
        >>> arrow_text(np.array(["金牌", "银牌"] * 5000))[:3].to_pylist()
        ['金牌', '银牌', '金牌']
    """
    import pyarrow as pa

    n = values.shape[0]
    if n >= 4096 and np.unique(hash_text(values[:1024])).size <= 64:  # few distinct texts
        hashed = hash_text(values)
        _, first, inverse = np.unique(hashed, return_index=True, return_inverse=True)
        words, inverse = values[first], inverse.reshape(-1)
        if first.size * 8 <= n and np.array_equal(words[inverse], values):
            return pa.array(words.tolist(), type=pa.string()).take(pa.array(inverse))
    out = pa.array(values.tolist(), type=pa.string())
    if isinstance(out, pa.ChunkedArray):  # pyarrow splits very big text arrays
        out = out.combine_chunks()
    return out


@dataclass(frozen=True)
class ReasonSlot:
    """One kind of reason a batch path may give, for the rows where it applies.

    Attributes:
        code: The reason code: one for all rows, or one per row (a string array,
            or better for large batches ``(choices, index)``: the codes and each
            row's index into them, which needs no string work).
        present: Where the reason applies (one bool, or one per row).
        evidence: Ids of the records behind it, per row; None when it cites none.

    Examples:
        >>> slot = ReasonSlot(("a.low", "a.high"), np.array([True, True]),
        ...                   index=np.array([1, 0]))
        >>> ReasonColumns.build(2, [slot]).codes_of(0)
        ('a.high',)
    """

    code: str | tuple[str, ...] | NDArray[np.str_]
    present: bool | NDArray[np.bool_]
    evidence: Ragged | None = None
    index: NDArray[np.integer[Any]] | None = None

    def _encoded(self, n: int) -> tuple[tuple[str, ...], NDArray[np.int64]]:
        """The slot's codes as a vocabulary and one index per row."""
        if isinstance(self.code, str):
            return (self.code,), np.zeros(n, dtype=np.int64)
        if isinstance(self.code, tuple):
            if self.index is None:
                raise ValueError("a tuple of codes needs index=, one entry per row")
            return self.code, np.broadcast_to(np.asarray(self.index, dtype=np.int64), (n,))
        words, index = np.unique(np.asarray(self.code, dtype=np.str_), return_inverse=True)
        return tuple(str(w) for w in words), np.broadcast_to(index.reshape(-1), (n,))


@dataclass(frozen=True, eq=False)
class ReasonColumns:
    """Every row's reasons as columns: codes in order, and the records behind each.

    Codes are held as small integers into `vocabulary` (no text per row):
    ``index[i]`` holds row ``i``'s codes, most important first, padded with -1;
    ``slot[i, j]`` says which `ReasonSlot` gave the ``j``-th reason, so its
    evidence is ``evidence[slot[i, j]].row(i)``.

    Examples:
        >>> rc = ReasonColumns.build(2, [
        ...     ReasonSlot("a.first", np.array([True, False])),
        ...     ReasonSlot("a.second", True, Ragged.from_rows([["o1"], ["o2", "o3"]])),
        ... ])
        >>> rc.codes_of(0), rc.codes_of(1), rc.evidence_of(1, 0)
        (('a.first', 'a.second'), ('a.second',), ('o2', 'o3'))
    """

    vocabulary: tuple[str, ...]
    index: NDArray[np.int32]
    slot: NDArray[np.int8]
    evidence: tuple[Ragged | None, ...]

    @classmethod
    def build(cls, n: int, slots: Sequence[ReasonSlot]) -> ReasonColumns:
        """Stack the slots (in importance order) and move each row's reasons to the front."""
        k = len(slots)
        if k > 127:
            raise ValueError("at most 127 kinds of reason per scorer")
        present = np.zeros((n, k), dtype=np.bool_)
        index = np.empty((n, k), dtype=np.int32)
        vocabulary: dict[str, int] = {}
        for j, s in enumerate(slots):
            present[:, j] = s.present
            words, local = s._encoded(n)
            ids = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in words])
            index[:, j] = ids[local] if n else 0
        # A stable sort of "absent" per row moves present reasons first, in slot order.
        order = np.argsort(~present, axis=1, kind="stable")
        kept = np.take_along_axis(present, order, axis=1)
        index = np.where(kept, np.take_along_axis(index, order, axis=1), -1).astype(np.int32)
        slot = np.where(kept, order, -1).astype(np.int8)
        return cls(
            tuple(vocabulary), _frozen(index), _frozen(slot), tuple(s.evidence for s in slots)
        )

    @classmethod
    def from_results(cls, results: Sequence[ScoreResult]) -> ReasonColumns:
        """The reasons of per-customer results, as columns.

        Every slot cites one pool of the distinct ids, so an id cited by two of a
        customer's reasons is one record.
        """
        n = len(results)
        k = max((len(r.reasons) for r in results), default=0)
        cited = [
            [r.reasons[j].evidence if len(r.reasons) > j else () for r in results] for j in range(k)
        ]
        flat = [v for per_slot in cited for row in per_slot for v in row]
        pool, position = np.unique(np.asarray(flat, dtype=np.str_), return_inverse=True)
        pool = _frozen(pool)
        slots, used = [], 0
        for j in range(k):
            present = np.array([len(r.reasons) > j for r in results], dtype=np.bool_)
            code = np.array([r.reasons[j].code if len(r.reasons) > j else "" for r in results])
            lengths = np.fromiter((len(e) for e in cited[j]), dtype=np.int64, count=n)
            offsets = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            mine = position.reshape(-1)[used : used + int(offsets[-1])].astype(np.int64)
            used += int(offsets[-1])
            evidence = Ragged(_frozen(offsets), _frozen(mine), pool)
            slots.append(ReasonSlot(code.astype(np.str_), present, evidence))
        return cls.build(n, slots)

    @property
    def codes(self) -> NDArray[np.str_]:
        """The codes as text, ``(n, k)``, padded with ``""`` (builds text: small tables)."""
        words = np.asarray([*self.vocabulary, ""], dtype=np.str_)
        return words[self.index]

    def codes_of(self, i: int) -> tuple[str, ...]:
        """Row ``i``'s reason codes, most important first."""
        return tuple(self.vocabulary[c] for c in self.index[i].tolist() if c >= 0)

    def evidence_of(self, i: int, j: int) -> tuple[str, ...]:
        """Ids of the records behind row ``i``'s ``j``-th reason."""
        s = int(self.slot[i, j])
        ev = self.evidence[s] if s >= 0 else None
        return () if ev is None else ev.row(i)

    def code_lists(self) -> Ragged:
        """Each row's codes as a list column."""
        present = self.index >= 0
        offsets = np.zeros(self.index.shape[0] + 1, dtype=np.int64)
        np.cumsum(present.sum(axis=1), out=offsets[1:])
        words = _frozen(np.asarray(self.vocabulary, dtype=np.str_))
        return Ragged(_frozen(offsets), _frozen(self.index[present].astype(np.int64)), words)

    def evidence_lists(self) -> Ragged:
        """Each row's evidence over all its reasons, first citation first, no repeats.

        A record cited by several of a row's reasons is listed once. Records are
        compared by position in their pool (the same record, not merely the same
        text), so no id is compared as text.
        """
        n, k = self.slot.shape
        # place[i, s]: where slot s's reason sits in row i, or -1.
        place_of = np.full((n, max(len(self.evidence), 1)), -1, dtype=np.int64)
        r_idx, c_idx = np.nonzero(self.slot >= 0)
        place_of[r_idx, self.slot[r_idx, c_idx]] = c_idx
        # Slots that cite the same lists (one Ragged for several reasons) are read
        # once, at the first place any of them holds in the row.
        groups: dict[int, tuple[Ragged, list[int]]] = {}
        for s, ev in enumerate(self.evidence):
            if ev is not None and ev.index.size:
                groups.setdefault(id(ev), (ev, []))[1].append(s)
        pools: list[NDArray[np.str_]] = []  # distinct pools, by identity
        rows, places, pool_no, positions = [], [], [], []
        for ev, slots in groups.values():
            first = place_of[:, slots].copy()
            first[first < 0] = k
            row_place = first.min(axis=1)
            owner = ev.owners()
            place = row_place[owner]
            cited = place < k
            p = next((j for j, q in enumerate(pools) if q is ev.pool), len(pools))
            if p == len(pools):
                pools.append(ev.pool)
            rows.append(owner[cited])
            places.append(place[cited])
            pool_no.append(np.full(int(cited.sum()), p, dtype=np.int64))
            positions.append(ev.index[cited])
        if not rows:
            return Ragged.empty(n)
        row, place = np.concatenate(rows), np.concatenate(places)
        pool, position = np.concatenate(pool_no), np.concatenate(positions)
        # Order: row, then the reason's place in it, then the id's own order. Each
        # list is already in row order, so this stable sort merges a few sorted runs
        # (and is skipped when there is one).
        key = row * k + place
        if len(rows) > 1 and not bool(np.all(key[1:] >= key[:-1])):
            order = np.argsort(key, kind="stable")
            row, pool, position = row[order], pool[order], position[order]
        # One number per record over all pools; keep each (row, record) pair once.
        start = np.zeros(len(pools) + 1, dtype=np.int64)
        np.cumsum([q.size for q in pools], out=start[1:])
        record = start[pool] + position
        kept = _first_citations(row, record, int(start[-1]))
        row, record = row[kept], record[kept]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n), out=offsets[1:])
        # The output cites the pool itself (no id is copied) unless several pools
        # were cited, rare, when they are joined.
        joined = pools[0] if len(pools) == 1 else _frozen(np.concatenate(pools))
        return Ragged(_frozen(offsets), _frozen(record), joined)


def _first_citations(
    row: NDArray[np.int64], record: NDArray[np.int64], n_records: int
) -> NDArray[np.bool_]:
    """Which entries are the first citation of their (row, record) pair.

    Usually a record belongs to one row (an order to one customer): then the first
    citation of the record is found in one linear pass. Otherwise one sort.
    """
    m = row.size
    seq = np.arange(m, dtype=np.int64)
    owner = np.full(n_records, -1, dtype=np.int64)
    owner[record] = row
    if bool(np.all(owner[record] == row)):
        first = np.full(n_records, m, dtype=np.int64)
        np.minimum.at(first, record, seq)
        kept: NDArray[np.bool_] = first[record] == seq
        return kept
    if (int(row.max()) + 1) * (n_records + 1) < 2**62:
        by_pair = np.argsort(row * n_records + record, kind="stable")
    else:  # pragma: no cover - over 4e18 (row, record) pairs
        by_pair = np.lexsort((record, row))
    r, c = row[by_pair], record[by_pair]
    dup = np.zeros(m, dtype=np.bool_)
    dup[by_pair[1:][(r[1:] == r[:-1]) & (c[1:] == c[:-1])]] = True
    return ~dup


@dataclass(frozen=True, eq=False)
class BatchScores:
    """The answers of a batch path, one array per column, one row per customer.

    The column names match fields of the scorer's per-customer result (listed in
    its ``batch_columns``), so both paths can be compared value by value. A batch
    path also gives its reasons as columns (`reasons`) and can build any row's full
    result (`result`), which is exactly what the per-customer path returns.

    Examples:
        >>> import numpy as np
        >>> s = BatchScores.build("demo", np.array(["a", "b"]), {"score": np.array([1.0, 2.0])})
        >>> s["score"].tolist(), s.row("b")
        ([1.0, 2.0], {'score': 2.0})
    """

    scorer: str
    customer_ids: NDArray[np.str_]
    columns: Mapping[str, NDArray[Any]]
    reasons: ReasonColumns | None = None
    as_of: datetime | None = None
    explain: Callable[[int], ScoreResult] | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls: type[ScoresT],
        scorer: str,
        customer_ids: NDArray[np.str_],
        columns: Mapping[str, NDArray[Any]],
        *,
        reasons: ReasonColumns | None = None,
        as_of: datetime | None = None,
        explain: Callable[[int], ScoreResult] | None = None,
    ) -> ScoresT:
        """Freeze the arrays and check every column has one value per customer.

        An array the caller owns and may still write to is frozen in place (the
        scorer hands it over); a view of other data, or another sequence, is copied.
        """
        frozen: dict[str, NDArray[Any]] = {}
        for name, col in columns.items():
            owned = isinstance(col, np.ndarray) and col.base is None and col.flags.writeable
            arr = col if owned else np.array(col, copy=True)
            if arr.shape[:1] != customer_ids.shape:
                raise ValueError(
                    f"batch column {name!r} has shape {arr.shape}, expected "
                    f"{customer_ids.shape[0]} rows"
                )
            if arr.dtype.kind == "f" and np.isinf(arr).any():
                raise ValueError(f"batch column {name!r} holds an infinite value")
            frozen[name] = _frozen(arr)
        if reasons is not None and reasons.index.shape[0] != customer_ids.shape[0]:
            raise ValueError("reason columns must have one row per customer")
        return cls(scorer, customer_ids, MappingProxyType(frozen), reasons, as_of, explain)

    @classmethod
    def from_results(
        cls, scorer: str, results: Sequence[ScoreResult], *, as_of: datetime | None = None
    ) -> BatchScores:
        """Columns from per-customer results (for scorers without a batch path).

        The columns are the fields the result class lists in ``batch_columns``
        (none when it lists none); the reasons come along, and `result` returns
        the given results.
        """
        columns: dict[str, NDArray[Any]] = {}
        if results:
            for name in getattr(type(results[0]), "batch_columns", ()):
                values = [getattr(r, name) for r in results]
                columns[name] = _column(values)
        ids = np.asarray([r.customer_id for r in results], dtype=np.str_).reshape(-1)
        kept = tuple(results)
        return cls.build(
            scorer,
            ids,
            columns,
            reasons=ReasonColumns.from_results(kept),
            as_of=as_of,
            explain=kept.__getitem__,
        )

    def __getitem__(self, column: str) -> NDArray[Any]:
        return self.columns[column]

    def __len__(self) -> int:
        return int(self.customer_ids.shape[0])

    def row(self, customer_id: str) -> dict[str, Any]:
        """One customer's values as plain Python scalars."""
        i = self.row_of(customer_id)
        return {name: col[i].item() for name, col in self.columns.items()}

    def row_of(self, customer_id: str) -> int:
        """The row of a customer id.

        Raises:
            KeyError: if the customer is not in the table.
        """
        hits = np.flatnonzero(self.customer_ids == customer_id)
        if hits.size == 0:
            raise KeyError(customer_id)
        return int(hits[0])

    def result(self, row: int) -> ScoreResult:
        """Row ``row``'s full result, reasons with messages included.

        It equals what the scorer's per-customer ``score`` returns for that customer.

        Raises:
            CustcareUsageError: if the batch path gave no way to build results.
        """
        if self.explain is None:
            raise CustcareUsageError(
                f"{self.scorer}: these batch scores carry no per-customer results",
                code="bad_argument",
            )
        if not 0 <= row < len(self):
            raise IndexError(f"row {row} is outside 0..{len(self) - 1}")
        return self.explain(row)


def _column(values: list[Any]) -> NDArray[Any]:
    """A column of result values: numbers as float (None as NaN), the rest as text."""
    if all(isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.bool_)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.int64)
    if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
        return np.asarray([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return np.asarray(["" if v is None else str(getattr(v, "value", v)) for v in values]).astype(
        np.str_
    )


UpstreamScores = Mapping[str, BatchScores]
"""Batch results of the scorers a scorer requires or uses, by registered name."""


def check_upstream_rows(
    upstream: UpstreamScores, customer_ids: NDArray[np.str_], scorer: str
) -> None:
    """Refuse upstream batch scores that are not for these customers, in this order.

    Raises:
        CustcareUsageError: naming the scorer and the upstream source.

    Examples:
        >>> s = BatchScores.build("demo", np.array(["a", "b"]), {})
        >>> check_upstream_rows({"demo": s}, np.array(["b", "a"]), "other")
        Traceback (most recent call last):
        ...
        custcare.errors.CustcareUsageError: other: upstream scores of demo are not for ...
    """
    for source, scores in upstream.items():
        if not np.array_equal(scores.customer_ids, customer_ids):
            raise CustcareUsageError(
                f"{scorer}: upstream scores of {source} are not for the batch's "
                "customers (the same customers, in the same order)",
                code="bad_argument",
            )


@runtime_checkable
class CustomerValueScores(Protocol):
    """Batch scores that give each customer's value in ``[0, 1]`` (loyalty scorers)."""

    @property
    def customer_value(self) -> NDArray[np.float64]:
        """Value per row, in ``[0, 1]``."""
        ...


@runtime_checkable
class PredictedValueScores(Protocol):
    """Batch scores that predict each customer's future value in the shop's currency."""

    @property
    def predicted_value(self) -> NDArray[np.float64]:
        """Predicted value per row; NaN where there is none."""
        ...


@runtime_checkable
class BatchScorer(Protocol):
    """A scorer with a vectorised path over `CustomerBatch` columns."""

    name: str

    def score_batch(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: UpstreamScores | None = None
    ) -> BatchScores:
        """Score every customer of the batch as of a moment, without per-row loops."""
        ...
