"""The export of the demonstration data, checked column by column against the rules of SCDL subventions
2.1.1 (DOMAIN.md, "Open data"), then by frictionless against the Table Schema kept in the project."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from frictionless import Resource, Schema
from stdnum.fr import siret

from committees.models import AgendaItem, ItemResult
from dossiers.demo import seed_dossiers, seed_logins, seed_territories, seed_territory_officers
from dossiers.enums import DossierKind
from dossiers.loaders import load_reference_data
from dossiers.models import Dossier
from engineering.demo import seed_demo_engineering
from opendata.enums import PublicationStatus
from opendata.services import open_data_publish
from opendata.validation import SCHEMA_PATH
from payments.demo import seed_demo_payments
from tests.opendata.conftest import SCDL_COLUMNS, read_csv
from workflows.enums import DossierState

pytestmark = pytest.mark.django_db
S = DossierState
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
AMOUNT = re.compile(r"^\d+\.\d{2}$")
DECIDED_STATES = {S.APPROVED, S.NOTIFIED, S.AGREEMENT_SIGNED, S.IN_PAYMENT, S.PAID, S.CLOSED, S.LAPSED, S.WITHDRAWN}


@pytest.fixture
def published():
    load_reference_data()
    seed_territories()
    seed_logins()
    seed_dossiers(120)
    seed_territory_officers()
    seed_demo_payments()
    seed_demo_engineering()
    publication = open_data_publish()
    assert publication.status == PublicationStatus.PUBLISHED, publication.errors
    with publication.file.open("rb") as handle:
        return publication, handle.read()


def test_the_demo_export_follows_scdl_subventions_column_by_column(published):
    publication, content = published
    assert not content.startswith(b"\xef\xbb\xbf")  # UTF-8 without BOM
    header, records = read_csv(content)
    assert header == SCDL_COLUMNS
    assert len(records) == publication.rows > 10

    expected = {
        dossier.pk: dossier
        for dossier in Dossier.objects.filter(state__in=DECIDED_STATES, granted_amount__isnull=False).select_related(
            "organisation", "rule_set", "contract"
        )
        if dossier.granted_amount > dossier.rule_set.convention_threshold
    }
    seen = set()
    kinds = set()
    for record in records:
        assert record["nomAttribuant"] == "Région Nouvelle-Aquitaine"
        assert re.fullmatch(r"\d{14}", record["idAttribuant"]) and siret.is_valid(record["idAttribuant"])
        assert DATE.match(record["dateConvention"])
        date.fromisoformat(record["dateConvention"])
        # referenceDecision leads back to exactly one dossier: the vote that granted it.
        items = AgendaItem.objects.filter(deliberation_number=record["referenceDecision"], result=ItemResult.APPROVED)
        assert items.count() == 1, record["referenceDecision"]
        dossier = expected[items.get().dossier_id]
        seen.add(dossier.pk)
        assert record["nomBeneficiaire"] == dossier.organisation.name
        assert record["idBeneficiaire"] or record["rnaBeneficiaire"]
        if record["idBeneficiaire"]:
            assert re.fullmatch(r"\d{14}", record["idBeneficiaire"]) and siret.is_valid(record["idBeneficiaire"])
        if record["rnaBeneficiaire"]:
            assert re.fullmatch(r"W\d{9}", record["rnaBeneficiaire"])
        assert 0 < len(record["objet"]) <= 256
        assert AMOUNT.match(record["montant"])
        assert Decimal(record["montant"]) == dossier.granted_amount > dossier.rule_set.convention_threshold
        assert record["nature"] in {
            "aide en numéraire",
            "aide en nature",
            "aide en numéraire;aide en nature",
            "aide en nature;aide en numéraire",
        }
        assert record["conditionsVersement"] in {"unique", "échelonné", "autre"}
        period = record["datesPeriodeVersement"].split("/")
        assert 1 <= len(period) <= 2 and all(DATE.match(day) for day in period)
        assert date.fromisoformat(period[0]) <= date.fromisoformat(period[-1])
        assert len(record["idRAE"]) <= 5
        assert record["notificationUE"] in {"oui", "non"}
        assert re.fullmatch(r"\d(\.\d+)?", record["pourcentageSubvention"])
        assert Decimal("0.01") <= Decimal(record["pourcentageSubvention"]) <= 1
        assert dossier.contract.name in record["dispositifAide"]
        assert record["dispositifAide"].startswith("Ingénierie territoriale — ") == (
            dossier.kind == DossierKind.ENGINEERING
        )
        kinds.add(dossier.kind)
    # Every grant above the threshold, once.
    assert seen == set(expected) and len(seen) == len(records)
    assert kinds == {DossierKind.PROJECT, DossierKind.ENGINEERING}

    report = Resource(
        data=content, format="csv", schema=Schema.from_descriptor(json.loads(SCHEMA_PATH.read_text()))
    ).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])
