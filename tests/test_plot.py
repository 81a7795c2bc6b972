"""custcare.plot: each plot's type, what it draws from known inputs, ax=, no global state."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip(
    "matplotlib", reason="the plot extra is not installed: pip install 'custcare[plot]'"
)
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (only to check its figure list stays empty)
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from custcare import plot  # noqa: E402
from custcare.churn import (  # noqa: E402
    BetaGeoModel,
    CalibrationHoldoutSummary,
    calibration_holdout_summary,
    compare_holdout,
)
from custcare.complaints import WorkQueue, rank_queue  # noqa: E402
from custcare.datasets import sample_shop  # noqa: E402
from custcare.errors import CustcareUsageError, NotFittedError  # noqa: E402
from custcare.loyalty import ThresholdTierScorer  # noqa: E402
from custcare.plot import _common  # noqa: E402
from custcare.scoring import BatchScores, Pipeline, ResultTable  # noqa: E402

PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee 2005


@pytest.fixture(autouse=True)
def _no_global_state() -> Iterator[None]:
    """Every test: pyplot's figure list and rcParams are the same afterwards."""
    figs, params = plt.get_fignums(), dict(matplotlib.rcParams)
    yield
    assert plt.get_fignums() == figs
    after = dict(matplotlib.rcParams)
    changed = sorted(k for k in params if params[k] != after[k])
    assert changed == []


def _ids(n: int) -> np.ndarray:
    return np.array([f"C{i:03d}" for i in range(n)])


def _tiers() -> BatchScores:
    # 3 non-members, 1 ordinary, 4 VIP, in scrambled order
    level = ["vip", "non_member", "vip", "member", "non_member", "vip", "vip", "non_member"]
    rank = {"non_member": 0, "member": 1, "vip": 3}
    en = {"non_member": "Not a member", "member": "Ordinary member", "vip": "VIP"}
    zh = {"non_member": "非会员", "member": "普通会员", "vip": "VIP会员"}
    return BatchScores.build(
        "loyalty.threshold",
        _ids(len(level)),
        {
            "level": np.array(level),
            "level_rank": np.array([rank[v] for v in level]),
            "label_en": np.array([en[v] for v in level]),
            "label_zh": np.array([zh[v] for v in level]),
        },
    )


def _pyramid() -> BatchScores:
    level = [1, 2, 2, 3, 3, 3]
    share = [0.5, 0.15, 0.15, 0.1, 0.05, 0.05]
    en = {1: "Key customer", 2: "Middle customer", 3: "Low-value customer"}
    zh = {1: "重点客户", 2: "中间客户", 3: "低价值客户"}
    return BatchScores.build(
        "loyalty.pyramid",
        _ids(6),
        {
            "level": np.array(level),
            "share": np.array(share),
            "label_en": np.array([en[v] for v in level]),
            "label_zh": np.array([zh[v] for v in level]),
        },
    )


def _rfm() -> BatchScores:
    rows = [  # (R, F, segment)
        (5, 5, "champions"),
        (5, 5, "champions"),
        (5, 5, "loyal"),
        (1, 1, "lost"),
        (3, 2, "need_attention"),
        (1, 1, "no_purchase"),
    ]
    en = {
        "champions": "Champions",
        "loyal": "Loyal",
        "lost": "Lost",
        "need_attention": "Need attention",
        "no_purchase": "No purchase yet",
    }
    return BatchScores.build(
        "loyalty.rfm",
        _ids(len(rows)),
        {
            "recency_score": np.array([r for r, _, _ in rows]),
            "frequency_score": np.array([f for _, f, _ in rows]),
            "segment": np.array([s for _, _, s in rows]),
            "label_en": np.array([en[s] for _, _, s in rows]),
            "label_zh": np.array([s for _, _, s in rows]),
        },
    )


def _causes() -> BatchScores:
    # price 1, service 5, quality 3, natural 1: Pareto order service, quality, then ties by code
    top = ["price"] + ["service_attitude"] * 5 + ["product_quality"] * 3 + ["natural"]
    band = ["at_risk"] * 4 + ["active"] * 6
    return BatchScores.build(
        "churn.cause",
        _ids(len(top)),
        {
            "top_cause": np.array(top),
            "label_en": np.array([t.replace("_", " ").title() for t in top]),
            "label_zh": np.array(["原因" + t for t in top]),
            "risk_band": np.array(band),
        },
    )


