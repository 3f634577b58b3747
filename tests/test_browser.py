"""The class summary and the reports in a real headless Chromium: what only a browser shows.

Screenshots of every page land in this test's tmp dir (`shots/`), to look at.
"""

from __future__ import annotations

import shutil

import pytest

from grader.pipeline import rerender
from tests.browser import LAPTOP_WIDTH, chromium, chromium_path, inspect, local_file, open_index_and_reports, problems
from tests.conftest import HOSTILE_STUDENT

pytestmark = pytest.mark.skipif(
    chromium_path() is None, reason="Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it"
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def test_index_and_every_report_render_cleanly(browser, report_batch, tmp_path):
    shots = tmp_path / "shots"
    index, pages = open_index_and_reports(browser, report_batch, shots)
    assert index.title == "Class summary · 6 submissions"
    assert len(pages) == 6, "the index links every submission's report"
    for page in [index, *pages]:
        assert problems(page) == [], page.path
        assert page.screenshot is not None and page.screenshot.stat().st_size > 0
    # every link from the index resolves to a file that exists
    targets = [local_file(link) for link in index.links]
    assert all(target is not None and target.is_file() for target in targets), index.links
    drawn = {page.path.parent.name: page.images for page in pages}
    assert drawn["ada__mini"] == 1 and drawn["wrong__mini"] == 1  # the layer's decision boundary
    assert drawn["broken__mini"] == 0


def test_hostile_notebook_report_stays_inert_and_fits_the_screen(browser, report_batch, tmp_path):
    hostile = next(report_batch.glob("mallory*/report.html"))
    page = inspect(browser, hostile, tmp_path / "hostile.png")
    assert page.dialogs == [] and page.console_errors == []
    assert page.scroll_width <= LAPTOP_WIDTH
    assert page.title.startswith(HOSTILE_STUDENT)  # shown as text, not run


def test_submissions_table_sorts_by_the_clicked_column(browser, report_batch):
    page = browser.new_page()
    page.goto((report_batch / "index.html").as_uri())
    scores = "Array.from(document.querySelectorAll('table.sortable tbody tr')).map(r => parseFloat(r.cells[2].dataset.sort))"
    page.click("table.sortable th:nth-child(3) button")
    ascending = page.evaluate(scores)
    assert ascending == sorted(ascending)
    page.click("table.sortable th:nth-child(3) button")
    assert page.evaluate(scores) == sorted(ascending, reverse=True)
    assert page.get_attribute("table.sortable th:nth-child(3)", "aria-sort") == "descending"
    page.close()


def test_student_view_renders_cleanly_without_hidden_figures(browser, report_batch, tmp_path):
    out = tmp_path / "student"
    shutil.copytree(report_batch, out)
    rerender(out, "student")
    index, pages = open_index_and_reports(browser, out, tmp_path / "shots")
    for page in [index, *pages]:
        assert problems(page) == [], page.path
    assert sum(page.images for page in pages) == 0  # the only figures are over hidden points
