"""The text classifier: results, the pluggable protocol, config and the lexicon classifier."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Annotated, Any, Literal, NamedTuple, Protocol, TypeVar, runtime_checkable

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from custcare._gc import gc_paused
from custcare.models.complaint import ComplaintCategory
from custcare.text._lexicon import (
    BUILTIN_LEXICONS,
    CATEGORY_CODES,
    NONE,
    SIGNAL_CODES,
    CategoryCode,
    CompiledLexicon,
    Lexicon,
    Phrases,
    Term,
    TermCode,
    Weight,
    load_lexicon,
    negated_hit,
)
from custcare.text._normalise import Language, language_of_folded, normalise

__all__ = [
    "MAX_TEXT_CHARS",
    "LexiconClassifier",
    "LexiconConfig",
    "Span",
    "TextAnalysis",
    "TextClassifier",
]

MAX_TEXT_CHARS = 100_000
"""How many characters of one text `LexiconClassifier` reads by default.

A longer text is read up to this many characters and its analysis says so
(``TextAnalysis.truncated_at``); ``LexiconConfig.max_chars`` changes the limit.
Reading is linear in the characters read, so one text costs at most about 0.1 s.
"""

_SUM_TOLERANCE = 1e-6
_TOP_TOLERANCE = 1e-9
_ANGER = SIGNAL_CODES.index("anger")
# Runs of upper-case Latin words in the ORIGINAL text ("WORST SERVICE EVER").
_CAPS = re.compile(r"(?<![A-Za-z])[A-Z]{2,}(?:[ \t]+[A-Z]{2,})*(?![A-Za-z])")
_CAPS_QUICK = re.compile("[A-Z][A-Z]")
_CAPS_MIN_LETTERS = 5
_CAPS_MIN_WORD = 4


class Span(NamedTuple):
    """Where a lexicon term matched, in the ORIGINAL text: ``text == original[start:end]``.

    An immutable named tuple (cheap to build by the hundred thousand). Inside a
    `TextAnalysis` it validates from, and serialises to, an object
    ``{"start": 2, "end": 4, "text": "退貨"}``, checking ``0 <= start <= end`` and
    ``len(text) == end - start``.

    The text is the customer's own writing, so the ``repr`` (and with it the
    ``repr`` of a `TextAnalysis`, and any log line or error that shows one) gives
    only its length; read ``span.text`` for the words.

    Attributes:
        start: Offset of the first character (0-based, in code points).
        end: Offset just past the last character.
        text: The matched text as written in the original (traditional characters,
            full-width letters and capitals kept).

    Example:
        >>> s = Span(start=2, end=4, text="退貨")
        >>> s, s.text, s.end - s.start
        (Span(start=2, end=4, text=<2 chars>), '退貨', 2)
    """

    start: int
    end: int
    text: str

    def __repr__(self) -> str:
        """``Span(start=.., end=.., text=<n chars>)``: offsets, never the customer's words."""
        size = len(self.text) if isinstance(self.text, str) else "?"
        return f"Span(start={self.start!r}, end={self.end!r}, text=<{size} chars>)"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """The pydantic schema: an object with ``start``, ``end`` and ``text``."""
        fields = core_schema.typed_dict_schema(
            {
                "start": core_schema.typed_dict_field(core_schema.int_schema(ge=0)),
                "end": core_schema.typed_dict_field(core_schema.int_schema(ge=0)),
                "text": core_schema.typed_dict_field(core_schema.str_schema()),
            },
            extra_behavior="forbid",
        )
        from_dict = core_schema.no_info_after_validator_function(_span_from_dict, fields)
        from_span = core_schema.no_info_after_validator_function(
            _check_span, core_schema.is_instance_schema(cls)
        )
        return core_schema.json_or_python_schema(
            json_schema=from_dict,
            python_schema=core_schema.union_schema([from_span, from_dict]),
            serialization=core_schema.plain_serializer_function_ser_schema(_span_as_dict),
        )


