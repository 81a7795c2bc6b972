"""mkdocs hook: render the sample shop's HTML report into the site at build time.

Registered in ``mkdocs.yml`` under ``hooks:``. ``custcare.report.render_report`` of
the seeded sample shop (offline, about a second) is added to the site as
``guides/sample-report.html``, linked from ``docs/guides/html-report.md``; nothing is
committed, so the example always matches the code. The screenshot on that page is
committed (``docs/guides/report-screenshot.png``: a browser is not needed to build the
docs); ``CUSTCARE_UPDATE_SCREENSHOT=1 pytest tests/test_report_browser.py`` renews it.
"""

from __future__ import annotations

from typing import Any

REPORT_URI = "guides/sample-report.html"


def render_sample() -> str:
    """The report of the sample shop, scored by every question's scorer."""
    from custcare.churn import ChurnCauseScorer, ChurnRiskScorer
    from custcare.complaints import ComplaintPriorityScorer
    from custcare.datasets import sample_shop
    from custcare.loyalty import PyramidScorer, RFMScorer, ThresholdTierScorer
    from custcare.report import render_report
    from custcare.scoring import Pipeline

    shop = sample_shop()
    pipeline = Pipeline(
        [
            ThresholdTierScorer(),
            RFMScorer(),
            ChurnRiskScorer(spend_penalizer=0.001),
            PyramidScorer(future_weight=0.4),
            ChurnCauseScorer(),
            ComplaintPriorityScorer(),
        ]
    ).fit(shop.histories, as_of=shop.as_of)
    table = pipeline.run(shop.histories, as_of=shop.as_of)
    return render_report(table, title=f"{shop.name} — custcare report", top=20)


def on_files(files: Any, config: Any) -> Any:
    """Add the generated report page to the site."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, REPORT_URI, content=render_sample()))
    return files
