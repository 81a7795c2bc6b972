"""Character folding that keeps offsets, and language detection.

Matching runs on a *folded* copy of the input text in which every character is
replaced by exactly one character, so an offset in the folded text is the same
offset in the original text and matched spans can quote the original.

Folding, per character:

1. NFKC normalisation of that single character (full-width ``ＡＢＣ！`` becomes
   ``ABC!``, the ideographic space becomes a space, CJK compatibility ideographs
   become unified ones). When NFKC would turn one character into several (``ﬁ``
   into ``fi``, ``㈱`` into ``(株)``), the character is kept as it is.
2. Lower case, again only when that gives one character.
3. Traditional (and Hong Kong and Taiwan variant) Chinese to simplified, one
   character to one character (``貴`` → ``贵``, ``裡`` → ``里``, ``冇`` → ``没``): the
   4,111 pairs of ``data/traditional.tsv``, built from OpenCC's character
   dictionaries by ``training/build_fold_table.py``. Characters that are also
   ordinary simplified characters are left alone, so simplified text never changes;
   words that differ beyond their characters (``的士`` / ``出租车``) are the
   lexicons' business.
4. Typographic apostrophes (``’``, ``‘``, ``‛``, ``′``, `````) become ``'``.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Literal

__all__ = ["Language", "detect_language", "normalise"]

Language = Literal["zh", "en", "mixed", "unknown"]
"""The language of a text: Chinese, English, both, or neither (empty, emoji only)."""

_APOSTROPHES = "’‘‛′`"

# Unicode has no compatibility decompositions or case mappings above this code point.
_LAST_FOLDED_PLANE_END = 0x30000
# Blocks given identity entries in the fold table (Latin, punctuation, CJK, full-width).
_COMMON_BLOCKS = (range(0x0250), range(0x2000, 0xA000), range(0xFF00, 0xFFF0))

_HAN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_LATIN_WORD = re.compile("[a-z]+")
_MIXED_SHARE = 0.3


def _traditional_pairs() -> dict[str, str]:
    # Package data, read like the lexicon files; "#" lines are the file's provenance.
    text = resources.files("custcare.text").joinpath("data/traditional.tsv").read_text("utf-8")
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            traditional, simplified = line.split("\t")
            pairs[traditional] = simplified
    return pairs


def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) != 1:
        folded = char
    lowered = folded.lower()
    if len(lowered) == 1:
        folded = lowered
    return folded


@lru_cache(maxsize=1)
def fold_table() -> dict[int, str]:
    """The ``str.translate`` table used by `normalise` (built once, then cached).

    Returns:
        A mapping from code point to the single replacement character. Characters
        that fold to themselves may be absent (the common blocks are present, mapped
        to themselves, because that makes ``str.translate`` faster).

    Example:
        >>> table = fold_table()
        >>> table[ord("Ａ")], table[ord("貨")], table[ord("货")], table[ord("a")]
        ('a', '货', '货', 'a')
    """
    table: dict[int, str] = {}
    decomposition = unicodedata.decomposition
    for code in range(min(_LAST_FOLDED_PLANE_END, sys.maxunicode + 1)):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        if not decomposition(char) and char.lower() == char:
            continue
        folded = _fold_char(char)
        if folded != char:
            table[code] = folded
    simplified = _traditional_pairs()
    for code, folded in list(table.items()):
        table[code] = simplified.get(folded, folded)
    for traditional, simple in simplified.items():
        table[ord(traditional)] = simple
    for apostrophe in _APOSTROPHES:
        table[ord(apostrophe)] = "'"
    # Identity entries for common blocks: str.translate is much faster on a hit than
    # on a miss, and Chinese and English text is mostly these characters.
    for block in _COMMON_BLOCKS:
        for code in block:
            table.setdefault(code, chr(code))
    return table


def normalise(text: str) -> str:
    """Fold ``text`` for matching, keeping its length: offset ``i`` stays offset ``i``.

    Args:
        text: Any text.

    Returns:
        The folded text, with ``len(result) == len(text)``: full-width forms become
        ASCII, letters become lower case, traditional Chinese characters of the
        lexicons become simplified, typographic apostrophes become ``'``.

    Example:
        >>> normalise("服務態度太差！ＷＯＲＳＴ shop’s")
        "服务态度太差!worst shop's"
        >>> len(normalise("退貨")) == len("退貨")
        True
    """
    if text.isascii():
        # NFKC leaves ASCII alone and ASCII lower-casing is one-to-one.
        folded = text.lower()
        return folded.replace("`", "'") if "`" in folded else folded
    return text.translate(fold_table())


def language_of_folded(folded: str) -> Language:
    """The language of already-folded text (see `detect_language`).

    Args:
        folded: Text returned by `normalise`.

    Returns:
        ``"zh"``, ``"en"``, ``"mixed"`` or ``"unknown"``.

    Example:
        >>> language_of_folded("hello 你好")
        'mixed'
    """
    words = len(_LATIN_WORD.findall(folded))
    if folded.isascii():
        return "en" if words else "unknown"
    if words == 0:
        return "zh" if _HAN_RUN.search(folded) is not None else "unknown"
    han = sum(map(len, _HAN_RUN.findall(folded)))
    if han == 0:
        return "en"
    if min(han, words) / (han + words) >= _MIXED_SHARE:
        return "mixed"
    return "zh" if han > words else "en"


def detect_language(text: str) -> Language:
    """Guess whether ``text`` is Chinese, English, mixed, or neither.

    Chinese characters and Latin words are counted; when the smaller count is at
    least 30% of the two together the text is ``"mixed"``, otherwise it takes the
    larger. Text with neither (empty, digits, emoji, other scripts) is ``"unknown"``.

    Args:
        text: Any text.

    Returns:
        ``"zh"``, ``"en"``, ``"mixed"`` or ``"unknown"``.

    Example:
        >>> detect_language("质量太差"), detect_language("Too expensive!")
        ('zh', 'en')
        >>> detect_language("客服 so rude"), detect_language("😡😡"), detect_language("")
        ('mixed', 'unknown', 'unknown')
        >>> detect_language("iPhone屏幕坏了")
        'zh'
    """
    return language_of_folded(normalise(text))
