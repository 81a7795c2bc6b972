"""The scorer contract: a protocol for users and a base class that does the chores."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar, Final, Generic, Protocol, TypeVar, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typing_extensions import Self

from custcare.batch import CustomerBatch, from_histories
from custcare.errors import (
    ColumnError,
    CustcareUsageError,
    DataError,
    NaiveDatetimeError,
    NotFittedError,
    NotYetCreatedError,
)
from custcare.models import AwareDatetime, CustomerHistory
from custcare.scoring._batch import BatchScores, UpstreamScores, check_upstream_rows
from custcare.scoring._result import ScoreResult

__all__ = [
    "STATE_FORMAT",
    "BaseScorer",
    "FittableScorer",
    "FittedState",
    "PopulationScorer",
    "Scorer",
    "ScorerConfig",
    "ScorerTraits",
    "Upstream",
    "check_as_of",
]

ResultT = TypeVar("ResultT", bound=ScoreResult)
ConfigT = TypeVar("ConfigT", bound="ScorerConfig")
StateT = TypeVar("StateT", bound=BaseModel)

Upstream = Mapping[str, ScoreResult]
"""Results of the scorers a scorer requires, by registered name."""

STATE_FORMAT: Final = "custcare.scorer/2"
"""The format of `PopulationScorer.to_json` output; `from_json` reads only this one.

Version 2 added the currency and the left-out count to every fitted state and
checks every field on load.
"""

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class FittedState(BaseModel):
    """Fields every built-in population scorer's fitted state shares.

    Frozen, unknown keys refused, no NaN or infinity anywhere: a saved state that
    breaks a rule is refused by `PopulationScorer.from_json` naming the field.

    Attributes:
        fitted_as_of: The moment the population was taken at.
        currency: Currency of the amounts learnt from, None when the population
            had no orders. Data in another currency is refused (`DataError`).
        n_not_yet_created: Customers given to ``fit`` but created after
            ``fitted_as_of``, left out of the population (not customers then).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    fitted_as_of: AwareDatetime
    currency: CurrencyCode | None
    n_not_yet_created: Annotated[int, Field(ge=0)] = 0


class ScorerConfig(BaseModel):
    """Base of every scorer's parameters: frozen, unknown fields rejected.

    Subclass it, declare fields with defaults and docs; validation happens when
    the scorer is built, so a bad parameter fails at once with the field and rule.

    Examples:
        >>> class MyConfig(ScorerConfig):
        ...     threshold: float = 0.5
        >>> MyConfig(threshold=0.8).threshold
        0.8
    """

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class ScorerTraits:
    """What a scorer can do, so tools (the conformance kit, `Pipeline`) need not guess.

    Attributes:
        population: It must be fitted on many customers before scoring.
        batch: It offers ``score_batch`` over `custcare.batch.CustomerBatch` columns.
        requires: Registered names of scorers whose results it must have.
        uses: Registered names of scorers whose results it reads when present.
    """

    population: bool = False
    batch: bool = False
    requires: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()


@runtime_checkable
class Scorer(Protocol[ResultT]):
    """The protocol every scorer satisfies, built-in or plugin.

    A scorer reads one `CustomerHistory` as of an aware moment and returns a frozen
    `ScoreResult` with reasons. It must ignore records after ``as_of``.
    """

    @property
    def name(self) -> str:
        """The registered dotted name, e.g. ``"loyalty.rfm"``."""
        ...

    @property
    def description(self) -> str:
        """One line for `custcare.available_scorers`."""
        ...

    @property
    def traits(self) -> ScorerTraits:
        """What the scorer can do."""
        ...

    @property
    def config(self) -> BaseModel:
        """The validated parameters."""
        ...

    def score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream | None = None
    ) -> ResultT:
        """Score one customer as of a moment."""
        ...

    def score_many(
        self,
        histories: Sequence[CustomerHistory],
        *,
        as_of: datetime,
        upstream: Sequence[Upstream] | None = None,
    ) -> list[ResultT]:
        """Score many customers as of one moment, in input order."""
        ...


@runtime_checkable
class FittableScorer(Protocol):
    """A scorer that learns from a population before scoring (see `PopulationScorer`)."""

    @property
    def is_fitted(self) -> bool:
        """Whether it has learnt its state."""
        ...

    def fit(
        self,
        data: Sequence[CustomerHistory] | CustomerBatch,
        *,
        as_of: datetime,
        upstream: Sequence[Upstream] | UpstreamScores | None = None,
    ) -> Any:
        """Learn the population state as of a moment."""
        ...


