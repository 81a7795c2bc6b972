"""custcare.report: the self-contained HTML report (its text; the browser test opens it)."""

from __future__ import annotations

import re
import sys
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

from custcare.churn import ChurnCauseScorer, ChurnRiskScorer
from custcare.complaints import ComplaintPriorityScorer, rank_queue
from custcare.datasets import sample_shop
from custcare.errors import CustcareUsageError
from custcare.loyalty import PyramidScorer, RFMScorer, ThresholdTierScorer
from custcare.report import customer_anchor, render_report, shown_id
from custcare.scoring import Pipeline, ResultTable

pytest.importorskip("matplotlib", reason="the report's plots need the plot extra")


@cache
def _shop_table() -> ResultTable:
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
    return pipeline.run(shop.histories, as_of=shop.as_of)


@cache
def _page() -> str:
    return render_report(_shop_table())


class _Parsed(HTMLParser):
    """Every element id, internal link, other href/src, script and text of a page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.links: list[str] = []
        self.other_urls: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value is not None:
                self.ids.append(value)
            if name in ("href", "src") and value is not None:
                if value.startswith("#"):
                    self.links.append(value[1:])
                else:
                    self.other_urls.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _problems(page: str) -> list[str]:
    """What breaks the report's promises: dangling links, duplicate ids, outside urls, scripts."""
    parsed = _Parsed(page)
    problems = [f"dangling #{link}" for link in parsed.links if link not in set(parsed.ids)]
    problems += [
        f"duplicate id {i}" for i in sorted({i for i in parsed.ids if parsed.ids.count(i) > 1})
    ]
    problems += [f"outside url {u[:40]}" for u in parsed.other_urls if not u.startswith("data:")]
    problems += ["script" for tag in parsed.tags if tag == "script"]
    return problems


# --- what the page holds -------------------------------------------------------------------


def test_the_page_has_its_sections_linked_from_the_contents() -> None:
    page = _page()
    parsed = _Parsed(page)
    for section in ("summary", "plots", "customers", "queue", "panels"):
        assert section in parsed.ids and section in parsed.links
    assert _problems(page) == []
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>custcare report — as of 2026-06-30T18:00:00+08:00</title>" in page


def test_the_checker_finds_each_broken_promise() -> None:
    bad = (
        '<a href="#nowhere">x</a><p id="a"></p><p id="a"></p>'
        '<img src="https://cdn.example.com/x.png"><script>console.error(1)</script>'
    )
    assert _problems(bad) == [
        "dangling #nowhere",
        "duplicate id a",
        "outside url https://cdn.example.com/x.png",
        "script",
    ]


def test_plots_are_embedded_png_images() -> None:
    page = _page()
    images = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    # member levels, pyramid, RFM grid, churn-cause Pareto, complaint queue
    assert len(images) == 5
    for name in ("member_levels", "pyramid", "rfm_grid", "churn_cause_pareto", "complaint_queue"):
        assert f'id="plot-{name}"' in page and f'href="#plot-{name}"' in page
    assert render_report(_shop_table(), plots=False).count("<img") == 0


def test_without_matplotlib_the_page_says_how_to_get_the_plots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "custcare.plot", None)
    page = render_report(_shop_table())
    assert "<img" not in page
    assert "Plots need matplotlib: pip install &#x27;custcare[plot]&#x27;." in page


def test_the_top_customers_get_a_panel_with_every_scorers_reasons() -> None:
    table = _shop_table()
    page = render_report(table, top=3, plots=False)
    panels = re.findall(r'<section class="customer" id="([^"]+)">', page)
    assert len(panels) == 3
    first = panels[0].removeprefix("c-")
    report = table.explain(first)
    section = page[page.index(f'id="{panels[0]}"') : page.index(f'id="{panels[1]}"')]
    for name, result in report.results.items():
        assert f"<h4><code>{name}</code></h4>" in section
        for reason in result.reasons:
            assert f"<code>{reason.code}</code>" in section
            for record in reason.evidence[:20]:
                assert f"<code>{record}</code>" in section
    assert "The 3 customers most at stake of 60" in page
    assert "57 customers are left out of this page" in page
    # the panels are the three with the highest churn risk x customer value
    risk = table["churn.risk"]["risk"]
    assert float(risk[table.row_of(first)]) > 0.5


def test_labels_are_in_chinese_and_english() -> None:
    page = _page()
    for zh, en in (("普通会员", "Ordinary member"), ("低价值客户", "Low-value customer")):
        assert f'<span lang="zh">{zh}</span> <span class="en">{en}</span>' in page
    assert "投诉处理队列" in page and "Complaint queue" in page


def test_the_complaint_queue_is_ranked_from_the_table_and_capped() -> None:
    shop = sample_shop()
    queue = rank_queue(shop.histories, as_of=shop.as_of)
    page = render_report(_shop_table(), queue_rows=2, plots=False)
    listed = re.findall(r'<tr><td class="n">\d+</td><td><code>([^<]+)</code></td>', page)
    assert listed == [item.complaint_id for item in queue.items[:2]]
    assert f"{len(queue):,} open complaints" in page
    assert f"({len(queue) - 2:,} more in" in page


