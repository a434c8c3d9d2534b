import csv
import io
from decimal import Decimal

import pytest

from dossiers.models import Dossier
from tests.factories import make_dossier
from workflows.enums import DossierState

# The columns of SCDL subventions 2.1.1 (DOMAIN.md, "Open data"), in their order.
SCDL_COLUMNS = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
]


def read_csv(content: bytes) -> tuple[list[str], list[dict]]:
    """The header and the records of a published file, read as a reuser would."""
    reader = csv.reader(io.StringIO(content.decode("utf-8"), newline=""), delimiter=",")
    header, *records = list(reader)
    return header, [dict(zip(header, record, strict=True)) for record in records]


def grant(state=DossierState.NOTIFIED, *, amount="80000.00", **kwargs) -> Dossier:
    """A dossier voted by the committee (with its deliberation number) in `state`, granted `amount`."""
    dossier = make_dossier(state, **kwargs)
    Dossier.objects.filter(pk=dossier.pk).update(granted_amount=Decimal(amount))
    return Dossier.objects.get(pk=dossier.pk)


@pytest.fixture
def deliberation_of():
    def number(dossier) -> str:
        return dossier.agenda_items.get(result="approved").deliberation_number

    return number
