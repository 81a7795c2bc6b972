"""Results out: a result table or a work queue as CSV, Parquet, Excel or JSON; the HTML report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from custcare.churn import BetaGeoModel, CalibrationHoldoutSummary
from custcare.complaints import WorkQueue
from custcare.errors import CustcareUsageError
from custcare.report import DEFAULT_QUEUE_ROWS, DEFAULT_TOP, render_report
from custcare.scoring import ResultTable

__all__ = ["OUTPUT_SUFFIXES", "check_output", "queue_columns", "write_report", "write_table"]

OUTPUT_SUFFIXES = (".csv", ".parquet", ".xlsx", ".json", ".html")
"""The output formats, by file suffix (``.html``: the report of a result table)."""

_EXCEL_ROWS = 1_048_575  # below the header row
_LISTS = (list, tuple, np.ndarray)


def check_output(path: str | Path) -> Path:
    """The output path, checked before any work: a known suffix and an existing folder.

    Raises:
        CustcareUsageError: for another suffix or a missing folder.

    Examples:
        >>> check_output("scores.xlsx").suffix
        '.xlsx'
        >>> check_output("report.html").name
        'report.html'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise CustcareUsageError(
            f"--out: write {', '.join(OUTPUT_SUFFIXES)}, got {path.name!r}", code="bad_argument"
        )
    if not path.parent.is_dir():
        raise CustcareUsageError(
            f"--out: the folder {path.parent.name or str(path.parent)!r} does not exist",
            code="bad_argument",
        )
    return path


def _flat(frame: Any) -> Any:
    """List columns (reason codes, evidence) as text joined by '; ', for CSV and Excel."""
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object and any(isinstance(v, _LISTS) for v in values.head(50)):
            frame[column] = ["; ".join(map(str, v)) if isinstance(v, _LISTS) else v for v in values]
    return frame


def write_table(data: ResultTable | Mapping[str, Any] | Any, path: str | Path) -> int:
    """Write a `ResultTable` (or columns by name, or a DataFrame) to ``path``; returns rows.

    The format follows the suffix (`OUTPUT_SUFFIXES`). ``.html`` writes the report of
    a `ResultTable` with `write_report` (its defaults: the plots, the
    50 customers most at stake, the complaint queue); only a result table makes one.

    CSV is UTF-8 with a byte-order mark (Excel opens Chinese text right); in CSV
    and Excel, reason codes and evidence are joined by ``"; "``; Parquet and JSON
    keep them as lists. Ids stay text in every format.

    Raises:
        CustcareUsageError: for an unknown suffix, more rows than Excel holds, or
            ``.html`` for anything but a `ResultTable`.
    """
    path = check_output(path)
    suffix = path.suffix.lower()
    if suffix == ".html":
        if not isinstance(data, ResultTable):
            raise CustcareUsageError(
                f"--out {path.name}: the HTML report is made from scores (custcare score); "
                "write this table as .csv, .parquet, .xlsx or .json",
                code="bad_argument",
            )
        write_report(data, path)
        return len(data)
    if isinstance(data, ResultTable):
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.write_table(data.to_arrow(), path)
            return len(data)
        frame = data.to_pandas()
    elif isinstance(data, Mapping):
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]

        frame = pd.DataFrame(dict(data))
    else:
        frame = data
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".json":
        frame.to_json(path, orient="records", force_ascii=False, date_format="iso", indent=1)
    elif suffix == ".csv":
        _flat(frame).to_csv(path, index=False, encoding="utf-8-sig")
    else:
        if len(frame) > _EXCEL_ROWS:
            raise CustcareUsageError(
                f"--out: {len(frame):,} rows do not fit in an Excel sheet "
                f"({_EXCEL_ROWS:,}); write .csv or .parquet",
                code="bad_argument",
            )
        _flat(frame).to_excel(path, index=False, engine="xlsxwriter")
    return len(frame)


def write_report(
    table: ResultTable,
    path: str | Path,
    *,
    queue: WorkQueue | None = None,
    model: BetaGeoModel | None = None,
    summary: CalibrationHoldoutSummary | None = None,
    top: int = DEFAULT_TOP,
    queue_rows: int = DEFAULT_QUEUE_ROWS,
    title: str = "custcare report",
    plots: bool = True,
    hash_ids: bool = False,
) -> Path:
    """Write `custcare.report.render_report` of ``table`` to an ``.html`` file (UTF-8).

    The options are `custcare.report.render_report`'s. Returns the path written.

    Raises:
        CustcareUsageError: as `custcare.report.render_report`; for a path that does
            not end in ``.html``, or a missing folder.

    Examples:
        >>> import tempfile
        >>> from custcare.datasets import sample_shop
        >>> from custcare.loyalty import ThresholdTierScorer
        >>> from custcare.scoring import Pipeline
        >>> shop = sample_shop()
        >>> table = Pipeline([ThresholdTierScorer()]).run(shop.histories, as_of=shop.as_of)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = write_report(table, f"{folder}/report.html", plots=False)
        ...     path.read_text(encoding="utf-8").count('class="customer"')
        50
    """
    path = check_output(path)
    if path.suffix.lower() != ".html":
        raise CustcareUsageError(
            f"write_report writes an .html file, got {path.name!r}", code="bad_argument"
        )
    page = render_report(
        table,
        queue=queue,
        model=model,
        summary=summary,
        top=top,
        queue_rows=queue_rows,
        title=title,
        plots=plots,
        hash_ids=hash_ids,
    )
    # custcare.io is the files edge, the one package that touches files (pyproject's
    # import contracts); the other writers go through pandas and pyarrow.
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(page)
    return path


def queue_columns(queue: WorkQueue) -> dict[str, list[Any]]:
    """The work queue as columns, most urgent first (``rank`` 1 first).

    Examples:
        >>> from custcare.complaints import rank_queue
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> columns = queue_columns(rank_queue(shop.histories, as_of=shop.as_of))
        >>> list(columns)[:4]
        ['rank', 'complaint_id', 'customer_id', 'level']
    """
    items = queue.items
    return {
        "rank": list(range(1, len(items) + 1)),
        "complaint_id": [i.complaint_id for i in items],
        "customer_id": [i.customer_id for i in items],
        "level": [i.level for i in items],
        "score": [round(i.score, 2) for i in items],
        "category": [i.category for i in items],
        "opened_at": [i.opened_at.isoformat() for i in items],
        "respond_by": [i.respond_by.isoformat() for i in items],
        "overdue": [i.overdue for i in items],
        "reason_codes": [[r.code for r in i.reasons] for i in items],
        "steps": [[s.code for s in i.steps] for i in items],
        "first_step_zh": [i.steps[0].zh if i.steps else "" for i in items],
        "first_step_en": [i.steps[0].en if i.steps else "" for i in items],
    }