def _check_span(span: Span) -> Span:
    if not (
        isinstance(span.start, int)
        and isinstance(span.end, int)
        and isinstance(span.text, str)
        and 0 <= span.start <= span.end
        and len(span.text) == span.end - span.start
    ):
        size = len(span.text) if isinstance(span.text, str) else -1
        raise PydanticCustomError(
            "span_mismatch",
            "span [{start}, {end}) does not fit a text of {size} characters",
            {"start": span.start, "end": span.end, "size": size},
        )
    return span


def _span_from_dict(value: dict[str, Any]) -> Span:
    return _check_span(Span(value["start"], value["end"], value["text"]))


def _span_as_dict(span: Span) -> dict[str, Any]:
    return {"start": span.start, "end": span.end, "text": span.text}


def _check_codes(value: Mapping[str, Any], codes: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(value) - set(codes))
    if unknown:
        raise PydanticCustomError(
            "unknown_code",
            "unknown {what} code(s) {unknown}; known: {known}",
            {"what": what, "unknown": str(unknown), "known": ", ".join(codes)},
        )


def _found_only(
    value: Mapping[str, tuple[Span, ...]], codes: tuple[str, ...], what: str
) -> dict[str, tuple[Span, ...]]:
    _check_codes(value, codes, what)
    return {code: value[code] for code in codes if value.get(code)}


