"""The complete procedure driven by the API only, each actor with their own API token (issue 8): the
sponsor files and submits; the officer instructs through the tasks and the transitions; the secretariat
runs a session and records the votes; the decision letter is downloaded; the sponsor signs the
convention, sends bank details and requests the payments; the officer checks them, finance validates
them, and the dossier ends paid. Nothing here calls a service or a web page."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from api.tokens import token_create
from dossiers.models import Commune, Dossier, PieceType
from tests.api.test_drafts import PLAN, new_draft
from tests.documents.conftest import text_of
from tests.factories import PDF, OrganisationFactory, make_user
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db

S = DossierState
V1 = "/api/v1"


def token_client(user) -> APIClient:
    """An API client authenticated by a personal API token of `user` (no session)."""
    _token, raw = token_create(user=user, name="procédure")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json() if response.get("Content-Type", "").startswith("application/json") else response


def pdf(name):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def the_task(client, dossier_id, step):
    """The dossier's open task at `step`, from the officer's queue."""
    rows = ok(client.get(f"{V1}/tasks/queue/", {"dossier": dossier_id}))["results"]
    tasks = [row for row in rows if row["step"] == step]
    assert len(tasks) == 1, rows
    return tasks[0]["id"]


def test_the_whole_procedure_through_the_api_only(
    contract, officer, secretary, finance, django_capture_on_commit_callbacks
):
    commune = Commune.objects.filter(epci__territory=contract.territory).first()
    organisation = OrganisationFactory(commune=commune)
    members = [make_user(Role.COMMITTEE_MEMBER, first_name=name, last_name="Élu") for name in ("Ana", "Bea", "Cyr")]
    sponsor = token_client(make_user(Role.SPONSOR, organisation=organisation))
    instructor, secretariat, treasury = token_client(officer), token_client(secretary), token_client(finance)

    def run(call):
        """One request, with what it hands to after the commit (letters, the instruction's process) done."""
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    # The sponsor files the draft, its financing plan and its pieces, then submits it.
    dossier = ok(sponsor.post(f"{V1}/dossiers/", new_draft(commune, organisation), format="json"), 201)
    url = f"{V1}/dossiers/{dossier['id']}/"
    assert ok(sponsor.put(f"{url}financing-plan/", PLAN, format="json"))["problems"] == []
    for piece_type in PieceType.objects.mandatory_for(organisation.legal_form):
        ok(sponsor.post(f"{url}pieces/", {"piece_type": piece_type.code, "file": pdf("piece.pdf")}), 201)
    assert "submit" in [row["name"] for row in ok(sponsor.get(url))["transitions"]]
    assert ok(run(lambda: sponsor.post(f"{url}transitions/submit/", {}, format="json")))["state"] == S.SUBMITTED

    # The officer instructs through the tasks of the territory's queue.
    task = the_task(instructor, dossier["id"], "check_completeness")
    ok(instructor.post(f"{V1}/tasks/{task}/take/"))
    ok(run(lambda: instructor.post(f"{V1}/tasks/{task}/complete/", {"transition": "declare_admissible"}, "json")))
    task = the_task(instructor, dossier["id"], "instruct")
    ok(run(lambda: instructor.post(f"{V1}/tasks/{task}/complete/", {"transition": "start_review"}, "json")))
    task = the_task(instructor, dossier["id"], "propose")
    proposal = {
        "transition": "complete_review",
        "eligible_base": "180000.00",
        "proposed_amount": "72000.00",
        "convention_decided": True,
        "comment": "Projet structurant pour le territoire.",
    }
    ok(run(lambda: instructor.post(f"{V1}/tasks/{task}/complete/", proposal, "json")))
    assert ok(instructor.get(url))["state"] == S.REVIEWED

    # The secretariat runs the session: agenda, convocation, attendance, votes, closing.
    sits_on = (timezone.localdate() + timedelta(days=20)).isoformat()
    session = ok(secretariat.post(f"{V1}/committee-sessions/", {"sits_on": sits_on, "place": "Bordeaux"}, "json"), 201)
    session_url = f"{V1}/committee-sessions/{session['id']}/"
    item = ok(run(lambda: secretariat.post(f"{session_url}items/", {"dossier": dossier["id"]}, "json")), 201)
    for status in ("convened", "held"):
        ok(run(lambda status=status: secretariat.post(f"{session_url}status/", {"status": status}, "json")))
    ok(secretariat.post(f"{session_url}attendance/", {"present": [m.pk for m in members]}, "json"))
    votes = [{"member": member.pk, "choice": "for"} for member in members]
    ok(secretariat.post(f"{session_url}items/{item['id']}/vote/", {"votes": votes}, "json"))
    ok(run(lambda: secretariat.post(f"{session_url}close/")))
    assert (ok(sponsor.get(url))["state"], ok(sponsor.get(url))["granted_amount"]) == (S.APPROVED, "72000.00")

    # The decision is notified; the sponsor downloads the award letter.
    ok(run(lambda: instructor.post(f"{url}transitions/notify/", {}, format="json")))
    letters = ok(sponsor.get(f"{V1}/documents/", {"dossier": dossier["id"], "kind": "award_notification"}))
    assert letters["count"] == 1
    letter = sponsor.get(f"{V1}/documents/{letters['results'][0]['id']}/download/")
    assert (letter.status_code, letter["Content-Type"]) == (200, "application/pdf")
    reference = Dossier.objects.get(pk=dossier["id"]).reference
    assert reference in text_of(b"".join(letter.streaming_content))

    # The convention, signed by the sponsor and countersigned by the officer.
    signed = {"dossier": dossier["id"], "file": pdf("convention.pdf"), "signed_on": timezone.localdate().isoformat()}
    copy = ok(sponsor.post(f"{V1}/conventions/", signed, format="multipart"), 201)
    ok(run(lambda: instructor.post(f"{V1}/conventions/{copy['id']}/countersign/")))
    assert ok(sponsor.get(url))["state"] == S.AGREEMENT_SIGNED

    # Bank details, validated by finance.
    details = {
        "organisation": organisation.pk,
        "holder": organisation.name,
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "bic": "BNPAFRPPXXX",
        "file": pdf("rib.pdf"),
    }
    account = ok(sponsor.post(f"{V1}/bank-accounts/", details, format="multipart"), 201)
    ok(treasury.post(f"{V1}/bank-accounts/{account['id']}/validate/"))

    # The advance, then the balance with its statement: checked by the officer, validated by finance.
    advance = ok(
        run(lambda: sponsor.post(f"{V1}/payment-requests/", {"dossier": dossier["id"], "kind": "advance"})), 201
    )
    ok(run(lambda: instructor.post(f"{V1}/payment-requests/{advance['id']}/check/", {"comment": "Conforme"}, "json")))
    ok(run(lambda: treasury.post(f"{V1}/payment-requests/{advance['id']}/validate/")))
    assert ok(sponsor.get(url))["state"] == S.IN_PAYMENT

    invoice_date = (timezone.localdate() - timedelta(days=5)).isoformat()
    lines = [
        {
            "supplier": "Bâtisseurs du Labourd",
            "invoice_reference": "F-2026-001",
            "invoice_date": invoice_date,
            "amount_ht": "180000.00",
            "amount_ttc": "216000.00",
        }
    ]
    balance_request = {
        "dossier": dossier["id"],
        "kind": "balance",
        "lines": json.dumps(lines),
        "invoices": [pdf("facture.pdf")],
        "completion_statement": pdf("achevement.pdf"),
    }
    balance = ok(run(lambda: sponsor.post(f"{V1}/payment-requests/", balance_request, format="multipart")), 201)
    ok(run(lambda: instructor.post(f"{V1}/payment-requests/{balance['id']}/check/", {"comment": "Conforme"}, "json")))
    validated = ok(run(lambda: treasury.post(f"{V1}/payment-requests/{balance['id']}/validate/")))
    assert validated["final_grant"] == "72000.00"

    final = ok(sponsor.get(url))
    assert (final["state"], final["final_amount"]) == (S.PAID, "72000.00")
    stored = Dossier.objects.get(pk=dossier["id"])
    assert (stored.state, stored.final_amount) == (S.PAID, Decimal("72000.00"))
    # Every step is in the audit trail the sponsor reads, in the procedure's order.
    trail = [row["transition"] for row in ok(sponsor.get(f"{V1}/audit-events/", {"dossier": dossier["id"]}))["results"]]
    assert trail == [
        "submit",
        "declare_admissible",
        "start_review",
        "complete_review",
        "schedule",
        "approve",
        "notify",
        "sign_agreement",
        "start_payment",
        "mark_paid",
    ]
