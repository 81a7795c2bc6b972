"""The HTML report: one self-contained page from a result table."""

from __future__ import annotations

import base64
import hashlib
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo
from html import escape
from typing import Any

import numpy as np
from numpy.typing import NDArray

from custcare import __version__
from custcare.churn import BetaGeoModel, CalibrationHoldoutSummary
from custcare.complaints import PriorityScores, WorkQueue, rank_queue
from custcare.errors import CustcareError, CustcareUsageError
from custcare.loyalty import customer_value_columns
from custcare.scoring import ResultTable, ScoreResult

__all__ = [
    "DEFAULT_QUEUE_ROWS",
    "DEFAULT_TOP",
    "customer_anchor",
    "render_report",
    "shown_id",
]

DEFAULT_TOP = 50
"""Customers given a panel (and a row in the customers table) by default: the most at stake."""

DEFAULT_QUEUE_ROWS = 100
"""Complaints of the work queue shown by default, most urgent first."""

MAX_EVIDENCE = 20
"""Evidence ids listed per reason; more are counted ("and 12 more")."""

_PLAIN_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")

_PLOT_TITLES: dict[str, tuple[str, str]] = {
    "member_levels": ("会员等级分布", "Member levels"),
    "pyramid": ("客户价值金字塔", "Value pyramid"),
    "rfm_grid": ("RFM 分群", "RFM segments"),
    "churn_cause_pareto": ("流失原因帕累托图", "Churn causes (Pareto)"),
    "complaint_queue": ("投诉队列：时长与优先级", "Complaint queue by age and priority"),
    "probability_alive_matrix": ("存活概率矩阵", "Probability alive"),
    "expected_purchases_matrix": ("预期购买矩阵", "Expected purchases"),
    "calibration_holdout": ("校准期与验证期购买", "Calibration vs holdout purchases"),
}

# (scorer, code column, zh heading, en heading) of the summary counts.
_SUMMARIES: tuple[tuple[str, str, str, str], ...] = (
    ("loyalty.threshold", "level", "会员等级", "Member levels"),
    ("loyalty.pyramid", "level_code", "客户价值金字塔", "Value pyramid"),
    ("loyalty.rfm", "segment", "RFM 分群", "RFM segments"),
    ("churn.risk", "band", "流失风险", "Churn risk bands"),
    ("churn.cause", "top_cause", "最可能的流失原因", "Most likely churn causes"),
    ("complaint.priority", "level", "投诉优先级", "Complaint priority"),
)

# (column, zh, en, kind) of the customers table and of each panel's key figures;
# kind "label" reads the scorer's label_zh / label_en columns.
_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("loyalty.threshold", "会员等级", "Member level", "label"),
    ("loyalty.pyramid", "价值金字塔", "Value pyramid", "label"),
    ("loyalty.rfm", "RFM 分群", "RFM segment", "label"),
    ("churn.risk", "流失风险", "Churn risk", "label"),
    ("churn.risk.risk", "不再购买概率", "P(no purchase)", "number"),
    ("churn.risk.clv", "客户终身价值", "CLV", "number"),
    ("churn.cause", "流失原因", "Likely cause", "label"),
    ("complaint.priority.level", "投诉优先级", "Complaint priority", "text"),
)

_CSS = """
:root{--ink:#1f2933;--muted:#52606d;--line:#d9e2ec;--band:#f0f4f8;--accent:#1d4f91}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",
"WenQuanYi Micro Hei","PingFang SC","Microsoft YaHei",sans-serif;color:var(--ink)}
header,main,footer{max-width:1280px;margin:0 auto;padding:0 20px}
header{padding-top:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{margin-top:2em;border-bottom:2px solid var(--line)}
h3{margin:0 0 6px}h4{margin:14px 0 4px;font-size:1em}
.muted,.en{color:var(--muted)}
.note{background:var(--band);border-left:4px solid var(--accent);padding:8px 12px}
nav{background:var(--band);padding:10px 16px;border-radius:6px}
nav ol{margin:4px 0;padding-left:22px}
a{color:var(--accent)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:6px 0 12px;font-size:.92em}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--band)}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.t{white-space:nowrap}td.step{min-width:14em}td.codes{font-size:.8em}
code{font-size:.9em}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:8px 20px}
figure{margin:12px 0 24px}figure img{max-width:100%;height:auto;border:1px solid var(--line)}
figcaption{color:var(--muted)}
.customer{border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:14px 0}
.customer:target{border-color:var(--accent);box-shadow:0 0 0 3px #c4d7f2}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.overdue{color:#b42318;font-weight:600}
footer{margin:40px auto 24px;color:var(--muted);font-size:.85em}
@media print{nav{display:none}.customer{break-inside:avoid}}
"""


