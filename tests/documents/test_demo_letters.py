"""`make run` shows real letters: the demo sponsor's dossiers come with the PDFs their states call for."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from documents.models import DocumentJob, DocumentKind, IssuedDocument, JobStatus
from dossiers.loaders import load_reference_data
from dossiers.models import Dossier
from workflows.enums import DossierState

pytestmark = pytest.mark.django_db


def test_the_demo_sponsor_finds_its_letters_and_seeding_again_issues_nothing_more(client):
    load_reference_data()
    call_command("seed_demo", dossiers=80, letters=5, instructions=0, stdout=StringIO())

    porteur = get_user_model().objects.get(username="porteur")
    documents = IssuedDocument.objects.filter(dossier__organisation__memberships__user=porteur)
    submitted = Dossier.objects.filter(organisation__memberships__user=porteur).exclude(state=DossierState.DRAFT)
    assert submitted.exists()
    assert documents.filter(kind=DocumentKind.ACKNOWLEDGEMENT).count() == min(submitted.count(), 5)
    assert not DocumentJob.objects.exclude(status=JobStatus.DONE).exists()
    count = IssuedDocument.objects.count()

    output = StringIO()
    call_command("seed_demo", dossiers=80, letters=5, instructions=0, stdout=output)
    assert "0 letters issued" in output.getvalue()
    assert IssuedDocument.objects.count() == count

    client.force_login(get_user_model().objects.get(username="porteur"))  # seeding resets its password
    document = documents.first()
    response = client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 200
