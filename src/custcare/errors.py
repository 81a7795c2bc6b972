"""The exceptions custcare raises.

Two families, so callers can tell bad data from misuse:

```
CustcareError
├── DataError (ValueError)             the data given cannot be used as it is
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

from typing import Literal

__all__ = [
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