@pytest.fixture(scope="module")
def queue() -> WorkQueue:
    shop = sample_shop()
    item = rank_queue(shop.histories, as_of=shop.as_of).items[0]
    as_of = item.opened_at + timedelta(hours=200)
    made = []
    for i, (hours, level, overdue) in enumerate(
        [(0.5, "P1", False), (2, "P2", False), (2, "P1", True), (30, "P4", True), (100, "P3", True)]
    ):
        made.append(
            item.model_copy(
                update={
                    "complaint_id": f"X{i}",
                    "opened_at": as_of - timedelta(hours=hours),
                    "level": level,
                    "overdue": overdue,
                }
            )
        )
    return WorkQueue(as_of=as_of, items=tuple(made))


@pytest.fixture(scope="module")
def model() -> BetaGeoModel:
    return BetaGeoModel.from_params(**PAPER)


@pytest.fixture(scope="module")
def holdout() -> CalibrationHoldoutSummary:
    # customer 1: 2 repeats in calibration, 1 in holdout; 2: none; 3: 9 repeats (joins 7+)
    ids = [1, 1, 1, 1, 2] + [3] * 10 + [3]
    times = [0.0, 5.0, 10.0, 45.0, 3.0] + [float(t) for t in range(1, 11)] + [60.0]
    return calibration_holdout_summary(ids, times, split_time=39.0, end_time=78.0)


def _tick_texts(ax: Axes, axis: str = "x") -> list[str]:
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks]


def _bars(ax: Axes) -> list[float]:
    return [float(p.get_height()) for c in ax.containers for p in c]


# ------------------------------------------------------------------ loyalty


def test_member_levels_counts_levels_in_rank_order() -> None:
    ax = plot.member_levels(_tiers())
    assert isinstance(ax, Axes)
    assert isinstance(ax.figure, Figure)
    assert _bars(ax) == [3.0, 1.0, 4.0]
    assert _tick_texts(ax) == ["Not a member", "Ordinary member", "VIP"]


def test_member_levels_reads_a_result_table_of_the_sample_shop() -> None:
    shop = sample_shop()
    table = Pipeline([ThresholdTierScorer()]).run(shop.histories, as_of=shop.as_of)
    ax = plot.member_levels(table)
    assert sum(_bars(ax)) == len(shop.histories)


def test_pyramid_puts_level_one_on_top_with_counts_and_shares() -> None:
    ax = plot.pyramid(_pyramid())
    widths = [float(p.get_width()) for p in ax.patches]
    ys = [float(p.get_y()) for p in ax.patches]
    assert widths == [1.0, 2.0, 3.0]
    assert ys == sorted(ys, reverse=True)  # level 1 highest
    texts = [t.get_text() for t in ax.texts]
    assert texts == [
        "1 customers, 50% of value",
        "2 customers, 30% of value",
        "3 customers, 20% of value",
    ]


def test_rfm_grid_counts_customers_in_5x5_cells_without_no_purchase() -> None:
    ax = plot.rfm_grid(_rfm())
    (image,) = ax.images
    grid = np.asarray(image.get_array())
    assert grid.shape == (5, 5)
    assert grid.sum() == 5  # the customer with no purchase is left out
    assert grid[4, 4] == 3 and grid[0, 0] == 1 and grid[1, 2] == 1  # [F-1, R-1]
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["1\nLost", "1\nNeed attention", "3\nChampions"]
    assert "1 without a purchase not shown" in ax.get_title()


# ------------------------------------------------------------------ churn


def test_churn_cause_pareto_sorts_bars_and_cumulates_to_100() -> None:
    ax = plot.churn_cause_pareto(_causes())
    assert _bars(ax) == [5.0, 3.0, 1.0, 1.0]
    assert _tick_texts(ax) == ["Service Attitude", "Product Quality", "Natural", "Price"]
    (twin,) = [a for a in ax.figure.axes if a is not ax]
    (line,) = twin.get_lines()
    np.testing.assert_allclose(np.asarray(line.get_ydata()), [50.0, 80.0, 90.0, 100.0])


def test_churn_cause_pareto_filters_risk_bands() -> None:
    ax = plot.churn_cause_pareto(_causes(), risk_bands={"at_risk"})
    assert _bars(ax) == [3.0, 1.0]  # service x3, price x1
    with pytest.raises(CustcareUsageError, match="no customer is in the risk bands"):
        plot.churn_cause_pareto(_causes(), risk_bands={"lapsed"})
    with pytest.raises(CustcareUsageError, match="collection of band codes"):
        plot.churn_cause_pareto(_causes(), risk_bands="at_risk")


def test_probability_alive_matrix_shape_and_values(model: BetaGeoModel) -> None:
    ax = plot.probability_alive_matrix(model, T=38.86, max_frequency=10, recency_steps=20)
    (image,) = [i for i in ax.get_children() if isinstance(i, AxesImage)]
    values = np.asarray(image.get_array())
    assert values.shape == (11, 20)
    assert np.all((values >= 0) & (values <= 1))
    np.testing.assert_allclose(values[0], 1.0)  # no repeat purchase: alive in BG/NBD
    assert np.all(np.diff(values[5]) > 0)  # a later last purchase: more likely alive
    rec = (19 + 0.5) * 38.86 / 20
    assert values[3, 19] == pytest.approx(float(model.probability_alive(3, rec, 38.86)))


