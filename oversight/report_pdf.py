"""Print a rendered report page to PDF with WeasyPrint, loading nothing but the project's files.

The page is laid out under an origin of its own (``ORIGIN``) that no network resolves; the
fetcher serves URLs under that origin's static prefix from the project's static files and
refuses every other URL (other hosts, ``file:``, ``data:``, paths outside the static files),
so a report never reaches the network or the file system beyond them.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

ORIGIN = "https://report.probity.invalid"


class StaticFilesOnly(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """Serve the project's static files to WeasyPrint; refuse anything else, and remember it."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("https",), allow_redirects=False)
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self._static_file(url)
        if path is None:
            self.refused.append(url)
            raise ValueError(f"not one of the project's static files: {url[:200]}")
        self.served.append(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )

    @staticmethod
    def _static_file(url: str) -> Path | None:
        parts = urlsplit(url)
        prefix = "/" + settings.STATIC_URL.strip("/") + "/"
        if (
            f"{parts.scheme}://{parts.netloc}" != ORIGIN
            or parts.query
            or not parts.path.startswith(prefix)
        ):
            return None
        relative = unquote(parts.path[len(prefix) :])
        if not relative or relative.startswith("/") or ".." in relative.split("/"):
            return None
        found = finders.find(relative)
        if isinstance(found, str):
            return Path(found)
        root = Path(settings.STATIC_ROOT).resolve()
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
        return None


def report_pdf(html: str, *, fetcher: StaticFilesOnly | None = None) -> tuple[bytes, int]:
    """Return the page as PDF bytes and its number of pages."""
    document = HTML(
        string=html, base_url=ORIGIN + "/", url_fetcher=fetcher or StaticFilesOnly()
    ).render()
    pdf = document.write_pdf()
    return bytes(pdf), len(document.pages)
