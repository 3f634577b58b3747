"""The review app's HTTP surface (Flask's test client) and the LMS exports, on a gradebook built in memory."""

from __future__ import annotations

import csv
import re

import pytest

from grader.review.export import ExportError, export_grades
from grader.record.gradebook import Gradebook
from grader.review.book import ReviewBook
from grader.review.serve import ServeOptions, create_app, derived
from tests.test_review import graded

TOKEN = "t0k3n"
SQUARE = "test_mini.py::test_square_values"


@pytest.fixture
def out(tmp_path):
    gradebook = Gradebook(tmp_path / "gradebook.sqlite")
    hostile = graded("12345__mini")
    hostile.student, hostile.student_name = "12345", "<script>alert(1)</script>"
    hostile.exercises[1].checks[0].message = '<img src=x onerror="alert(2)">'
    gradebook.save(hostile)
    bo = graded("67890__mini", square="passed")
    bo.student = "67890"
    gradebook.save(bo)
    return tmp_path


@pytest.fixture
def client(out):
    app = create_app(ServeOptions(out, "tom", token=TOKEN))
    return app.test_client()


def login(client):
    response = client.get(f"/?token={TOKEN}")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "HttpOnly" in response.headers["Set-Cookie"] and "SameSite=Strict" in response.headers["Set-Cookie"]
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html)[1]


def test_nothing_without_the_token(client):
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    assert client.get("/s/12345__mini").status_code == 403


def test_pages_escape_student_text_and_forbid_inline_script(client):
    login(client)
    page = client.get("/s/12345__mini")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'nonce-" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "form-action 'self'" in policy and "frame-ancestors 'none'" in policy
    index = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", index.headers["Content-Security-Policy"])[1]
    assert f'<script nonce="{nonce}">' in index.get_data(as_text=True)  # the sorter, and only it, may run
    assert nonce != re.search(r"'nonce-([^']+)'", client.get("/").headers["Content-Security-Policy"])[1]


