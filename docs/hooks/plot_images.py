"""mkdocs hook: draw the images of the Plots guide at build time (none is committed).

Registered in ``mkdocs.yml`` under ``hooks:``. The images come from the seeded sample
shop and the CDNOW sample in ``tests/data`` (offline, a few seconds), are added to
the site as generated files under ``guides/plots/``, and are referenced from
``docs/guides/plots.md``. This folder holds build code, not pages: the hook keeps
itself out of the site.
"""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("mkdocs.hooks.plot_images")

IMAGE_DIR = "guides/plots"


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


def build_figures(root: Path) -> dict[str, Any]:
    """Every figure of the guide, keyed by image name (without ``.png``)."""
    from matplotlib.figure import Figure

    from custcare import plot
    from custcare.churn import (
        BetaGeoModel,
        ChurnCauseScorer,
        ChurnRiskScorer,
        calibration_holdout_summary,
    )
    from custcare.complaints import rank_queue
    from custcare.datasets import sample_shop
    from custcare.loyalty import PyramidScorer, RFMScorer, ThresholdTierScorer
    from custcare.scoring import Pipeline

    shop = sample_shop()
    pipeline = Pipeline(
        [
            ThresholdTierScorer(),
            RFMScorer(),
            PyramidScorer(),
            ChurnRiskScorer(),
            ChurnCauseScorer(),
        ]
    ).fit(shop.histories, as_of=shop.as_of)
    table = pipeline.run(shop.histories, as_of=shop.as_of)
    queue = rank_queue(shop.histories, as_of=shop.as_of)

    raw = np.loadtxt(root / "tests" / "data" / "CDNOW_sample.txt", dtype=str)
    days = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    summary = calibration_holdout_summary(
        raw[:, 0],
        days,
        raw[:, 4].astype(float),
        split_time=np.datetime64("1997-09-30"),
        end_time=np.datetime64("1998-06-30"),
    )
    model = BetaGeoModel().fit(summary.frequency, summary.recency, summary.T)

    figs: dict[str, Any] = dict(
        plot.report_figures(table, queue=queue, model=model, summary=summary)
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", plot.CJKFontWarning)
        zh = Figure(figsize=(13.0, 4.5), layout="constrained")
        left, right = zh.subplots(1, 2)
        plot.member_levels(table, ax=left, lang="zh")
        plot.churn_cause_pareto(table, ax=right, lang="zh")
    for w in caught:
        log.info("plots guide: %s", w.message)
    figs["zh_labels"] = zh
    return figs


def on_files(files: Any, config: Any) -> Any:
    """Add the generated images; drop this hook's own folder from the site."""
    from mkdocs.structure.files import File

    for f in list(files):
        if f.src_uri.startswith("hooks/"):
            files.remove(f)
    root = Path(config["config_file_path"]).parent
    for name, fig in build_figures(root).items():
        files.append(File.generated(config, f"{IMAGE_DIR}/{name}.png", content=_png(fig)))
    return files