def _digest(customer_id: str) -> str:
    return hashlib.sha256(customer_id.encode("utf-8")).hexdigest()[:20]


def customer_anchor(customer_id: str, *, hashed: bool = False) -> str:
    """The ``id`` of a customer's panel in the report (link to it with ``#`` + this).

    Plain ids (letters, digits, ``_.-``, up to 64) are kept: ``c-`` + id. Any other
    id (Chinese text, spaces, symbols), and every id when ``hashed``, becomes ``h-``
    + a hash of it, so every anchor is a valid, unique fragment that needs no URL
    escaping and a hashed report does not spell the id out.

    Examples:
        >>> customer_anchor("C0003")
        'c-C0003'
        >>> customer_anchor("买家 01")
        'h-...'
        >>> customer_anchor("C0003", hashed=True) == customer_anchor("C0003")
        False
    """
    if not hashed and _PLAIN_ID.fullmatch(customer_id):
        return f"c-{customer_id}"
    return f"h-{_digest(customer_id)}"


def shown_id(customer_id: str, *, hashed: bool = False) -> str:
    """How the report shows a customer id: as is, or ``#`` + 10 hex digits of its hash.

    The hash (SHA-256) hides ids that are personal data (buyer names, phone numbers)
    from a reader of the page; it is a pseudonym, not a secret: whoever holds the
    ids can compute it and so find a customer's panel.

    Examples:
        >>> shown_id("C0003")
        'C0003'
        >>> shown_id("淘气的猫咪", hashed=True)
        '#...'
        >>> len(shown_id("淘气的猫咪", hashed=True))
        11
    """
    return f"#{_digest(customer_id)[:10]}" if hashed else customer_id


def _bi(zh: str, en: str) -> str:
    """A bilingual label: Chinese first, English after it."""
    return f'<span lang="zh">{escape(zh)}</span> <span class="en">{escape(en)}</span>'