class TextAnalysis(BaseModel):
    """What a text classifier found in one complaint or review text.

    Attributes:
        categories: Probability of each complaint category code and ``"none"``
            (not a complaint); all eleven codes are present and they sum to 1.
        top_category: The most probable code (ties go to the earlier code in
            ``CATEGORY_CODES`` order; ``"none"`` is last).
        signals: The signals found, each with the spans that support it (a code
            is present only when it has spans; see `signal_spans`).
        category_evidence: The categories (and ``"none"``) that some term counted
            for, each with the spans of those terms.
        negated: Spans of terms that matched but were negated (``不贵``, ``not rude``)
            and so did not count.
        language: ``"zh"``, ``"en"``, ``"mixed"`` or ``"unknown"``.
        anger_intensity: From 0 (calm) towards 1 (furious).
        truncated_at: ``None`` when the whole text was read; otherwise the text was
            longer than the classifier's limit (``LexiconConfig.max_chars``, by
            default `MAX_TEXT_CHARS`) and only its first ``truncated_at``
            characters were read: every span lies before that offset.

    Validation errors do not show the input (``hide_input_in_errors``): spans
    hold the customer's words.

    Example:
        >>> a = TextAnalysis.from_scores({"long_wait": 3.0, "none": 1.0}, language="en")
        >>> a.top_category, a.categories["long_wait"], a.complaint_category
        ('long_wait', 0.75, <ComplaintCategory.LONG_WAIT: 'long_wait'>)
        >>> a.signals, a.has_signal("refund"), a.signal_spans("refund")
        ({}, False, ())
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    categories: Mapping[str, Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]]
    top_category: CategoryCode
    signals: Mapping[str, tuple[Span, ...]] = Field(default_factory=dict)
    category_evidence: Mapping[str, tuple[Span, ...]] = Field(default_factory=dict)
    negated: tuple[Span, ...] = ()
    language: Language = "unknown"
    anger_intensity: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.0
    truncated_at: Annotated[int, Field(ge=0)] | None = None

    @field_validator("categories")
    @classmethod
    def _check_categories(cls, value: Mapping[str, float]) -> dict[str, float]:
        _check_codes(value, CATEGORY_CODES, "category")
        filled: dict[str, float] = {code: value.get(code, 0.0) for code in CATEGORY_CODES}
        total = math.fsum(filled.values())
        if abs(total - 1.0) > _SUM_TOLERANCE:
            raise PydanticCustomError(
                "categories_sum",
                "category probabilities must sum to 1, got {total}",
                {"total": total},
            )
        return filled

    @field_validator("signals")
    @classmethod
    def _check_signals(cls, value: Mapping[str, tuple[Span, ...]]) -> dict[str, tuple[Span, ...]]:
        return _found_only(value, SIGNAL_CODES, "signal")

    @field_validator("category_evidence")
    @classmethod
    def _check_evidence(cls, value: Mapping[str, tuple[Span, ...]]) -> dict[str, tuple[Span, ...]]:
        return _found_only(value, CATEGORY_CODES, "category")

    @model_validator(mode="after")
    def _check_top(self) -> TextAnalysis:
        best = max(self.categories.values())
        if self.categories[self.top_category] < best - _TOP_TOLERANCE:
            raise PydanticCustomError(
                "top_not_most_probable",
                "top_category {top!r} has probability {p}, below the maximum {best}",
                {"top": self.top_category, "p": self.categories[self.top_category], "best": best},
            )
        return self

    @classmethod
    def from_scores(
        cls,
        scores: Mapping[str, float],
        *,
        language: Language = "unknown",
        signals: Mapping[str, tuple[Span, ...]] | None = None,
        category_evidence: Mapping[str, tuple[Span, ...]] | None = None,
        anger_intensity: float = 0.0,
        truncated_at: int | None = None,
    ) -> TextAnalysis:
        """Build an analysis from non-negative category scores (for your own classifier).

        The scores are divided by their sum; missing codes count 0. All-zero scores
        give ``none`` = 1. The top category is the highest score, ties to the
        earlier code in ``CATEGORY_CODES`` order.

        Args:
            scores: Category code (or ``"none"``) to a non-negative score.
            language: The text's language.
            signals: Signal code to spans (codes without spans may be left out).
            category_evidence: Category code to spans.
            anger_intensity: In ``[0, 1]``.
            truncated_at: How many characters were read when your classifier read
                only part of the text; ``None`` when it read all of it.

        Raises:
            ValueError: for an unknown code or a negative, infinite or NaN score
                (a ``pydantic.ValidationError`` for invalid spans or signals).

        Example:
            >>> TextAnalysis.from_scores({"overcharging": 1, "untrue": 1}).top_category
            'overcharging'
            >>> TextAnalysis.from_scores({}).categories["none"]
            1.0
        """
        unknown = sorted(set(scores) - set(CATEGORY_CODES))
        if unknown:
            raise ValueError(f"unknown category code(s) {unknown}; known: {CATEGORY_CODES}")
        filled: dict[str, float] = {code: float(scores.get(code, 0.0)) for code in CATEGORY_CODES}
        for code, score in filled.items():
            if not (math.isfinite(score) and score >= 0):
                raise ValueError(f"score for {code!r} must be finite and >= 0, got {score!r}")
        total = math.fsum(filled.values())
        if total == 0:
            filled[NONE] = total = 1.0
        probabilities = {code: score / total for code, score in filled.items()}
        top = max(CATEGORY_CODES, key=probabilities.__getitem__)
        return cls(
            categories=probabilities,
            top_category=top,
            signals=dict(signals or {}),
            category_evidence=dict(category_evidence or {}),
            language=language,
            anger_intensity=anger_intensity,
            truncated_at=truncated_at,
        )

    @property
    def complaint_category(self) -> ComplaintCategory | None:
        """The top category as a ``ComplaintCategory``; ``None`` when it is ``"none"``.

        Example:
            >>> TextAnalysis.from_scores({"warranty_dispute": 2}).complaint_category.label_zh
            '保修纠纷'
        """
        if self.top_category == NONE:
            return None
        return ComplaintCategory(self.top_category)

    @property
    def is_complaint(self) -> bool:
        """True when the top category is a complaint category, not ``"none"``.

        Example:
            >>> TextAnalysis.from_scores({}).is_complaint
            False
        """
        return self.top_category != NONE

    @property
    def confidence(self) -> float:
        """The probability of the top category.

        Example:
            >>> TextAnalysis.from_scores({"long_wait": 1, "none": 1}).confidence
            0.5
        """
        return self.categories[self.top_category]

    @property
    def found_signals(self) -> tuple[str, ...]:
        """The codes of the signals that have at least one span, in ``SIGNAL_CODES`` order.

        Example:
            >>> s = Span(start=0, end=2, text="退款")
            >>> TextAnalysis.from_scores({}, signals={"refund": (s,)}).found_signals
            ('refund',)
        """
        return tuple(code for code in SIGNAL_CODES if self.signals.get(code))

    def signal_spans(self, code: str) -> tuple[Span, ...]:
        """The spans supporting signal ``code``; ``()`` when it was not found.

        Raises:
            KeyError: if ``code`` is not a signal code.

        Example:
            >>> LexiconClassifier().classify("我要退款").signal_spans("refund")
            (Span(start=2, end=4, text=<2 chars>),)
        """
        if code not in SIGNAL_CODES:
            raise KeyError(f"unknown signal code {code!r}; known: {', '.join(SIGNAL_CODES)}")
        return self.signals.get(code, ())

    def has_signal(self, code: str) -> bool:
        """Whether signal ``code`` was found.

        Raises:
            KeyError: if ``code`` is not a signal code.

        Example:
            >>> TextAnalysis.from_scores({}).has_signal("safety")
            False
        """
        if code not in SIGNAL_CODES:
            raise KeyError(f"unknown signal code {code!r}; known: {', '.join(SIGNAL_CODES)}")
        return bool(self.signals.get(code))


@runtime_checkable
class TextClassifier(Protocol):
    """Anything that turns complaint or review text into a `TextAnalysis`.

    `LexiconClassifier` is the built-in one; a machine-learned model fits in
    by implementing these two methods (build results with
    `TextAnalysis.from_scores`).

    Example:
        >>> isinstance(LexiconClassifier(), TextClassifier)
        True
        >>> class AlwaysNone:
        ...     def classify(self, text: str) -> TextAnalysis:
        ...         return TextAnalysis.from_scores({})
        ...     def classify_many(self, texts):
        ...         return [self.classify(t) for t in texts]
        >>> isinstance(AlwaysNone(), TextClassifier)
        True
    """

    def classify(self, text: str) -> TextAnalysis:
        """Analyse one text.

        Example:
            >>> LexiconClassifier().classify("太贵了").top_category
            'overcharging'
        """
        ...

    def classify_many(self, texts: Iterable[str]) -> list[TextAnalysis]:
        """Analyse many texts, in order; the same as ``classify`` on each.

        Example:
            >>> len(LexiconClassifier().classify_many(["太贵了", "thanks"]))
            2
        """
        ...


ConfigLanguage = Literal["zh", "en", "any"]


class LexiconConfig(BaseModel):
    """Settings of `LexiconClassifier`; invalid settings fail at construction.

    Attributes:
        extra_terms: Language (``"zh"``, ``"en"``, ``"any"``) to code (category,
            ``"none"`` or signal) to ``{term: weight}``. Terms are folded like the
            text (traditional → simplified, full-width → ASCII, lower case); a
            Latin term may end with ``*`` to match any word starting with it. A
            term already in the built-in lexicons for that code gets the new weight.
        disabled_terms: Built-in (or extra) terms to ignore, for every code.
        extra_negators: Language (``"zh"`` or ``"en"``) to more negators.
        use_builtin_lexicons: ``False`` to use only ``extra_terms`` (the built-in
            negation rules are still used).
        none_weight: Score ``none`` starts with: how much evidence a category needs
            to beat ``none``. With the default 1.0 one weight-1 term ties with
            ``none`` (the category wins ties) and one weight-3 term gives 0.75.
        prior: Score every complaint category starts with (smoothing); 0 keeps
            texts without complaint terms at ``none`` = 1.
        negation: ``False`` to count negated terms too.
        exclamation_weight: Anger weight of a run of two or more ``!``.
        caps_weight: Anger weight of a run of capital Latin letters (at least five
            letters, one word of four or more: ``NEVER``, ``WORST SERVICE``).
        anger_scale: ``anger_intensity = 1 - exp(-anger weight / anger_scale)``.
        max_chars: How many characters of a text are read (default
            `MAX_TEXT_CHARS`, 100,000). A longer text is read up to there and its
            analysis records ``truncated_at``; nothing is dropped silently.

    Example:
        >>> cfg = LexiconConfig(extra_terms={"en": {"long_wait": {"queue for ages": 3}}})
        >>> LexiconClassifier(cfg).classify("Had to queue for ages.").top_category
        'long_wait'
        >>> LexiconConfig(none_weight=0)
        Traceback (most recent call last):
        ...
        pydantic_core._pydantic_core.ValidationError: 1 validation error for LexiconConfig
        none_weight
        ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    extra_terms: Mapping[ConfigLanguage, Mapping[TermCode, Mapping[Term, Weight]]] = Field(
        default_factory=dict
    )
    disabled_terms: tuple[Term, ...] = ()
    extra_negators: Mapping[Literal["zh", "en"], Phrases] = Field(default_factory=dict)
    use_builtin_lexicons: bool = True
    none_weight: Annotated[float, Field(gt=0.0, le=1000.0, allow_inf_nan=False)] = 1.0
    prior: Annotated[float, Field(ge=0.0, le=1000.0, allow_inf_nan=False)] = 0.0
    negation: bool = True
    exclamation_weight: Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)] = 1.0
    caps_weight: Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)] = 1.0
    anger_scale: Annotated[float, Field(gt=0.0, le=1000.0, allow_inf_nan=False)] = 4.0
    max_chars: Annotated[int, Field(ge=1, le=100_000_000)] = MAX_TEXT_CHARS

    @field_validator("extra_terms")
    @classmethod
    def _folded_terms_not_empty(
        cls, value: Mapping[str, Mapping[str, Mapping[str, float]]]
    ) -> Mapping[str, Mapping[str, Mapping[str, float]]]:
        for language, by_code in value.items():
            for code, terms in by_code.items():
                for term in terms:
                    if not normalise(term).strip(" *"):
                        raise ValueError(f"extra_terms[{language}][{code}]: empty term {term!r}")
        return value

    def extra_lexicons(self) -> tuple[Lexicon, ...]:
        """The ``extra_terms`` as lexicons, one per language.

        Example:
            >>> cfg = LexiconConfig(extra_terms={"zh": {"price": {"砍一刀": 2}}})
            >>> cfg.extra_lexicons()[0].signals["price"]
            {'砍一刀': 2.0}
        """
        lexicons = []
        for language, by_code in self.extra_terms.items():
            categories = {c: dict(t) for c, t in by_code.items() if c in CATEGORY_CODES}
            signals = {c: dict(t) for c, t in by_code.items() if c in SIGNAL_CODES}
            lexicons.append(
                Lexicon(
                    schema_version=1,
                    language=language,
                    description="extra terms from LexiconConfig",
                    categories=categories,
                    signals=signals,
                )
            )
        return tuple(lexicons)


