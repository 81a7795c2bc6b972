"""A self-contained HTML report of a result table (an edge, like `custcare.io`).

`render_report` turns a `custcare.scoring.ResultTable` into one HTML page that opens
with no network: inline CSS, no script, the plots of `custcare.plot` embedded as
PNG images (when matplotlib is installed: the ``plot`` extra). It holds the summary
tables, the customers most at stake, the complaint work queue and one panel per
customer with every scorer's reasons (codes, texts, evidence ids), all linked from a
table of contents. `custcare.io.write_report` writes it to a file (the files edge
does file I/O); ``custcare score ... --out report.html`` does the same from the shell.

Only ids, codes, numbers, labels and reason texts (which mask personal data) go in
the page; every text is HTML-escaped; the same input gives the same bytes.
"""

from custcare.report._html import (
    DEFAULT_QUEUE_ROWS,
    DEFAULT_TOP,
    customer_anchor,
    render_report,
    shown_id,
)

__all__ = [
    "DEFAULT_QUEUE_ROWS",
    "DEFAULT_TOP",
    "customer_anchor",
    "render_report",
    "shown_id",
]