def test_expected_purchases_matrix_takes_the_window_from_a_summary(
    model: BetaGeoModel, holdout: CalibrationHoldoutSummary
) -> None:
    ax = plot.expected_purchases_matrix(model, holdout, t=4.0, recency_steps=5)
    values = np.asarray(ax.images[0].get_array())
    assert values.shape == (10, 5)  # max frequency 9 in the summary
    rec = 0.5 * 39.0 / 5
    assert values[2, 0] == pytest.approx(float(model.expected_purchases(4.0, 2, rec, 39.0)))
    assert ax.images[0].get_extent()[1] == pytest.approx(39.0)  # T = max(T) = 39


def test_calibration_holdout_plots_actual_and_predicted_per_bin(
    model: BetaGeoModel, holdout: CalibrationHoldoutSummary
) -> None:
    ax = plot.calibration_holdout(model, holdout)
    actual, predicted = ax.get_lines()
    assert len(np.asarray(actual.get_xdata())) == 8  # bins 0..7+
    assert _tick_texts(ax)[-1] == "7+"
    comparison = compare_holdout(model, holdout)
    np.testing.assert_array_equal(np.asarray(actual.get_ydata()), comparison.bin_mean_actual)
    np.testing.assert_array_equal(np.asarray(predicted.get_ydata()), comparison.bin_mean_predicted)
    assert np.asarray(actual.get_ydata())[2] == 1.0  # customer 1: 2 repeats, 1 in holdout
    again = plot.calibration_holdout(comparison)
    np.testing.assert_array_equal(again.get_lines()[1].get_ydata(), predicted.get_ydata())


def test_model_plots_refuse_unfitted_models_and_bad_windows(
    model: BetaGeoModel, holdout: CalibrationHoldoutSummary
) -> None:
    with pytest.raises(NotFittedError, match="fit"):
        plot.probability_alive_matrix(BetaGeoModel(), T=10.0, max_frequency=3)
    with pytest.raises(CustcareUsageError, match=r"fitted custcare\.churn\.BetaGeoModel"):
        plot.probability_alive_matrix("model", T=10.0, max_frequency=3)
    with pytest.raises(CustcareUsageError, match="give T"):
        plot.probability_alive_matrix(model, max_frequency=3)
    with pytest.raises(CustcareUsageError, match="T must be > 0"):
        plot.probability_alive_matrix(model, T=-1.0, max_frequency=3)
    with pytest.raises(CustcareUsageError, match="max_frequency must be >= 1"):
        plot.expected_purchases_matrix(model, T=10.0, max_frequency=0)
    with pytest.raises(CustcareUsageError, match="t must be > 0"):
        plot.expected_purchases_matrix(model, T=10.0, max_frequency=3, t=0.0)
    with pytest.raises(CustcareUsageError, match="pass the CalibrationHoldoutSummary"):
        plot.calibration_holdout(model)
    with pytest.raises(CustcareUsageError, match="pass no summary"):
        plot.calibration_holdout(compare_holdout(model, holdout), holdout)


# ------------------------------------------------------------------ complaints


def test_complaint_queue_stacks_levels_by_age(queue: WorkQueue) -> None:
    ax = plot.complaint_queue(queue)
    per_level = [[float(p.get_height()) for p in c] for c in ax.containers]
    # age buckets: <1h, 1-4h, 4-24h, 1-3d, >3d; containers: P1, P2, P3, P4
    assert per_level == [
        [1.0, 1.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 1.0],
        [0.0, 0.0, 0.0, 1.0, 0.0],
    ]
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 3  # three overdue items
    assert "5 open, 3 overdue" in ax.get_title()


def test_complaint_queue_refuses_a_list(queue: WorkQueue) -> None:
    with pytest.raises(CustcareUsageError, match="WorkQueue"):
        plot.complaint_queue(list(queue.items))


# ------------------------------------------------------------------ shared rules