@lru_cache(maxsize=16)
def _compiled(config_json: str) -> CompiledLexicon:
    config = LexiconConfig.model_validate_json(config_json)
    lexicons = [load_lexicon(name) for name in BUILTIN_LEXICONS]
    if not config.use_builtin_lexicons:
        # Keep the negation rules, drop the terms.
        lexicons = [
            Lexicon(schema_version=1, language=lex.language, negation=lex.negation)
            for lex in lexicons
        ]
    scopes = {"zh": "chars", "en": "words"}
    return CompiledLexicon(
        [*lexicons, *config.extra_lexicons()],
        disabled_terms=config.disabled_terms,
        extra_negators={scopes[lang]: negs for lang, negs in config.extra_negators.items()},
    )


class LexiconClassifier:
    """The built-in complaint and review text classifier for Chinese and English.

    It finds lexicon terms (longest first) in the folded text, drops negated ones,
    and turns the weights into a distribution over the ten complaint categories and
    ``none``; see ``docs/reference/text.md`` for the scoring rule. Deterministic,
    no I/O besides reading its own lexicon files once.

    Time is linear in the length of the text, and a text is read up to
    ``config.max_chars`` characters (`MAX_TEXT_CHARS` by default); the analysis of
    a longer text says how much was read (``TextAnalysis.truncated_at``).

    Args:
        config: A `LexiconConfig`, a mapping that validates as one, or
            ``None`` for the defaults.

    Example:
        >>> clf = LexiconClassifier()
        >>> a = clf.classify("服務態度太差了，我要退貨！！")
        >>> a.top_category, a.found_signals, a.language
        ('staff_attitude', ('refund', 'anger'), 'zh')
        >>> refund = a.signals["refund"]
        >>> refund[0].text
        '退貨'
        >>> clf.classify("Waited two hours, not rude though").negated[0].text
        'rude'
    """

    def __init__(self, config: LexiconConfig | Mapping[str, Any] | None = None) -> None:
        if config is None:
            config = LexiconConfig()
        elif not isinstance(config, LexiconConfig):
            config = LexiconConfig.model_validate(config)
        self._config = config
        self._lexicon = _compiled(config.model_dump_json())

    @property
    def config(self) -> LexiconConfig:
        """The settings this classifier was built with.

        Example:
            >>> LexiconClassifier({"prior": 0.1}).config.prior
            0.1
        """
        return self._config

    @property
    def lexicon(self) -> CompiledLexicon:
        """The compiled lexicons (built-in plus extra terms).

        Example:
            >>> LexiconClassifier().lexicon.size > 1000
            True
        """
        return self._lexicon

    def __repr__(self) -> str:
        return f"LexiconClassifier(terms={self._lexicon.size})"

    def classify(self, text: str) -> TextAnalysis:
        """Analyse one complaint or review text.

        Args:
            text: Chinese, English or mixed text; may be empty. Only its first
                ``config.max_chars`` characters are read (``truncated_at`` says so).

        Returns:
            The category distribution, signals and evidence spans (offsets into
            ``text``).

        Raises:
            TypeError: if ``text`` is not a string.

        The cyclic garbage collector is paused while the result is built, as in
        `classify_many`: a long text gives hundreds of thousands of spans, and
        collections triggered by them would make the time grow faster than the
        text (about 1.6 times longer at 1,000,000 characters).

        Example:
            >>> a = LexiconClassifier().classify("Not expensive, no problem at all. Great!")
            >>> a.top_category, [s.text for s in a.negated]
            ('none', ['expensive', 'problem'])
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        with gc_paused():
            return self._analyse(text)

    def _analyse(self, text: str) -> TextAnalysis:
        config = self._config
        lexicon = self._lexicon
        truncated_at = None
        if len(text) > config.max_chars:
            truncated_at = config.max_chars
            text = text[:truncated_at]
        folded = normalise(text)
        scores = [0.0] * len(CATEGORY_CODES)
        evidence: dict[int, list[Span]] = {}
        signals: dict[int, list[Span]] = {}
        negated: list[Span] = []
        anger = 0.0
        rules = lexicon.negation_rules(folded) if config.negation else None
        floor = 0
        for start, end, term in lexicon.matches(folded):
            span = _new_span(Span, (start, end, text[start:end]))
            if term is None:  # a run of exclamation marks
                if config.exclamation_weight > 0:
                    signals.setdefault(_ANGER, []).append(span)
                    anger += config.exclamation_weight
            elif (
                rules is not None
                and term.scope is not None
                and negated_hit(folded, start, floor, term.scope, rules)
            ):
                negated.append(span)
            else:
                for is_signal, index, weight in term.entries:
                    if is_signal:
                        signals.setdefault(index, []).append(span)
                        if index == _ANGER:
                            anger += weight
                    else:
                        scores[index] += weight
                        evidence.setdefault(index, []).append(span)
            floor = end
        if config.caps_weight > 0 and _CAPS_QUICK.search(text) is not None:
            shouting = [
                _new_span(Span, (*match.span(), match.group()))
                for match in _CAPS.finditer(text)
                if _is_shouting(match.group())
            ]
            if shouting:
                spans = signals.setdefault(_ANGER, [])
                spans.extend(shouting)
                spans.sort(key=_span_start)
                anger += config.caps_weight * len(shouting)
        return self._result(folded, scores, evidence, signals, negated, anger, truncated_at)

    def _result(
        self,
        folded: str,
        scores: list[float],
        evidence: dict[int, list[Span]],
        signals: dict[int, list[Span]],
        negated: list[Span],
        anger: float,
        truncated_at: int | None,
    ) -> TextAnalysis:
        config = self._config
        none_index = len(CATEGORY_CODES) - 1
        if config.prior:
            for i in range(none_index):
                scores[i] += config.prior
        scores[none_index] += config.none_weight
        total = math.fsum(scores)
        probabilities = [score / total if score else 0.0 for score in scores]
        top = probabilities.index(max(probabilities))
        return _construct(
            TextAnalysis,
            {
                "categories": dict(zip(CATEGORY_CODES, probabilities, strict=True)),
                "top_category": CATEGORY_CODES[top],
                "signals": {SIGNAL_CODES[i]: tuple(signals[i]) for i in sorted(signals)}
                if signals
                else {},
                "category_evidence": {
                    CATEGORY_CODES[i]: tuple(evidence[i]) for i in sorted(evidence)
                }
                if evidence
                else {},
                "negated": tuple(negated),
                "language": language_of_folded(folded),
                "anger_intensity": 1.0 - math.exp(-anger / config.anger_scale) if anger else 0.0,
                "truncated_at": truncated_at,
            },
        )

    def term_of(self, matched: str) -> str | None:
        """The lexicon term that a matched text stands for, or ``None``.

        Reasons and logs cite this term (library or configured vocabulary) rather
        than the customer's words. Linear in ``len(matched)``.

        Args:
            matched: The text of a `Span` this classifier found (any spelling:
                it is folded like the text).

        Returns:
            The term as the lexicon holds it, folded (``"refund*"`` for a word
            matched by a prefix term); ``None`` for text no term matches (a run of
            ``!`` or of capitals).

        Examples:
            >>> clf = LexiconClassifier()
            >>> [clf.term_of(s.text) for s in clf.classify("REFUNDED!! 退貨").signals["refund"]]
            ['refund*', '退货']
            >>> clf.term_of("!!") is None
            True
        """
        term = self._lexicon.lookup(normalise(matched))
        return None if term is None else term.term

    def classify_many(self, texts: Iterable[str]) -> list[TextAnalysis]:
        """Analyse many texts, in order.

        The cyclic garbage collector is paused while the results are built (they
        hold no reference cycles; with it running, a batch of 100,000 texts takes
        about one and a half times as long) and resumed afterwards, also on error.
        It is left alone if it was already disabled.

        Args:
            texts: Any iterable of strings.

        Example:
            >>> results = LexiconClassifier().classify_many(["太贵了", ""])
            >>> tuple(a.top_category for a in results)
            ('overcharging', 'none')
        """
        classify = self.classify
        with gc_paused():
            return [classify(text) for text in texts]


def _span_start(span: Span) -> int:
    return span.start


def _is_shouting(run: str) -> bool:
    words = run.split()
    return sum(map(len, words)) >= _CAPS_MIN_LETTERS and max(map(len, words)) >= _CAPS_MIN_WORD


_Model = TypeVar("_Model", bound=BaseModel)
_new_span = tuple.__new__


def _construct(cls: type[_Model], values: dict[str, Any]) -> _Model:
    # What ``BaseModel.model_construct`` does, without its per-field bookkeeping: the
    # classifier builds many small results whose values are valid by construction.
    # The tests compare these objects with validated ones (JSON round trip).
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model
