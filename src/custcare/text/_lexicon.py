"""Lexicon data: category and signal codes, the JSON schema, loading and compiling.

The built-in lexicons are JSON files shipped inside the package
(``custcare/text/lexicons/{zh,en,common}.json``). Each file validates as a
`Lexicon`. `CompiledLexicon` turns any number of lexicons into one
regular expression (a character trie, so the longest term wins at each position)
and a dictionary from matched term to what it counts for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal, NamedTuple, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from custcare.models import LabelledEnum
from custcare.models.complaint import ComplaintCategory
from custcare.text._normalise import normalise

__all__ = [
    "BUILTIN_LEXICONS",
    "CATEGORY_CODES",
    "NONE",
    "SIGNAL_CODES",
    "CategoryCode",
    "CompiledLexicon",
    "Lexicon",
    "LexiconLanguage",
    "NegationRules",
    "SignalCode",
    "TermCode",
    "TextSignal",
    "load_lexicon",
]

NONE = "none"
"""The code of text that is not a complaint (praise, questions, neutral remarks)."""

CategoryCode = Literal[
    "staff_attitude",
    "overcharging",
    "long_wait",
    "product_quality",
    "promise_not_kept",
    "not_fixed_first_time",
    "warranty_dispute",
    "poor_after_sales",
    "exaggerated_advertising",
    "untrue",
    "none",
]
"""A complaint category code (the values of ``ComplaintCategory``) or ``"none"``."""

SignalCode = Literal[
    "escalation",
    "safety",
    "refund",
    "anger",
    "competitor",
    "cheaper_offer",
    "price",
    "moved_away",
    "deceased",
    "late_delivery",
    "stale_range",
]
"""A signal code: something worth knowing about a text besides its category."""

TermCode = Literal[CategoryCode, SignalCode]
"""Any code a lexicon term can count for: a category, ``"none"`` or a signal."""

LexiconLanguage = Literal["zh", "en", "any"]
"""The language a lexicon is written for; ``"any"`` for script-neutral terms (emoji)."""

CATEGORY_CODES: tuple[CategoryCode, ...] = get_args(CategoryCode)
"""The ten complaint category codes in ``ComplaintCategory`` order, then ``"none"``."""

SIGNAL_CODES: tuple[SignalCode, ...] = get_args(SignalCode)
"""Every signal code, in documentation order."""

BUILTIN_LEXICONS: tuple[str, ...] = ("zh", "en", "common")
"""The names of the lexicon files shipped with the package."""

if (*(c.value for c in ComplaintCategory), NONE) != CATEGORY_CODES:  # pragma: no cover
    raise ImportError("custcare.text category codes are out of step with ComplaintCategory")


class TextSignal(LabelledEnum):
    """The signals the text classifier reports, with Chinese and English labels.

    The value of each member is its code, the key used in ``TextAnalysis.signals``.

    Example:
        >>> TextSignal("refund").label_zh, TextSignal.REFUND.label_en
        ('退款退货', 'Refund or return demand')
        >>> tuple(s.value for s in TextSignal)[:3]
        ('escalation', 'safety', 'refund')
    """

    ESCALATION = (
        "escalation",
        "升级投诉",
        "Escalation: platform, consumer association, regulator, media, lawyer, chargeback",
    )
    SAFETY = ("safety", "安全问题", "Safety: injury, fire, allergy, electric shock")
    REFUND = ("refund", "退款退货", "Refund or return demand")
    ANGER = ("anger", "愤怒情绪", "Anger")
    COMPETITOR = ("competitor", "转投别家", "Going to a competitor")
    CHEAPER_OFFER = ("cheaper_offer", "别家更便宜", "Cheaper offer elsewhere")
    PRICE = ("price", "嫌贵或压价", "Price complaint or price-hunting")
    MOVED_AWAY = ("moved_away", "搬离本地", "Moved away")
    DECEASED = ("deceased", "客户去世", "Customer deceased")
    LATE_DELIVERY = ("late_delivery", "发货或物流延误", "Late delivery")
    STALE_RANGE = ("stale_range", "款式陈旧缺乏新品", "Stale range, nothing new")


_STAR = "*"
_STAR_KEY = "**"
_END_KEY = ""
_SOLO_FANOUT = 12
_BUCKET_PAIRS = 80
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _is_han(char: str) -> bool:
    return (
        "\u3400" <= char <= "\u9fff"
        or "\uf900" <= char <= "\ufaff"
        or "\U00020000" <= char <= "\U0003134f"
    )


def _check_term(term: str) -> str:
    cleaned = " ".join(term.split())
    if not cleaned:
        raise ValueError("a term must contain a non-space character")
    if _STAR in cleaned[:-1]:
        raise ValueError(f"term {term!r}: '*' may only end a term")
    if cleaned.endswith(_STAR) and (
        len(cleaned) < 2 or normalise(cleaned[-2]) not in "abcdefghijklmnopqrstuvwxyz"
    ):
        raise ValueError(f"term {term!r}: '*' may only follow a Latin letter")
    return cleaned


def _check_phrases(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not value.strip():
            raise ValueError("an entry must contain a non-space character")
    return values


Term = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_check_term)]
"""A lexicon term: a word or phrase; a Latin term may end with ``*`` (prefix match)."""

Weight = Annotated[float, Field(gt=0.0, le=100.0, allow_inf_nan=False)]
"""How much one hit of a term counts: a finite number in ``(0, 100]``."""

TermWeights = dict[Term, Weight]
Phrases = Annotated[tuple[str, ...], AfterValidator(_check_phrases)]


class NegationRules(BaseModel):
    """How a language marks negation: a hit preceded closely by a negator is dropped.

    Attributes:
        scope: ``"chars"`` (Chinese: look at the ``window`` characters before the hit)
            or ``"words"`` (English: look at up to ``window`` words before the hit).
        window: How far back to look.
        negators: Words or characters that negate what follows (``不``, ``not``).
        pseudo_negators: Phrases that contain a negator but do not negate
            (``不但``, ``非常``, ``not only``); they are blanked out before looking.
        clause_breaks: Words that end the negation's reach (``但``, ``but``).
        skip_words: (``"words"`` scope) words passed over between negator and hit
            (``very``, ``at``, ``all``): ``not at all rude`` is negated, ``not the
            staff, they were rude`` is cut by the comma.

    Example:
        >>> NegationRules(scope="words", window=3, negators=("not",)).window
        3
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    scope: Literal["chars", "words"]
    window: Annotated[int, Field(ge=1, le=12)]
    negators: Phrases
    pseudo_negators: Phrases = ()
    clause_breaks: Phrases = ()
    skip_words: Phrases = ()


