"""Rendering never reaches outside the project, and no text from a user becomes markup, style or URL.

A local HTTP listener started by the test counts every request it receives: it must receive none.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO

import pytest
from pypdf import PdfReader

from documents.letters import letter_publish
from documents.models import DocumentKind
from documents.rendering import ASSETS_DIR, FetchRefused, ProjectURLFetcher, render_pdf
from documents.richtext import merge, sanitize
from documents.services import document_request, job_run
from tests.documents.conftest import document_text, pdf_bytes, text_of
from tests.factories import make_dossier
from workflows.enums import DossierState

PASSWD_LINE = open("/etc/passwd").readline().strip()  # noqa: SIM115 (read once at import)


@pytest.fixture
def listener():
    """An HTTP server on 127.0.0.1 that records the paths it is asked for."""
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.requests = requests
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def hostile_markup(url: str) -> str:
    return (
        '<img src="file:///etc/passwd">'
        '<img src="../../../../../../etc/passwd">'
        f'<img src="{url}/img">'
        '<link rel="attachment" href="file:///etc/passwd">'
        '<link rel="attachment" href="logo.svg">'
        '<a rel="attachment" href="file:///etc/passwd">pièce jointe</a>'
        f'<link rel="stylesheet" href="{url}/sheet.css">'
        f"<style>@import url({url}/import.css); body {{ background: url({url}/background); }}</style>"
        f'<p style="background: url({url}/inline)">Bonjour</p>'
    )


def assert_nothing_leaked(pdf: bytes, listener):
    reader = PdfReader(BytesIO(pdf))
    assert listener.requests == []
    assert reader.attachments == {}
    assert b"/EmbeddedFile" not in pdf
    assert PASSWD_LINE not in text_of(pdf)


def test_the_fetcher_serves_the_project_assets_and_nothing_else(listener):
    fetcher = ProjectURLFetcher()
    logo = fetcher.fetch((ASSETS_DIR / "logo.svg").as_uri())
    assert logo.read().startswith(b"<svg")
    for url in [
        "file:///etc/passwd",
        (ASSETS_DIR / ".." / ".." / "config" / "settings.py").as_uri(),
        f"file://{ASSETS_DIR}/../../manage.py",
        "file://otherhost/etc/passwd",
        f"{listener.url}/direct",
        "https://example.org/",
        "ftp://127.0.0.1/",
    ]:
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    assert listener.requests == []


def test_a_template_fed_with_local_files_attachments_and_remote_css_renders_none_of_them(listener):
    pdf = render_pdf(f"<html><head>{hostile_markup(listener.url)}</head><body><p>Lettre</p></body></html>")
    assert_nothing_leaked(pdf, listener)
    assert "Lettre" in text_of(pdf)


@pytest.mark.django_db
def test_a_sponsor_name_full_of_markup_is_printed_as_text(listener, contract):
    dossier = make_dossier(DossierState.SUBMITTED, contract=contract)
    dossier.organisation.name = f"<b>Mairie</b>{hostile_markup(listener.url)}"[:200]
    dossier.organisation.save()
    dossier.title = "<script>alert(1)</script><i>Projet</i>"
    dossier.object = f'<span style="color:red">Objet</span><img src="{listener.url}/object">'
    dossier.save()

    job = job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk)

    assert job.status == "done", job.error
    pdf = pdf_bytes(job.document)
    assert_nothing_leaked(pdf, listener)
    text = document_text(job.document)
    assert "<b>Mairie</b>" in text
    assert '<img src="file:///etc/passwd">' in text
    assert "<script>alert(1)</script><i>Projet</i>" in text
    assert '<span style="color:red">Objet</span>' in text


@pytest.mark.django_db
def test_an_administrators_paragraph_with_script_image_and_style_comes_out_as_harmless_text(listener, contract):
    hostile = (
        f"<p>Madame, Monsieur,<script>fetch('{listener.url}/script')</script></p>"
        f'<p style="background: url({listener.url}/style); color: red">Nous avons bien reçu '
        f'<img src="{listener.url}/image" onerror="alert(1)">votre demande.</p>'
        '<p><a href="javascript:alert(1)">Lien</a> <iframe src="file:///etc/passwd"></iframe></p>'
    )
    letter = letter_publish(
        actor=None,
        kind=DocumentKind.ACKNOWLEDGEMENT,
        opening=hostile,
        closing="",
        signatory_name="<b>Nom</b>",
        signatory_title="Directrice",
    )
    # Sanitised when saved: only the allowed tags remain, without any attribute.
    assert "<script" not in letter.opening and "<img" not in letter.opening and "style=" not in letter.opening
    assert "href" not in letter.opening and "<iframe" not in letter.opening
    assert letter.opening == "<p>Madame, Monsieur,</p><p>Nous avons bien reçu votre demande.</p><p>Lien </p>"

    dossier = make_dossier(DossierState.SUBMITTED, contract=contract)
    job = job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk)

    assert job.document.template == letter
    pdf = pdf_bytes(job.document)
    assert_nothing_leaked(pdf, listener)
    text = document_text(job.document)
    assert "Nous avons bien reçu votre demande." in text
    assert "fetch(" not in text and "alert" not in text
    assert "<b>Nom</b>" in text  # the signatory is plain text, escaped


def test_paragraphs_are_sanitised_again_when_rendered_and_merge_values_are_escaped():
    # A row written around the admin (a database import, say) is cleaned at render time too.
    merged = merge('<p onclick="x()">{{ beneficiaire }}</p><script>x()</script>', {"beneficiaire": "<i>A & B</i>"})
    assert merged == "<p>&lt;i&gt;A &amp; B&lt;/i&gt;</p>"


def test_plain_text_paragraphs_become_paragraphs_with_their_line_breaks():
    assert sanitize("Ligne 1\nLigne 2\n\nParagraphe 2 <pas une balise") == (
        "<p>Ligne 1<br>Ligne 2</p><p>Paragraphe 2 &lt;pas une balise</p>"
    )
    assert sanitize("Montant > 5 & taux < 10") == "<p>Montant &gt; 5 &amp; taux &lt; 10</p>"
