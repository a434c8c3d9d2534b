"""Each transition issues the documents it calls for; documents are records whose files are never
overwritten; a failed render is retried, then reported, and leaves no file behind."""

import io
import uuid
from decimal import Decimal

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from committees.models import SessionStatus
from documents import contexts, services
from documents.letters import letter_publish
from documents.models import DocumentBatch, DocumentJob, DocumentKind, IssuedDocument, documents_storage
from documents.services import document_request, job_run
from dossiers.enums import LegalForm
from dossiers.models import Dossier
from payments import services as payments
from payments.models import PaymentKind
from tests.documents.conftest import document_text, pdf_bytes
from tests.factories import OrganisationFactory, make_dossier, make_draft, make_session, make_user, snapshot
from tests.payments.conftest import bank_account, pdf_upload, statement
from workflows import services as lifecycle
from workflows.enums import DossierState, Role
from workflows.services import TransitionRefused

S = DossierState
pytestmark = pytest.mark.django_db


def documents_of(dossier, kind=None):
    documents = IssuedDocument.objects.filter(dossier=dossier)
    return list(documents.filter(kind=kind) if kind else documents)


def the_document(dossier, kind) -> IssuedDocument:
    (document,) = documents_of(dossier, kind)
    return document


@pytest.fixture
def scheduled(contract):
    return make_dossier(S.SCHEDULED, contract=contract)


def approve(run_on_commit, dossier, secretary, amount="80000.00"):
    return run_on_commit(lifecycle.dossier_approve, dossier=dossier, actor=secretary, amount=Decimal(amount))


# One document per transition that calls for it ----------------------------------------------------


def test_submission_issues_the_acknowledgement_of_receipt(contract, run_on_commit):
    draft = make_draft(contract=contract)
    run_on_commit(lifecycle.dossier_submit, dossier=draft, actor=draft.created_by)

    document = the_document(draft, DocumentKind.ACKNOWLEDGEMENT)
    text = document_text(document)
    assert document.number.startswith("AR-") and document.version == 1
    assert document.issued_by == draft.created_by
    assert draft.reference in text
    assert "80 000,00 €" in text  # the amount requested
    assert "ne vaut ni décision d'attribution ni promesse de subvention" in text
    assert "tribunal administratif de Bordeaux" in text


def test_a_request_for_pieces_lists_what_is_missing_and_by_when(contract, officer, run_on_commit):
    submitted = make_dossier(S.SUBMITTED, contract=contract)
    due = submitted.submitted_at.date().replace(year=submitted.submitted_at.year + 1)
    run_on_commit(
        lifecycle.dossier_declare_incomplete,
        dossier=submitted,
        actor=officer,
        missing="Délibération approuvant le plan de financement\nDevis des travaux",
        pieces_due_on=due,
    )

    text = document_text(the_document(submitted, DocumentKind.PIECES_REQUEST))
    assert "Délibération approuvant le plan de financement Devis des travaux" in text
    assert f"au plus tard le {due.day if due.day > 1 else '1er'}" in text
    assert "L. 114-5" in text


def test_an_approval_issues_the_extract_and_the_notification_with_every_mention(scheduled, secretary, run_on_commit):
    approve(run_on_commit, scheduled, secretary, "80000.00")
    item = scheduled.agenda_items.get()
    session_day = f"{item.session.sits_on.day if item.session.sits_on.day > 1 else '1er'}"

    notification = document_text(the_document(scheduled, DocumentKind.AWARD_NOTIFICATION))
    organisation = scheduled.organisation
    for mention in [
        "Vu le code général des collectivités territoriales",
        "Vu le règlement d'intervention des contrats de territoire",
        f"Vu le {scheduled.contract.name}",
        f"Vu la délibération n° {item.deliberation_number} de la Commission permanente du {session_day}",
        organisation.name,
        f"SIRET {organisation.siret}",
        scheduled.object,
        "Base subventionnable retenue 200 000,00 € HT",
        "Taux d'intervention 40 %",
        "Montant de la subvention 80 000,00 €",
        "quatre-vingt mille euros",
        "commencement d'exécution dans un délai de 12 mois",
        "dans un délai de 36 mois",
        "caduque",
        "prorogation unique de 12 mois",
        "une avance de 30 %",
        "réduite au prorata",
        "Obligation de publicité",
        "R. 421-1",
        "tribunal administratif de Bordeaux",
        "deux mois à compter de sa notification",
    ]:
        assert mention in notification, mention
    assert item.deliberation_number.startswith(f"CP-{item.session.sits_on.year}-")

    extract = document_text(the_document(scheduled, DocumentKind.DELIBERATION_EXTRACT))
    assert f"Délibération n° {item.deliberation_number}" in extract
    assert "DÉCIDE" in extract and "80 000,00 €" in extract and "40 %" in extract
    # A public-law beneficiary under no convention requirement gets none.
    assert documents_of(scheduled, DocumentKind.CONVENTION) == []


