"""Plots of custcare results (the optional ``plot`` extra: ``pip install 'custcare[plot]'``).

Every function takes custcare objects (a `custcare.scoring.ResultTable` or one
scorer's `custcare.scoring.BatchScores`, a fitted `custcare.churn.BetaGeoModel`, a
`custcare.complaints.WorkQueue`), draws on the ``ax`` it is given or on a new
`matplotlib.figure.Figure`, and returns the axes. None touches matplotlib's global
state: no pyplot, no ``plt.show()``, no ``rcParams`` change. Save a plot with
``ax.figure.savefig("plot.png")``.

``lang="zh"`` draws the labels the library has in Chinese (levels, segments, causes)
with a CJK font found on the system (`cjk_font`); without one, the plot is drawn in
English, says so in a note on the plot, and a `CJKFontWarning` is issued.

* Loyalty: `member_levels`, `pyramid`, `rfm_grid`.
* Churn: `churn_cause_pareto`, `probability_alive_matrix`,
  `expected_purchases_matrix`, `calibration_holdout`.
* Complaints: `complaint_queue`.
* All that apply at once: `report_figures`.
"""

from custcare.plot._churn import (
    calibration_holdout,
    churn_cause_pareto,
    expected_purchases_matrix,
    probability_alive_matrix,
)
from custcare.plot._common import CJK_FONT_FAMILIES, CJKFontWarning, Lang, cjk_font
from custcare.plot._complaints import AGE_BUCKETS, complaint_queue
from custcare.plot._loyalty import member_levels, pyramid, rfm_grid
from custcare.plot._report import report_figures

__all__ = [
    "AGE_BUCKETS",
    "CJK_FONT_FAMILIES",
    "CJKFontWarning",
    "Lang",
    "calibration_holdout",
    "churn_cause_pareto",
    "cjk_font",
    "complaint_queue",
    "expected_purchases_matrix",
    "member_levels",
    "probability_alive_matrix",
    "pyramid",
    "report_figures",
    "rfm_grid",
]
