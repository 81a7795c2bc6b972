"""Plots of custcare results (the optional ``plot`` extra: ``pip install 'custcare[plot]'``).

Every function takes custcare objects and returns matplotlib objects; none touches
matplotlib's global state (no pyplot, no ``plt.show()``, no ``rcParams`` change).
"""

from custcare.plot._common import CJK_FONT_FAMILIES, CJKFontWarning, Lang, cjk_font

__all__ = ["CJK_FONT_FAMILIES", "CJKFontWarning", "Lang", "cjk_font"]