def test_no_personal_data_reaches_the_page() -> None:
    shop = sample_shop()
    page = _page()
    secrets = []
    for history in shop.histories:
        data = history.customer.model_dump()
        secrets += [data["phone"], data["email"], data["address"], data["name"]]
        secrets += [c.text for c in history.complaints] + [r.text for r in history.reviews]
    secrets = [s for s in secrets if isinstance(s, str) and len(s) >= 2]
    assert len(secrets) > 100
    assert [s for s in secrets if s in page] == []
    # the check would catch one: a reason text quoting a phone number is refused by it
    assert secrets[0] in page.replace("</footer>", f"{secrets[0]}</footer>")


def test_the_same_input_gives_the_same_bytes() -> None:
    assert render_report(_shop_table()) == _page()


# --- ids that are personal data or hostile ------------------------------------------------


def _weird_table() -> ResultTable:
    pd = pytest.importorskip("pandas")
    from custcare.frames import batch_from_frames

    ids = ['<script>alert("x")</script>', "A&B", "淘气的猫咪", "O'Neil", "C 1"]
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(10)],
            "customer_id": ids * 2,
            "placed_at": pd.to_datetime([f"2026-0{1 + i % 5}-1{i % 9} 10:00" for i in range(10)]),
            "total": [10.0 + 7 * i for i in range(10)],
        }
    )
    batch, _ = batch_from_frames(
        orders=orders,
        columns={
            "order_id": "order_id",
            "customer_id": "customer_id",
            "placed_at": "placed_at",
            "total": "total",
        },
        timezone="Asia/Shanghai",
        currency="CNY",
    )
    from datetime import datetime
    from zoneinfo import ZoneInfo

    as_of = datetime(2026, 6, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    return (
        Pipeline([ThresholdTierScorer(), RFMScorer()])
        .fit(batch, as_of=as_of)
        .run(batch, as_of=as_of)
    )


def test_hostile_ids_are_escaped_and_anchored_safely() -> None:
    page = render_report(_weird_table(), plots=False)
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "A&amp;B" in page and "O&#x27;Neil" in page
    assert _problems(page) == []
    anchors = re.findall(r'<section class="customer" id="([^"]+)">', page)
    assert len(anchors) == 5
    assert all(re.fullmatch(r"[ch]-[A-Za-z0-9_.-]+", a) for a in anchors)


def test_hashed_ids_keep_personal_ids_off_the_page() -> None:
    table = _weird_table()
    page = render_report(table, plots=False, hash_ids=True)
    assert "淘气的猫咪" not in page and "Neil" not in page and "A&amp;B" not in page
    assert f"<code>{shown_id('淘气的猫咪', hashed=True)}</code>" in page
    assert f'id="{customer_anchor("C 1", hashed=True)}"' in page
    assert _problems(page) == []
    assert "淘气的猫咪" in render_report(table, plots=False)  # the case the flag exists for


# --- mistakes and files --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"top": -1}, "top must be a whole number from 0"),
        ({"queue_rows": 2.5}, "queue_rows must be a whole number from 0"),
        ({"title": " "}, "title must be a non-empty text"),
        ({"summary": object()}, "pass model and summary together"),
    ],
)
def test_mistakes_are_refused_with_a_message(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(CustcareUsageError, match=re.escape(words)):
        render_report(_shop_table(), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(CustcareUsageError, match="takes a ResultTable"):
        render_report({"customer_id": []})  # type: ignore[arg-type]


def test_top_zero_leaves_no_panel_and_no_dangling_link() -> None:
    page = render_report(_shop_table(), top=0, plots=False)
    assert 'class="customer"' not in page
    assert "No customer panels on this page." in page
    assert _problems(page) == []


def test_write_report_and_write_table_write_the_page(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    from custcare.io import write_report, write_table

    path = write_report(_shop_table(), tmp_path / "r.html", plots=False)
    assert path.read_text(encoding="utf-8") == render_report(_shop_table(), plots=False)
    assert write_table(_shop_table(), tmp_path / "t.html") == 60
    assert (tmp_path / "t.html").read_text(encoding="utf-8") == _page()
    with pytest.raises(CustcareUsageError, match="made from scores"):
        write_table({"a": [1]}, tmp_path / "x.html")
    with pytest.raises(CustcareUsageError, match="does not exist"):
        write_report(_shop_table(), tmp_path / "no" / "r.html")
    with pytest.raises(CustcareUsageError, match=r"write_report writes an \.html file"):
        write_report(_shop_table(), tmp_path / "r.csv")


# --- the guide -----------------------------------------------------------------------------

GUIDE = Path(__file__).parent.parent / "docs" / "guides" / "html-report.md"


def test_the_guides_code_runs_and_its_screenshot_is_small() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, re.S))
    namespace: dict[str, object] = {"__name__": "guide"}
    exec(compile(code, str(GUIDE), "exec"), namespace)
    assert str(namespace["page"]).count('<section class="customer"') == 20
    shot = GUIDE.parent / "report-screenshot.png"
    assert "(report-screenshot.png)" in text
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size < 200_000


def test_causes_without_evidence_are_said_to_be_the_prior() -> None:
    table = _shop_table()
    low = int(table["churn.cause"]["low_confidence"].sum())
    assert 0 < low < len(table)
    assert f"{low:,} of 60 customers have no evidence of a cause" in _page()
    without = Pipeline([ThresholdTierScorer()]).run(
        sample_shop().histories, as_of=sample_shop().as_of
    )
    assert "no evidence of a cause" not in render_report(without, plots=False)
