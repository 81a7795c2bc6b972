"""Complaint features as columns: what the priority rule reads, one row per complaint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from custcare.text import CATEGORY_CODES

__all__ = ["CATEGORY_CODES", "ComplaintFeatures"]


_FIELDS: dict[str, Any] = {
    "complaint_ids": np.str_,
    "customer_ids": np.str_,
    "opened_at": np.float64,
    "category": np.int64,
    "safety": np.bool_,
    "escalation": np.bool_,
    "refund": np.bool_,
    "anger": np.float64,
    "public": np.bool_,
    "repeats": np.int64,
    "promise_broken": np.bool_,
    "responded": np.bool_,
    "customer_value": np.float64,
}


@dataclass(frozen=True, eq=False)
class ComplaintFeatures:
    """Open complaints as columns, for the vectorised priority rule and queue.

    Build it with `custcare.complaints.complaint_features` from histories, or from
    your own arrays with `ComplaintFeatures.from_arrays` (e.g. a helpdesk export).

    Attributes:
        complaint_ids: ``(n,)`` complaint ids (unique).
        customer_ids: ``(n,)`` the complaining customer.
        opened_at: ``(n,)`` epoch seconds (UTC) the complaint was opened.
        category: ``(n,)`` index into `CATEGORY_CODES`.
        safety: ``(n,)`` a safety signal (injury, fire, allergy, electric shock).
        escalation: ``(n,)`` a threat to escalate (platform, regulator, media, lawyer).
        refund: ``(n,)`` a refund or return demand.
        anger: ``(n,)`` anger intensity in ``[0, 1]``.
        public: ``(n,)`` raised on a public channel (a review).
        repeats: ``(n,)`` earlier complaints on the same order plus reopenings.
        promise_broken: ``(n,)`` a promised fix time passed unresolved.
        responded: ``(n,)`` a first response was already given.
        customer_value: ``(n,)`` the customer's value in ``[0, 1]`` (loyalty tier).
    """

    complaint_ids: NDArray[np.str_]
    customer_ids: NDArray[np.str_]
    opened_at: NDArray[np.float64]
    category: NDArray[np.int64]
    safety: NDArray[np.bool_]
    escalation: NDArray[np.bool_]
    refund: NDArray[np.bool_]
    anger: NDArray[np.float64]
    public: NDArray[np.bool_]
    repeats: NDArray[np.int64]
    promise_broken: NDArray[np.bool_]
    responded: NDArray[np.bool_]
    customer_value: NDArray[np.float64]

    @classmethod
    def from_arrays(cls, **columns: Any) -> ComplaintFeatures:
        """Validate and freeze columns (copies; inputs are not changed).

        Raises:
            ValueError: naming the column and the rule.

        Examples:
            >>> f = ComplaintFeatures.from_arrays(
            ...     complaint_ids=["q1"], customer_ids=["u1"], opened_at=[0.0], category=[3],
            ...     safety=[True], escalation=[False], refund=[False], anger=[0.5],
            ...     public=[True], repeats=[0], promise_broken=[False], responded=[False],
            ...     customer_value=[0.0])
            >>> len(f)
            1
        """
        missing = sorted(set(_FIELDS) - set(columns))
        unknown = sorted(set(columns) - set(_FIELDS))
        if missing or unknown:
            raise ValueError(f"complaint feature columns: missing {missing}, unknown {unknown}")
        arrays: dict[str, NDArray[Any]] = {}
        n: int | None = None
        for name, dtype in _FIELDS.items():
            arr = np.array(columns[name], dtype=dtype, copy=True)
            if arr.ndim != 1:
                raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
            if n is None:
                n = arr.shape[0]
            elif arr.shape[0] != n:
                raise ValueError(f"{name} has {arr.shape[0]} rows, expected {n}")
            arr.flags.writeable = False
            arrays[name] = arr
        if np.unique(arrays["complaint_ids"]).shape[0] != n:
            raise ValueError("complaint_ids must be unique")
        if np.any((arrays["category"] < 0) | (arrays["category"] >= len(CATEGORY_CODES))):
            raise ValueError(f"category must index CATEGORY_CODES (0..{len(CATEGORY_CODES) - 1})")
        for name in ("anger", "customer_value"):
            col = arrays[name]
            if np.any(~np.isfinite(col) | (col < 0) | (col > 1)):
                raise ValueError(f"{name} must be in [0, 1]")
        if np.any(arrays["repeats"] < 0):
            raise ValueError("repeats must be >= 0")
        if not np.all(np.isfinite(arrays["opened_at"])):
            raise ValueError("opened_at must be finite")
        return cls(**arrays)

    def __len__(self) -> int:
        return int(self.complaint_ids.shape[0])