def test_a_private_beneficiary_above_the_threshold_also_receives_the_convention(contract, secretary, run_on_commit):
    association = OrganisationFactory(legal_form=LegalForm.ASSOCIATION)
    dossier = make_dossier(S.SCHEDULED, contract=contract, organisation=association)
    approve(run_on_commit, dossier, secretary, "30000.00")

    convention = document_text(the_document(dossier, DocumentKind.CONVENTION))
    assert "Article 2 — Montant de la subvention" in convention
    assert "30 000,00 €" in convention and "trente mille euros" in convention
    assert dossier.agenda_items.get().deliberation_number in convention
    assert "Une convention, jointe à la présente notification" in document_text(
        the_document(dossier, DocumentKind.AWARD_NOTIFICATION)
    )


def test_a_rejection_issues_the_refusal_letter_with_its_reason_and_the_appeal_routes(
    scheduled, secretary, run_on_commit
):
    run_on_commit(lifecycle.dossier_reject, dossier=scheduled, actor=secretary, reason="Projet hors feuille de route.")
    item = scheduled.agenda_items.get()

    refusal = document_text(the_document(scheduled, DocumentKind.REFUSAL_LETTER))
    assert "Projet hors feuille de route." in refusal
    assert f"Par délibération n° {item.deliberation_number} du " in refusal
    assert "tribunal administratif de Bordeaux" in refusal and "deux mois" in refusal
    extract = document_text(the_document(scheduled, DocumentKind.DELIBERATION_EXTRACT))
    assert "de ne pas attribuer la subvention" in extract


def test_each_validated_payment_request_issues_its_payment_certificate(contract, officer, run_on_commit):
    notified = make_dossier(S.NOTIFIED, contract=contract)  # a commune: 80,000 € of a 200,000 € HT base, no convention
    sponsor = make_user(Role.SPONSOR, organisation=notified.organisation)
    bank_account(notified.organisation, sponsor)
    finance = make_user(Role.FINANCE)
    deliberation = notified.agenda_items.get().deliberation_number

    def ask_check_validate(kind, **files) -> IssuedDocument:
        request = payments.payment_request_submit(
            dossier=notified, actor=sponsor, kind=kind, idempotency_key=uuid.uuid4(), **files
        )
        payments.payment_request_check(request=request, actor=officer)
        run_on_commit(payments.payment_request_validate, request=request, actor=finance)
        return IssuedDocument.objects.get(kind=DocumentKind.PAYMENT_CERTIFICATE, payment_request=request)

    advance = document_text(ask_check_validate(PaymentKind.ADVANCE))
    assert "Nature du versement Avance" in advance
    assert "Versement certifié 24 000,00 €" in advance  # 30 % of the grant
    assert "vingt-quatre mille euros" in advance
    assert f"délibération n° {deliberation}" in advance
    assert "Subvention attribuée 80 000,00 €" in advance

    balance = document_text(
        ask_check_validate(
            PaymentKind.BALANCE,
            lines=statement("150000"),
            invoices=[pdf_upload()],
            completion_statement=pdf_upload("achevement.pdf"),
        )
    )
    # 150,000 € HT justified at 40 %: final grant 60,000 €, of which 24,000 € were advanced.
    assert "Nature du versement Solde" in balance
    assert "Dépenses éligibles justifiées (cumul) 150 000,00 € HT" in balance
    assert "Subvention définitive 60 000,00 €" in balance
    assert "Versement certifié 36 000,00 €" in balance
    assert "trente-six mille euros" in balance
    assert f"délibération n° {deliberation}" in balance

    # One certificate per validated request: the dossier's own transitions (start_payment, mark_paid) issue none.
    assert len(documents_of(notified, DocumentKind.PAYMENT_CERTIFICATE)) == 2
    paid = Dossier.objects.get(pk=notified.pk)
    assert (paid.state, paid.final_amount) == (S.PAID, Decimal("60000.00"))


def test_a_refused_transition_requests_no_document(scheduled, secretary, run_on_commit):
    before = snapshot(scheduled.pk)
    with pytest.raises(TransitionRefused):
        approve(run_on_commit, scheduled, secretary, "999999.00")  # above the amount requested
    assert snapshot(scheduled.pk) == before
    assert not DocumentJob.objects.exists() and not IssuedDocument.objects.exists()


def test_the_session_report_lists_the_agenda_with_the_proposals(contract, secretary):
    session = make_session()
    dossiers = [make_dossier(S.SCHEDULED, contract=contract, session=session) for _ in range(3)]
    job = job_run(services.session_issue_report(session, actor=secretary).pk)

    assert job.status == "done", job.error
    text = document_text(job.document)
    assert "Rapport de présentation" in text
    for dossier in dossiers:
        assert dossier.reference in text
    assert "Total des propositions 240 000,00 €" in text
    assert job.document.session == session and job.document.dossier is None


