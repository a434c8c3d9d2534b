import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dossiers.models import Dossier
from payments.models import BankAccount, BankAccountStatus
from payments.services import StatementLine
from tests import factories
from tests.documents.conftest import run_on_commit  # noqa: F401  (fixture)
from tests.factories import PDF
from workflows.enums import DossierState, Role

D = Decimal


def pdf_upload(name="facture.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def statement(*amounts_ht, eligible=True):
    """Expense statement lines of the given amounts excluding VAT (VAT 20 %)."""
    today = timezone.localdate()
    return [
        StatementLine(
            supplier=f"Entreprise {index}",
            invoice_reference=f"F-{index:04d}",
            invoice_date=today - timedelta(days=10),
            amount_ht=D(amount),
            amount_ttc=(D(amount) * D("1.2")).quantize(D("0.01")),
            is_eligible=eligible,
        )
        for index, amount in enumerate(amounts_ht, start=1)
    ]


def bank_account(
    organisation, user, status=BankAccountStatus.VALIDATED, *, iban="FR7630006000011234567890189", bic="AGRIFRPP"
):
    return BankAccount.objects.create(
        organisation=organisation,
        holder=organisation.name,
        iban=iban,
        bic=bic,
        file=ContentFile(PDF, name="rib.pdf"),
        original_name="rib.pdf",
        content_type="application/pdf",
        extension="pdf",
        size=len(PDF),
        sha256="1" * 64,
        status=status,
        submitted_by=user,
    )


@pytest.fixture
def granted(territory, contract):
    """DOMAIN.md's worked example: eligible base 125,000.00 € HT, 50,000.00 € voted (40 %), notified,
    public-law sponsor (no convention), bank details validated."""
    dossier = factories.make_dossier(DossierState.NOTIFIED, contract=contract)
    Dossier.objects.filter(pk=dossier.pk).update(granted_amount=D("50000.00"), eligible_base=D("125000.00"))
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def sponsor(granted):
    user = factories.make_user(Role.SPONSOR, organisation=granted.organisation, first_name="Paule")
    bank_account(granted.organisation, user)
    return user


@pytest.fixture
def key():
    return uuid.uuid4()
