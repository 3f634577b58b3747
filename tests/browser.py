"""Open report pages in headless Chromium and collect what only a browser shows.

Debian's `chromium` package drives it through Python Playwright (`executable_path`),
so no browser is downloaded. Every page is opened offline: a request for anything
but a local file or a data URI is refused and recorded, so a report that is not
self-contained fails.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

LAPTOP_WIDTH = 1280
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The installed Chromium (Debian's package), or None."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@dataclass
class PageReport:
    """What one page did in the browser."""

    path: Path
    title: str = ""
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)  # alert() and friends: injected script ran
    outside_requests: list[str] = field(default_factory=list)
    images: int = 0
    broken_images: list[str] = field(default_factory=list)  # alt texts of images with naturalWidth 0
    scroll_width: int = 0
    links: list[str] = field(default_factory=list)  # absolute hrefs of every <a>
    missing_anchors: list[str] = field(default_factory=list)  # "#id" links with no element of that id
    screenshot: Path | None = None


@contextmanager
def chromium(profile: Path) -> Iterator[object]:
    """A headless Chromium context with a fresh profile and a laptop-wide viewport."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium_path(),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": LAPTOP_WIDTH, "height": 900},
            offline=True,
        )
        try:
            yield context
        finally:
            context.close()


def inspect(context: object, path: Path, screenshot: Path | None = None) -> PageReport:
    """Open `path`, wait for it to load, and report errors, images, width and links."""
    report = PageReport(path)
    page = context.new_page()  # type: ignore[attr-defined]
    page.on("console", lambda message: report.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: report.console_errors.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (report.dialogs.append(dialog.message), dialog.dismiss()))

    def only_local(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(("file:", "data:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            report.outside_requests.append(url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", only_local)
    page.goto(path.resolve().as_uri(), wait_until="load")
    report.title = page.title()
    report.images, report.broken_images = page.evaluate(
        """() => {
            const images = Array.from(document.images);
            return [images.length, images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt || i.src.slice(0, 60))];
        }"""
    )
    report.scroll_width = page.evaluate("document.documentElement.scrollWidth")
    report.links = page.evaluate("Array.from(document.links).map(a => a.href)")
    report.missing_anchors = page.evaluate(
        """() => Array.from(document.querySelectorAll('a[href^="#"]'))
                .map(a => a.getAttribute('href'))
                .filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))"""
    )
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
        report.screenshot = screenshot
    page.close()
    return report


def open_index_and_reports(context: object, out: Path, shots: Path) -> tuple[PageReport, list[PageReport]]:
    """Open OUT/index.html and every report it links to, with a screenshot of each in `shots`."""
    index = inspect(context, out / "index.html", shots / "index.html.png")
    reports = sorted({path for path in map(local_file, index.links) if path is not None and path.name == "report.html"})
    return index, [inspect(context, report, shots / screenshot_name(report, out)) for report in reports]


def local_file(url: str) -> Path | None:
    """The file a file:// URL points at (fragment dropped), or None for other URLs."""
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def screenshot_name(path: Path, root: Path) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path.relative_to(root).as_posix()) + ".png"


def problems(report: PageReport) -> list[str]:
    """Everything wrong with a page that a reader would notice, as sentences."""
    found = [f"console error: {error}" for error in report.console_errors]
    found += [f"a dialog opened (injected script ran): {message}" for message in report.dialogs]
    found += [f"requested {url}: the page is not self-contained" for url in report.outside_requests]
    found += [f"image not decoded: {alt}" for alt in report.broken_images]
    found += [f"in-page link {anchor} has no target" for anchor in report.missing_anchors]
    if report.scroll_width > LAPTOP_WIDTH:
        found.append(f"the page is {report.scroll_width}px wide, wider than a {LAPTOP_WIDTH}px laptop screen")
    return found
