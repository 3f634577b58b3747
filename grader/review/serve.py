"""`grade serve OUT`: a local web app over the gradebook where TAs override, comment and mark reviewed.

Flask (routing, forms, a test client) on waitress (a pure-Python production WSGI server: no C
build, runs anywhere the grader does, threads for a handful of TAs). Every page is the static
report's own template, extended with forms (`templates/serve_*.html.j2`), rendered from the gradebook.

The pages show text students control (names, outputs, tracebacks), so:
- Jinja2 autoescapes every string; pages send a Content-Security-Policy whose only script is the
  index's table sorter, allowed by a per-response nonce: nothing a notebook prints can run;
- access needs the random token printed with the URL (as Jupyter does); it is traded for an
  HttpOnly, SameSite=Strict cookie and dropped from the address bar;
- a state-changing request (POST only) also needs the page's CSRF token, and an Origin, when the
  browser sends one, that is this server; the Host header must name this server (DNS rebinding);
- the server listens on 127.0.0.1 unless `--host` says otherwise, and then warns.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, abort, g, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from grader.core.results import SubmissionResult
from grader.report.html import render_audit, render_index, render_submission, submission_flags
from grader.review.book import ReviewBook
from grader.review.changes import latest_regrading
from grader.review.overlay import EXERCISE_TARGET, ReviewError, next_unreviewed

COOKIE = "grade_review_"  # + a name derived from the token: cookies ignore ports, two servers must not share one
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ServeOptions:
    out: Path  # a results folder holding gradebook.sqlite
    reviewer: str  # who the audit trail names for changes made here (--as NAME)
    host: str = LOOPBACK
    port: int = 8765  # 0: any free port
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def __post_init__(self) -> None:
        if not self.reviewer.strip():
            raise ValueError("Invalid reviewer '': say who you are with --as NAME (the audit trail records it)")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"Invalid port {self.port}: use 0 to 65535")

    @property
    def local_only(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def derived(token: str, purpose: str) -> str:
    """A secret for one purpose (session cookie, CSRF field) derived from the access token."""
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Filters:
    """What the class table is narrowed to: status, flag, a failed check, reviewer ("-": not reviewed)."""

    status: str = ""
    flag: str = ""
    failed: str = ""
    reviewer: str = ""

    def keep(self, result: SubmissionResult) -> bool:
        failed = {c.id for e in result.exercises for c in e.checks if c.outcome != "passed"}
        return (
            (not self.status or result.status == self.status)
            and (not self.flag or self.flag in submission_flags(result))
            and (not self.failed or self.failed in failed)
            and (not self.reviewer or result.reviewed_by == ("" if self.reviewer == "-" else self.reviewer))
        )


def create_app(options: ServeOptions) -> Flask:
    """The review app over `options.out`'s gradebook."""
    reviews = ReviewBook(options.out / "gradebook.sqlite")
    app = Flask(__name__)
    session, csrf = derived(options.token, "session"), derived(options.token, "csrf")
    cookie = COOKIE + derived(options.token, "cookie name")[:12]

    @app.before_request
    def guard() -> BaseResponse | None:
        g.nonce = secrets.token_urlsafe(16)
        if not _allowed_host(request.host, options):
            abort(400, "this server answers to its own address only")
        if hmac.compare_digest(request.args.get("token", ""), options.token) and request.method == "GET":
            response = redirect(request.path, code=303)
            response.set_cookie(cookie, session, httponly=True, samesite="Strict", secure=False)
            return response
        if not hmac.compare_digest(request.cookies.get(cookie, ""), session):
            abort(403, "open the address with the token that `grade serve` printed")
        if request.method == "POST" and not _same_origin_post(csrf):
            abort(403, "this change did not come from a page of this server (CSRF check failed)")
        return None

    @app.after_request
    def secure_headers(response: BaseResponse) -> BaseResponse:
        nonce = g.get("nonce", "")
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src data:; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    def page(html: str, status: int = 200) -> Response:
        return Response(html, status=status, mimetype="text/html")

    @app.get("/")
    def index() -> BaseResponse:
        results = reviews.results()
        filters = Filters(**{k: request.args.get(k, "") for k in ("status", "flag", "failed", "reviewer")})
        shown = [result for result in results if filters.keep(result)]
        return page(
            render_index(
                shown, "ta", regrading=latest_regrading(reviews), template="serve_index.html.j2", csp_nonce=g.nonce,
                report_prefix="/s/", filters=filters, choices=_choices(results), total=len(results),
                reviewer=options.reviewer,
            )
        )

    @app.get("/audit")
    def audit() -> BaseResponse:
        entries = reviews.audit()
        who = request.args.get("who", "")
        shown = [entry for entry in reversed(entries) if not who or entry.who == who]
        people = sorted({entry.who for entry in entries})
        return page(render_audit(shown, who=who, people=people, total=len(entries)))

    @app.get("/next")
    def next_one() -> BaseResponse:
        found = next_unreviewed(reviews.results(), request.args.get("after", ""))
        return redirect(f"/s/{quote(found.submission)}" if found else "/?reviewer=-", code=303)

    @app.get("/s/<path:submission>")
    def report(submission: str) -> BaseResponse:
        return _report_page(submission, request.args.get("error", ""))

    def _report_page(submission: str, error: str = "", status: int = 200) -> BaseResponse:
        try:
            result = reviews.result(submission)
        except ReviewError:
            abort(404, f"no submission {submission!r}")
        html = render_submission(
            result, "ta", template="serve_report.html.j2", index_href="/", csrf=csrf, error=error,
            bank=reviews.bank(result.assignment), reviewer=options.reviewer, exercise_target=EXERCISE_TARGET,
            audit=reviews.audit(submission),
        )
        return page(html, status)

    def change(submission: str, action: Callable[[], Any], anchor: str = "") -> BaseResponse:
        try:
            action()
        except (ReviewError, ValueError) as exc:
            return _report_page(submission, str(exc), 400)
        return redirect(f"/s/{quote(submission)}{anchor}", code=303)

    @app.post("/s/<path:submission>/override")
    def override(submission: str) -> BaseResponse:
        form = request.form
        target, reason = form.get("target", ""), form.get("reason", "")
        if form.get("remove"):
            return change(submission, lambda: reviews.remove_override(submission, target, reason, options.reviewer))
        return change(
            submission,
            lambda: reviews.set_override(submission, target, _points(form.get("points", "")), reason, options.reviewer),
        )

    @app.post("/s/<path:submission>/comment")
    def comment(submission: str) -> BaseResponse:
        form = request.form
        text = form.get("text", "").strip() or form.get("bank", "")
        private = form.get("private") == "1"
        return change(
            submission, lambda: reviews.add_comment(submission, form.get("exercise", ""), text, options.reviewer, private)
        )

    @app.post("/s/<path:submission>/comment/remove")
    def remove_comment(submission: str) -> BaseResponse:
        form = request.form
        return change(
            submission,
            lambda: reviews.remove_comment(submission, _number(form.get("comment", "")), form.get("reason", ""), options.reviewer),
        )

    @app.post("/s/<path:submission>/reviewed")
    def reviewed(submission: str) -> BaseResponse:
        done = request.form.get("reviewed") == "1"
        return change(submission, lambda: reviews.mark_reviewed(submission, options.reviewer, done))

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    def refused(error: Any) -> BaseResponse:
        return Response(f"{error.code}: {error.description}\n", status=error.code, mimetype="text/plain")

    return app


