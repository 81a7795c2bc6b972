"""The learned complaint model (numpy only) and its combination with the lexicon.

`LearnedClassifier` is a logistic regression over hashed character 1- to 3-grams
(`custcare.text._hashing`): P(complaint) = sigmoid(bias + sum of the weights of
the text's n-grams / sqrt(number of n-grams)). The weights ship as
``custcare/text/data/complaint_model.npz`` (float16); ``training/`` in the
repository rebuilds them from corpora fetched with pip.

`CombinedClassifier` keeps everything the lexicon finds (signals with spans,
user-added terms, negation, anger) and takes P(complaint) from both: the
model's log-odds plus ``lexicon_weight`` times how far the lexicon's log-odds
moved from its value on an empty text. A safety or escalation signal is a hard
rule: P(complaint) is then never below the lexicon's own.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from custcare.errors import DataError
from custcare.text._classifier import MAX_TEXT_CHARS, LexiconClassifier, Span, TextAnalysis
from custcare.text._hashing import hash_ngrams, weight_sums
from custcare.text._lexicon import CATEGORY_CODES, NONE
from custcare.text._normalise import detect_language

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
    """

    weights: npt.NDArray[np.float32]
    bias: float
    lexicon_weight: float
    version: str

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
    return ComplaintModel(
        weights=weights,
        bias=scalars["bias"],
        lexicon_weight=scalars["lexicon_weight"],
        version=str(fields["version"]),
    )


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

    The model knows complaint against not-a-complaint, not the ten categories:
    ``categories["none"]`` is 1 - P(complaint) and the rest is spread evenly over
    the ten category codes (use `CombinedClassifier` for categories and signals).
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

    def _analysis(self, text: str, probability: float) -> TextAnalysis:
        share = probability / len(_COMPLAINT_CODES)
        scores = dict.fromkeys(_COMPLAINT_CODES, share)
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
        return self._analysis(text, probability)

    def classify_many(self, texts: Iterable[str]) -> list[TextAnalysis]:
        """Analyse many texts, in order; the same as `classify` on each.

        Example:
            >>> len(LearnedClassifier().classify_many(["好", "差"]))
            2
        """
        listed = _check_texts(texts)
        probabilities = self.complaint_probability(listed).tolist()
        return [self._analysis(t, p) for t, p in zip(listed, probabilities, strict=True)]


def _logit(p: float) -> float:
    p = min(max(p, _EDGE), 1.0 - _EDGE)
    return math.log(p / (1.0 - p))


class CombinedClassifier:
    """The lexicon for categories, signals and spans; lexicon and model for P(complaint).

    P(complaint) = sigmoid(model log-odds + ``lexicon_weight`` * (lexicon log-odds
    - lexicon log-odds of an empty text)), where the lexicon's P(complaint) is
    ``1 - categories["none"]`` of its analysis. With a ``safety`` or
    ``escalation`` signal the result is at least the lexicon's own P(complaint).
    The complaint mass is shared among the ten categories in the lexicon's
    proportions; signals, evidence, negated spans, language, anger and
    ``truncated_at`` are the lexicon's, unchanged.

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

    def _combine(self, found: TextAnalysis, model_logit: float) -> TextAnalysis:
        lexical = 1.0 - found.categories[NONE]
        weight = self._model.model.lexicon_weight
        z = model_logit + weight * (_logit(lexical) - self._baseline)
        probability = 1.0 / (1.0 + math.exp(-min(max(z, -500.0), 500.0)))
        if any(found.signals.get(code) for code in _HARD_SIGNALS):
            probability = max(probability, lexical)
        if lexical > 0:
            scores = {c: probability * found.categories[c] / lexical for c in _COMPLAINT_CODES}
        else:
            scores = dict.fromkeys(_COMPLAINT_CODES, probability / len(_COMPLAINT_CODES))
        scores[NONE] = 1.0 - probability
        combined = TextAnalysis.from_scores(
            scores,
            language=found.language,
            signals=found.signals,
            category_evidence=found.category_evidence,
            anger_intensity=found.anger_intensity,
            truncated_at=found.truncated_at,
        )
        return combined.model_copy(update={"negated": found.negated})

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
        return [self._combine(a, z) for a, z in zip(found, logits, strict=True)]
