"""Is this customer leaving, and why: cause Pareto, BG/NBD matrices, holdout check."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter
from numpy.typing import NDArray

from custcare.churn import (
    BetaGeoModel,
    CalibrationHoldoutSummary,
    HoldoutComparison,
    TransactionSummary,
    compare_holdout,
)
from custcare.errors import CustcareUsageError
from custcare.plot._common import Lang, _axes, _Labels, _labels, _note_fallback, _scores

__all__ = [
    "calibration_holdout",
    "churn_cause_pareto",
    "expected_purchases_matrix",
    "probability_alive_matrix",
]


def churn_cause_pareto(
    data: object,
    *,
    risk_bands: Collection[str] | None = None,
    ax: Axes | None = None,
    lang: Lang = "en",
) -> Axes:
    """Pareto chart of the most likely churn causes (客户流失的因素).

    Bars count the customers whose top cause is each cause, largest first; the line
    (right axis) is the cumulative share, ending at 100%.

    Args:
        data: A `custcare.scoring.ResultTable` with ``churn.cause`` scores, or those
            scores (`custcare.churn.ChurnCauseScores`).
        risk_bands: Count only customers in these risk bands (e.g.
            ``{"at_risk", "lapsed"}``); all customers by default.
        ax: Axes to draw on; by default a new figure's. The cumulative line goes on
            a twin axes sharing its x axis.
        lang: ``"en"`` or ``"zh"`` labels (the causes' own names in that language).

    Returns:
        The axes of the bars.

    Raises:
        CustcareUsageError: if ``data`` holds no churn causes, or no customer is in
            ``risk_bands``.
    """
    cols = ("top_cause", "label_en", "label_zh", "risk_band")
    scores = _scores(data, "churn.cause", cols, what="churn_cause_pareto", hint="ChurnCauseScorer")
    if isinstance(risk_bands, str):
        raise CustcareUsageError(
            f"risk_bands must be a collection of band codes, got the string {risk_bands!r}",
            code="bad_argument",
        )
    labels = _labels(lang)
    causes = scores["top_cause"].tolist()
    names: dict[str, tuple[str, str]] = {}
    for c, en, zh in zip(
        causes, scores["label_en"].tolist(), scores["label_zh"].tolist(), strict=True
    ):
        names.setdefault(c, (en, zh))
    keep = np.ones(len(causes), dtype=np.bool_)
    if risk_bands is not None:
        keep = np.isin(np.asarray(scores["risk_band"], dtype=np.str_), list(risk_bands))
        if not keep.any():
            raise CustcareUsageError(
                f"churn_cause_pareto: no customer is in the risk bands {sorted(risk_bands)}",
                code="bad_argument",
            )
    counts = Counter(c for c, k in zip(causes, keep.tolist(), strict=True) if k)
    order = sorted(counts, key=lambda c: (-counts[c], c))
    heights = np.array([counts[c] for c in order], dtype=np.float64)
    ax = _axes(ax, (7.5, 4.5))
    x = np.arange(len(order))
    bars = ax.bar(x, heights, color="#4C72B0")
    ax.bar_label(bars, padding=2)
    ax.set_xticks(x, [labels.pick(*names[c]) for c in order], rotation=30, ha="right", **labels.kw)
    ax.set_ylabel(labels.pick("Customers (top cause)", "客户数（首要原因）"), **labels.kw)
    ax.set_ylim(0, float(heights.max(initial=1.0)) * 1.15)
    cum = ax.twinx()
    total = float(heights.sum())
    cum.plot(x, np.cumsum(heights) / total * 100.0, color="#C44E52", marker="o")
    cum.set_ylim(0, 105)
    cum.yaxis.set_major_formatter(PercentFormatter(100.0))
    cum.set_ylabel(labels.pick("Cumulative share", "累计占比"), **labels.kw)
    title = labels.pick("Churn causes (Pareto)", "客户流失原因（帕累托图）")
    if risk_bands is not None:
        title += f" - {', '.join(sorted(risk_bands))}"
    ax.set_title(title, **labels.kw)
    _note_fallback(ax, labels)
    return ax


def _model(model: object, what: str) -> BetaGeoModel:
    if not isinstance(model, BetaGeoModel):
        raise CustcareUsageError(
            f"{what} takes a fitted custcare.churn.BetaGeoModel, got {type(model).__name__}",
            code="bad_argument",
        )
    model.params_  # noqa: B018 - raises NotFittedError (call fit) before anything is drawn
    return model


def _window(
    summary: TransactionSummary | CalibrationHoldoutSummary | None,
    T: float | None,  # noqa: N803
    max_frequency: int | None,
    what: str,
) -> tuple[float, int]:
    if summary is not None and not isinstance(
        summary, TransactionSummary | CalibrationHoldoutSummary
    ):
        raise CustcareUsageError(
            f"{what}: summary must be a TransactionSummary or CalibrationHoldoutSummary, "
            f"got {type(summary).__name__}",
            code="bad_argument",
        )
    if T is None:
        if summary is None or summary.T.size == 0:
            raise CustcareUsageError(
                f"{what}: give T (the observation length) or a non-empty summary",
                code="bad_argument",
            )
        T = float(summary.T.max())  # noqa: N806
    if max_frequency is None:
        if summary is None or summary.frequency.size == 0:
            raise CustcareUsageError(
                f"{what}: give max_frequency or a non-empty summary", code="bad_argument"
            )
        max_frequency = int(summary.frequency.max())
    if not (np.isfinite(T) and T > 0):
        raise CustcareUsageError(f"{what}: T must be > 0, got {T!r}", code="bad_argument")
    if isinstance(max_frequency, bool) or not isinstance(max_frequency, int | np.integer):
        raise CustcareUsageError(
            f"{what}: max_frequency must be a whole number, got {max_frequency!r}",
            code="bad_argument",
        )
    if max_frequency < 1:
        raise CustcareUsageError(
            f"{what}: max_frequency must be >= 1, got {max_frequency}", code="bad_argument"
        )
    return float(T), int(max_frequency)


def _matrix(
    ax: Axes,
    values: NDArray[np.float64],
    T: float,  # noqa: N803
    labels: _Labels,
    *,
    title: str,
    bar_label: str,
    time_unit: str,
) -> Axes:
    im = ax.imshow(
        values,
        origin="lower",
        aspect="auto",
        cmap="viridis",
        extent=(0.0, T, -0.5, values.shape[0] - 0.5),
        interpolation="nearest",
    )
    ax.set_xlabel(
        labels.pick(
            f"Recency: time of last purchase since the first ({time_unit})",
            f"最近一次购买距首次购买的时间（{time_unit}）",
        ),
        **labels.kw,
    )
    ax.set_ylabel(labels.pick("Repeat purchases (frequency)", "重复购买次数"), **labels.kw)
    ax.set_title(title, **labels.kw)
    bar = ax.figure.colorbar(im, ax=ax)
    bar.set_label(bar_label, **labels.kw)
    _note_fallback(ax, labels)
    return ax


def _grid(T: float, max_frequency: int, steps: int) -> tuple[NDArray[np.float64], ...]:  # noqa: N803
    """(frequency, recency) of each cell: rows are frequencies, columns recency cells.

    Recency is each cell's centre (repeat buyers have recency > 0); a customer with no
    repeat purchase has recency 0 by definition, so row 0 is the same across.
    """
    freq = np.arange(max_frequency + 1, dtype=np.float64)
    rec = (np.arange(steps, dtype=np.float64) + 0.5) * (T / steps)
    f, r = np.meshgrid(freq, rec, indexing="ij")
    r[0, :] = 0.0
    return f, r


def _check_steps(recency_steps: int, what: str) -> None:
    if isinstance(recency_steps, bool) or not isinstance(recency_steps, int) or recency_steps < 2:
        raise CustcareUsageError(
            f"{what}: recency_steps must be a whole number >= 2, got {recency_steps!r}",
            code="bad_argument",
        )


def probability_alive_matrix(
    model: BetaGeoModel,
    summary: TransactionSummary | CalibrationHoldoutSummary | None = None,
    *,
    T: float | None = None,  # noqa: N803
    max_frequency: int | None = None,
    recency_steps: int = 40,
    ax: Axes | None = None,
    lang: Lang = "en",
) -> Axes:
    """P(alive) of a customer observed for ``T``, over frequency and recency.

    Rows are repeat purchases 0..``max_frequency``, columns ``recency_steps`` equal
    cells of recency from 0 to ``T``, each valued at its centre (BG/NBD;
    `BetaGeoModel.probability_alive`). Row 0 (no repeat purchase) has recency 0, so
    it is the same across.

    Args:
        model: A fitted `custcare.churn.BetaGeoModel`.
        summary: Takes ``T`` and ``max_frequency`` from the data (their maxima) when
            they are not given.
        T: Length of observation since the first purchase, in the model's time unit.
        max_frequency: Largest number of repeat purchases shown.
        recency_steps: Columns of the matrix (>= 2).
        ax: Axes to draw on; by default a new figure's.
        lang: ``"en"`` or ``"zh"`` labels.

    Returns:
        The axes, holding one image of ``(max_frequency + 1, recency_steps)`` values.

    Raises:
        CustcareUsageError: for a model of another type or a bad window.
        NotFittedError: if the model is not fitted.
    """
    what = "probability_alive_matrix"
    m = _model(model, what)
    big_t, max_f = _window(summary, T, max_frequency, what)
    _check_steps(recency_steps, what)
    labels = _labels(lang)
    freq, rec = _grid(big_t, max_f, recency_steps)
    values = m.probability_alive(freq, rec, big_t)
    return _matrix(
        _axes(ax, (7.0, 5.0)),
        values,
        big_t,
        labels,
        title=labels.pick(
            f"Probability still active after T = {big_t:.4g} {m.time_unit}",
            f"观察 T = {big_t:.4g} {m.time_unit} 后仍活跃的概率",
        ),
        bar_label=labels.pick("P(alive)", "活跃概率"),
        time_unit=m.time_unit,
    )


def expected_purchases_matrix(
    model: BetaGeoModel,
    summary: TransactionSummary | CalibrationHoldoutSummary | None = None,
    *,
    t: float = 1.0,
    T: float | None = None,  # noqa: N803
    max_frequency: int | None = None,
    recency_steps: int = 40,
    ax: Axes | None = None,
    lang: Lang = "en",
) -> Axes:
    """Expected purchases in the next ``t``, over frequency and recency (BG/NBD eq. 10).

    The cells are those of `probability_alive_matrix`.

    Args:
        model: A fitted `custcare.churn.BetaGeoModel`.
        summary: Takes ``T`` and ``max_frequency`` from the data (their maxima) when
            they are not given.
        t: Horizon (> 0), in the model's time unit.
        T: Length of observation since the first purchase, in the model's time unit.
        max_frequency: Largest number of repeat purchases shown.
        recency_steps: Columns of the matrix (>= 2).
        ax: Axes to draw on; by default a new figure's.
        lang: ``"en"`` or ``"zh"`` labels.

    Returns:
        The axes, holding one image of ``(max_frequency + 1, recency_steps)`` values.

    Raises:
        CustcareUsageError: for a model of another type, a bad window or horizon.
        NotFittedError: if the model is not fitted.
    """
    what = "expected_purchases_matrix"
    m = _model(model, what)
    big_t, max_f = _window(summary, T, max_frequency, what)
    _check_steps(recency_steps, what)
    if not (np.isfinite(t) and t > 0):
        raise CustcareUsageError(f"{what}: t must be > 0, got {t!r}", code="bad_argument")
    labels = _labels(lang)
    freq, rec = _grid(big_t, max_f, recency_steps)
    values = m.expected_purchases(t, freq, rec, big_t)
    return _matrix(
        _axes(ax, (7.0, 5.0)),
        values,
        big_t,
        labels,
        title=labels.pick(
            f"Expected purchases in the next {t:g} {m.time_unit}",
            f"未来 {t:g} {m.time_unit} 的预期购买次数",
        ),
        bar_label=labels.pick("Expected purchases", "预期购买次数"),
        time_unit=m.time_unit,
    )


def calibration_holdout(
    data: HoldoutComparison | BetaGeoModel,
    summary: CalibrationHoldoutSummary | None = None,
    *,
    max_frequency: int = 7,
    ax: Axes | None = None,
    lang: Lang = "en",
) -> Axes:
    """Mean holdout purchases, actual and predicted, by calibration frequency.

    The check of Fader, Hardie & Lee (2005, Figure 4): customers are grouped by their
    repeat purchases in the calibration window (the last group is "this or more").

    Args:
        data: A `custcare.churn.HoldoutComparison` (from `custcare.churn.compare_holdout`),
            or a fitted `custcare.churn.BetaGeoModel` together with ``summary``.
        summary: The `custcare.churn.calibration_holdout_summary` to compare the model
            with (only with a model).
        max_frequency: Last frequency group, with a model (see `compare_holdout`).
        ax: Axes to draw on; by default a new figure's.
        lang: ``"en"`` or ``"zh"`` labels.

    Returns:
        The axes, with two lines (actual, predicted), one point per group.

    Raises:
        CustcareUsageError: for other inputs, or a model without a summary.
        NotFittedError: if the model is not fitted.
    """
    what = "calibration_holdout"
    if isinstance(data, HoldoutComparison):
        if summary is not None:
            raise CustcareUsageError(
                f"{what}: a HoldoutComparison already holds the holdout; pass no summary",
                code="bad_argument",
            )
        comparison = data
    elif isinstance(data, BetaGeoModel):
        if not isinstance(summary, CalibrationHoldoutSummary):
            raise CustcareUsageError(
                f"{what}: with a model, pass the CalibrationHoldoutSummary to compare "
                f"with (got {type(summary).__name__})",
                code="bad_argument",
            )
        comparison = compare_holdout(_model(data, what), summary, max_frequency=max_frequency)
    else:
        raise CustcareUsageError(
            f"{what} takes a HoldoutComparison or a fitted BetaGeoModel and its "
            f"CalibrationHoldoutSummary, got {type(data).__name__}",
            code="bad_argument",
        )
    labels = _labels(lang)
    ax = _axes(ax, (6.4, 4.0))
    x = comparison.frequency_bins
    ax.plot(
        x,
        comparison.bin_mean_actual,
        marker="o",
        color="#4C72B0",
        label=labels.pick("Actual", "实际"),
    )
    ax.plot(
        x,
        comparison.bin_mean_predicted,
        marker="s",
        linestyle="--",
        color="#C44E52",
        label=labels.pick("Predicted (model)", "模型预测"),
    )
    ticks = [str(int(v)) for v in x.tolist()]
    if ticks:
        ticks[-1] += "+"
    ax.set_xticks(x, ticks)
    ax.set_xlabel(
        labels.pick("Repeat purchases in the calibration period", "校准期内重复购买次数"),
        **labels.kw,
    )
    ax.set_ylabel(
        labels.pick("Mean purchases in the holdout period", "验证期内平均购买次数"), **labels.kw
    )
    ax.set_title(
        labels.pick(
            f"Calibration vs holdout (total {comparison.total_actual:.0f} actual, "
            f"{comparison.total_predicted:.0f} predicted)",
            f"校准期与验证期（实际 {comparison.total_actual:.0f} 次，"
            f"预测 {comparison.total_predicted:.0f} 次）",
        ),
        **labels.kw,
    )
    ax.legend(prop=labels.font)
    ax.set_ylim(bottom=0)
    _note_fallback(ax, labels)
    return ax