def test_every_plot_draws_on_the_given_axes(
    model: BetaGeoModel, holdout: CalibrationHoldoutSummary, queue: WorkQueue
) -> None:
    fig = Figure()
    axes = fig.subplots(2, 4).ravel()
    drawn = [
        plot.member_levels(_tiers(), ax=axes[0]),
        plot.pyramid(_pyramid(), ax=axes[1]),
        plot.rfm_grid(_rfm(), ax=axes[2]),
        plot.churn_cause_pareto(_causes(), ax=axes[3]),
        plot.probability_alive_matrix(model, holdout, ax=axes[4]),
        plot.expected_purchases_matrix(model, holdout, ax=axes[5]),
        plot.calibration_holdout(model, holdout, ax=axes[6]),
        plot.complaint_queue(queue, ax=axes[7]),
    ]
    assert all(d is a for d, a in zip(drawn, axes, strict=True))
    assert all(a.has_data() for a in axes)
    fig.savefig(io.BytesIO(), format="png")  # renders; a missing glyph would warn (= error)


def test_each_call_without_ax_makes_its_own_figure() -> None:
    a, b = plot.member_levels(_tiers()), plot.member_levels(_tiers())
    assert a.figure is not b.figure
    assert isinstance(a.figure, Figure)


def test_wrong_inputs_are_refused_with_the_scorer_named() -> None:
    with pytest.raises(CustcareUsageError, match="ResultTable or the BatchScores") as err:
        plot.member_levels({"level": ["vip"]})
    assert err.value.code == "bad_argument"
    with pytest.raises(CustcareUsageError, match=r"no column \['recency_score'"):
        plot.rfm_grid(_tiers())
    table = ResultTable(_ids(8), _fixed_as_of(), {})
    with pytest.raises(CustcareUsageError, match=r"no 'loyalty\.pyramid' scores") as err:
        plot.pyramid(table)
    assert err.value.code == "missing_dependency"
    with pytest.raises(CustcareUsageError, match="matplotlib Axes"):
        plot.member_levels(_tiers(), ax="left")
    with pytest.raises(CustcareUsageError, match="lang must be 'en' or 'zh'"):
        plot.member_levels(_tiers(), lang="fr")


def _fixed_as_of() -> datetime:
    return datetime(2026, 6, 30, tzinfo=timezone.utc)


# ------------------------------------------------------------------ Chinese labels


def test_chinese_labels_use_a_cjk_font_and_render_without_missing_glyphs() -> None:
    font = plot.cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    ax = plot.member_levels(_tiers(), lang="zh")
    assert _tick_texts(ax) == ["非会员", "普通会员", "VIP会员"]
    assert ax.get_title() == "会员等级分布"
    assert all(t.get_fontproperties().get_file() == font.get_file() for t in ax.get_xticklabels())
    ax.figure.savefig(io.BytesIO(), format="png")  # "Glyph missing" warnings are errors here


def test_without_a_cjk_font_zh_falls_back_to_english_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_common, "_find_cjk_font", lambda: None)
    with pytest.warns(plot.CJKFontWarning, match="drawing English labels instead"):
        ax = plot.member_levels(_tiers(), lang="zh")
    assert _tick_texts(ax) == ["Not a member", "Ordinary member", "VIP"]
    notes = [t.get_text() for t in ax.texts]
    assert any("CJK font" in n for n in notes)


# ------------------------------------------------------------------ report_figures


def test_report_figures_gives_one_figure_per_supported_plot(
    model: BetaGeoModel, holdout: CalibrationHoldoutSummary, queue: WorkQueue
) -> None:
    shop = sample_shop()
    table = Pipeline([ThresholdTierScorer()]).run(shop.histories, as_of=shop.as_of)
    assert list(plot.report_figures(table)) == ["member_levels"]
    figs = plot.report_figures(table, queue=queue, model=model, summary=holdout)
    assert list(figs) == [
        "member_levels",
        "complaint_queue",
        "probability_alive_matrix",
        "expected_purchases_matrix",
        "calibration_holdout",
    ]
    assert all(isinstance(f, Figure) and len(f.axes) >= 1 for f in figs.values())
    with pytest.raises(CustcareUsageError, match="model and summary together"):
        plot.report_figures(table, model=model)
    with pytest.raises(CustcareUsageError, match="takes a ResultTable"):
        plot.report_figures(shop.histories)


# ------------------------------------------------------------------ the guide

GUIDE = Path(__file__).parent.parent / "docs" / "guides" / "plots.md"


def test_plots_guide_code_runs_and_shows_every_image_it_draws(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.S))
    monkeypatch.chdir(GUIDE.parent.parent.parent)
    namespace: dict[str, object] = {"__name__": "guide"}
    exec(compile(code, "plots.md", "exec"), namespace)
    printed = capsys.readouterr().out.strip()
    shown = re.search(r"```text\n(\[.*?\])\n```", text)
    assert shown is not None and printed == shown.group(1)
    figures = namespace["figures"]
    assert isinstance(figures, dict)
    images = re.findall(r"\]\(plots/(\w+)\.png\)", text)
    assert sorted(images) == sorted([*figures, "zh_labels"])
