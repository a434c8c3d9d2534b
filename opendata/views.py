"""The public open data, no login: `/donnees-ouvertes/` (what is published, the schema, the licence, the
date and size of the current file), `/donnees-ouvertes/subventions.csv` (the current file; a 404 page
saying nothing is published yet before the first publication) and `/donnees-ouvertes/schema.json` (the
Table Schema the file is validated against)."""

import json

from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from opendata.services import PUBLIC_FILE_NAME, current_publication
from opendata.validation import SCHEMA_URL, schema_descriptor

LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"


def _open_data_headers(response, publication=None):
    # Open data is meant to be fetched by other sites and validators.
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    if publication is not None:
        response["Cache-Control"] = "public, max-age=3600"
        response["ETag"] = f'"{publication.sha256}"'
        response["Last-Modified"] = http_date(publication.generated_at.timestamp())
    return response


@require_safe
def index(request):
    return render(
        request,
        "opendata/index.html",
        {"publication": current_publication(), "schema_url": SCHEMA_URL, "licence_url": LICENCE_URL},
    )


@require_safe
def grants_csv(request):
    publication = current_publication()
    handle = None
    if publication is not None:
        try:
            handle = publication.file.open("rb")
        except FileNotFoundError:
            handle = None
    if handle is None:
        return _open_data_headers(render(request, "opendata/not_published.html", status=404))
    response = FileResponse(
        handle, as_attachment=True, filename=PUBLIC_FILE_NAME, content_type="text/csv; charset=utf-8"
    )
    return _open_data_headers(response, publication)


@require_safe
def schema(request):
    body = json.dumps(schema_descriptor(), ensure_ascii=False, indent=2).encode("utf-8")
    return _open_data_headers(HttpResponse(body, content_type="application/json; charset=utf-8"))