def _number(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return escape(str(value))
    if not math.isfinite(x):
        return "–"
    return f"{x:,.{digits}f}"


def _stake(table: ResultTable) -> tuple[NDArray[np.float64], str]:
    """Per row, what ranks customers for the panels, and how it was computed."""
    n = len(table)
    upstream = {name: table[name] for name in table.scorers}
    value, source = customer_value_columns(upstream, n)
    has_value = bool(np.any(source != ""))
    risk = None
    if "churn.risk" in table.scorers and "risk" in table["churn.risk"].columns:
        risk = np.nan_to_num(np.asarray(table["churn.risk"]["risk"], dtype=float), nan=0.0)
    if risk is not None and has_value:
        return risk * value, "churn risk × customer value (流失风险 × 客户价值)"
    if risk is not None:
        return risk, "churn risk (流失风险)"
    if has_value:
        return value, "customer value (客户价值)"
    return np.zeros(n), "customer id (客户编号)"


def _top_rows(table: ResultTable, top: int) -> tuple[list[int], NDArray[np.float64], str]:
    stake, how = _stake(table)
    ids = table.customer_ids
    # Highest stake first; ties by customer id, so the order never depends on input order.
    order = np.lexsort((ids, -stake)) if len(ids) else np.zeros(0, dtype=np.int64)
    return [int(i) for i in order[:top]], stake, how


def _cell(columns: dict[str, NDArray[Any]], key: str, kind: str, row: int) -> str | None:
    """The HTML of one figure of a row, or None when the table lacks it."""
    if kind == "label":
        zh, en = columns.get(f"{key}.label_zh"), columns.get(f"{key}.label_en")
        if zh is None or en is None:
            return None
        return _bi(str(zh[row]), str(en[row]))
    values = columns.get(key)
    if values is None:
        return None
    if kind == "number":
        return _number(values[row])
    return escape(str(values[row]))


def _summary(table: ResultTable, columns: dict[str, NDArray[Any]]) -> list[str]:
    out: list[str] = []
    n = len(table)
    for scorer, code, zh, en in _SUMMARIES:
        codes = columns.get(f"{scorer}.{code}")
        if codes is None:
            continue
        labels_zh = columns.get(f"{scorer}.label_zh")
        labels_en = columns.get(f"{scorer}.label_en")
        text = np.asarray(codes).astype(str)
        kinds, first, counts = np.unique(text, return_index=True, return_counts=True)
        order = sorted(range(len(kinds)), key=lambda k: (-int(counts[k]), str(kinds[k])))
        out.append(f"<h3>{_bi(zh, en)} <code>{escape(scorer)}</code></h3>")
        out.append('<div class="scroll"><table><thead><tr>')
        out.append(f"<th>{_bi('代码', 'Code')}</th><th>{_bi('名称', 'Label')}</th>")
        out.append(f"<th>{_bi('客户数', 'Customers')}</th><th>{_bi('占比', 'Share')}</th>")
        out.append("</tr></thead><tbody>")
        for k in order:
            row = int(first[k])
            label = (
                _bi(str(labels_zh[row]), str(labels_en[row]))
                if labels_zh is not None and labels_en is not None
                else ""
            )
            share = int(counts[k]) / n if n else 0.0
            out.append(
                f"<tr><td><code>{escape(str(kinds[k]))}</code></td><td>{label}</td>"
                f'<td class="n">{int(counts[k]):,}</td><td class="n">{share:.1%}</td></tr>'
            )
        out.append("</tbody></table></div>")
        low = columns.get(f"{scorer}.low_confidence")
        if low is not None and bool(np.any(low)):
            k = int(np.count_nonzero(low))
            out.append(
                f'<p class="note">{k:,} of {n:,} customers have no evidence of a cause in '
                "their records: their cause is the prior, with low confidence "
                f"(无证据，置信度低：{k:,} 位客户).</p>"
            )
    if not out:
        out.append('<p class="muted">No scorer with levels or segments ran.</p>')
    return out


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(
    table: ResultTable,
    queue: WorkQueue | None,
    model: BetaGeoModel | None,
    summary: CalibrationHoldoutSummary | None,
    plots: bool,
) -> tuple[list[tuple[str, str]], str | None]:
    """(name, base64 PNG) of every plot, or a note saying why there are none."""
    if not plots:
        return [], "Plots left out (plots=False)."
    if len(table) == 0:
        return [], "No customers: nothing to plot."
    try:
        from custcare.plot import report_figures
    except ImportError:
        return [], "Plots need matplotlib: pip install 'custcare[plot]'."
    try:
        figures = report_figures(table, queue=queue, model=model, summary=summary)
    except CustcareError as exc:
        return [], f"Plots not drawn: {exc}"
    return [(name, _png(fig)) for name, fig in figures.items()], None


def _evidence(ids: Sequence[str]) -> str:
    shown = ", ".join(f"<code>{escape(e)}</code>" for e in ids[:MAX_EVIDENCE])
    more = len(ids) - MAX_EVIDENCE
    return shown + (f" … and {more:,} more" if more > 0 else "")


def _reasons(result: ScoreResult) -> list[str]:
    out = ['<div class="scroll"><table><thead><tr>']
    out.append(
        f"<th>{_bi('原因代码', 'Reason code')}</th><th>{_bi('说明', 'Reason')}</th>"
        f"<th>{_bi('权重', 'Weight')}</th><th>{_bi('证据编号', 'Evidence ids')}</th>"
    )
    out.append("</tr></thead><tbody>")
    for reason in result.reasons:
        out.append(
            f"<tr><td><code>{escape(reason.code)}</code></td><td>{escape(reason.message)}</td>"
            f'<td class="n">{reason.weight:.2f}</td><td>{_evidence(reason.evidence)}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return out


def _offset(moment: datetime) -> str:
    """The UTC offset of a moment, e.g. ``UTC+08:00``."""
    text = moment.strftime("%z") or "+0000"
    return f"UTC{text[:3]}:{text[3:5]}"


def _when(moment: datetime, zone: tzinfo | None) -> str:
    """A moment as ``YYYY-MM-DD HH:MM`` in the report's zone (that of ``as_of``)."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _queue_rows(queue: WorkQueue, rows: int, link: Callable[[str], str]) -> tuple[list[str], int]:
    out = ['<div class="scroll"><table><thead><tr>']
    heads = (
        ("序号", "Rank"),
        ("投诉编号", "Complaint"),
        ("客户", "Customer"),
        ("优先级", "Level"),
        ("分数", "Score"),
        ("类别", "Category"),
        ("受理时间", f"Opened ({_offset(queue.as_of)})"),
        ("响应期限", f"Respond by ({_offset(queue.as_of)})"),
        ("原因代码", "Reason codes"),
        ("第一步", "First step"),
    )
    out.append("".join(f"<th>{_bi(zh, en)}</th>" for zh, en in heads))
    out.append("</tr></thead><tbody>")
    items = queue.items[:rows]
    zone = queue.as_of.tzinfo
    for rank, item in enumerate(items, start=1):
        late = '<br><span class="overdue">overdue 已超时</span>' if item.overdue else ""
        step = _bi(item.steps[0].zh, item.steps[0].en) if item.steps else ""
        codes = " ".join(f"<code>{escape(r.code)}</code>" for r in item.reasons)
        out.append(
            f'<tr><td class="n">{rank}</td><td><code>{escape(item.complaint_id)}</code></td>'
            f"<td>{link(item.customer_id)}</td><td>{escape(item.level)}</td>"
            f'<td class="n">{item.score:.1f}</td><td><code>{escape(item.category)}</code></td>'
            f'<td class="t">{_when(item.opened_at, zone)}</td>'
            f'<td class="t">{_when(item.respond_by, zone)}{late}</td>'
            f'<td class="codes">{codes}</td><td class="step">{step}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return out, len(items)


def _check(top: int, queue_rows: int, title: str) -> None:
    for name, value in (("top", top), ("queue_rows", queue_rows)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CustcareUsageError(
                f"render_report: {name} must be a whole number from 0, got {value!r}",
                code="bad_argument",
            )
    if not isinstance(title, str) or not title.strip():
        raise CustcareUsageError(
            "render_report: title must be a non-empty text", code="bad_argument"
        )


def render_report(
    table: ResultTable,
    *,
    queue: WorkQueue | None = None,
    model: BetaGeoModel | None = None,
    summary: CalibrationHoldoutSummary | None = None,
    top: int = DEFAULT_TOP,
    queue_rows: int = DEFAULT_QUEUE_ROWS,
    title: str = "custcare report",
    plots: bool = True,
    hash_ids: bool = False,
) -> str:
    """The report of a result table as one self-contained HTML page.

    Sections, linked from a table of contents: a summary (customers per member level,
    pyramid level, RFM segment, churn risk band, likely cause and complaint
    priority, for the scorers that ran); the plots of `custcare.plot.report_figures`
    as embedded PNG images (needs matplotlib; left out with a note otherwise); the
    ``top`` customers most at stake (churn risk × customer value, or whichever of
    the two the table has) in a table, each linked to a panel with the key figures
    and every scorer's reasons: code, text, weight and evidence ids; the complaint
    work queue (``queue``, or ranked from the table's ``complaint.priority`` scores),
    its first ``queue_rows`` items. The page says how many customers and complaints
    it leaves out: the full table belongs in a CSV, Excel or Parquet file.

    The page needs no network (inline CSS, no script, images as ``data:`` URLs),
    holds only ids, codes, numbers, labels (Chinese and English) and reason texts,
    escapes every text, and is the same for the same input (the only moment in it
    is the table's ``as_of``).

    Args:
        table: The result of `custcare.scoring.Pipeline.run`.
        queue: The complaint work queue; by default ranked from the table's
            ``complaint.priority`` scores (empty section when that scorer did not run).
        model: A fitted `custcare.churn.BetaGeoModel`, for the probability-alive,
            expected-purchases and calibration plots (with ``summary``).
        summary: The `custcare.churn.calibration_holdout_summary` the model is checked on.
        top: How many customers get a row and a panel (0: none).
        queue_rows: How many complaints of the queue are listed.
        title: The page title.
        plots: False to leave the plots out (a smaller, faster page).
        hash_ids: True when the customer ids are personal data (buyer names, phone
            numbers): the page shows `shown_id` pseudonyms instead of them.

    Returns:
        The HTML text (UTF-8 when written).

    Raises:
        CustcareUsageError: for a table of another type, a negative ``top`` or
            ``queue_rows``, an empty title, or a model without its summary.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> from custcare.loyalty import ThresholdTierScorer
        >>> from custcare.scoring import Pipeline
        >>> shop = sample_shop()
        >>> table = Pipeline([ThresholdTierScorer()]).run(shop.histories, as_of=shop.as_of)
        >>> page = render_report(table, top=3, plots=False)
        >>> page.startswith("<!DOCTYPE html>"), 'id="c-C0001"' in page
        (True, True)
        >>> render_report(table, plots=False) == render_report(table, plots=False)
        True
    """
    if not isinstance(table, ResultTable):
        raise CustcareUsageError(
            f"render_report takes a ResultTable (Pipeline.run's result), "
            f"got {type(table).__name__}",
            code="bad_argument",
        )
    _check(top, queue_rows, title)
    if (model is None) != (summary is None):
        raise CustcareUsageError(
            "render_report: pass model and summary together", code="bad_argument"
        )
    if queue is None and "complaint.priority" in table.scorers:
        scores = table["complaint.priority"]
        if isinstance(scores, PriorityScores):
            queue = rank_queue(scores)
    columns = table.to_dict() if len(table) else {}
    ids = [str(c) for c in table.customer_ids.tolist()]
    rows, stake, how = _top_rows(table, top)
    in_panels = {ids[r] for r in rows}

    def link(customer_id: str) -> str:
        text = f"<code>{escape(shown_id(customer_id, hashed=hash_ids))}</code>"
        if customer_id in in_panels:
            return f'<a href="#{customer_anchor(customer_id, hashed=hash_ids)}">{text}</a>'
        return text

    drawn_queue = queue if queue is not None and queue.items else None  # no empty plot
    images, plot_note = _plots(table, drawn_queue, model, summary, plots)
    n = len(table)
    as_of = table.as_of.isoformat()
    toc: list[tuple[str, str, list[tuple[str, str]]]] = [
        ("summary", _bi("摘要", "Summary"), []),
        (
            "plots",
            _bi("图表", "Plots"),
            [(f"plot-{name}", _bi(*_PLOT_TITLES.get(name, (name, name)))) for name, _ in images],
        ),
        ("customers", _bi("重点客户", "Customers most at stake"), []),
        ("queue", _bi("投诉处理队列", "Complaint queue"), []),
        ("panels", _bi("客户详情与原因", "Customer panels with reasons"), []),
    ]

    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{escape(title)} — as of {escape(as_of)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        '<header id="top">',
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">As of 截至 <strong>{escape(as_of)}</strong> · {n:,} customers 客户'
        f" · scorers 评分器: {', '.join(f'<code>{escape(s)}</code>' for s in table.scorers)}"
        "</p>",
        '<nav aria-label="Contents"><strong>Contents 目录</strong><ol>',
    ]
    for anchor, label, children in toc:
        out.append(f'<li><a href="#{anchor}">{label}</a>')
        if children:
            out.append("<ol>")
            out.extend(f'<li><a href="#{a}">{lab}</a></li>' for a, lab in children)
            out.append("</ol>")
        out.append("</li>")
    out.append("</ol></nav></header><main>")

    out.append(f'<section id="summary"><h2>{_bi("摘要", "Summary")}</h2>')
    if table.errors:
        out.append(
            f'<p class="note">{len(table.errors):,} scoring errors were collected; '
            "their customers have no result from the failed scorer.</p>"
        )
    out.extend(_summary(table, columns) if n else ['<p class="muted">No customers.</p>'])
    out.append("</section>")

    out.append(f'<section id="plots"><h2>{_bi("图表", "Plots")}</h2>')
    if plot_note is not None:
        out.append(f'<p class="note">{escape(plot_note)}</p>')
    out.append('<div class="plots">')
    for name, data in images:
        zh, en = _PLOT_TITLES.get(name, (name, name))
        out.append(
            f'<figure id="plot-{escape(name)}"><img alt="{escape(en)}" '
            f'src="data:image/png;base64,{data}">'
            f"<figcaption>{_bi(zh, en)} (<code>custcare.plot.{escape(name)}</code>)"
            "</figcaption></figure>"
        )
    out.append("</div></section>")

    present = [
        (key, zh, en, kind)
        for key, zh, en, kind in _COLUMNS
        if (kind == "label" and f"{key}.label_zh" in columns) or key in columns
    ]
    out.append(f'<section id="customers"><h2>{_bi("重点客户", "Customers most at stake")}</h2>')
    out.append(
        f'<p class="note">The {len(rows):,} customers most at stake of {n:,}, ranked by '
        f"{escape(how)}; each links to its panel below. "
        + (
            f"{n - len(rows):,} customers are left out of this page: write the full table "
            "with <code>--out scores.xlsx</code> (or .csv, .parquet). "
            if n > len(rows)
            else ""
        )
        + f"显示风险与价值最高的 {len(rows):,} 位客户（共 {n:,} 位）。</p>"
    )
    if rows:
        out.append('<div class="scroll"><table><thead><tr>')
        out.append(f"<th>{_bi('序号', 'Rank')}</th><th>{_bi('客户', 'Customer')}</th>")
        out.extend(f"<th>{_bi(zh, en)}</th>" for _, zh, en, _ in present)
        out.append(f"<th>{_bi('风险×价值', 'Stake')}</th></tr></thead><tbody>")
        for rank, r in enumerate(rows, start=1):
            cells = "".join(
                ('<td class="n">' if kind == "number" else "<td>")
                + f"{_cell(columns, key, kind, r) or ''}</td>"
                for key, _, _, kind in present
            )
            out.append(
                f'<tr><td class="n">{rank}</td><td>{link(ids[r])}</td>{cells}'
                f'<td class="n">{_number(stake[r], 3)}</td></tr>'
            )
        out.append("</tbody></table></div>")
    out.append("</section>")

    out.append(f'<section id="queue"><h2>{_bi("投诉处理队列", "Complaint queue")}</h2>')
    if queue is None:
        out.append(
            '<p class="muted">No complaint queue: the complaint.priority scorer did not run.</p>'
        )
    elif not queue.items:
        out.append('<p class="muted">No open complaints or recent negative reviews.</p>')
    else:
        overdue = len(queue.overdue)
        listed, shown = _queue_rows(queue, queue_rows, link)
        more = len(queue) - shown
        out.append(
            f'<p class="note">{len(queue):,} open complaints, {overdue:,} overdue; '
            f"the first {shown:,} in the order to handle them"
            + (f" ({more:,} more in <code>custcare queue ... --out</code>)" if more else "")
            + f". 共 {len(queue):,} 条待处理投诉，{overdue:,} 条已超时。</p>"
        )
        out.extend(listed)
    out.append("</section>")

    out.append(
        f'<section id="panels"><h2>{_bi("客户详情与原因", "Customer panels with reasons")}</h2>'
    )
    if not rows:
        out.append('<p class="muted">No customer panels on this page.</p>')
    for rank, r in enumerate(rows, start=1):
        out.extend(_panel(table, columns, present, ids[r], r, rank, stake[r], hash_ids))
    out.append("</section></main>")
    out.append(
        f"<footer>Made by custcare {escape(__version__)}: ids, codes, numbers and reason "
        "texts only; personal data stays out of this page. "
        '<a href="#top">Back to top 返回顶部</a></footer>'
    )
    out.append("</body></html>\n")
    return "\n".join(out)


def _panel(
    table: ResultTable,
    columns: dict[str, NDArray[Any]],
    present: Iterable[tuple[str, str, str, str]],
    customer_id: str,
    row: int,
    rank: int,
    stake: float,
    hashed: bool,
) -> list[str]:
    report = table.explain(customer_id)
    shown = escape(shown_id(customer_id, hashed=hashed))
    out = [
        f'<section class="customer" id="{customer_anchor(customer_id, hashed=hashed)}">',
        f"<h3>{rank}. {_bi('客户', 'Customer')} <code>{shown}</code></h3>",
        '<dl class="facts">',
    ]
    for key, zh, en, kind in present:
        value = _cell(columns, key, kind, row)
        if value is not None:
            out.append(f"<dt>{_bi(zh, en)}</dt><dd>{value}</dd>")
    out.append(f"<dt>{_bi('风险×价值', 'Stake')}</dt><dd>{_number(stake, 3)}</dd></dl>")
    for name, result in report.results.items():
        out.append(f"<h4><code>{escape(name)}</code></h4>")
        out.extend(_reasons(result))
    out.append('<p><a href="#customers">Back to the list 返回列表</a></p></section>')
    return out
