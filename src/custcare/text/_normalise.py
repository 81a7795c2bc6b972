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
3. Traditional to simplified Chinese, with a small built-in table covering the
   characters of the built-in lexicons (``貴`` → ``贵``, ``態`` → ``态``, ``貨`` → ``货``).
4. Typographic apostrophes (``’``, ``‘``, ``‛``, ``′``, `````) become ``'``.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache
from typing import Literal

__all__ = ["Language", "detect_language", "normalise"]

Language = Literal["zh", "en", "mixed", "unknown"]
"""The language of a text: Chinese, English, both, or neither (empty, emoji only)."""

# Traditional characters and their simplified forms, position by position. It covers
# every character of the built-in Chinese lexicon that has a different traditional form
# (with variants such as 裏/裡 and 綫/線), generated once from a public character table
# and checked by hand; a traditional character with several simplified forms is left out.
_TRADITIONAL = (
    "並乾亂來係個們傢傳傷僅價償優兌內兩冇別刪剛創劃勁動務協卻員問喪嗎嗬嘔噁噓噹囂國圍圖報場壞夠媽實寫寶專對屬師幫幹幾廣張彆後"
    "徑從復恥惡惱愛態憂憤應換損摺擊數斷於時會東條業極標樣機橫檯權歡殘氣決沒淨減滾滿漲瀉為無煙煩熱燒燙爛現瑪異當癡發監瞭禮稱穩"
    "範約紅結絕給經綫維網線緣編縫縮繫纔罵聯職聽脅脫腦腫膠臉臥臨臺與舉舊萬著薦處虛號蠻衝衹裏裝裡製複視觸記訛訴詐評詞詢話誇認語"
    "誣誤說調諉請論諾謊講謝謠證識譜變讓讚谘豈貓負貨責貴買費賠賣質賬賴購贈贊車輪轉迴這進運過違遞適遲遺還邊醫銹錄錢錯鏽長門開間"
    "閤闆陰陽隊際險隱隻雜雞離難電靈韆響頁項預頭題額顧顯颱颳駡騙體髮魯鮮鴿鷄麵麼麽點黨黴齣"
)
_SIMPLIFIED = (
    "并干乱来系个们家传伤仅价偿优兑内两没别删刚创划劲动务协却员问丧吗呵呕恶嘘当嚣国围图报场坏够妈实写宝专对属师帮干几广张别后"
    "径从复耻恶恼爱态忧愤应换损折击数断于时会东条业极标样机横台权欢残气决没净减滚满涨泻为无烟烦热烧烫烂现玛异当痴发监了礼称稳"
    "范约红结绝给经线维网线缘编缝缩系才骂联职听胁脱脑肿胶脸卧临台与举旧万着荐处虚号蛮冲只里装里制复视触记讹诉诈评词询话夸认语"
    "诬误说调诿请论诺谎讲谢谣证识谱变让赞咨岂猫负货责贵买费赔卖质账赖购赠赞车轮转回这进运过违递适迟遗还边医锈录钱错锈长门开间"
    "合板阴阳队际险隐只杂鸡离难电灵千响页项预头题额顾显台刮骂骗体发鲁鲜鸽鸡面么么点党霉出"
)
_APOSTROPHES = "’‘‛′`"

# Unicode has no compatibility decompositions or case mappings above this code point.
_LAST_FOLDED_PLANE_END = 0x30000
# Blocks given identity entries in the fold table (Latin, punctuation, CJK, full-width).
_COMMON_BLOCKS = (range(0x0250), range(0x2000, 0xA000), range(0xFF00, 0xFFF0))

_HAN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_LATIN_WORD = re.compile("[a-z]+")
_MIXED_SHARE = 0.3


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
    simplified = dict(zip(_TRADITIONAL, _SIMPLIFIED, strict=True))
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