def check_existing(batch: CustomerBatch, as_of: datetime, who: str) -> None:
    """Refuse a batch with customers created after ``as_of`` (not customers then).

    Raises:
        ColumnError: on ``created_at``, rule ``created_after_as_of``, with the rows.
    """
    late = batch.created_after(as_of)
    if late.any():
        rows = np.flatnonzero(late)
        raise ColumnError(
            "created_at",
            "created_after_as_of",
            f"{who}: customer created after as_of {as_of.isoformat()}: not a customer "
            "then, so it cannot be scored or fitted as of that moment; leave such rows "
            "out with batch.existing_at(as_of)",
            rows=rows[: ColumnError.MAX_ROWS].tolist(),
            n_rows=rows.size,
        )


def check_as_of(as_of: object) -> datetime:
    """Validate an ``as_of`` argument: an aware `datetime`.

    Raises:
        CustcareUsageError: if it is not a datetime.
        NaiveDatetimeError: (a ``ValueError``) if it is naive.

    Examples:
        >>> from datetime import datetime, timezone
        >>> check_as_of(datetime(2026, 1, 1, tzinfo=timezone.utc)).year
        2026
    """
    if not isinstance(as_of, datetime):
        raise CustcareUsageError(
            f"as_of must be a timezone-aware datetime, got {type(as_of).__name__}",
            code="bad_argument",
        )
    if as_of.tzinfo is None or as_of.tzinfo.utcoffset(as_of) is None:
        raise NaiveDatetimeError("as_of", as_of)
    return as_of


