"""The HTML report in a real Chromium (Debian's chromium + chromium-driver, no download):
no console error, nothing fetched from anywhere, plots drawn with one shaded region per
fault window, and it prints. Skipped without chromium unless LAB_REQUIRE_SERVERS names it."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from reports import render_all
from tests.fixtures.servers import skip_unless_required
from tests.unit.reports.builder import RunBuilder


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium driven by chromedriver, with a fresh profile."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        hint = "chromium or chromedriver not on PATH (apt-get install chromium chromium-driver)"
        skip_unless_required("chromium", hint)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1200,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(driver_path)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def report_page(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A breached run with two fault windows and provider data, opened from file://."""
    builder = RunBuilder(tmp_path_factory.mktemp("run"), duration=90)
    builder.requests(rate=20, fails=lambda t: 22 <= t < 28, stream_every=4)
    builder.fault(20, 30).fault(50, 60, fault_id="f2").steady_check(
        "before", holds=True, requests=40
    )
    builder.series("chat_provider_attempts_total",
                   {"provider": "openai", "outcome": "success", "kind": ""},
                   [(t, 9.0 * t) for t in range(91)])  # fmt: skip
    builder.series("chat_breaker_state", {"provider": "openai"},
                   [(t, 2.0 if 22 < t < 35 else 0.0) for t in range(91)])  # fmt: skip
    result = render_all(builder.write(), formats=("html",))
    browser.get(result.paths["html"].as_uri())
    return browser


def test_no_console_errors(report_page: Any) -> None:
    """The page logs nothing at SEVERE level."""
    severe = [e for e in report_page.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == []


def test_nothing_is_fetched(report_page: Any) -> None:
    """Every resource is inline: the page loads no other resource (works offline)."""
    count = report_page.execute_script("return performance.getEntriesByType('resource').length")
    assert count == 0


def test_verdict_banner_comes_first(report_page: Any) -> None:
    """The first thing on the page is the verdict banner saying the SLA was breached."""
    first = report_page.execute_script("return document.body.firstElementChild.id")
    assert first == "verdict"
    assert "SLA breached" in report_page.find_element("id", "verdict").text


@pytest.mark.parametrize("plot", ["availability", "latency", "breakers"])
def test_one_visible_shaded_region_per_fault_window(report_page: Any, plot: str) -> None:
    """Each time plot draws two shaded regions (two fault windows), each with a real size."""
    sizes = report_page.execute_script(
        "return Array.from(document.querySelectorAll(`[id^='fault-${arguments[0]}-']`))"
        ".map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })",
        plot,
    )
    assert len(sizes) == 2
    assert all(width > 5 and height > 5 for width, height in sizes)


def test_plots_are_drawn(report_page: Any) -> None:
    """Every figure holds an SVG that takes space on the page."""
    widths = report_page.execute_script(
        "return Array.from(document.querySelectorAll('figure svg'))"
        ".map(s => s.getBoundingClientRect().width)"
    )
    assert len(widths) == 4
    assert min(widths) > 300


def test_prints_to_pdf(report_page: Any) -> None:
    """Printing gives a PDF with the plots in it (more than a blank page's bytes)."""
    pdf = base64.b64decode(report_page.print_page())
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 20_000


def test_compare_page_opens_cleanly(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """compare.html of two runs: a two-row table and its plot, nothing fetched, no error."""
    from reports.compare import compare_runs, comparison, render_compare_html

    root = tmp_path_factory.mktemp("compare")
    runs = []
    for name, fails in (("a", False), ("b", True)):
        builder = RunBuilder(root / name, duration=60)
        builder.requests(rate=20, fails=(lambda t: 20 <= t < 30) if fails else (lambda t: False))
        runs.append(builder.fault(20, 30).write())
    page = root / "compare.html"
    table = comparison(compare_runs(runs), title="a vs b")
    page.write_text(render_compare_html(table), encoding="utf-8")
    browser.get(page.as_uri())
    assert [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"] == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert len(browser.find_elements("css selector", "tbody tr")) == 2
    width = browser.execute_script(
        "return document.querySelector('figure svg').getBoundingClientRect().width"
    )
    assert width > 300