def test_changes_need_the_csrf_token_and_this_origin(client, out):
    login(client)
    csrf = csrf_of(client.get("/s/12345__mini").get_data(as_text=True))
    assert csrf == derived(TOKEN, "csrf")
    form = {"target": SQUARE, "points": "1", "reason": "fine"}
    assert client.post("/s/12345__mini/override", data=form).status_code == 403
    assert client.post("/s/12345__mini/override", data={**form, "csrf": csrf}, headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.post("/s/12345__mini/override", data={**form, "csrf": csrf}, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert ReviewBook(out / "gradebook.sqlite").audit() == []
    done = client.post("/s/12345__mini/override", data={**form, "csrf": csrf}, headers={"Origin": "http://localhost"})
    assert done.status_code == 303
    (entry,) = ReviewBook(out / "gradebook.sqlite").audit()
    assert (entry.who, entry.action, entry.target, entry.why) == ("tom", "override", SQUARE, "fine")


def test_a_page_of_another_host_name_is_refused(client):
    login(client)
    assert client.get("/", headers={"Host": "attacker.example:8765"}).status_code == 400


def test_refused_changes_say_why_and_change_nothing(client, out):
    login(client)
    csrf = derived(TOKEN, "csrf")
    response = client.post("/s/12345__mini/override", data={"csrf": csrf, "target": SQUARE, "points": "1", "reason": " "})
    assert response.status_code == 400 and "Not saved: A reason is required" in response.get_data(as_text=True)
    assert ReviewBook(out / "gradebook.sqlite").audit() == []


def test_comment_from_the_bank_reviewed_and_next(client, out):
    login(client)
    csrf = derived(TOKEN, "csrf")
    client.post("/s/12345__mini/comment", data={"csrf": csrf, "exercise": "ex2", "text": "Try x = -2."})
    html = client.get("/s/67890__mini").get_data(as_text=True)
    assert '<option value="Try x = -2.">' in html  # the bank offers it on the next submission
    client.post("/s/67890__mini/comment", data={"csrf": csrf, "exercise": "ex2", "text": "", "bank": "Try x = -2."})
    assert [c.text for c in ReviewBook(out / "gradebook.sqlite").result("67890__mini").comments] == ["Try x = -2."]
    client.post("/s/12345__mini/reviewed", data={"csrf": csrf, "reviewed": "1"})
    assert client.get("/next?after=12345__mini").headers["Location"] == "/s/67890__mini"
    shown = client.get("/?reviewer=-").get_data(as_text=True)
    assert "1 of 2 submissions shown" in shown and "/s/67890__mini" in shown and "/s/12345__mini" not in shown


def test_only_loopback_is_local():
    assert ServeOptions(__import__("pathlib").Path("."), "tom").local_only
    assert not ServeOptions(__import__("pathlib").Path("."), "tom", host="0.0.0.0").local_only
    with pytest.raises(ValueError, match="--as NAME"):
        ServeOptions(__import__("pathlib").Path("."), " ")


CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Mini (4242),Other (77)\n"
    "    Points Possible,,,,,10,5\n"
    '"Smith, Jane",12345,s1,jsmith,A,,4\n'
    '"Doe, Bo",67890,s2,bdoe,A,2,5\n'
    '"=cmd|calc, Eve",99999,s3,eve,A,,1\n'
)


def test_canvas_export_fills_only_the_assignment_column(out):
    ReviewBook(out / "gradebook.sqlite").set_override("12345__mini", SQUARE, 1, "ok", who="tom")
    (out / "canvas.csv").write_text(CANVAS, encoding="utf-8")
    dry = export_grades(out, "canvas", out / "canvas.csv", column="Mini (4242)", dry_run=True)
    assert not dry.path.exists() and [(c.student, c.old, c.new) for c in dry.changes] == [("12345", "", "10"), ("67890", "2", "10")]
    export = export_grades(out, "canvas", out / "canvas.csv")  # the column is found by the assignment's title
    rows = list(csv.reader(export.path.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == next(csv.reader([CANVAS.splitlines()[0]]))
    assert [row[5] for row in rows[2:]] == ["10", "10", ""] and [row[6] for row in rows[2:]] == ["4", "5", "1"]
    assert rows[4][0] == "'=cmd|calc, Eve"  # formulas neutralised


def test_moodle_export_matches_participants(out):
    (out / "moodle.csv").write_text(
        "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed\n"
        "Participant 12345,Jane Smith,j@x,Submitted,,100.00,Yes\n"
        "Participant 555,Nobody,n@x,No submission,,100.00,Yes\n",
        encoding="utf-8",
    )
    export = export_grades(out, "moodle", out / "moodle.csv")
    rows = list(csv.DictReader(export.path.read_text(encoding="utf-8").splitlines()))
    assert [row["Grade"] for row in rows] == ["75", ""]  # 3 of 4, scaled to 100
    assert export.unmatched == ["67890"]


def test_an_lms_format_needs_its_file(out):
    with pytest.raises(ExportError, match="--gradebook FILE"):
        export_grades(out, "canvas")
    plain = export_grades(out, "csv")
    assert plain.path.read_text(encoding="utf-8").splitlines()[1] == "12345,<script>alert(1)</script>,mini,3,4"


def test_cli_names_the_fix(out, tmp_path, capsys):
    from grader.cli.commands import main

    assert main(["export", str(out), "--format", "canvas"]) == 2
    assert "--format canvas fills the gradebook file Canvas exported: pass it with --gradebook FILE" in capsys.readouterr().err
    assert main(["export", str(out), "--format", "csv", "--dry-run"]) == 0
    assert "would write (dry run)" in capsys.readouterr().err and not (out / "export-csv-mini.csv").exists()
    assert main(["serve", str(tmp_path / "nowhere"), "--as", "tom"]) == 2
    assert "grade a folder into" in capsys.readouterr().err


def test_serving_beyond_this_machine_is_warned_about(out, capsys, monkeypatch):
    from grader.cli import review as cli_review
    from grader.cli.commands import main

    served = []

    def fake_serve(options, announce):
        served.append(options)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_review, "serve", fake_serve)
    assert main(["serve", str(out), "--as", "tom"]) == 0
    assert served[-1].host == "127.0.0.1" and "warning" not in capsys.readouterr().err
    assert main(["serve", str(out), "--as", "tom", "--host", "0.0.0.0"]) == 0
    assert "warning: serving on 0.0.0.0, beyond this machine" in capsys.readouterr().err


def test_two_servers_on_one_machine_keep_their_own_cookies(out):
    first, second = (create_app(ServeOptions(out, who, token=token)).test_client() for who, token in (("tom", "a"), ("ann", "b")))
    first.get("/?token=a")
    second.get("/?token=b")
    cookie = second.get_cookie("grade_review_" + derived("b", "cookie name")[:12])
    assert cookie is not None
    first.set_cookie(cookie.key, cookie.value)  # a browser sends every localhost cookie to every port
    assert first.get("/").status_code == 200  # its own cookie was not overwritten


def test_a_comment_can_be_removed_with_a_reason(client, out):
    login(client)
    csrf = derived(TOKEN, "csrf")
    client.post("/s/12345__mini/comment", data={"csrf": csrf, "exercise": "ex2", "text": "Wrong student, sorry."})
    (comment,) = ReviewBook(out / "gradebook.sqlite").result("12345__mini").comments
    html = client.get("/s/12345__mini").get_data(as_text=True)
    assert f'<option value="{comment.id}">Wrong student, sorry.</option>' in html
    refused = client.post("/s/12345__mini/comment/remove", data={"csrf": csrf, "comment": "x", "reason": "typo"})
    assert refused.status_code == 400 and "pick one from the list" in refused.get_data(as_text=True)
    client.post("/s/12345__mini/comment/remove", data={"csrf": csrf, "comment": str(comment.id), "reason": "wrong student"})
    reviews = ReviewBook(out / "gradebook.sqlite")
    assert reviews.result("12345__mini").comments == [] and reviews.audit()[-1].why == "wrong student"


def test_moodle_feedback_comments_get_what_the_student_may_read(out):
    reviews = ReviewBook(out / "gradebook.sqlite")
    reviews.set_override("12345__mini", SQUARE, 1, "x*x <and> x**2 agree", who="tom")
    reviews.add_comment("12345__mini", "ex2", "Try x = -2.", who="tom")
    reviews.add_comment("12345__mini", "", "Staff: extension asked", who="tom", private=True)
    (out / "moodle.csv").write_text(
        "Identifier,Full name,Grade,Maximum Grade,Feedback comments\nParticipant 12345,Jane Smith,,4,old text\n", encoding="utf-8"
    )
    export = export_grades(out, "moodle", out / "moodle.csv", feedback=True)
    (row,) = csv.DictReader(export.path.read_text(encoding="utf-8").splitlines())
    assert row["Grade"] == "4"
    assert row["Feedback comments"] == "Ex 2: adjusted to 1 points: x*x &lt;and&gt; x**2 agree<br>Ex 2: Try x = -2."
    (out / "canvas.csv").write_text(CANVAS, encoding="utf-8")
    with pytest.raises(ExportError, match="--feedback fills Moodle's 'Feedback comments' column"):
        export_grades(out, "canvas", out / "canvas.csv", feedback=True)


def test_the_audit_page_lists_every_change_newest_first_and_by_whom(out):
    first = create_app(ServeOptions(out, "tom", token=TOKEN)).test_client()
    second = create_app(ServeOptions(out, "ana", token=TOKEN)).test_client()  # a second TA's server
    assert first.get("/audit").status_code == 403  # the token is needed here too
    csrf = derived(TOKEN, "csrf")
    for client in (login(first), login(second)):
        assert "/audit" in client.get("/").get_data(as_text=True)
    first.post("/s/12345__mini/override", data={"csrf": csrf, "target": SQUARE, "points": "1", "reason": "<b>x</b> fine"})
    second.post("/s/12345__mini/override", data={"csrf": csrf, "target": SQUARE, "points": "0", "reason": "too kind"})
    page = first.get("/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "script-src 'nonce-" in page.headers["Content-Security-Policy"]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\w+)</td><td>(\w+)</td>", html)
    assert [(who, what) for _, who, what in rows] == [("ana", "override"), ("tom", "override")]
    assert "&lt;b&gt;x&lt;/b&gt; fine" in html and "<b>x</b>" not in html  # a reason is text, never markup
    assert '"points": 1.0' in html.replace("&#34;", '"')  # what the second change replaced
    by_tom = first.get("/audit?who=tom").get_data(as_text=True)
    assert "1 of 2 changes by tom" in by_tom and "too kind" not in by_tom
