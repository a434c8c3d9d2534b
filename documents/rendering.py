"""HTML → PDF with WeasyPrint, never reaching outside the project.

`ProjectURLFetcher` serves `data:` URLs and the files under `static/documents/` (fonts, stylesheet,
logo), nothing else: no other `file://` path (symbolic links and `..` are resolved first), no http(s),
no redirects. PDF attachments (`<link rel="attachment">`, `<a rel="attachment">`) are dropped from the
rendered document before it is written, whatever they point to.

Stylesheet and fonts are parsed once per thread and reused by every render.
"""

import logging
import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

ASSETS_DIR = (Path(settings.BASE_DIR) / "static" / "documents").resolve()
BASE_URL = ASSETS_DIR.as_uri() + "/"
STYLESHEET = ASSETS_DIR / "print.css"
# Options shared by the pipeline and the benchmark's "WeasyPrint alone": the shipped fonts are already
# subset to Latin, so they are embedded whole instead of being subset again at every render.
PDF_OPTIONS = {"full_fonts": True, "uncompressed_pdf": False}


class FetchRefused(ValueError):
    pass


class ProjectURLFetcher(URLFetcher):
    def __init__(self, **kwargs):
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, timeout=1, **kwargs)

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise FetchRefused(f"refused: {url[:80]}")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused: {url[:80]}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(ASSETS_DIR) or not path.is_file():
            raise FetchRefused(f"refused: {url[:80]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".ttf":
            content_type = "font/ttf"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type})


_local = threading.local()


def _shared():
    """The fetcher, font configuration and parsed stylesheet of this thread."""
    if getattr(_local, "stylesheet_mtime", None) != STYLESHEET.stat().st_mtime:
        _local.fetcher = ProjectURLFetcher()
        _local.font_config = FontConfiguration()
        _local.stylesheet = CSS(filename=str(STYLESHEET), url_fetcher=_local.fetcher, font_config=_local.font_config)
        _local.stylesheet_mtime = STYLESHEET.stat().st_mtime
    return _local.fetcher, _local.font_config, _local.stylesheet


def render_pdf(html: str) -> bytes:
    """The PDF of `html` (a document of templates/documents/), with the print stylesheet."""
    fetcher, font_config, stylesheet = _shared()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(
        stylesheets=[stylesheet], font_config=font_config, **PDF_OPTIONS
    )
    document.metadata.attachments = []
    for page in document.pages:
        page.links[:] = [link for link in page.links if link[0] != "attachment"]
    return document.write_pdf(**PDF_OPTIONS)