class Lexicon(BaseModel):
    """One lexicon file: terms with weights per category and per signal.

    Attributes:
        schema_version: Always ``1``.
        language: ``"zh"``, ``"en"`` or ``"any"`` (script-neutral, e.g. emoji).
        description: Free text.
        negation: The language's negation rules, if it has any.
        categories: Category code (or ``"none"``) to ``{term: weight}``. Terms under
            ``"none"`` are praise and questions: they add weight to ``none``.
        signals: Signal code to ``{term: weight}``.
        guards: Words that contain a term but mean something else (``坑洼``, a
            pothole, holds ``坑``; ``问题不大`` holds ``问题``). Matching takes the
            longest word at each place, so a guard found there hides the shorter
            term and counts for nothing. A guard that is also a term of any
            compiled lexicon is ignored: terms win.

    Example:
        >>> lex = Lexicon(schema_version=1, language="en",
        ...               categories={"long_wait": {"queue for ages": 3}})
        >>> lex.categories["long_wait"]
        {'queue for ages': 3.0}
        >>> guarded = Lexicon(schema_version=1, language="zh",
        ...                   signals={"anger": {"坑": 2}}, guards=("坑洼",))
        >>> compiled = CompiledLexicon([guarded])
        >>> tuple(t.term for _, _, t in compiled.matches("路上坑洼多，这家店真坑") if t)
        ('坑洼', '坑')
        >>> compiled.lookup("坑洼").entries
        ()
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1]
    language: LexiconLanguage
    description: str = ""
    negation: NegationRules | None = None
    categories: dict[CategoryCode, TermWeights] = Field(default_factory=dict)
    signals: dict[SignalCode, TermWeights] = Field(default_factory=dict)
    guards: Phrases = ()

    def terms(self) -> Iterable[tuple[TermCode, str, float]]:
        """Every ``(code, term, weight)`` of this lexicon, categories first.

        Example:
            >>> sum(1 for _ in load_lexicon("common").terms()) > 10
            True
        """
        for code, weights in self.categories.items():
            for term, weight in weights.items():
                yield code, term, weight
        for signal, weights in self.signals.items():
            for term, weight in weights.items():
                yield signal, term, weight


@cache
def load_lexicon(name: str) -> Lexicon:
    """Load and validate one of the built-in lexicons (read once, then cached).

    Args:
        name: One of `BUILTIN_LEXICONS`: ``"zh"``, ``"en"`` or ``"common"``.

    Returns:
        The validated lexicon.

    Raises:
        ValueError: if ``name`` is not a built-in lexicon.

    Example:
        >>> zh = load_lexicon("zh")
        >>> overcharging = zh.categories["overcharging"]
        >>> zh.language, overcharging["乱收费"]
        ('zh', 3.0)
    """
    if name not in BUILTIN_LEXICONS:
        raise ValueError(f"unknown lexicon {name!r}; built-in lexicons: {list(BUILTIN_LEXICONS)}")
    data = resources.files("custcare.text").joinpath(f"lexicons/{name}.json").read_text("utf-8")
    return Lexicon.model_validate(json.loads(data))


Hit = tuple[int, int, "CompiledTerm | None", bool]
"""A hit of `CompiledLexicon.scan`: start, end, term (``None``: ``!!``), negated."""


class Entry(NamedTuple):
    """What one hit of a term counts for: a signal or a category (by position), a weight.

    Example:
        >>> entry = CompiledLexicon([load_lexicon("zh")]).lookup("退款").entries[0]
        >>> entry.is_signal, SIGNAL_CODES[entry.slot], entry.weight
        (True, 'refund', 3.0)
    """

    is_signal: bool
    slot: int
    weight: float


class CompiledTerm(NamedTuple):
    """A folded term with its entries and the negation scope that applies to it.

    Example:
        >>> term = CompiledLexicon([load_lexicon("zh")]).lookup("太贵")
        >>> term.term, term.scope, len(term.entries)
        ('太贵', 'chars', 2)
    """

    term: str
    entries: tuple[Entry, ...]
    scope: Literal["chars", "words"] | None


class _Rules(NamedTuple):
    quick: re.Pattern[str]  # finds any negator (a whole-text first test, "chars" scope)
    scanner: re.Pattern[str]  # clause breaks, pseudo-negators and negators, longest first
    negset: frozenset[str]  # the negators (words without apostrophes)
    single: bool  # every negator is one character
    reach: int  # how many characters before a hit are looked at
    window: int
    negators: tuple[str, ...]
    pseudo: tuple[str, ...]
    breaks: tuple[str, ...]
    skip: frozenset[str]


_PUNCTUATION = frozenset('.,;:!?~。、…\n\r()[]{}"<>|/')
_WORD = re.compile("[a-z0-9']+")
_PUNCTUATION_CLASS = "[" + "".join(re.escape(c) for c in sorted(_PUNCTUATION)) + "]"
_LAST_BREAK = re.compile(_PUNCTUATION_CLASS + "[^" + _PUNCTUATION_CLASS[1:] + "*\\Z")
_HAS_ALNUM = re.compile("[a-z0-9]")
_WORD_REACH = 16  # characters looked back per word of the negation window
_EXCLAMATIONS = re.compile("!{2,}")


def _on_word_boundaries(folded: str, start: int, end: int) -> bool:
    return (start == 0 or folded[start - 1] not in _ASCII_ALNUM) and (
        end == len(folded) or folded[end] not in _ASCII_ALNUM
    )


def _by_start_then_longest(hit: tuple[int, int, object]) -> tuple[int, int]:
    return hit[0], -hit[1]


_SPACE_ESCAPE = r"\s+"


def _scope_of(term: str) -> Literal["chars", "words"] | None:
    first = term[0]
    if first in _ASCII_ALNUM:
        return "words"
    if _is_han(first):
        return "chars"
    return None


def _trie(terms: Iterable[str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for term in terms:
        node = root
        body, star = (term[:-1], True) if term.endswith(_STAR) else (term, False)
        for char in body:
            node = node.setdefault(char, {})
        node[_STAR_KEY if star else _END_KEY] = True
    return root


def _literal(char: str) -> str:
    return _SPACE_ESCAPE if char == " " else re.escape(char)


def _emit(node: Mapping[str, Any]) -> str:
    alternatives = [
        _literal(char) + _emit(node[char]) for char in sorted(k for k in node if len(k) == 1)
    ]
    if _STAR_KEY in node:
        alternatives.append("[a-z]*")
    elif _END_KEY in node:
        if not alternatives:
            return ""
        return "(?:" + "|".join(alternatives) + ")?"
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def _trie_regex(terms: Iterable[str]) -> str:
    """A regex matching any of ``terms``, longest first, as a nested alternation."""
    return _emit(_trie(terms))


def _dispatch_regex(terms: Iterable[str]) -> str:
    """Like `_trie_regex`, but fast when there are hundreds of first characters.

    Python's regex engine tries the alternatives of a group one after the other, so
    a position where no term starts would cost one check per first character. Here
    first characters are grouped in character classes (one check per group), and
    inside a group the alternatives start with the *second* character and confirm
    the first with a one-character lookbehind. Terms of one character come last.
    """
    root = _trie(terms)
    firsts = sorted(k for k in root if len(k) == 1)
    parts: list[str] = []
    bucket: list[str] = []
    inner: list[str] = []
    singles: list[str] = []

    def flush() -> None:
        if bucket:
            klass = "".join(re.escape(c) for c in bucket)
            parts.append(f"[{klass}](?:" + "|".join(sorted(inner)) + ")")
            bucket.clear()
            inner.clear()

    for first in firsts:
        node = root[first]
        seconds = sorted(k for k in node if len(k) == 1)
        if len(seconds) >= _SOLO_FANOUT or " " in seconds or _STAR_KEY in node:
            parts.append(re.escape(first) + _emit(node))
            continue
        if _END_KEY in node:
            singles.append(first)
        if not seconds:
            continue
        if len(inner) + len(seconds) > _BUCKET_PAIRS:
            flush()
        bucket.append(first)
        inner.extend(
            f"{re.escape(second)}(?<={re.escape(first)}{re.escape(second)})" + _emit(node[second])
            for second in seconds
        )
    flush()
    if singles:
        parts.append("[" + "".join(re.escape(c) for c in singles) + "]")
    return "|".join(parts)


def _merge_rules(scope: str, rules: Sequence[NegationRules], extra: Sequence[str]) -> _Rules | None:
    if not rules and not extra:
        return None
    window = max((r.window for r in rules), default=3)
    negators = tuple(dict.fromkeys(n for r in rules for n in (*r.negators, *extra)))
    pseudo = tuple(dict.fromkeys(p for r in rules for p in r.pseudo_negators))
    breaks = tuple(dict.fromkeys(b for r in rules for b in r.clause_breaks))
    skip = frozenset(s for r in rules for s in r.skip_words)
    folded_negators = tuple(normalise(n) for n in negators)
    folded_pseudo = tuple(sorted((normalise(p) for p in pseudo), key=len, reverse=True))
    folded_breaks = tuple(normalise(b) for b in breaks)
    pseudo_pad = max((len(p) for p in pseudo), default=0)
    quick = re.compile("|".join(map(re.escape, folded_negators)))
    return _Rules(
        quick=quick,
        negset=frozenset(n.replace("'", "") for n in folded_negators),
        single=all(len(n) == 1 for n in folded_negators),
        scanner=re.compile(
            "(?P<brk>["
            + "".join(map(re.escape, sorted(_PUNCTUATION)))
            + "]"
            + "".join("|" + re.escape(b) for b in sorted(folded_breaks, key=len, reverse=True))
            + ")"
            + ("|(?P<pseudo>" + "|".join(map(re.escape, folded_pseudo)) + ")" if pseudo else "")
            + "|(?P<neg>"
            + "|".join(map(re.escape, sorted(folded_negators, key=len, reverse=True)))
            + ")"
        ),
        reach=window + pseudo_pad if scope == "chars" else _WORD_REACH * window,
        window=window,
        negators=folded_negators,
        pseudo=folded_pseudo,
        breaks=folded_breaks,
        skip=frozenset(normalise(s) for s in skip),
    )


class CompiledLexicon:
    """Lexicons compiled into one regular expression and a term dictionary.

    Args:
        lexicons: The lexicons, in order; a later lexicon's weight for the same
            term and code replaces an earlier one.
        disabled_terms: Terms (any spelling; they are folded) to leave out.
        extra_negators: Extra negators per negation scope (``"chars"``, ``"words"``).

    Example:
        >>> compiled = CompiledLexicon([load_lexicon("en")])
        >>> compiled.lookup("refunded").term
        'refund*'
    """

    def __init__(
        self,
        lexicons: Sequence[Lexicon],
        *,
        disabled_terms: Iterable[str] = (),
        extra_negators: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        disabled = {normalise(_check_term(t)) for t in disabled_terms}
        weights: dict[str, dict[TermCode, float]] = {}
        for lexicon in lexicons:
            for code, term, weight in lexicon.terms():
                folded = normalise(term)
                if folded in disabled:
                    continue
                weights.setdefault(folded, {})[code] = weight
        guards = {
            folded
            for lexicon in lexicons
            for guard in lexicon.guards
            if (folded := normalise(guard)) not in weights and folded not in disabled
        }
        self._exact: dict[str, CompiledTerm] = {}
        self._stems: dict[str, CompiledTerm] = {}
        for term, by_code in weights.items():
            entries = tuple(
                Entry(True, SIGNAL_CODES.index(code), weight)
                if code in SIGNAL_CODES
                else Entry(False, CATEGORY_CODES.index(code), weight)
                for code, weight in by_code.items()
            )
            compiled = CompiledTerm(term, entries, _scope_of(term))
            if term.endswith(_STAR):
                self._stems[term[:-1]] = compiled
            else:
                self._exact[term] = compiled
        for guard in guards:
            # No entries and no negation scope: found, it hides shorter terms, nothing more.
            target = self._stems if guard.endswith(_STAR) else self._exact
            target[guard.removesuffix(_STAR)] = CompiledTerm(guard, (), None)
        self._stem_lengths = sorted({len(s) for s in self._stems}, reverse=True)
        found = [*weights, *guards]
        words = [t for t in found if t[0] in _ASCII_ALNUM]
        others = [t for t in found if t[0] not in _ASCII_ALNUM]
        self._others: re.Pattern[str] | None = (
            re.compile(_dispatch_regex(others)) if others else None
        )
        self._words: re.Pattern[str] | None = (
            re.compile(rf"(?<![a-z0-9])(?=[a-z0-9])(?:{_trie_regex(words)})(?![a-z0-9])")
            if words
            else None
        )
        extra = extra_negators or {}
        by_scope: dict[str, list[NegationRules]] = {"chars": [], "words": []}
        for lexicon in lexicons:
            if lexicon.negation is not None:
                by_scope[lexicon.negation.scope].append(lexicon.negation)
        self._char_rules = _merge_rules("chars", by_scope["chars"], extra.get("chars", ()))
        self._word_rules = _merge_rules("words", by_scope["words"], extra.get("words", ()))

    @property
    def size(self) -> int:
        """How many distinct (folded) terms and guards the lexicons hold.

        Example:
            >>> CompiledLexicon([load_lexicon("common")]).size > 10
            True
        """
        return len(self._exact) + len(self._stems)

    def scan(self, folded: str, *, negation: bool = True) -> list[Hit]:
        """Every hit in ``folded``, left to right, not overlapping, longest first.

        Args:
            folded: Text returned by `custcare.text.normalise`.
            negation: Whether to apply the negation rules (else no hit is negated).

        Returns:
            ``(start, end, term, negated)`` tuples; ``term`` is ``None`` for a run of
            two or more exclamation marks.

        Example:
            >>> c = CompiledLexicon([load_lexicon("zh"), load_lexicon("en")])
            >>> hits = c.scan("不太贵!! refunded")
            >>> tuple((s, e, t.term if t else None, n) for s, e, t, n in hits)
            ((1, 3, '太贵', True), (3, 5, None, False), (6, 14, 'refund*', False))
        """
        rules = self.negation_rules(folded) if negation else None
        result: list[Hit] = []
        floor = 0
        for start, end, term in self.matches(folded):
            negated = (
                rules is not None
                and term is not None
                and term.scope is not None
                and negated_hit(folded, start, floor, term.scope, rules)
            )
            result.append((start, end, term, negated))
            floor = end
        return result

    def matches(self, folded: str) -> list[tuple[int, int, CompiledTerm | None]]:
        """Like `scan`, without negation: ``(start, end, term)`` triples.

        Example:
            >>> c = CompiledLexicon([load_lexicon("zh")])
            >>> start, end, term = c.matches("不太贵")[0]
            >>> start, end, term.term
            (1, 3, '太贵')
        """
        hits: list[tuple[int, int, CompiledTerm | None]] = []
        append = hits.append
        sources = 0
        get = self._exact.get
        lookup = self.lookup
        if self._others is not None and not folded.isascii():
            # This pattern has no boundary checks, so a term found by the regex is at
            # the first place it occurs after the previous one: str.find locates it.
            find = folded.find
            end = 0
            for matched in self._others.findall(folded):
                start = find(matched, end)
                end = start + len(matched)
                term = get(matched) or lookup(matched)
                if term is not None:
                    append((start, end, term))
            sources += 1
        if self._words is not None and _HAS_ALNUM.search(folded) is not None:
            # Each match is the first occurrence of its text, after the previous one,
            # that stands on word boundaries (else the regex would have matched there).
            find = folded.find
            end = 0
            for matched in self._words.findall(folded):
                start = find(matched, end)
                while not _on_word_boundaries(folded, start, start + len(matched)):
                    start = find(matched, start + 1)
                end = start + len(matched)
                term = get(matched) or lookup(matched)
                if term is not None:
                    append((start, end, term))
            sources += 1
        if "!!" in folded:
            hits.extend((m.start(), m.end(), None) for m in _EXCLAMATIONS.finditer(folded))
            sources += 1
        if sources > 1:
            hits.sort(key=_by_start_then_longest)
            kept: list[tuple[int, int, CompiledTerm | None]] = []
            end = 0
            for hit in hits:
                if hit[0] >= end:
                    kept.append(hit)
                    end = hit[1]
            hits = kept
        return hits

    def negation_rules(self, folded: str) -> NegationState | None:
        """The negation rules that can apply in ``folded``; ``None`` if it has no negator.

        Example:
            >>> c = CompiledLexicon([load_lexicon("zh")])
            >>> c.negation_rules("太贵") is None, c.negation_rules("不太贵") is None
            (True, False)
        """
        chars = self._char_rules
        if chars is not None and chars.quick.search(folded) is None:
            chars = None
        words = self._word_rules
        if words is not None and _HAS_ALNUM.search(folded) is None:
            words = None
        if chars is None and words is None:
            return None
        return NegationState(chars, words)

    def lookup(self, matched: str) -> CompiledTerm | None:
        """The term behind a matched (folded) text, or ``None`` if there is none.

        Args:
            matched: The matched text (folded). Runs of white space count as one
                space; a Latin word may continue a ``*`` term.

        Example:
            >>> c = CompiledLexicon([load_lexicon("en")])
            >>> c.lookup("too   expensive").term, c.lookup("refunded").term
            ('too expensive', 'refund*')
        """
        found = self._exact.get(matched)
        if found is not None:
            return found
        key = " ".join(matched.split())
        found = self._exact.get(key)
        if found is not None:
            return found
        for length in self._stem_lengths:
            if length <= len(key):
                found = self._stems.get(key[:length])
                if found is not None:
                    return found
        return None

    def negated(self, folded: str, start: int, floor: int, scope: str) -> bool:
        """Whether the hit at ``start`` is negated by what comes just before it.

        Args:
            folded: The folded text.
            start: Where the hit starts.
            floor: Where the previous hit ended; text before it is not looked at.
            scope: The hit's negation scope, ``"chars"`` or ``"words"``.

        Example:
            >>> c = CompiledLexicon([load_lexicon("zh")])
            >>> c.negated("不太贵", 1, 0, "chars"), c.negated("非常贵", 2, 0, "chars")
            (True, False)
        """
        state = self.negation_rules(folded)
        return state is not None and negated_hit(folded, start, floor, scope, state)


class NegationState(NamedTuple):
    """The negation rules that can apply in one text (``None`` where none can).

    Example:
        >>> state = CompiledLexicon([load_lexicon("zh")]).negation_rules("不太贵")
        >>> state.chars is not None, state.words
        (True, None)
    """

    chars: _Rules | None
    words: _Rules | None


def negated_hit(folded: str, start: int, floor: int, scope: str, state: NegationState) -> bool:
    """Whether a hit at ``start`` with negation ``scope`` is negated (see `CompiledLexicon`).

    Args:
        folded: The folded text.
        start: Where the hit starts.
        floor: Where the previous hit ended; text before it is not looked at.
        scope: ``"chars"`` or ``"words"``.
        state: From `CompiledLexicon.negation_rules` on the same text.

    Example:
        >>> c = CompiledLexicon([load_lexicon("en")])
        >>> negated_hit("not rude", 4, 0, "words", c.negation_rules("not rude"))
        True
    """
    rules = state.chars if scope == "chars" else state.words
    if rules is None:
        return False
    lo = start - rules.reach
    if lo < floor:
        lo = floor
    segment = folded[lo:start]
    if scope == "chars":
        if rules.single and rules.negset.isdisjoint(segment):
            return False  # the usual case: no negator character close before the hit
        return _negated_chars(segment, rules)
    if "n't" not in segment and rules.negset.isdisjoint(_WORD.findall(segment)):
        return False  # the usual case: no negator word close before the hit
    return _negated_words(segment, rules)


def _after_last_break(segment: str) -> str:
    match = _LAST_BREAK.search(segment)
    return segment if match is None else segment[match.start() + 1 :]


def _negated_chars(segment: str, rules: _Rules) -> bool:
    # The last negator that is not part of a pseudo-negator and not followed by a
    # clause break must lie within the window.
    last = -1
    for match in rules.scanner.finditer(segment):
        kind = match.lastgroup
        if kind == "neg":
            last = match.start()
        elif kind == "brk":
            last = -1
    return last >= 0 and last >= len(segment) - rules.window


def _negated_words(segment: str, rules: _Rules) -> bool:
    segment = _after_last_break(segment)
    for phrase in rules.pseudo:
        if phrase in segment:
            segment = segment.replace(phrase, " \x00 ")
    words = _WORD.findall(segment)
    for word in words[: -rules.window - 1 : -1]:
        if word in rules.breaks:
            return False
        if word.endswith("n't") or word.replace("'", "") in rules.negators:
            return True
        if word not in rules.skip:
            return False
    return False
