"""Which complaint first: the work queue by age and priority."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from custcare.complaints import WorkQueue
from custcare.errors import CustcareUsageError
from custcare.plot._common import Lang, _axes, _labels, _note_fallback

__all__ = ["AGE_BUCKETS", "complaint_queue"]

AGE_BUCKETS: tuple[tuple[float, str, str], ...] = (
    (1.0, "< 1 h", "< 1 小时"),
    (4.0, "1-4 h", "1-4 小时"),
    (24.0, "4-24 h", "4-24 小时"),
    (72.0, "1-3 d", "1-3 天"),
    (float("inf"), "> 3 d", "> 3 天"),
)
"""Age groups of open complaints: (upper bound in hours, English, Chinese)."""

_LEVELS = ("P1", "P2", "P3", "P4")
_LEVEL_NAMES = {
    "P1": ("P1 urgent", "P1 紧急"),
    "P2": ("P2 high", "P2 高"),
    "P3": ("P3 normal", "P3 普通"),
    "P4": ("P4 low", "P4 低"),
}
_COLORS = {"P1": "#C44E52", "P2": "#DD8452", "P3": "#CCB974", "P4": "#8C8C8C"}


def complaint_queue(queue: WorkQueue, *, ax: Axes | None = None, lang: Lang = "en") -> Axes:
    """Open complaints by how long they have been open, stacked by priority level.

    Ages are measured from each complaint's opening to the queue's ``as_of`` and
    grouped as in `AGE_BUCKETS`; overdue complaints (past their respond-by
    deadline) are hatched.

    Args:
        queue: A `custcare.complaints.WorkQueue` (from `custcare.complaints.rank_queue`).
        ax: Axes to draw on; by default a new figure's.
        lang: ``"en"`` or ``"zh"`` labels.

    Returns:
        The axes: for each priority level, one bar per age group (zero-height when
        empty), stacked; bar heights add up to the queue's length.

    Raises:
        CustcareUsageError: if ``queue`` is not a `WorkQueue`.
    """
    if not isinstance(queue, WorkQueue):
        raise CustcareUsageError(
            f"complaint_queue takes a custcare.complaints.WorkQueue (rank_queue's result), "
            f"got {type(queue).__name__}",
            code="bad_argument",
        )
    labels = _labels(lang)
    ax = _axes(ax, (7.0, 4.0))
    edges = np.array([b[0] for b in AGE_BUCKETS])
    k = len(AGE_BUCKETS)
    counts = {lv: np.zeros(k, dtype=np.int64) for lv in _LEVELS}
    overdue = {lv: np.zeros(k, dtype=np.int64) for lv in _LEVELS}
    for item in queue.items:
        hours = max((queue.as_of - item.opened_at).total_seconds() / 3600.0, 0.0)
        b = int(np.searchsorted(edges, hours, side="right"))
        counts[item.level][min(b, k - 1)] += 1
        if item.overdue:
            overdue[item.level][min(b, k - 1)] += 1
    x = np.arange(k)
    bottom = np.zeros(k, dtype=np.int64)
    for lv in _LEVELS:
        ax.bar(
            x,
            counts[lv],
            bottom=bottom,
            color=_COLORS[lv],
            label=labels.pick(*_LEVEL_NAMES[lv]),
        )
        bottom = bottom + counts[lv]
    # Overdue items: a hatched overlay at the bottom of each level's segment.
    start = np.zeros(k, dtype=np.int64)
    for lv in _LEVELS:
        late = overdue[lv]
        for xi in np.flatnonzero(late).tolist():
            ax.add_patch(_hatch(float(x[xi]), float(start[xi]), float(late[xi])))
        start = start + counts[lv]
    ax.set_xticks(x, [labels.pick(b[1], b[2]) for b in AGE_BUCKETS], **labels.kw)
    ax.set_xlabel(labels.pick("Open for", "已等待时长"), **labels.kw)
    ax.set_ylabel(labels.pick("Open complaints", "待处理投诉数"), **labels.kw)
    n_late = sum(int(v.sum()) for v in overdue.values())
    ax.set_title(
        labels.pick(
            f"Complaint queue: {len(queue)} open, {n_late} overdue (hatched)",
            f"投诉处理队列：{len(queue)} 件待处理，{n_late} 件已超时（斜线）",
        ),
        **labels.kw,
    )
    ax.set_ylim(0, max(int(bottom.max(initial=0)), 1) * 1.15)
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles, names, title=labels.pick("Priority", "优先级"), prop=labels.font)
    if labels.font is not None:
        legend = ax.get_legend()
        if legend is not None:
            legend.get_title().set_fontproperties(labels.font)
    _note_fallback(ax, labels)
    return ax


def _hatch(x: float, y: float, height: float) -> Rectangle:
    """An unfilled hatched rectangle over a bar (the overdue part)."""
    return Rectangle(
        (x - 0.4, y), 0.8, height, fill=False, hatch="///", edgecolor="black", linewidth=0
    )
