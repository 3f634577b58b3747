"""The TA's loop end to end in headless Chromium: `grade serve` on a graded batch, override, comment, review, re-grade.

Also shows that a notebook whose name and outputs carry script and HTML stays inert in the live app
and cannot make a change. A screenshot of the review page lands in this test's tmp dir (`shots/`);
docs/review.png is one of them.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.review.export import export_grades
from grader.pipeline import BatchOptions, grade_folder, rerender
from grader.review.book import ReviewBook
from tests.browser import CHROMIUM_ARGS, chromium_path
from tests.conftest import FAST, FIXTURE_SOLUTIONS, ROOT, code, notebook, write

pytestmark = pytest.mark.skipif(
    chromium_path() is None, reason="Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it"
)

IMPORTS = code("import torch\nfrom torch import nn", "locked")
LAYER = code("layer = nn.Linear(2, 1)", "ex1")
SQUARE = "test_mini.py::test_square_values"
ADA, BO = "adalovelace_12345_111_mini.ipynb", "dobo_67890_222_mini.ipynb"
HOSTILE = "mallory<img src=x onerror=alert(1)>_55555_333_mini.ipynb"


def square(body: str) -> object:
    return code(f"def square(x):\n    return {body}\nprint(square(torch.tensor(3.0)))", "ex2")


def hostile_notebook() -> object:
    forged = (
        '<form id="forged" method="post" action="override"><input name="target" value="x"><input name="points" value="9">'
        '<input name="reason" value="forged"></form><script>document.getElementById("forged").submit()</script>'
    )
    return notebook(
        IMPORTS, LAYER,
        code("print('<script>alert(\"pwned\")</script>')", "ex2"),
        code(f"print({forged!r})\nraise ValueError('<img src=x onerror=alert(1)><button form=forged>go</button>')"),
        assignment="mini",
    )


class Server:
    """`grade serve` as a TA starts it, in a child process."""

    def __init__(self, out: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "grader.cli", "serve", str(out), "--as", "tom", "--port", "0"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:") and "/?token=" in self.url, self.process.stderr.read()  # type: ignore[union-attr]
        self.origin = self.url.split("/?")[0]

    def stop(self) -> None:
        self.process.terminate()
        self.process.communicate(timeout=20)  # waits, and closes the pipes


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("review")
    folder, out = root / "submissions", root / "out"
    write(notebook(IMPORTS, LAYER, square("x * x"), assignment="mini"), folder / ADA)
    write(notebook(IMPORTS, LAYER, square("x + x"), assignment="mini"), folder / BO)
    write(hostile_notebook(), folder / HOSTILE)
    grade_folder(folder, BatchOptions(out, FIXTURE_SOLUTIONS, FAST))
    return folder, out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")), executable_path=chromium_path(), args=CHROMIUM_ARGS,
            headless=True, viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


def open_page(context: object, server: Server, events: list[str]) -> object:
    page = context.new_page()  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (events.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda error: events.append(f"page error: {error}"))
    page.on("console", lambda message: events.append(f"console: {message.text}") if message.type == "error" else None)

    def only_this_server(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith((server.origin, "data:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            events.append(f"request: {url}")
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", only_this_server)
    page.goto(server.url)  # the token is traded for a cookie
    assert page.url == server.origin + "/"
    return page


def override(page: object, submission: str, target: str, points: str, reason: str) -> None:
    page.goto(f"{page.url.split('/s/')[0].rstrip('/')}/s/{submission}")  # type: ignore[attr-defined]
    details = page.locator(f'details.override-form[data-target="{target}"]')  # type: ignore[attr-defined]
    details.locator("summary").click()
    details.locator('input[name="points"]').fill(points)
    details.locator('form').first.locator('input[name="reason"]').fill(reason)
    details.locator('button[name="set"]').click()
    page.wait_for_load_state()  # type: ignore[attr-defined]


def test_the_ta_loop(batch, browser, tmp_path):
    folder, out = batch
    reviews = ReviewBook(out / "gradebook.sqlite")
    events: list[str] = []
    server = Server(out)
    try:
        page = open_page(browser, server, events)
        origin = server.origin
        assert "3 of 3 submissions shown" in page.inner_text("#submissions")
        # 1. override bo's hidden square check, with a reason
        bo = next(r for r in reviews.results() if r.student == "67890").submission
        ada = next(r for r in reviews.results() if r.student == "12345").submission
        page.goto(f"{origin}/s/{bo}")
        override(page, bo, SQUARE, "1", "x + x equals x * x at 2: accepted <b>once</b>")
        assert "Adjusted by the staff from 0 to 1: x + x equals x * x at 2: accepted <b>once</b>" in page.inner_text("body")
        assert page.inner_text(".summary-score .score").startswith("3")  # 2 + 1
        # 2. a comment on ada's exercise joins the bank, and is picked from it for bo
        page.goto(f"{origin}/s/{ada}")
        form = page.locator('details.comment-form[data-exercise="ex2"]')
        form.locator("summary").click()
        form.locator("textarea").fill("Check your function on negative inputs.")
        form.locator('button[type="submit"]').click()
        page.goto(f"{origin}/s/{bo}")
        form = page.locator('details.comment-form[data-exercise="ex2"]')
        form.locator("summary").click()
        form.locator("select").select_option("Check your function on negative inputs.")
        form.locator('button[type="submit"]').click()
        assert "Check your function on negative inputs." in page.inner_text("#exercise-2")
        # 3. mark reviewed; "next unreviewed" moves on
        page.click("#toggle-reviewed")
        assert page.inner_text("#review-state") == "Reviewed by tom"
        page.locator(f'details.override-form[data-target="{SQUARE}"] summary').click()  # the form, for the picture
        page.evaluate("document.getElementById('exercise-2').scrollIntoView()")
        page.screenshot(path=os.environ.get("GRADER_REVIEW_SCREENSHOT", str(tmp_path / "shots" / "review.png")))
        page.click("#next-unreviewed")
        assert page.url != f"{origin}/s/{bo}" and "/s/" in page.url
        # the hostile notebook: nothing runs, no change is made by it
        before = len(reviews.audit())
        hostile = next(r for r in reviews.results() if r.student == "55555").submission
        page.goto(f"{origin}/s/{hostile}")
        page.wait_for_timeout(500)
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"], #forged, button[form]').length") == 0
        shown = page.inner_text("body")  # the planted markup is shown as text
        assert "mallory<img src=x onerror=alert(1)>" in shown and '<script>document.getElementById("forged")' in shown
        assert "ValueError: <img src=x onerror=alert(1)><button form=forged>go</button>" in shown
        assert len(reviews.audit()) == before
        assert events == []
    finally:
        server.stop()

    # the override survives a restart of the server ...
    server = Server(out)
    try:
        page = open_page(browser, server, events)
        page.goto(f"{server.origin}/s/{bo}")
        assert "accepted <b>once</b>" in page.inner_text("body")
        # ... and a re-grade with bo's notebook changed: kept, flagged
        write(notebook(IMPORTS, LAYER, square("x * x"), assignment="mini"), folder / BO)
        grade_folder(folder, BatchOptions(out, FIXTURE_SOLUTIONS, FAST))
        page.goto(f"{server.origin}/s/{bo}")
        text = page.inner_text("body")
        assert "To review again: the notebook changed since the override; the automatic result changed from 0 points (failed) to 1 points (passed)" in text
        page.goto(f"{server.origin}/?flag=override+flagged")
        assert "1 of 3 submissions shown" in page.inner_text("#submissions")
        assert "notebook changed" in page.inner_text("#changes")
        assert events == []
    finally:
        server.stop()

    rows = {row["submission"]: row for row in csv.DictReader((out / "changes.csv").read_text().splitlines())}
    assert (rows[bo]["old_score"], rows[bo]["new_score"], rows[bo]["reason"]) == ("3", "4", "notebook changed")
    assert f"{SQUARE}: failed (0) → passed (1)" in rows[bo]["flipped_checks"]
    grades = {row["submission"]: row for row in csv.DictReader((out / "grades.csv").read_text().splitlines())}
    assert grades[bo]["score"] == "4"
    student = tmp_path / "student"
    shutil.copytree(out, student)
    rerender(student, "student")
    report = (student / bo / "report.html").read_text()
    assert "Adjusted by the staff" in report and "Check your function on negative inputs." in report
    assert "To review again" not in report
    canvas = tmp_path / "canvas.csv"
    canvas.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Mini assignment (tests) (4242)\n"
                      "    Points Possible,,,,,4\nDo Bo,67890,s2,bdoe,A,\n", encoding="utf-8")
    export = export_grades(out, "canvas", canvas)
    assert export.path.read_text().splitlines()[2] == "Do Bo,67890,s2,bdoe,A,4"
    actions = [(a.who, a.action) for a in reviews.audit()]
    assert actions == [("tom", "override"), ("tom", "comment"), ("tom", "comment"), ("tom", "reviewed"), ("grader", "flag override")]
