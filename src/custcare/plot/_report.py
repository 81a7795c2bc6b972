"""Every plot a result table supports, as figures keyed by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from custcare.churn import BetaGeoModel, CalibrationHoldoutSummary
from custcare.complaints import WorkQueue
from custcare.errors import CustcareUsageError
from custcare.plot._churn import (
    calibration_holdout,
    churn_cause_pareto,
    expected_purchases_matrix,
    probability_alive_matrix,
)
from custcare.plot._common import Lang
from custcare.plot._complaints import complaint_queue
from custcare.plot._loyalty import member_levels, pyramid, rfm_grid
from custcare.scoring import ResultTable

__all__ = ["report_figures"]

_TABLE_PLOTS: tuple[tuple[str, str, tuple[float, float]], ...] = (
    ("member_levels", "loyalty.threshold", (6.4, 4.0)),
    ("pyramid", "loyalty.pyramid", (6.4, 4.0)),
    ("rfm_grid", "loyalty.rfm", (7.0, 6.0)),
    ("churn_cause_pareto", "churn.cause", (7.5, 4.5)),
)


def _figure(size: tuple[float, float], draw: Callable[..., Axes]) -> Figure:
    fig = Figure(figsize=size, layout="constrained")
    draw(ax=fig.add_subplot())
    return fig


def report_figures(
    table: ResultTable,
    *,
    queue: WorkQueue | None = None,
    model: BetaGeoModel | None = None,
    summary: CalibrationHoldoutSummary | None = None,
    lang: Lang = "en",
) -> dict[str, Figure]:
    """One figure per plot the inputs support, keyed by the plot function's name.

    From the table: ``member_levels`` (with ``loyalty.threshold`` scores),
    ``pyramid`` (``loyalty.pyramid``), ``rfm_grid`` (``loyalty.rfm``) and
    ``churn_cause_pareto`` (``churn.cause``); a plot whose scorer did not run is left
    out. With ``queue``: ``complaint_queue``. With a fitted ``model`` and its
    calibration/holdout ``summary``: ``probability_alive_matrix``,
    ``expected_purchases_matrix`` and ``calibration_holdout``.

    Args:
        table: The result of `custcare.scoring.Pipeline.run`.
        queue: The complaint work queue (`custcare.complaints.rank_queue`).
        model: A fitted `custcare.churn.BetaGeoModel` (needs ``summary``).
        summary: The `custcare.churn.calibration_holdout_summary` the model is checked on.
        lang: ``"en"`` or ``"zh"`` labels.

    Returns:
        New figures (save one with ``fig.savefig("levels.png")``), in the order above.

    Raises:
        CustcareUsageError: for a table of another type, or a model without a summary
            (or the reverse).

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> from custcare.loyalty import ThresholdTierScorer
        >>> from custcare.scoring import Pipeline
        >>> shop = sample_shop()
        >>> table = Pipeline([ThresholdTierScorer()]).run(shop.histories, as_of=shop.as_of)
        >>> sorted(report_figures(table))
        ['member_levels']
    """
    if not isinstance(table, ResultTable):
        raise CustcareUsageError(
            f"report_figures takes a ResultTable (Pipeline.run's result), "
            f"got {type(table).__name__}",
            code="bad_argument",
        )
    if (model is None) != (summary is None):
        raise CustcareUsageError(
            "report_figures: pass model and summary together (the model is checked on "
            "the summary's holdout and its matrices span the summary's customers)",
            code="bad_argument",
        )
    if lang not in ("en", "zh"):
        raise CustcareUsageError(f"lang must be 'en' or 'zh', got {lang!r}", code="bad_argument")
    draws: dict[str, tuple[tuple[float, float], Callable[..., Axes]]] = {}
    plots: dict[str, Callable[..., Axes]] = {
        "member_levels": member_levels,
        "pyramid": pyramid,
        "rfm_grid": rfm_grid,
        "churn_cause_pareto": churn_cause_pareto,
    }
    for name, scorer, size in _TABLE_PLOTS:
        if scorer in table.scorers:
            draws[name] = (size, partial(plots[name], table, lang=lang))
    if queue is not None:
        draws["complaint_queue"] = (
            (7.0, 4.0),
            partial(complaint_queue, queue, lang=lang),
        )
    if model is not None and summary is not None:
        draws["probability_alive_matrix"] = (
            (7.0, 5.0),
            partial(probability_alive_matrix, model, summary, lang=lang),
        )
        draws["expected_purchases_matrix"] = (
            (7.0, 5.0),
            partial(expected_purchases_matrix, model, summary, lang=lang),
        )
        draws["calibration_holdout"] = (
            (6.4, 4.0),
            partial(calibration_holdout, model, summary, lang=lang),
        )
    return {name: _figure(size, draw) for name, (size, draw) in draws.items()}