def test_the_session_report_reads_its_agenda_in_the_same_number_of_queries_whatever_its_length(contract):
    def queries_for(n):
        session = make_session()
        for _ in range(n):
            make_dossier(S.SCHEDULED, contract=contract, session=session)
        job = document_request(kind=DocumentKind.SESSION_REPORT, session=session, enqueue=False)
        with CaptureQueriesContext(connection) as captured:
            contexts.build(job, issued_at=job.requested_at)
        return len(captured)

    assert queries_for(1) == queries_for(12)


# Records, versions, storage -----------------------------------------------------------------------


def test_numbers_are_sequential_per_type_and_year(contract):
    dossiers = [make_dossier(S.SUBMITTED, contract=contract) for _ in range(3)]
    jobs = [document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=d, enqueue=False) for d in dossiers]
    other = document_request(kind=DocumentKind.PIECES_REQUEST, dossier=dossiers[0], enqueue=False)
    year = jobs[0].requested_at.year
    assert [job.number for job in jobs] == [f"AR-{year}-00000{n}" for n in (1, 2, 3)]
    assert other.number == f"DPC-{year}-000001"


def test_reissuing_creates_a_new_version_and_keeps_the_old_file_and_record(contract):
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    first = job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk).document
    first_bytes = pdf_bytes(first)

    dossier.title = "Maison de santé et cabinet dentaire"
    dossier.save()
    second = job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, reissue_of=first, enqueue=False).pk).document

    assert (second.number, second.version) == (first.number, 2)
    assert second.file.name != first.file.name
    first.refresh_from_db()
    assert pdf_bytes(first) == first_bytes  # untouched
    assert first.sha256 != second.sha256
    assert "Maison de santé et cabinet dentaire" in document_text(second)
    assert "Maison de santé et cabinet dentaire" not in document_text(first)
    assert "version 2, annule et remplace la version précédente" in document_text(second)


def test_a_document_records_the_letter_text_version_it_used(contract, territory):
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    before = job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk).document
    mine = letter_publish(
        actor=None,
        kind=DocumentKind.ACKNOWLEDGEMENT,
        territory=territory,
        opening="<p>Bonjour {{ beneficiaire }}, dossier {{ reference }} du {{ date_depot }}.</p>",
        signatory_name="Jeanne Martin",
        signatory_title="Cheffe de projet territorial",
    )
    after = job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk).document

    assert before.template.version == 1 and before.template.territory is None
    assert after.template == mine
    text = document_text(after)
    assert f"Bonjour {dossier.organisation.name}, dossier {dossier.reference} du " in text
    assert "Jeanne Martin" in text and "Claire Mercier" in document_text(before)


def test_a_failed_render_is_retried_then_reported_and_leaves_no_file(contract, monkeypatch, settings):
    settings.DOCUMENTS_RENDER_ATTEMPTS = 3
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    calls = []

    def broken(html):
        calls.append(html)
        raise RuntimeError("pango is out of memory")

    monkeypatch.setattr(services, "render_pdf", broken)
    job = job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk)

    assert len(calls) == 3
    assert (job.status, job.attempts) == ("failed", 3)
    assert "pango is out of memory" in job.error
    assert not IssuedDocument.objects.exists()
    assert not documents_storage().exists("acknowledgement")

    monkeypatch.undo()
    assert services.job_retry(job)
    job = job_run(job.pk)
    assert job.status == "done" and job.document.number == job.number
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("done", 1, "")


def test_a_record_that_cannot_be_written_takes_its_file_away(contract, monkeypatch, settings):
    settings.DOCUMENTS_RENDER_ATTEMPTS = 1
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    saved = []
    original_save = FileSystemStorage.save

    def save(storage, name, content, **kwargs):
        saved.append(original_save(storage, name, content, **kwargs))
        return saved[-1]

    monkeypatch.setattr(FileSystemStorage, "save", save)
    monkeypatch.setattr(IssuedDocument.objects, "create", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("db")))
    job = job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk)

    assert job.status == "failed"
    assert len(saved) == 1 and not documents_storage().exists(saved[0])


def test_a_job_is_rendered_once_even_when_its_task_runs_twice(contract):
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    job = document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False)
    job_run(job.pk)
    job_run(job.pk)
    assert IssuedDocument.objects.count() == 1


# Batches ------------------------------------------------------------------------------------------


