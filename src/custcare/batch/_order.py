"""The order that sorts a batch's order rows by customer, then a key, then id."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["sort_orders"]


def sort_orders(
    customer: NDArray[np.int64], key: NDArray[np.float64], ids: NDArray[np.str_]
) -> NDArray[np.int64]:
    """The order that sorts rows by customer, then ``key``, then id, with no string sort.

    ``key`` is replaced by its rank, so (customer, rank) packs into one integer
    sorted at once; then only the runs of equal (customer, key), few in real data,
    are re-sorted by id.
    """
    m = customer.size
    if bool(np.all(customer[1:] >= customer[:-1])) and bool(
        np.all((customer[1:] != customer[:-1]) | (key[1:] >= key[:-1]))
    ):
        order: NDArray[np.int64] = np.arange(m, dtype=np.int64)  # already sorted
    else:
        by_key = np.argsort(key)
        new = np.empty(m, dtype=np.bool_)
        new[:1] = True
        np.not_equal(key[by_key][1:], key[by_key][:-1], out=new[1:])
        rank = np.empty(m, dtype=np.int64)
        rank[by_key] = np.cumsum(new) - 1
        span = int(rank[by_key[-1]]) + 1
        if (int(customer.max()) + 1) * span < 2**62:
            order = np.argsort(customer * span + rank).astype(np.int64)
        else:  # pragma: no cover - over 4e18 (customer, key) pairs
            order = np.lexsort((rank, customer)).astype(np.int64)
    c, k = customer[order], key[order]
    tie = (c[1:] == c[:-1]) & (k[1:] == k[:-1])
    if tie.any():
        in_run = np.zeros(m, dtype=np.bool_)
        in_run[1:] |= tie
        in_run[:-1] |= tie
        at = np.flatnonzero(in_run)
        run = np.cumsum(np.concatenate(([True], ~tie)))[at]
        order[at] = order[at][np.lexsort((ids[order[at]], run))]
    return order
