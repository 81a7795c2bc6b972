"""The learned complaint model (numpy only) and its combination with the lexicon.

`LearnedClassifier` is a logistic regression over hashed character 1- to 3-grams
(`custcare.text._hashing`): P(complaint) = sigmoid(bias + sum of the weights of
the text's n-grams / sqrt(number of n-grams)). A second, multinomial head over
the same n-grams (hashed into fewer buckets) gives the distribution over the ten
complaint categories of a complaint. The weights ship as
``custcare/text/data/complaint_model.npz`` (float16); ``training/`` in the
repository rebuilds them from corpora fetched with pip.

`CombinedClassifier` keeps everything the lexicon finds (signals with spans,
user-added terms, negation, anger) and takes P(complaint) from both: the
model's log-odds plus ``lexicon_weight`` times how far the lexicon's log-odds
moved from its value on an empty text. A safety or escalation signal is a hard
rule: P(complaint) is then never below the lexicon's own. The category
distribution of a complaint mixes the model's head with the lexicon's shares
(``category_mix`` of the lexicon), so a category the real reviews never showed
(a warranty dispute, an untrue complaint) is still found by its words.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import NamedTuple, get_args

import numpy as np
import numpy.typing as npt

from custcare.errors import DataError
from custcare.text._classifier import (
    MAX_TEXT_CHARS,
    LexiconClassifier,
    Span,
    TextAnalysis,
    _construct,
)
from custcare.text._hashing import hash_ngrams, weight_row_sums, weight_sums
from custcare.text._lexicon import CATEGORY_CODES, NONE
from custcare.text._normalise import Language, detect_language, normalise

__all__ = [
    "CombinedClassifier",
    "ComplaintModel",
    "LearnedClassifier",
    "NgramContribution",
    "load_complaint_model",
]

_COMPLAINT_CODES: tuple[str, ...] = CATEGORY_CODES[:-1]
_HARD_SIGNALS = ("safety", "escalation")
_EDGE = 1e-9


@dataclass(frozen=True, eq=False)
class ComplaintModel:
    """The weights of a hashed n-gram logistic regression.

    Attributes:
        weights: One weight per hash bucket (float32 in memory).
        bias: The intercept.
        lexicon_weight: How much the lexicon's log-odds count in `CombinedClassifier`.
        version: A free-text tag written by the training script.
        category_weights: The category head, ``(category buckets, 10)`` (a power of
            two of rows, columns in ``CATEGORY_CODES`` order without ``"none"``),
            or ``None`` for a model without one.
        category_bias: The head's ten intercepts (``None`` without a head).
        category_mix: The lexicon's share in `CombinedClassifier`'s category
            distribution, in ``[0, 1]``.
        languages: The languages (`custcare.text.Language` codes) whose P(complaint)
            the model was trained on; `CombinedClassifier` takes P(complaint) from
            the lexicon alone for a text in any other language. ``None``: all.
    """

    weights: npt.NDArray[np.float32]
    bias: float
    lexicon_weight: float
    version: str
    category_weights: npt.NDArray[np.float32] | None = None
    category_bias: npt.NDArray[np.float64] | None = None
    category_mix: float = 1.0
    languages: frozenset[str] | None = None

    @property
    def buckets(self) -> int:
        """The number of hash buckets (a power of two)."""
        return len(self.weights)


def _read_model(data: bytes) -> ComplaintModel:
    """The weights of an ``.npz`` file, checked: a wrong file is an error, never NaN scores."""
    names = ("weights", "bias", "lexicon_weight", "version")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            fields = {k: archive[k] for k in names if k in archive.files}
    except (OSError, ValueError) as exc:
        raise DataError(f"complaint model: not an .npz file of weights ({exc})") from None
    missing = [k for k in names if k not in fields]
    if missing:
        raise DataError(f"complaint model: the file has no {missing[0]!r} array")
    raw = fields["weights"]
    if raw.ndim != 1 or raw.dtype.kind != "f" or raw.size == 0 or raw.size & (raw.size - 1):
        raise DataError(
            "complaint model: weights must be one float per hash bucket, a power of two of "
            f"them (got shape {raw.shape}, dtype {raw.dtype})"
        )
    weights = raw.astype(np.float32)
    if not np.isfinite(weights).all():
        bad = np.flatnonzero(~np.isfinite(weights))
        raise DataError(
            f"complaint model: weights must be finite; {bad.size} are not (first bucket {bad[0]})"
        )
    scalars = {}
    for name in ("bias", "lexicon_weight"):
        value = fields[name]
        if value.shape != () or value.dtype.kind not in "fi" or not np.isfinite(value):
            raise DataError(f"complaint model: {name} must be one finite number")
        scalars[name] = float(value)
    if scalars["lexicon_weight"] < 0:
        raise DataError("complaint model: lexicon_weight must be >= 0")
    head, head_bias, mix = _read_head(data)
    return ComplaintModel(
        weights=weights,
        bias=scalars["bias"],
        lexicon_weight=scalars["lexicon_weight"],
        version=str(fields["version"]),
        languages=_read_languages(data),
        category_weights=head,
        category_bias=head_bias,
        category_mix=mix,
    )


def _read_languages(data: bytes) -> frozenset[str] | None:
    """The optional ``languages`` array: language codes the binary head was trained on."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        if "languages" not in archive.files:
            return None
        raw = archive["languages"]
    known = get_args(Language)
    if raw.ndim != 1 or raw.dtype.kind != "U" or not set(raw.tolist()) <= set(known):
        raise DataError(f"complaint model: languages must be a list of {list(known)}")
    return frozenset(raw.tolist())