def _points(text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise ReviewError(f"Invalid points {text!r}: give a number, e.g. 1 or 0.5") from None


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ReviewError(f"Invalid comment {text!r}: pick one from the list") from None


def _allowed_host(host: str, options: ServeOptions) -> bool:
    """Whether the Host header names this server (a page of another site resolving to us is refused)."""
    if options.host in ("0.0.0.0", "::"):
        return True  # listening on every address: it may be reached by any of its names
    name = host[: host.index("]") + 1] if host.startswith("[") else host.split(":")[0]
    return name in {"localhost", LOOPBACK, "[::1]", options.host, f"[{options.host}]"}


def _same_origin_post(csrf: str) -> bool:
    if not hmac.compare_digest(request.form.get("csrf", ""), csrf):
        return False
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        return False
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


def _choices(results: list[SubmissionResult]) -> dict[str, list[str]]:
    """The values each filter can take in this gradebook."""
    return {
        "status": sorted({r.status for r in results}),
        "flag": sorted({flag for r in results for flag in submission_flags(r)}),
        "failed": sorted({c.id for r in results for e in r.exercises for c in e.checks if c.outcome != "passed"}),
        "reviewer": sorted({r.reviewed_by for r in results if r.reviewed_by}),
    }


def serve(options: ServeOptions, announce: Callable[[str], None]) -> None:
    """Serve until interrupted; `announce` is told the address to open (with the token) once listening."""
    from waitress import create_server

    server = create_server(create_app(options), host=options.host, port=options.port, threads=4)
    port = server.effective_port
    host = f"[{options.host}]" if ":" in options.host else options.host
    announce(f"http://{host}:{port}/?token={options.token}")
    try:
        server.run()
    finally:
        server.close()
