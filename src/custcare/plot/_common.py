"""What every plot shares: a figure of its own or the caller's axes, labels, CJK fonts."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from custcare.errors import CustcareUsageError
from custcare.scoring import BatchScores, ResultTable

__all__ = [
    "CJK_FONT_FAMILIES",
    "CJKFontWarning",
    "Lang",
    "cjk_font",
]

Lang = Literal["en", "zh"]
"""The language of a plot's labels."""

CJK_FONT_FAMILIES: tuple[str, ...] = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
)
"""Font families tried, in order, for Chinese labels."""

_CJK_FONT_FILES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


class CJKFontWarning(UserWarning):
    """Chinese labels were asked for, but no CJK font is installed: English is drawn.

    Install one (on Debian: ``apt-get install fonts-wqy-microhei``) and start a new
    Python process; matplotlib may keep a font cache (delete it, or set a fresh
    ``MPLCONFIGDIR``, if the font is still not found).
    """


@functools.lru_cache(maxsize=1)
def cjk_font() -> font_manager.FontProperties | None:
    """A font that draws Chinese, or None when none is installed.

    The families of `CJK_FONT_FAMILIES` are looked up in matplotlib's font list, then
    a few well-known font files. The font goes on each text object the plots draw;
    matplotlib's global settings (``rcParams``) are never changed.

    Examples:
        >>> font = cjk_font()
        >>> font is None or bool(font.get_name())
        True
    """
    installed = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    for family in CJK_FONT_FAMILIES:
        if family in installed:
            return font_manager.FontProperties(fname=installed[family])
    for name in _CJK_FONT_FILES:
        if Path(name).is_file():
            return font_manager.FontProperties(fname=name)
    return None


@dataclass(frozen=True)
class _Labels:
    """The language actually drawn, and the font keyword for text objects."""

    lang: Lang
    font: font_manager.FontProperties | None
    fell_back: bool

    @property
    def kw(self) -> dict[str, Any]:
        """Keyword arguments for a text object (the CJK font, when drawing Chinese)."""
        return {} if self.font is None else {"fontproperties": self.font}

    def pick(self, en: str, zh: str) -> str:
        """The label in the drawn language."""
        return zh if self.lang == "zh" else en


def _labels(lang: str) -> _Labels:
    if lang not in ("en", "zh"):
        raise CustcareUsageError(f"lang must be 'en' or 'zh', got {lang!r}", code="bad_argument")
    if lang == "en":
        return _Labels("en", None, fell_back=False)
    font = _find_cjk_font()
    if font is None:
        warnings.warn(
            "lang='zh' needs a CJK font and none is installed (tried "
            f"{', '.join(CJK_FONT_FAMILIES[:3])}, ...); drawing English labels instead. "
            "Install fonts-wqy-microhei (Debian) or another CJK font.",
            CJKFontWarning,
            stacklevel=3,
        )
        return _Labels("en", None, fell_back=True)
    return _Labels("zh", font, fell_back=False)


def _find_cjk_font() -> font_manager.FontProperties | None:
    """Indirection so tests can pretend no CJK font is installed."""
    return cjk_font()


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """The caller's axes, or the axes of a new figure (no pyplot, no global state)."""
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        return fig.add_subplot()
    if not isinstance(ax, Axes):
        raise CustcareUsageError(
            f"ax must be a matplotlib Axes, got {type(ax).__name__}", code="bad_argument"
        )
    return ax


def _note_fallback(ax: Axes, labels: _Labels) -> None:
    """Say on the plot itself that English replaced the Chinese asked for."""
    if labels.fell_back:
        ax.text(
            1.0,
            -0.02,
            "Chinese labels need a CJK font (none installed): English shown",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize="x-small",
            color="0.4",
        )


def _scores(
    data: object, scorer: str, columns: Sequence[str], *, what: str, hint: str
) -> BatchScores:
    """One scorer's batch scores from a `ResultTable` or `BatchScores`, columns checked.

    Raises:
        CustcareUsageError: for another type, a table without the scorer, or scores
            without the columns the plot reads.
    """
    if isinstance(data, ResultTable):
        if scorer not in data.scorers:
            raise CustcareUsageError(
                f"{what}: the table has no {scorer!r} scores (it has "
                f"{list(data.scorers)}); run {hint} in the pipeline",
                code="missing_dependency",
            )
        scores = data[scorer]
    elif isinstance(data, BatchScores):
        scores = data
    else:
        raise CustcareUsageError(
            f"{what} takes a ResultTable or the BatchScores of {hint}, got {type(data).__name__}",
            code="bad_argument",
        )
    missing = [c for c in columns if c not in scores.columns]
    if missing:
        raise CustcareUsageError(
            f"{what}: the scores of {scores.scorer!r} have no column {missing} "
            f"(expected the scores of {hint})",
            code="bad_argument",
        )
    return scores