def _read_head(
    data: bytes,
) -> tuple[npt.NDArray[np.float32] | None, npt.NDArray[np.float64] | None, float]:
    """The optional category head: all three arrays or none of them, checked."""
    names = ("category_weights", "category_bias", "category_mix")
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        fields = {k: archive[k] for k in names if k in archive.files}
    if not fields:
        return None, None, 1.0
    if len(fields) != len(names):
        missing = next(k for k in names if k not in fields)
        raise DataError(f"complaint model: a category head needs {missing!r} too")
    raw, bias, mix = fields["category_weights"], fields["category_bias"], fields["category_mix"]
    rows = raw.shape[0] if raw.ndim == 2 else 0
    if (
        raw.ndim != 2
        or raw.shape[1] != len(_COMPLAINT_CODES)
        or raw.dtype.kind != "f"
        or rows == 0
        or rows & (rows - 1)
    ):
        raise DataError(
            "complaint model: category_weights must be (a power of two of buckets, "
            f"{len(_COMPLAINT_CODES)} categories) floats, got shape {raw.shape}, dtype {raw.dtype}"
        )
    if bias.shape != (len(_COMPLAINT_CODES),) or bias.dtype.kind != "f":
        raise DataError(
            f"complaint model: category_bias must be {len(_COMPLAINT_CODES)} floats, "
            f"got shape {bias.shape}"
        )
    head = raw.astype(np.float32)
    if not (np.isfinite(head).all() and np.isfinite(bias).all()):
        raise DataError("complaint model: the category head must be finite")
    if mix.shape != () or mix.dtype.kind not in "fi" or not 0.0 <= float(mix) <= 1.0:
        raise DataError("complaint model: category_mix must be one number in [0, 1]")
    return head, bias.astype(np.float64), float(mix)


@cache
def _builtin_model() -> ComplaintModel:
    # Package data, read like the lexicon files: the one file the core reads itself.
    resource = resources.files("custcare.text").joinpath("data/complaint_model.npz")
    with resource.open("rb") as handle:
        return _read_model(handle.read())


def load_complaint_model(data: bytes | None = None) -> ComplaintModel:
    """Load complaint model weights; ``None`` gives the built-in model (read once, cached).

    The core does no file I/O of its own: read your file and pass its bytes.

    Args:
        data: The bytes of an ``.npz`` file written by
            ``training/train_complaint_model.py``.

    Returns:
        The model.

    Example:
        >>> model = load_complaint_model()
        >>> model.buckets & (model.buckets - 1), model.weights.dtype
        (0, dtype('float32'))
    """
    if data is None:
        return _builtin_model()
    return _read_model(data)


class NgramContribution(NamedTuple):
    """One n-gram of a text and how much it moved the model's log-odds.

    Attributes:
        span: Where it is in the original text.
        weight: Its contribution to the log-odds of a complaint (negative: towards
            not a complaint).
    """

    span: Span
    weight: float


def _check_texts(texts: Iterable[str]) -> list[str]:
    listed = list(texts)
    for text in listed:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
    return listed


