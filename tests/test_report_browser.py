"""The HTML report opened in headless Chromium (Playwright driving Debian's ``chromium``).

Needs ``playwright`` (the dev extra) and a ``chromium`` on the PATH (``apt-get install
chromium fonts-wqy-microhei``; no ``playwright install``). Outside CI the tests skip,
saying so, when either is missing; in CI (``CI=true``) they fail instead: the
headless-browser check is part of the done-when of the report.

``CUSTCARE_UPDATE_SCREENSHOT=1`` makes `test_report_renders_in_chromium` also write
the docs' screenshot, ``docs/guides/report-screenshot.png``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from custcare.churn import ChurnCauseScorer, ChurnRiskScorer
from custcare.complaints import ComplaintPriorityScorer
from custcare.datasets import sample_shop
from custcare.loyalty import PyramidScorer, RFMScorer, ThresholdTierScorer
from custcare.scoring import Pipeline

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = Path(__file__).parent.parent / "docs" / "guides" / "report-screenshot.png"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _need(what: str, present: bool) -> None:
    if present:
        return
    message = f"the headless-browser test needs {what}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: install it, do not skip)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright (pip install -e '.[dev]')", False)
    _need("chromium on the PATH (apt-get install chromium fonts-wqy-microhei)", bool(CHROMIUM))
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("matplotlib", reason="the report's plots need the plot extra")
    pytest.importorskip("pandas", reason="custcare.io needs the files extra")
    from custcare.io import write_report

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
    path = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(table, path, title="Sample shop 样例店铺", top=20)


@dataclass
class Visit:
    """What happened while a page was open."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def dangling_links(self) -> list[str]:
        """Internal links (``href="#..."``) whose target id is not on the page."""
        result: list[str] = self.page.evaluate(
            """() => Array.from(document.querySelectorAll('a[href^="#"]'))
                .map(a => a.getAttribute('href').slice(1))
                .filter(id => id && !document.getElementById(decodeURIComponent(id)))"""
        )
        return result

    def broken_images(self) -> int:
        count: int = self.page.evaluate(
            "() => Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
            ".length"
        )
        return count


def _open(browser: Any, url: str) -> Visit:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    visit = Visit(page)
    page.on("console", lambda m: m.type == "error" and visit.console_errors.append(m.text))
    page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
    page.on("request", lambda r: visit.requests.append(r.url))

    def outside(route: Any) -> None:
        visit.outside_requests.append(route.request.url)
        route.abort()

    page.route(lambda u: u.startswith(("http://", "https://", "ws://", "wss://")), outside)
    page.goto(url, wait_until="load")
    return visit


def test_report_renders_in_chromium(browser: Any, report: Path) -> None:
    visit = _open(browser, report.as_uri())
    page = visit.page
    assert page.title() == "Sample shop 样例店铺 — as of 2026-06-30T18:00:00+08:00"
    for section in ("summary", "plots", "customers", "queue", "panels"):
        assert page.locator(f"section#{section}").is_visible()
    assert page.locator("section.customer").count() == 20
    assert page.locator("#plots img").count() == 5
    assert visit.broken_images() == 0
    assert "普通会员 Ordinary member" in page.locator("section#summary").inner_text()
    assert page.locator("a[href^='#']").count() > 40
    assert visit.dangling_links() == []
    assert visit.console_errors == [] and visit.page_errors == []
    assert visit.outside_requests == []
    assert {u.split(":", 1)[0] for u in visit.requests} <= {"file", "data"}
    if os.environ.get("CUSTCARE_UPDATE_SCREENSHOT") == "1":
        page.set_viewport_size({"width": 1100, "height": 620})
        page.goto(report.as_uri() + "#customers")
        page.screenshot(path=str(SCREENSHOT))
    page.close()


def test_a_customer_link_scrolls_to_its_panel(browser: Any, report: Path) -> None:
    visit = _open(browser, report.as_uri())
    page = visit.page
    link = page.locator("#customers table a").nth(4)
    target = link.get_attribute("href")
    assert target is not None and target.startswith("#")
    link.click()
    assert page.evaluate("() => location.hash") == target
    panel = page.locator(f"section.customer[id='{target[1:]}']")
    assert panel.is_visible()
    box = panel.bounding_box()
    assert box is not None and -2 <= box["y"] < 900  # scrolled to the top of the viewport
    assert panel.locator("h4").count() == 6  # one reasons table per scorer
    back = panel.locator("a[href='#customers']")
    back.click()
    assert page.evaluate("() => location.hash") == "#customers"
    assert visit.console_errors == [] and visit.page_errors == []
    page.close()


def test_the_checks_catch_a_broken_page(browser: Any, tmp_path: Path) -> None:
    """Each check above fails on a page that breaks its rule."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><title>bad</title></head><body>"
        '<a href="#nowhere">dangling</a><p id="here">ok</p><a href="#here">fine</a>'
        '<img src="https://cdn.example.invalid/x.png">'
        "<script>console.error('boom'); undefinedFunction();</script>"
        "</body></html>",
        encoding="utf-8",
    )
    visit = _open(browser, bad.as_uri())
    assert visit.dangling_links() == ["nowhere"]
    assert visit.outside_requests == ["https://cdn.example.invalid/x.png"]
    assert visit.broken_images() == 1
    assert any("boom" in m for m in visit.console_errors)
    assert any("undefinedFunction" in m for m in visit.page_errors)
    visit.page.close()


def test_a_missing_browser_skips_outside_ci_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(f"{__name__}.IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="needs chromium"):
        _need("chromium", False)
    monkeypatch.setattr(f"{__name__}.IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true: install it, do not skip"):
        _need("chromium", False)
    _need("chromium", True)  # present: neither