class BaseScorer(ABC, Generic[ConfigT, ResultT]):
    """Base class for scorers: validates config and ``as_of``, hides the future.

    Subclasses set the class attributes and implement `_score`, which receives
    the history already cut at ``as_of``. The constructor only stores the
    validated config, as scikit-learn estimators do.

    Class attributes:
        name: The registered dotted name, e.g. ``"loyalty.threshold"``.
        description: One line for `custcare.available_scorers`.
        config_model: The pydantic model of the parameters.
        traits: What the scorer can do.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    config_model: ClassVar[type[ScorerConfig]]
    traits: ClassVar[ScorerTraits] = ScorerTraits()

    def __init__(self, config: ConfigT | Mapping[str, Any] | None = None, **params: Any) -> None:
        """Build the scorer from a config object, a mapping, or keyword parameters.

        Raises:
            pydantic.ValidationError: naming the parameter and rule that failed.
        """
        base: dict[str, Any] = {}
        if isinstance(config, BaseModel):
            if not isinstance(config, self.config_model):
                raise CustcareUsageError(
                    f"{type(self).__name__} takes a {self.config_model.__name__}, "
                    f"got {type(config).__name__}",
                    code="bad_scorer_config",
                )
            if not params:
                self._config: ConfigT = config
                return
            base = config.model_dump()
        elif config is not None:
            base = dict(config)
        self._config = self.config_model.model_validate({**base, **params})  # type: ignore[assignment]

    @property
    def config(self) -> ConfigT:
        """The validated parameters (frozen)."""
        return self._config

    def with_config(self, **update: Any) -> Self:
        """A new, unfitted scorer of the same kind with some parameters changed.

        Examples:
            >>> from custcare.testing import ConstantScorer
            >>> ConstantScorer().with_config(value=2.0).config.value
            2.0
        """
        return type(self)(self._config, **update)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._config.model_dump().items())
        return f"{type(self).__name__}({params})"

    def score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream | None = None
    ) -> ResultT:
        """Score one customer as of ``as_of``; records after it are not seen.

        Args:
            history: The customer's validated history.
            as_of: A timezone-aware moment.
            upstream: Results of the scorers listed in ``traits.requires``, by name.

        Returns:
            A frozen result with reasons.
        """
        as_of = check_as_of(as_of)
        if not isinstance(history, CustomerHistory):
            raise CustcareUsageError(
                f"{self.name}: score() takes a CustomerHistory, got {type(history).__name__}",
                code="bad_argument",
            )
        self._check_ready()
        cut = history.until(as_of)  # NotYetCreatedError for a customer not created yet
        self._check_currency(history.currency)
        return self._score(cut, as_of=as_of, upstream=upstream or {})

    def score_many(
        self,
        histories: Sequence[CustomerHistory],
        *,
        as_of: datetime,
        upstream: Sequence[Upstream] | None = None,
    ) -> list[ResultT]:
        """Score many customers as of one moment; results are in input order.

        A scorer with a batch path scores the histories as one batch (each result
        equals `score` of that history); histories that cannot share a batch
        (several currencies, a repeated customer or order id) and scorers without
        a batch path are scored one by one.

        Examples:
            >>> from datetime import datetime, timezone
            >>> from custcare.datasets import sample_shop
            >>> from custcare.testing import ConstantScorer
            >>> shop = sample_shop()
            >>> results = ConstantScorer().score_many(shop.histories, as_of=shop.as_of)
            >>> len(results) == len(shop.histories)
            True
        """
        if upstream is not None and len(upstream) != len(histories):
            raise CustcareUsageError(
                f"{self.name}: upstream has {len(upstream)} entries for {len(histories)} histories",
                code="bad_argument",
            )
        ups: Sequence[Upstream | None] = upstream or [None] * len(histories)
        batch = _one_batch(histories) if self.traits.batch else None
        if batch is None:
            return [
                self.score(h, as_of=as_of, upstream=u) for h, u in zip(histories, ups, strict=True)
            ]
        as_of = check_as_of(as_of)
        self._check_ready()
        late = batch.created_after(as_of)
        if late.any():  # as score() of that history would
            first = histories[int(np.flatnonzero(late)[0])].customer
            raise NotYetCreatedError(first.id, first.created_at, as_of)
        self._check_currency(batch.currency)
        rows = [u or {} for u in ups]
        scores = self._scores_rows(batch.until(as_of), as_of=as_of, upstream=rows)
        return [scores.result(i) for i in range(len(histories))]  # type: ignore[misc]

    def _check_ready(self) -> None:
        """Raise if the scorer cannot score yet; population scorers check fit here."""

    def _check_currency(self, currency: str | None) -> None:
        """Raise if data in ``currency`` cannot be scored; population scorers check it."""

    def score_batch(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: UpstreamScores | None = None
    ) -> BatchScores:
        """Score every customer of a batch at once (scorers with ``traits.batch``).

        The rule every batch path shares, written once: ``as_of`` is checked, the
        scorer must be ready (fitted), and the scorer's columnar kernel sees the
        batch cut at ``as_of``.

        Args:
            batch: The population as columns.
            as_of: A timezone-aware moment; later records are not seen.
            upstream: Batch scores of the scorers it requires or uses, by name.

        Returns:
            Columns, reasons as columns, and every row's full result (`BatchScores`).

        Raises:
            CustcareUsageError: if the scorer has no batch path or ``batch`` is not
                a `custcare.batch.CustomerBatch`.
        """
        as_of = check_as_of(as_of)
        if not isinstance(batch, CustomerBatch):
            raise CustcareUsageError(
                f"{self.name}: score_batch() takes a CustomerBatch, got {type(batch).__name__}",
                code="bad_argument",
            )
        self._check_ready()
        check_existing(batch, as_of, self.name)
        self._check_currency(batch.currency)
        upstream = upstream or {}
        check_upstream_rows(upstream, batch.customer_ids, self.name)
        return self._scores_upstream(batch.until(as_of), as_of=as_of, upstream=upstream)

    def _score(self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream) -> ResultT:
        """Score a history already cut at ``as_of``.

        Batch scorers need not override it: a history is the batch path on one row.
        """
        scores = self._scores_rows(from_histories([history]), as_of=as_of, upstream=[upstream])
        return scores.result(0)  # type: ignore[return-value]

    def _scores_upstream(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: UpstreamScores
    ) -> BatchScores:
        """The batch path given upstream batch scores; scorers that read none ignore them."""
        return self._scores(batch, as_of)

    def _scores_rows(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: Sequence[Upstream]
    ) -> BatchScores:
        """The batch path given each row's upstream results (per-customer paths)."""
        return self._scores(batch, as_of)

    def _scores(self, batch: CustomerBatch, as_of: datetime) -> BatchScores:
        """Columns, reasons and per-row results of a batch already cut at ``as_of``.

        Batch scorers implement it (or `_scores_upstream` and `_scores_rows` when
        they read other scorers); others implement `_score`.
        """
        raise CustcareUsageError(
            f"{self.name} has no batch path; score customers one by one with score()",
            code="bad_argument",
        )