class LearnedClassifier:
    """P(complaint) from a linear model over hashed character n-grams (numpy only).

    ``categories["none"]`` is 1 - P(complaint); the rest is shared among the ten
    category codes by the model's category head (evenly for a model without
    one). Use `CombinedClassifier` for signals and for categories the head never
    saw in training.
    Time is linear in the length of the text; only the first ``max_chars``
    characters are read (``truncated_at`` says so).

    Args:
        model: Weights from `load_complaint_model`; ``None`` for the built-in ones.
        max_chars: How many characters of a text are read.

    Example:
        >>> clf = LearnedClassifier()
        >>> p = clf.complaint_probability(["质量太差，客服也不理人", "很好用，物流快，推荐"])
        >>> bool(p[0] > 0.5 > p[1])
        True
    """

    def __init__(self, model: ComplaintModel | None = None, *, max_chars: int = MAX_TEXT_CHARS):
        if max_chars < 1:
            raise ValueError(f"max_chars must be at least 1, got {max_chars}")
        self._model = model if model is not None else load_complaint_model()
        self._max_chars = max_chars

    @property
    def model(self) -> ComplaintModel:
        """The weights in use."""
        return self._model

    def __repr__(self) -> str:
        return f"LearnedClassifier(buckets={self._model.buckets}, max_chars={self._max_chars})"

    def _cut(self, texts: Sequence[str]) -> list[str]:
        limit = self._max_chars
        return [text[:limit] if len(text) > limit else text for text in texts]

    def decision_function(self, texts: Iterable[str]) -> npt.NDArray[np.float64]:
        """The log-odds of a complaint for each text, in order.

        Raises:
            TypeError: if a text is not a string.

        Example:
            >>> LearnedClassifier().decision_function(["", "x"]).shape
            (2,)
        """
        cut = self._cut(_check_texts(texts))
        model = self._model
        sums, counts = weight_sums(cut, model.weights)
        return model.bias + sums / np.sqrt(np.maximum(counts, 1))

    def complaint_probability(self, texts: Iterable[str]) -> npt.NDArray[np.float64]:
        """P(complaint) for each text, in order (numbers in ``[0, 1]``).

        Example:
            >>> p = LearnedClassifier().complaint_probability(["太失望了"])
            >>> 0.0 <= float(p[0]) <= 1.0
            True
        """
        z = self.decision_function(texts)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))

    def category_probability(self, texts: Iterable[str]) -> npt.NDArray[np.float64]:
        """P(category | complaint) of each text: one row of ten per text, rows sum to 1.

        Columns follow ``CATEGORY_CODES`` without ``"none"``. A model without a
        category head gives one tenth everywhere.

        Example:
            >>> from custcare.text import CATEGORY_CODES
            >>> rows = LearnedClassifier().category_probability(["房间很脏，隔音也差"])
            >>> CATEGORY_CODES[int(rows[0].argmax())], round(float(rows[0].sum()), 6)
            ('product_quality', 1.0)
        """
        cut = self._cut(_check_texts(texts))
        model = self._model
        width = len(_COMPLAINT_CODES)
        if model.category_weights is None or model.category_bias is None:
            return np.full((len(cut), width), 1.0 / width)
        sums, counts = weight_row_sums(cut, model.category_weights)
        # The binary head's scaling: divided by the square root of the n-gram count.
        z: npt.NDArray[np.float64] = (
            model.category_bias + sums / np.sqrt(np.maximum(counts, 1))[:, None]
        )
        e = np.exp(z - z.max(axis=1, keepdims=True))
        rows: npt.NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
        return rows

    def explain(self, text: str, *, top: int = 5) -> tuple[NgramContribution, ...]:
        """The n-grams that moved the decision most, as spans of ``text``, largest first.

        Overlapping n-grams are skipped after the first (``态度`` hides ``度``).

        Args:
            text: The text.
            top: At most this many n-grams.

        Example:
            >>> text = "客服态度太差了"
            >>> spans = [c.span for c in LearnedClassifier().explain(text)]
            >>> all(text[s.start:s.end] == s.text for s in spans)
            True
        """
        (cut,) = self._cut(_check_texts([text]))
        model = self._model
        grams = hash_ngrams([cut], model.buckets)
        if not len(grams.bucket) or top < 1:
            return ()
        contribution = model.weights[grams.bucket].astype(np.float64) / math.sqrt(
            int(grams.counts[0])
        )
        pool = min(len(contribution), 8 * top)
        candidates = np.argpartition(-np.abs(contribution), pool - 1)[:pool]
        candidates = candidates[np.argsort(-np.abs(contribution[candidates]), kind="stable")]
        taken = np.zeros(len(cut), dtype=bool)
        found: list[NgramContribution] = []
        for index in candidates.tolist():
            start = int(grams.start[index])
            end = start + int(grams.length[index])
            if taken[start:end].any():
                continue
            taken[start:end] = True
            found.append(
                NgramContribution(Span(start, end, text[start:end]), float(contribution[index]))
            )
            if len(found) == top:
                break
        return tuple(found)

    def _analysis(
        self, text: str, probability: float, shares: npt.NDArray[np.float64]
    ) -> TextAnalysis:
        scores = {c: probability * float(w) for c, w in zip(_COMPLAINT_CODES, shares, strict=True)}
        scores[NONE] = 1.0 - probability
        truncated = self._max_chars if len(text) > self._max_chars else None
        language = detect_language(text[: self._max_chars])
        return TextAnalysis.from_scores(scores, language=language, truncated_at=truncated)

    def classify(self, text: str) -> TextAnalysis:
        """Analyse one text: ``1 - categories["none"]`` is P(complaint).

        Example:
            >>> a = LearnedClassifier().classify("等了三个小时没人管，太差劲了")
            >>> round(1 - a.categories["none"], 2) > 0.5
            True
        """
        (probability,) = self.complaint_probability([text]).tolist()
        return self._analysis(text, probability, self.category_probability([text])[0])

    def classify_many(self, texts: Iterable[str]) -> list[TextAnalysis]:
        """Analyse many texts, in order; the same as `classify` on each.

        Example:
            >>> len(LearnedClassifier().classify_many(["好", "差"]))
            2
        """
        listed = _check_texts(texts)
        probabilities = self.complaint_probability(listed).tolist()
        shares = self.category_probability(listed)
        return [
            self._analysis(t, p, row)
            for t, p, row in zip(listed, probabilities, shares, strict=True)
        ]


