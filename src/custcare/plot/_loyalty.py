"""Who is this customer to us: member levels, the value pyramid, the RFM grid."""

from __future__ import annotations

import textwrap
from collections import Counter

import numpy as np
from matplotlib.axes import Axes

from custcare.plot._common import Lang, _axes, _labels, _note_fallback, _scores

__all__ = ["member_levels", "pyramid", "rfm_grid"]

_BAR = "#4C72B0"


def _label_map(codes: list[str], en: list[str], zh: list[str]) -> dict[str, tuple[str, str]]:
    """Each code's (English, Chinese) label, from the first row that has it."""
    out: dict[str, tuple[str, str]] = {}
    for c, e, z in zip(codes, en, zh, strict=True):
        out.setdefault(c, (e, z))
    return out


def member_levels(data: object, *, ax: Axes | None = None, lang: Lang = "en") -> Axes:
    """Customers per member level (会员等级), lowest level first.

    Args:
        data: A `custcare.scoring.ResultTable` with ``loyalty.threshold`` scores, or
            those scores (`custcare.loyalty.TierScores`).
        ax: Axes to draw on; by default a new figure's.
        lang: ``"en"`` or ``"zh"`` labels (the levels' own names in that language).

    Returns:
        The axes: one bar per level that has customers, labelled with its count.

    Raises:
        CustcareUsageError: if ``data`` holds no member levels.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> from custcare.loyalty import ThresholdTierScorer
        >>> from custcare.scoring import Pipeline
        >>> shop = sample_shop()
        >>> table = Pipeline([ThresholdTierScorer()]).run(shop.histories, as_of=shop.as_of)
        >>> ax = member_levels(table)
        >>> [int(p.get_height()) for p in ax.patches]
        [6, 30, 18, 6]
    """
    cols = ("level", "level_rank", "label_en", "label_zh")
    scores = _scores(
        data, "loyalty.threshold", cols, what="member_levels", hint="ThresholdTierScorer"
    )
    labels = _labels(lang)
    ax = _axes(ax, (6.4, 4.0))
    names = _label_map(
        scores["level"].tolist(), scores["label_en"].tolist(), scores["label_zh"].tolist()
    )
    rank = dict(zip(scores["level"].tolist(), scores["level_rank"].tolist(), strict=True))
    counts = Counter(scores["level"].tolist())
    order = sorted(counts, key=lambda c: rank[c])
    heights = [counts[c] for c in order]
    x = np.arange(len(order))
    bars = ax.bar(x, heights, color=_BAR)
    ax.bar_label(bars, padding=2)
    ticks = [labels.pick(*names[c]) for c in order]
    if len(order) > 3:  # five levels side by side: wrap long names so they do not overlap
        ticks = ["\n".join(textwrap.wrap(t, 10)) or t for t in ticks]
    ax.set_xticks(x, ticks, **labels.kw)
    ax.set_ylabel(labels.pick("Customers", "客户数"), **labels.kw)
    ax.set_title(labels.pick("Member levels", "会员等级分布"), **labels.kw)
    ax.set_ylim(0, max(heights, default=1) * 1.15)
    _note_fallback(ax, labels)
    return ax


def pyramid(data: object, *, ax: Axes | None = None, lang: Lang = "en") -> Axes:
    """The 80/20 value pyramid (二八法则): customers and share of value per level.

    Level 1 (the key customers) is the top of the pyramid. Each bar's width is the
    level's number of customers; the text gives that count and the level's share of
    the population's value.

    Args:
        data: A `custcare.scoring.ResultTable` with ``loyalty.pyramid`` scores, or
            those scores (`custcare.loyalty.PyramidScores`).
        ax: Axes to draw on; by default a new figure's.
        lang: ``"en"`` or ``"zh"`` labels.

    Returns:
        The axes: one centred horizontal bar per level that has customers.

    Raises:
        CustcareUsageError: if ``data`` holds no pyramid levels.
    """
    cols = ("level", "label_en", "label_zh", "share")
    scores = _scores(data, "loyalty.pyramid", cols, what="pyramid", hint="PyramidScorer")
    labels = _labels(lang)
    ax = _axes(ax, (6.4, 4.0))
    level = np.asarray(scores["level"], dtype=np.int64)
    names = _label_map(
        [str(v) for v in level.tolist()],
        scores["label_en"].tolist(),
        scores["label_zh"].tolist(),
    )
    share = np.asarray(scores["share"], dtype=np.float64)
    present = np.unique(level)
    counts = np.array([int((level == v).sum()) for v in present])
    shares = np.array([float(share[level == v].sum()) for v in present])
    y = -np.arange(present.size, dtype=np.float64)  # level 1 on top
    colors = ["#C44E52", "#DD8452", "#8C8C8C", "#B0B0B0"]
    ax.barh(
        y,
        counts,
        left=-counts / 2,
        height=0.9,
        color=[colors[min(i, len(colors) - 1)] for i in range(present.size)],
    )
    # Points of text per axes width: a bar narrower than its text gets dark text on a
    # light box (white text would run onto the white background and vanish).
    width_pt = ax.bbox.width * 72 / ax.figure.dpi  # the axes width in points
    box = {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85}
    for yi, n, s in zip(y, counts, shares, strict=True):
        text = labels.pick(f"{n} customers, {s:.0%} of value", f"{n} 位客户，占价值 {s:.0%}")
        fits = n / max(int(counts.max(initial=1)), 1) * width_pt > len(text) * 6.5
        ax.text(
            0,
            yi,
            text,
            ha="center",
            va="center",
            color="white" if fits else "#1f2933",
            bbox=None if fits else box,
            **labels.kw,
        )
    ax.set_yticks(y, [labels.pick(*names[str(v)]) for v in present.tolist()], **labels.kw)
    ax.set_xticks([])
    half = max(int(counts.max(initial=1)), 1) / 2
    ax.set_xlim(-half * 1.05, half * 1.05)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(labels.pick("Value pyramid", "客户价值金字塔"), **labels.kw)
    _note_fallback(ax, labels)
    return ax


