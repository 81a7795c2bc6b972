"""Complaint and review text classification for Chinese and English.

`LexiconClassifier` reads a complaint, a review or a call note and returns a
`TextAnalysis`: a probability for each of the ten complaint categories
(``ComplaintCategory`` codes) and ``"none"``, the signals found (escalation,
safety, refund, anger, competitor, cheaper offer, price, moved away, deceased,
late delivery, stale range) with the spans that support them, and the language.
Any object with ``classify`` and ``classify_many`` (the `TextClassifier`
protocol) can take its place. `LearnedClassifier` is a compact model over hashed
character n-grams trained on real reviews (numpy only, weights shipped in the
package); `CombinedClassifier` joins it with the lexicon (see
``docs/reference/text.md``).

Classification is linear in the length of the text, and a text is read up to
`MAX_TEXT_CHARS` (100,000) characters (``LexiconConfig.max_chars``); the analysis
of a longer one records ``truncated_at``. Reprs of spans and analyses show offsets
and lengths, never the customer's words.

Example:
    >>> from custcare.text import LexiconClassifier
    >>> a = LexiconClassifier().classify("等了两个小时还没修好，再也不来了😡")
    >>> a.top_category, a.found_signals
    ('not_fixed_first_time', ('anger', 'competitor'))
"""

from custcare.text._classifier import (
    MAX_TEXT_CHARS,
    LexiconClassifier,
    LexiconConfig,
    Span,
    TextAnalysis,
    TextClassifier,
)
from custcare.text._learned import (
    CombinedClassifier,
    ComplaintModel,
    LearnedClassifier,
    NgramContribution,
    load_complaint_model,
)
from custcare.text._lexicon import (
    BUILTIN_LEXICONS,
    CATEGORY_CODES,
    NONE,
    SIGNAL_CODES,
    CategoryCode,
    CompiledLexicon,
    Lexicon,
    NegationRules,
    SignalCode,
    TextSignal,
    load_lexicon,
)
from custcare.text._normalise import Language, detect_language, normalise

__all__ = [
    "BUILTIN_LEXICONS",
    "CATEGORY_CODES",
    "MAX_TEXT_CHARS",
    "NONE",
    "SIGNAL_CODES",
    "CategoryCode",
    "CombinedClassifier",
    "CompiledLexicon",
    "ComplaintModel",
    "Language",
    "LearnedClassifier",
    "Lexicon",
    "LexiconClassifier",
    "LexiconConfig",
    "NegationRules",
    "NgramContribution",
    "SignalCode",
    "Span",
    "TextAnalysis",
    "TextClassifier",
    "TextSignal",
    "detect_language",
    "load_complaint_model",
    "load_lexicon",
    "normalise",
]