def test_the_letters_of_a_session_form_one_batch_with_its_progress(contract, secretary, run_on_commit):
    session = make_session(status=SessionStatus.HELD)
    dossiers = [make_dossier(S.SCHEDULED, contract=contract, session=session) for _ in range(3)]
    for dossier in dossiers[:2]:
        approve(run_on_commit, dossier, secretary, "50000.00")
    run_on_commit(lifecycle.dossier_reject, dossier=dossiers[2], actor=secretary, reason="Hors cadre.")

    (batch,) = DocumentBatch.objects.filter(session=session)
    assert services.batch_progress(batch) == {"total": 6, "done": 6, "failed": 0, "finished": 6, "running": False}


def test_the_command_issues_a_sessions_letters_with_a_progress_bar(contract, secretary, run_on_commit):
    session = make_session(status=SessionStatus.HELD)
    for _ in range(2):
        approve(run_on_commit, make_dossier(S.SCHEDULED, contract=contract, session=session), secretary)
    out = io.StringIO()

    call_command("issue_documents", session=session.pk, stdout=out)  # nothing missing
    assert "0 document(s) to render" in out.getvalue()

    call_command("issue_documents", session=session.pk, reissue=True, stdout=out)
    assert "4 document(s) to render" in out.getvalue()
    assert "[########################################] 4/4 (4 issued, 0 failed)" in out.getvalue()
    assert IssuedDocument.objects.filter(version=2).count() == 4


def test_the_missing_letters_of_a_session_are_the_only_ones_issued_again(contract, secretary, run_on_commit):
    session = make_session(status=SessionStatus.HELD)
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=session)
    approve(run_on_commit, dossier, secretary)
    the_document(dossier, DocumentKind.AWARD_NOTIFICATION)
    IssuedDocument.objects.filter(kind=DocumentKind.DELIBERATION_EXTRACT).update(kind=DocumentKind.SESSION_REPORT)

    batch, count = services.session_issue_letters(session, enqueue=False)
    assert count == 1
    assert batch.jobs.get().kind == DocumentKind.DELIBERATION_EXTRACT


def test_the_sweep_deletes_the_files_no_record_points_to_and_keeps_the_others(contract, settings):
    import os
    import time as clock

    dossier = make_dossier(S.SUBMITTED, contract=contract)
    kept = job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk).document
    storage = documents_storage()
    orphan = storage.save("acknowledgement/2026/AR-2026-999999-v1-half.pdf", io.BytesIO(b"%PDF-1.7 half"))
    recent = storage.save("acknowledgement/2026/AR-2026-999998-v1-writing.pdf", io.BytesIO(b"%PDF-1.7 now"))
    two_hours_ago = clock.time() - 7200
    for name in (orphan, kept.file.name):
        os.utime(storage.path(name), (two_hours_ago, two_hours_ago))

    out = io.StringIO()
    call_command("issue_documents", sweep_orphans=True, stdout=out)

    assert "1 orphan file(s) deleted." in out.getvalue() and orphan in out.getvalue()
    assert not storage.exists(orphan)
    assert storage.exists(kept.file.name) and storage.exists(recent)  # recorded, or maybe still being written


def test_the_extract_of_a_closed_session_states_attendance_votes_and_deport(contract, secretary, run_on_commit):
    from committees.models import AgendaItem, MemberInterest
    from committees.voting import item_record_votes, session_close, session_record_attendance

    members = [make_user(Role.COMMITTEE_MEMBER, first_name=name, last_name="Élu") for name in ("Ana", "Bea", "Cyr")]
    session = make_session(members=members, status=SessionStatus.HELD)
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=session)
    MemberInterest.objects.create(member=members[0], organisation=dossier.organisation)
    session.quorum = 2
    session.save()
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members])
    item_record_votes(
        item=AgendaItem.objects.get(dossier=dossier),
        actor=secretary,
        votes={members[1].pk: "for", members[2].pk: "abstention"},
        amended_amount=Decimal("70000.00"),
    )

    run_on_commit(session_close, session=session, actor=secretary)

    text = document_text(the_document(dossier, DocumentKind.DELIBERATION_EXTRACT))
    for mention in (
        "Membres en exercice : 3 — présents : 3",
        "après amendement du montant proposé",
        "pour 1, contre 0, abstention 1, ne prenant pas part au vote 0",
        "Ana Élu, intéressé à l'affaire, s'est retiré et n'a pas pris part au vote (déport)",
        "70 000,00",
    ):
        assert mention in " ".join(text.split()).replace("\u202f", " ").replace("\xa0", " "), mention


def test_a_document_issued_after_midnight_in_bordeaux_is_dated_that_day(contract):
    """23:30 UTC on 1 December is 00:30 on 2 December in Bordeaux: the letter says 2 December."""
    from datetime import UTC, date, datetime

    dossier = make_dossier(S.SUBMITTED, contract=contract)
    job = document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False)
    context = contexts.build(job, issued_at=datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    assert context["issued_on"] == date(2026, 12, 2)