class PopulationScorer(BaseScorer[ConfigT, ResultT], Generic[ConfigT, ResultT, StateT]):
    """A scorer that learns from a population first (quantile edges, model parameters).

    ``fit`` stores the learned state in ``state_`` (a frozen pydantic model, so it
    serialises to JSON) and returns the scorer. Scoring before ``fit`` raises
    `NotFittedError`. `to_json` and `from_json` persist config and state.

    The rules every population scorer shares, written once here:

    * the population as of ``as_of`` is the customers created by then: ``fit``
      leaves later ones out and counts them (``state.n_not_yet_created``);
    * a state that is a `FittedState` records its currency, and data in another
      currency is refused at scoring (`DataError`): amounts in two currencies are
      never compared or blended;
    * `from_json` reads only `STATE_FORMAT` and validates every field of the
      state, so a corrupt file fails on load (`DataError`), not at scoring.
    """

    state_model: ClassVar[type[BaseModel]]
    traits: ClassVar[ScorerTraits] = ScorerTraits(population=True)

    def __init__(self, config: ConfigT | Mapping[str, Any] | None = None, **params: Any) -> None:
        super().__init__(config, **params)
        self.state_: StateT | None = None

    @property
    def is_fitted(self) -> bool:
        """Whether `fit` (or `from_json` with a state) has run."""
        return self.state_ is not None

    def fit(
        self,
        data: Sequence[CustomerHistory] | CustomerBatch,
        *,
        as_of: datetime,
        upstream: Sequence[Upstream] | UpstreamScores | None = None,
    ) -> Self:
        """Learn the population state as of a moment; returns self, now fitted.

        Args:
            data: Histories, or a `custcare.batch.CustomerBatch` of the population.
            as_of: A timezone-aware moment; orders after it are ignored.
            upstream: Results of the scorers this one uses, aligned with ``data``:
                batch scores by scorer name (as `Pipeline.fit` passes them), or
                per-customer results, so a population can be learnt with them.

        Raises:
            custcare.errors.DataError: if the population cannot be learnt from.
        """
        as_of = check_as_of(as_of)
        n_given = len(data.customer_ids) if isinstance(data, CustomerBatch) else len(data)
        if isinstance(upstream, Mapping):
            if isinstance(data, CustomerBatch):
                check_existing(data, as_of, self.name)
            check_upstream_rows(upstream, self._ids(data), self.name)
        elif upstream is not None and len(upstream) != n_given:
            raise CustcareUsageError(
                f"{self.name}: upstream has {len(upstream)} entries for {n_given} customers",
                code="bad_argument",
            )
        batch, kept = self._population_as_of(data, as_of)
        if isinstance(upstream, Mapping) and kept is not None:
            raise DataError(
                f"{self.name}: {n_given - kept.size} customer(s) were created after as_of "
                f"{as_of.isoformat()}, but the upstream scores cover them; leave them out "
                "of the data and of the upstream run first"
            )
        if upstream is not None and not isinstance(upstream, Mapping) and kept is not None:
            upstream = [upstream[int(i)] for i in kept]
        state = self._fit_upstream(batch, as_of=as_of, upstream=upstream)
        self.state_ = self._stamp(state, 0 if kept is None else n_given - kept.size)
        return self

    @staticmethod
    def _ids(data: Sequence[CustomerHistory] | CustomerBatch) -> Any:
        if isinstance(data, CustomerBatch):
            return data.customer_ids
        return np.asarray([h.customer.id for h in data], dtype=np.str_)

    def _population_as_of(
        self, data: Sequence[CustomerHistory] | CustomerBatch, as_of: datetime
    ) -> tuple[CustomerBatch, Any]:
        """The population as of ``as_of``, cut there, and the kept rows (None: all kept).

        Customers created after ``as_of`` were not customers then: they are left out
        (`custcare.models.population_until`, `CustomerBatch.existing_at`).
        """
        if isinstance(data, CustomerBatch):
            late = data.created_after(as_of)
            kept = np.flatnonzero(~late) if late.any() else None
            return data.existing_at(as_of).until(as_of), kept
        if not all(isinstance(h, CustomerHistory) for h in data):
            bad = next(h for h in data if not isinstance(h, CustomerHistory))
            raise CustcareUsageError(
                f"{self.name}: fit() takes CustomerHistory objects or a CustomerBatch, "
                f"got a {type(bad).__name__}",
                code="bad_argument",
            )
        exists = np.asarray([h.customer.created_at <= as_of for h in data], dtype=np.bool_)
        kept = None if exists.all() else np.flatnonzero(exists)
        return from_histories(
            [h.until(as_of) for h, e in zip(data, exists, strict=True) if e]
        ), kept

    def _stamp(self, state: StateT, n_not_yet_created: int) -> StateT:
        """The state with the count of customers left out as not yet created."""
        if isinstance(state, FittedState) and state.n_not_yet_created != n_not_yet_created:
            return state.model_copy(update={"n_not_yet_created": n_not_yet_created})
        return state

    def _check_currency(self, currency: str | None) -> None:
        """Refuse data in another currency than the fitted state's."""
        state = self.state_
        if not isinstance(state, FittedState) or state.currency is None or currency is None:
            return
        if currency != state.currency:
            raise DataError(
                f"{self.name}: fitted on amounts in {state.currency}, but the data are in "
                f"{currency}; amounts in two currencies cannot be compared: fit on data in "
                f"{currency}, or convert the amounts to {state.currency} first"
            )

    def _fit_upstream(
        self,
        batch: CustomerBatch,
        *,
        as_of: datetime,
        upstream: Sequence[Upstream] | UpstreamScores | None,
    ) -> StateT:
        """Fit with upstream results; scorers that use none need not override it."""
        return self._fit_batch(batch, as_of=as_of)

    @abstractmethod
    def _fit_batch(self, batch: CustomerBatch, *, as_of: datetime) -> StateT:
        """Compute the fitted state from columns already cut at ``as_of``."""

    def _check_ready(self) -> None:
        if self.state_ is None:
            raise NotFittedError(
                f"{type(self).__name__} ({self.name}) is not fitted yet; call "
                "fit(histories, as_of=...) first, or load a fitted state with from_json()"
            )

    @property
    def state(self) -> StateT:
        """The fitted state; raises `NotFittedError` before `fit`."""
        self._check_ready()
        assert self.state_ is not None
        return self.state_

    def to_json(self) -> str:
        """Config and fitted state as JSON (never pickle).

        Examples:
            >>> from custcare.loyalty import RFMScorer
            >>> from custcare.datasets import sample_shop
            >>> shop = sample_shop()
            >>> s = RFMScorer().fit(shop.histories, as_of=shop.as_of)
            >>> RFMScorer.from_json(s.to_json()).state == s.state
            True
        """
        payload = _Persisted(
            format=STATE_FORMAT,
            scorer=self.name,
            config=self._config.model_dump(mode="json"),
            state=None if self.state_ is None else self.state_.model_dump(mode="json"),
        )
        return payload.model_dump_json()

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        """Rebuild a scorer, fitted or not, from `to_json` output.

        Everything is checked on load, so a damaged or edited file fails here and
        not later at scoring: the format (`STATE_FORMAT`), the scorer name, the
        config, and every field of the state (unknown keys, NaN or infinity, and
        each state's own rules, e.g. increasing edges, sorted values).

        Raises:
            DataError: if the JSON is not a valid saved scorer of this kind (the
                message names the format, or each field and rule that failed).
            CustcareUsageError: if it holds another scorer (``bad_argument``).
        """
        try:
            payload = _Persisted.model_validate_json(data)
        except ValidationError as exc:
            raise DataError(f"{cls.name}: not a saved scorer ({STATE_FORMAT}): {exc}") from exc
        if payload.format != STATE_FORMAT:
            raise DataError(
                f"{cls.name}: saved in format {payload.format!r}; this version of custcare "
                f"reads {STATE_FORMAT!r} only: fit again and save with to_json()"
            )
        if payload.scorer != cls.name:
            raise CustcareUsageError(
                f"this JSON holds scorer {payload.scorer!r}, not {cls.name!r}",
                code="bad_argument",
            )
        try:
            scorer = cls(payload.config)
        except ValidationError as exc:
            raise DataError(f"{cls.name}: the saved config is not valid: {exc}") from exc
        if payload.state is not None:
            try:
                state = cls.state_model.model_validate(payload.state)
            except ValidationError as exc:
                raise DataError(f"{cls.name}: the saved state is not valid: {exc}") from exc
            scorer._check_state(state)  # type: ignore[arg-type]
            scorer.state_ = state  # type: ignore[assignment]
        return scorer

    def _check_state(self, state: StateT) -> None:
        """Raise `DataError` if a loaded state does not fit this scorer's config."""


class _Persisted(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    format: str
    scorer: str
    config: dict[str, Any]
    state: dict[str, Any] | None


def _one_batch(histories: Sequence[CustomerHistory]) -> CustomerBatch | None:
    """The histories as one batch, or None when they cannot share one (scored one by one)."""
    if not all(isinstance(h, CustomerHistory) for h in histories):
        return None  # score() names the bad argument
    try:
        return from_histories(histories)
    except DataError:  # several currencies, a repeated customer or order id
        return None