def rfm_grid(data: object, *, ax: Axes | None = None, lang: Lang = "en") -> Axes:
    """Customers on the recency x frequency grid of RFM scores (5 x 5 cells).

    Each cell shows its number of customers and the segment most of them are in
    (segments also read the monetary score, so a cell can mix segments). Customers
    with no purchase have no place on the grid; the title says how many there are.

    Args:
        data: A `custcare.scoring.ResultTable` with ``loyalty.rfm`` scores, or those
            scores (`custcare.loyalty.RFMScores`).
        ax: Axes to draw on; by default a new figure's.
        lang: ``"en"`` or ``"zh"`` labels (the segments' own names in that language).

    Returns:
        The axes, holding one image of 5 x 5 counts (recency score across,
        frequency score up).

    Raises:
        CustcareUsageError: if ``data`` holds no RFM scores.
    """
    cols = ("recency_score", "frequency_score", "segment", "label_en", "label_zh")
    scores = _scores(data, "loyalty.rfm", cols, what="rfm_grid", hint="RFMScorer")
    labels = _labels(lang)
    ax = _axes(ax, (7.0, 6.0))
    segment = scores["segment"].tolist()
    names = _label_map(segment, scores["label_en"].tolist(), scores["label_zh"].tolist())
    bought = np.array([s != "no_purchase" for s in segment], dtype=np.bool_)
    r = np.asarray(scores["recency_score"], dtype=np.int64)
    f = np.asarray(scores["frequency_score"], dtype=np.int64)
    grid = np.zeros((5, 5), dtype=np.int64)
    np.add.at(grid, (f[bought] - 1, r[bought] - 1), 1)
    im = ax.imshow(grid, origin="lower", cmap="Blues", extent=(0.5, 5.5, 0.5, 5.5))
    top = int(grid.max(initial=0))
    for fi in range(5):
        for ri in range(5):
            n = int(grid[fi, ri])
            if n == 0:
                continue
            in_cell = bought & (r == ri + 1) & (f == fi + 1)
            seg = Counter(
                s for s, k in zip(segment, in_cell.tolist(), strict=True) if k
            ).most_common(1)[0][0]
            dark = n > top / 2
            ax.text(
                ri + 1,
                fi + 1,
                f"{n}\n{labels.pick(*names[seg])}",
                ha="center",
                va="center",
                fontsize="small",
                color="white" if dark else "black",
                **labels.kw,
            )
    ax.set_xticks(range(1, 6))
    ax.set_yticks(range(1, 6))
    ax.set_xlabel(
        labels.pick("Recency score (5 = most recent)", "R 最近购买得分（5 = 最近）"), **labels.kw
    )
    ax.set_ylabel(
        labels.pick("Frequency score (5 = most orders)", "F 购买频率得分（5 = 最多）"), **labels.kw
    )
    missing = int((~bought).sum())
    title = labels.pick("RFM segments", "RFM 客户分群")
    if missing:
        title += labels.pick(
            f" ({missing} without a purchase not shown)", f"（{missing} 位未购买客户未显示）"
        )
    ax.set_title(title, **labels.kw)
    bar = ax.figure.colorbar(im, ax=ax, shrink=0.8)
    bar.set_label(labels.pick("Customers", "客户数"), **labels.kw)
    _note_fallback(ax, labels)
    return ax
