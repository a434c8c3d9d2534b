"""Which grants are exported and how their columns are filled (opendata/scdl.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from committees.models import AgendaItem
from dossiers.enums import DossierKind, LegalForm
from dossiers.models import Dossier
from dossiers.rules import lapse_deadlines
from dossiers.services import ruleset_publish
from opendata.scdl import grant_rows, grants_csv
from opendata.validation import grants_validate
from payments.models import PaymentKind, PaymentRequest
from tests.factories import OrganisationFactory, make_dossier
from tests.opendata.conftest import SCDL_COLUMNS, grant, read_csv
from workflows.enums import DossierState

pytestmark = pytest.mark.django_db
S = DossierState


def exported() -> dict[str, dict]:
    """The exported records by deliberation number, after checking the file is valid."""
    rows = grant_rows()
    content = grants_csv(rows)
    assert grants_validate(content, rows) == []
    header, records = read_csv(content)
    assert header == SCDL_COLUMNS
    return {record["referenceDecision"]: record for record in records}


def test_only_grants_above_the_threshold_of_their_rule_set_are_exported(deliberation_of):
    above = grant(amount="23000.01")
    at_threshold = grant(amount="23000.00")
    below = grant(amount="12000.00")
    records = exported()
    assert deliberation_of(above) in records
    assert deliberation_of(at_threshold) not in records
    assert deliberation_of(below) not in records
    assert len(records) == 1


def test_the_threshold_is_the_one_of_the_rule_set_the_dossier_was_submitted_under(deliberation_of):
    under_first = grant(amount="24000.00")
    ruleset_publish(actor=None, note="Seuil relevé", convention_threshold=Decimal("25000.00"))
    under_second = grant(amount="24000.00")
    assert under_second.rule_set.convention_threshold == Decimal("25000.00")
    records = exported()
    assert set(records) == {deliberation_of(under_first)}


def test_every_state_after_a_vote_that_granted_money_is_exported_and_no_other():
    granted = [grant(state) for state in (S.APPROVED, S.NOTIFIED, S.AGREEMENT_SIGNED, S.IN_PAYMENT, S.PAID)]
    granted += [grant(S.CLOSED), grant(S.LAPSED)]
    for state in (S.DRAFT, S.SUBMITTED, S.REVIEWED, S.SCHEDULED, S.REJECTED):
        make_dossier(state)
    records = exported()
    assert len(records) == len(granted)
    assert {item.dossier_id for item in _items(records)} == {dossier.pk for dossier in granted}


def _items(records):
    return AgendaItem.objects.filter(deliberation_number__in=list(records))


def test_a_title_with_commas_quotes_and_line_breaks_stays_one_record(deliberation_of):
    tricky = 'Salle "polyvalente", tranche 1\nphase 2; vestiaires'
    dossier = grant()
    Dossier.objects.filter(pk=dossier.pk).update(object=tricky)
    records = exported()
    assert len(records) == 1
    assert records[deliberation_of(dossier)]["objet"] == tricky


def test_the_convention_date_is_its_signature_else_the_notification_else_the_vote(deliberation_of):
    signed = grant(S.AGREEMENT_SIGNED, convention=True)
    signed_on = signed.notified_on + timedelta(days=12)
    Dossier.objects.filter(pk=signed.pk).update(agreement_signed_on=signed_on)
    notified = grant(S.NOTIFIED)
    voted = grant(S.APPROVED)
    records = exported()
    assert records[deliberation_of(signed)]["dateConvention"] == signed_on.isoformat()
    assert records[deliberation_of(notified)]["dateConvention"] == notified.notified_on.isoformat()
    assert records[deliberation_of(voted)]["dateConvention"] == timezone.localdate(voted.decided_at).isoformat()


def _payment(dossier, kind, paid_on, amount="10000.00"):
    request = PaymentRequest.objects.create(dossier=dossier, kind=kind, created_by=dossier.created_by)
    PaymentRequest.objects.filter(pk=request.pk).update(
        state="paid", paid_on=paid_on, validated_at=timezone.now(), payable=Decimal(amount)
    )


def test_a_grant_paid_in_one_payment_is_unique_with_its_date(deliberation_of):
    dossier = grant(S.PAID)
    paid_on = dossier.notified_on + timedelta(days=200)
    _payment(dossier, PaymentKind.BALANCE, paid_on)
    record = exported()[deliberation_of(dossier)]
    assert record["conditionsVersement"] == "unique"
    assert record["datesPeriodeVersement"] == paid_on.isoformat()


def test_a_grant_paid_in_instalments_is_staggered_from_the_first_to_the_last_payment(deliberation_of):
    dossier = grant(S.PAID)
    first, last = dossier.notified_on + timedelta(days=20), dossier.notified_on + timedelta(days=300)
    _payment(dossier, PaymentKind.ADVANCE, first)
    _payment(dossier, PaymentKind.BALANCE, last)
    record = exported()[deliberation_of(dossier)]
    assert record["conditionsVersement"] == "échelonné"
    assert record["datesPeriodeVersement"] == f"{first.isoformat()}/{last.isoformat()}"


def test_a_running_grant_is_staggered_until_its_completion_deadline(deliberation_of):
    dossier = grant(S.NOTIFIED)
    deadline = lapse_deadlines(notified_on=dossier.notified_on, rule_set=dossier.rule_set).completion
    record = exported()[deliberation_of(dossier)]
    assert record["conditionsVersement"] == "échelonné"
    assert record["datesPeriodeVersement"] == f"{dossier.notified_on.isoformat()}/{deadline.isoformat()}"


def test_the_row_carries_the_beneficiary_the_amount_and_the_aid_scheme(deliberation_of):
    association = OrganisationFactory(
        name="Association « Vivre, ensemble »", legal_form=LegalForm.ASSOCIATION, siret=None, rna="W332001234"
    )
    dossier = grant(organisation=association, amount="45678.90")
    engineering = grant()
    Dossier.objects.filter(pk=engineering.pk).update(kind=DossierKind.ENGINEERING)
    records = exported()
    record = records[deliberation_of(dossier)]
    assert (record["nomBeneficiaire"], record["idBeneficiaire"], record["rnaBeneficiaire"]) == (
        "Association « Vivre, ensemble »",
        "",
        "W332001234",
    )
    assert record["montant"] == "45678.90"
    assert (record["nature"], record["notificationUE"], record["idRAE"]) == ("aide en numéraire", "non", "")
    assert record["pourcentageSubvention"] == "1.00"
    assert record["dispositifAide"] == f"Contrat de développement et de transitions — {dossier.contract.name}"
    assert record["idAttribuant"] == "20005375900011"
    assert records[deliberation_of(engineering)]["dispositifAide"].startswith("Ingénierie territoriale — Contrat")
    assert not record["dispositifAide"].startswith("Ingénierie")


def test_the_values_are_french_whatever_the_active_language(deliberation_of):
    dossier = grant()
    with translation.override("en"):
        record = exported()[deliberation_of(dossier)]
    assert record["dispositifAide"].startswith("Contrat de développement et de transitions — ")


def _count_export_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        grants_csv(grant_rows())
    return len(queries)


def test_the_export_runs_the_same_number_of_queries_whatever_the_number_of_grants():
    for _ in range(2):
        grant(S.IN_PAYMENT)
    few = _count_export_queries()
    for _ in range(8):
        grant(S.IN_PAYMENT)
    assert len(grant_rows()) == 10
    assert _count_export_queries() == few