def _logit(p: float) -> float:
    p = min(max(p, _EDGE), 1.0 - _EDGE)
    return math.log(p / (1.0 - p))


class CombinedClassifier:
    """The lexicon for categories, signals and spans; lexicon and model for P(complaint).

    P(complaint) = sigmoid(model log-odds + ``lexicon_weight`` * (lexicon log-odds
    - lexicon log-odds of an empty text)), where the lexicon's P(complaint) is
    ``1 - categories["none"]`` of its analysis; for a text in a language the model
    was not trained on (``ComplaintModel.languages``; the built-in model: Chinese
    and mixed text), the lexicon's P(complaint) alone. With a ``safety`` or
    ``escalation`` signal the result is at least the lexicon's own P(complaint).
    The complaint mass is shared among the ten categories by
    ``(1 - category_mix) * model head + category_mix * lexicon shares`` (the
    lexicon's shares alone for a model without a head; a lexicon that found no
    category term shares evenly, so the head decides). Where a category term of
    your own (``LexiconConfig.extra_terms``) is found, the lexicon's shares alone
    decide: the shop's words win over what the model learnt. Signals, evidence, negated
    spans, language, anger and ``truncated_at`` are the lexicon's, unchanged.

    Args:
        lexicon: The lexicon classifier (with your terms); ``None`` for the default.
        model: The learned classifier; ``None`` for the built-in model.

    Example:
        >>> clf = CombinedClassifier()
        >>> a = clf.classify("刹车失灵，差点出事故")
        >>> a.has_signal("safety"), a.is_complaint
        (True, True)
    """

    def __init__(
        self, lexicon: LexiconClassifier | None = None, model: LearnedClassifier | None = None
    ) -> None:
        self._lexicon = lexicon if lexicon is not None else LexiconClassifier()
        self._model = model if model is not None else LearnedClassifier()
        empty = self._lexicon.classify("")
        self._baseline = _logit(1.0 - empty.categories[NONE])
        # The shop's own category terms: where one is found, the lexicon decides.
        self._user_terms = frozenset(
            normalise(term)
            for by_code in self._lexicon.config.extra_terms.values()
            for code, terms in by_code.items()
            if code in _COMPLAINT_CODES
            for term in terms
        )

    @property
    def lexicon(self) -> LexiconClassifier:
        """The lexicon classifier."""
        return self._lexicon

    @property
    def model(self) -> LearnedClassifier:
        """The learned classifier."""
        return self._model

    def __repr__(self) -> str:
        return f"CombinedClassifier({self._lexicon!r}, {self._model!r})"

    def term_of(self, matched: str) -> str | None:
        """The lexicon term behind a span's text (the spans are the lexicon's).

        Example:
            >>> clf = CombinedClassifier()
            >>> tuple(clf.term_of(s.text) for s in clf.classify("我要退貨").signals["refund"])
            ('退货',)
        """
        return self._lexicon.term_of(matched)

    def _combine(
        self, found: TextAnalysis, model_logit: float, head: npt.NDArray[np.float64] | None
    ) -> TextAnalysis:
        lexical = 1.0 - found.categories[NONE]
        model = self._model.model
        if model.languages is not None and found.language not in model.languages:
            # The model never learnt this language: its log-odds would be noise.
            probability = lexical
        else:
            z = model_logit + model.lexicon_weight * (_logit(lexical) - self._baseline)
            probability = 1.0 / (1.0 + math.exp(-min(max(z, -500.0), 500.0)))
        if any(found.signals.get(code) for code in _HARD_SIGNALS):
            probability = max(probability, lexical)
        shares = self._shares(found, head)
        scores = {c: probability * s for c, s in zip(_COMPLAINT_CODES, shares, strict=True)}
        scores[NONE] = 1.0 - probability
        total = math.fsum(scores.values())
        categories = {code: scores[code] / total for code in CATEGORY_CODES}
        # The lexicon's analysis with the combined categories. Built without a second
        # validation: every value is valid by construction (shares sum to one, the
        # probability is in [0, 1]); a test checks the JSON round trip.
        values = dict(found.__dict__)
        values["categories"] = categories
        values["top_category"] = max(CATEGORY_CODES, key=categories.__getitem__)
        return _construct(TextAnalysis, values)

    def _shares(self, found: TextAnalysis, head: npt.NDArray[np.float64] | None) -> list[float]:
        """P(category | complaint): the lexicon's shares mixed with the head's."""
        lexical = 1.0 - found.categories[NONE]
        if lexical > 0:
            shares = [found.categories[c] / lexical for c in _COMPLAINT_CODES]
        else:
            shares = [1.0 / len(_COMPLAINT_CODES)] * len(_COMPLAINT_CODES)
        if head is not None and not self._has_user_term(found):
            mix = self._model.model.category_mix
            shares = [mix * s + (1.0 - mix) * float(h) for s, h in zip(shares, head, strict=True)]
        return shares

    def category_probability(self, texts: Iterable[str]) -> npt.NDArray[np.float64]:
        """P(category | complaint) of each text: one row of ten (``CATEGORY_CODES`` order).

        What `classify` shares the complaint mass by, also for a text that is
        probably not a complaint: use it for text known to be a complaint (a
        complaint record without a category).

        Example:
            >>> rows = CombinedClassifier().category_probability(["等了两个小时", ""])
            >>> rows.shape, bool(abs(rows.sum(axis=1) - 1).max() < 1e-9)
            ((2, 10), True)
        """
        listed = _check_texts(texts)
        found = self._lexicon.classify_many(listed)
        if self._model.model.category_weights is None:
            return np.array([self._shares(a, None) for a in found]).reshape(
                -1, len(_COMPLAINT_CODES)
            )
        heads = self._model.category_probability(listed)
        return np.array([self._shares(a, h) for a, h in zip(found, heads, strict=True)]).reshape(
            -1, len(_COMPLAINT_CODES)
        )

    def _has_user_term(self, found: TextAnalysis) -> bool:
        if not self._user_terms:
            return False
        return any(
            self._lexicon.term_of(span.text) in self._user_terms
            for spans in found.category_evidence.values()
            for span in spans
        )

    def complaint_probability(self, texts: Iterable[str]) -> npt.NDArray[np.float64]:
        """The combined P(complaint) of each text, in order.

        Example:
            >>> p = CombinedClassifier().complaint_probability(["谢谢，很满意"])
            >>> 0.0 <= float(p[0]) <= 1.0
            True
        """
        return np.array([1.0 - a.categories[NONE] for a in self.classify_many(texts)])

    def classify(self, text: str) -> TextAnalysis:
        """Analyse one text (see the class docstring for how the two combine)."""
        return self.classify_many([text])[0]

    def classify_many(self, texts: Iterable[str]) -> list[TextAnalysis]:
        """Analyse many texts, in order; the same as `classify` on each.

        Example:
            >>> found = CombinedClassifier().classify_many(["我要退款！", ""])
            >>> tuple(a.is_complaint for a in found)
            (True, False)
        """
        listed = _check_texts(texts)
        found = self._lexicon.classify_many(listed)
        logits = self._model.decision_function(listed).tolist()
        if self._model.model.category_weights is None:
            return [self._combine(a, z, None) for a, z in zip(found, logits, strict=True)]
        heads = self._model.category_probability(listed)
        return [self._combine(a, z, h) for a, z, h in zip(found, logits, heads, strict=True)]
