"""The exceptions custcare raises.

Two families, so callers can tell bad data from misuse:

```
CustcareError
├── DataError (ValueError)             the data given cannot be used as it is
│   ├── ColumnError                    a column breaks a rule (column, rule, rows)
│   ├── NaiveDatetimeError             a moment argument (``as_of``) has no time zone
│   ├── NotYetCreatedError             a history cut before its customer existed
│   ├── NotIdentifiableError           a model cannot be fitted on this data
│   ├── CalendarCoverageError          a holiday package has no data for a year
│   └── ConvergenceError               the optimiser did not converge
├── NotFittedError (ValueError, AttributeError)
│                                      a population scorer or model used before fit
├── CustcareUsageError (TypeError)     the API was called wrongly (code says how)
├── ScorerRegistrationError            a scorer or plugin breaks the contract
└── ScoringError                       a scorer failed for a customer in a pipeline run
```

Validation of records and configs raises pydantic's `ValidationError`, which is a
`ValueError` naming each field and rule.

What errors never print: an error raised by custcare, including the
`ValidationError` of a record model, never carries a customer's name, phone,
e-mail, address, region, tags, attributes, review or complaint text, or the value
of an unknown field. For record models the ``input`` of such an error is replaced
by a `RedactedInput` marker (e.g. ``'<redacted int>'``) in ``str(error)``,
``error.errors()`` and ``error.json()``; ids, times, amounts and codes stay, so the
record can be found. `ColumnError` never carries any value, only row numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "CalendarCoverageError",
    "ColumnError",
    "ConvergenceError",
    "CustcareError",
    "CustcareUsageError",
    "DataError",
    "NaiveDatetimeError",
    "NotFittedError",
    "NotIdentifiableError",
    "NotYetCreatedError",
    "RedactedInput",
    "ScorerRegistrationError",
    "ScoringError",
    "ScoringErrorCode",
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


class NaiveDatetimeError(DataError):
    """A moment given as an argument (``as_of``, a cut-off) has no time zone.

    A `ValueError`, so code that caught the plain ``ValueError`` raised before
    keeps working. (A naive datetime inside a record is a pydantic
    `ValidationError` of type ``naive_datetime`` instead.)

    Attributes:
        argument: The argument name, e.g. ``"as_of"``.

    Examples:
        >>> from datetime import datetime
        >>> err = NaiveDatetimeError("as_of", datetime(2026, 1, 1))
        >>> print(err)
        as_of: datetime must be timezone-aware (got naive 2026-01-01T00:00:00); attach a
        tzinfo, e.g. value.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        >>> isinstance(err, ValueError), isinstance(err, CustcareError)
        (True, True)
    """

    def __init__(self, argument: str, value: datetime) -> None:
        self.argument = argument
        super().__init__(
            f"{argument}: datetime must be timezone-aware (got naive {value.isoformat()}); "
            'attach a tzinfo, e.g. value.replace(tzinfo=ZoneInfo("Asia/Shanghai"))'
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_plain, (type(self), self.args, {"argument": self.argument}))


class NotYetCreatedError(DataError):
    """A customer's history was asked for as of a moment before the customer existed.

    A customer created after ``as_of`` is not part of the population as of then:
    `custcare.models.CustomerHistory.until` refuses the cut, and population code
    leaves such customers out (`custcare.models.population_until`).

    Attributes:
        customer_id: The customer's id.
        created_at: When the customer was created.
        as_of: The moment asked for.
    """

    def __init__(self, customer_id: str, created_at: datetime, as_of: datetime) -> None:
        self.customer_id = customer_id
        self.created_at = created_at
        self.as_of = as_of
        super().__init__(
            f"customer {customer_id!r} was created at {created_at.isoformat()}, after as_of "
            f"{as_of.isoformat()}: it is not part of the population as of then; leave it out "
            "(custcare.models.population_until does)"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.customer_id, self.created_at, self.as_of))


def _rebuild_plain(cls: type[Exception], args: tuple[Any, ...], state: dict[str, Any]) -> Exception:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class RedactedInput(str):
    """Stands in for the ``input`` of a validation error that may be personal data.

    Record models (`custcare.models`) put it in place of the raw value of personal
    and free-text fields, unknown fields and whole records; it names only the
    type of the value that was given.

    Examples:
        >>> RedactedInput.of(13812348000)
        '<redacted int>'
    """

    __slots__ = ()

    @classmethod
    def of(cls, value: object) -> RedactedInput:
        """The marker for ``value`` (a marker stays as it is)."""
        if isinstance(value, RedactedInput):
            return value
        return cls(f"<redacted {type(value).__name__}>")


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


ScoringErrorCode = Literal[
    "raised",
    "upstream_failed",
    "not_a_result",
    "wrong_scorer",
    "wrong_customer",
    "not_finite",
    "wrong_rows",
]
"""Why a scorer's answer for a customer was refused (`ScoringError.code`)."""


class ScoringError(CustcareError):
    """A scorer failed for a customer (or for a whole batch) during `Pipeline.run`.

    The message names the scorer, the customer and what went wrong, never a
    value of the customer's data: the exception a scorer raised is chained as
    ``__cause__`` (its message may quote personal data, so it is not repeated).

    Attributes:
        scorer: The registered name of the scorer that failed.
        customer_id: The customer it failed for; None when its batch path failed
            for the whole batch (no customer can be singled out).
        code: A stable slug (`ScoringErrorCode`): ``"raised"`` (it raised an
            exception), ``"upstream_failed"`` (a scorer it requires failed),
            ``"not_a_result"``, ``"wrong_scorer"``, ``"wrong_customer"`` (the
            result names another customer), ``"not_finite"`` (a NaN or infinite
            value), ``"wrong_rows"`` (batch scores for other customers).
        detail: What went wrong, in words, without any value.
        cause: The name of the exception type it raised, for ``"raised"``.

    Examples:
        >>> err = ScoringError("demo.plugin", "C0007", "raised", "it raised KeyError",
        ...                    cause="KeyError")
        >>> str(err)
        "demo.plugin failed for customer 'C0007': it raised KeyError [code=raised]"
        >>> isinstance(err, CustcareError)
        True
    """

    def __init__(
        self,
        scorer: str,
        customer_id: str | None,
        code: ScoringErrorCode,
        detail: str,
        *,
        cause: str | None = None,
    ) -> None:
        self.scorer = scorer
        self.customer_id = customer_id
        self.code: ScoringErrorCode = code
        self.detail = detail
        self.cause = cause
        who = "the whole batch" if customer_id is None else f"customer {customer_id!r}"
        super().__init__(f"{scorer} failed for {who}: {detail} [code={code}]")

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_scoring_error,
            (self.scorer, self.customer_id, self.code, self.detail, self.cause),
        )


def _rebuild_scoring_error(
    scorer: str, customer_id: str | None, code: ScoringErrorCode, detail: str, cause: str | None
) -> ScoringError:
    return ScoringError(scorer, customer_id, code, detail, cause=cause)


class CalendarCoverageError(DataError):
    """The calendar package has no data for a year asked for.

    Attributes:
        year: The first year not covered.
        source: The package asked.
    """

    def __init__(self, year: int, source: str, detail: str) -> None:
        super().__init__(
            f"the {source} package has no holiday and make-up working day data for {year} "
            f"({detail}); custcare will not assume that {year} has no holidays: upgrade "
            f"{source}, or give BusinessHours(holidays=..., workdays=...) for {year} yourself"
        )
        self.year = year
        self.source = source
