"""The exceptions custcare raises.

Two families, so callers can tell bad data from misuse:

```
CustcareError
├── DataError (ValueError)             the data given cannot be used as it is
│   ├── ColumnError                    a column breaks a rule (column, rule, rows)
│   ├── NotIdentifiableError           a model cannot be fitted on this data
│   └── ConvergenceError               the optimiser did not converge
├── NotFittedError (ValueError, AttributeError)
│                                      a population scorer or model used before fit
├── CustcareUsageError (TypeError)     the API was called wrongly (code says how)
└── ScorerRegistrationError            a scorer or plugin breaks the contract
```

Validation of records and configs raises pydantic's `ValidationError`, which is a
`ValueError` naming each field and rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

__all__ = [
    "ColumnError",
    "ConvergenceError",
    "CustcareError",
    "CustcareUsageError",
    "DataError",
    "NotFittedError",
    "NotIdentifiableError",
    "ScorerRegistrationError",
    "UsageErrorCode",
]


class CustcareError(Exception):
    """Base of every custcare exception."""


class DataError(CustcareError, ValueError):
    """The data given cannot be used as it is; the message says which field and why."""


class ColumnError(DataError):
    """A column of tabular input breaks a rule; says which column, which rule, which rows.

    Raised by `custcare.batch.CustomerBatch.from_arrays` and
    `custcare.frames.batch_from_frames`. The values themselves are never put in the
    error (ids, times and amounts can be personal data): row numbers and the rule
    are enough to find them in your own table.

    Attributes:
        column: The argument or column name (e.g. ``"order_time"``).
        rule: A stable slug naming the broken rule (e.g. ``"not_a_time"``,
            ``"duplicate_id"``); the slugs shared with the record models
            (``"negative_amount"``, ``"currency_code"``, ``"empty_string"``,
            ``"greater_than_equal"``) mean the same there.
        rows: The first offending row numbers (0-based, at most five), in order;
            empty when the whole column or setting is refused (e.g. for its dtype).
        n_rows: How many rows break the rule (0 when the whole column is refused).
        detail: What is wrong, in words, without any value.

    Examples:
        >>> err = ColumnError("order_time", "not_a_time", "datetime64 NaT is not a time",
        ...                   rows=[3, 7], n_rows=2)
        >>> str(err)
        'order_time: row 3, 7 (2 rows): datetime64 NaT is not a time [rule=not_a_time]'
        >>> isinstance(err, DataError), err.rows
        (True, (3, 7))
    """

    MAX_ROWS = 5
    """How many row numbers an error keeps (the count says how many there are)."""

    def __init__(
        self,
        column: str,
        rule: str,
        detail: str,
        *,
        rows: Sequence[int] = (),
        n_rows: int | None = None,
    ) -> None:
        self.column = column
        self.rule = rule
        self.detail = detail
        self.rows: tuple[int, ...] = tuple(int(r) for r in rows[: self.MAX_ROWS])
        self.n_rows = len(rows) if n_rows is None else int(n_rows)
        super().__init__(self._message())

    def _message(self) -> str:
        if not self.n_rows:
            return f"{self.column}: {self.detail} [rule={self.rule}]"
        shown = ", ".join(str(r) for r in self.rows)
        more = ", ..." if self.n_rows > len(self.rows) else ""
        plural = "row" if self.n_rows == 1 else "rows"
        return (
            f"{self.column}: row {shown}{more} ({self.n_rows:,} {plural}): "
            f"{self.detail} [rule={self.rule}]"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_column_error,
            (self.column, self.rule, self.detail, self.rows, self.n_rows),
        )


def _rebuild_column_error(
    column: str, rule: str, detail: str, rows: tuple[int, ...], n_rows: int
) -> ColumnError:
    return ColumnError(column, rule, detail, rows=rows, n_rows=n_rows)


class NotIdentifiableError(DataError):
    """The data cannot identify the model's parameters (e.g. no repeat buyers)."""


class ConvergenceError(DataError):
    """The optimiser stopped without converging; the message gives its report."""


class NotFittedError(CustcareError, ValueError, AttributeError):
    """A population scorer or model was used before ``fit``.

    Examples:
        >>> raise NotFittedError("RFMScorer is not fitted yet; call fit(histories, as_of=...)")
        Traceback (most recent call last):
        ...
        custcare.errors.NotFittedError: RFMScorer is not fitted yet; call fit(histories, as_of=...)
    """


UsageErrorCode = Literal[
    "unknown_scorer",
    "bad_scorer_config",
    "dependency_cycle",
    "missing_dependency",
    "bad_argument",
]


class CustcareUsageError(CustcareError, TypeError):
    """The API was called in a way it does not support.

    Attributes:
        code: A stable slug naming the misuse.
    """

    def __init__(self, message: str, *, code: UsageErrorCode) -> None:
        super().__init__(message)
        self.code: UsageErrorCode = code

    def __str__(self) -> str:
        return f"{super().__str__()} [code={self.code}]"


class ScorerRegistrationError(CustcareError):
    """A scorer or plugin cannot be registered.

    Attributes:
        name: The scorer or entry point name.
        distribution: The distribution that provides it, if known.
        reason: What is wrong.
    """

    def __init__(self, name: str, reason: str, *, distribution: str | None = None) -> None:
        where = f" (from distribution {distribution!r})" if distribution else ""
        super().__init__(f"scorer {name!r}{where} cannot be registered: {reason}")
        self.name = name
        self.distribution = distribution
        self.reason = reason
