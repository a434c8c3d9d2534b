"""A dossier of territory A with everyone around it: its sponsor's members, the territory's officers,
the Region-wide roles, and the people of another territory and another organisation."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tests.factories import ContractFactory, EnvelopeFactory, OrganisationFactory, make_dossier, make_user
from tests.test_web import pseudo_translation  # noqa: F401  (the fixture, shared with the page tests)
from workflows.enums import DossierState, Role

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SCRIPT = "<script>alert(1)</script>"


def upload(content: bytes = PDF, name: str = "devis.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings) -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


@dataclass
class People:
    sponsor: object  # created the dossier
    sponsor_colleague: object
    officer: object
    officer_colleague: object
    other_officer: object  # officer of another territory
    other_sponsor: object  # member of another organisation
    committee_member: object
    finance: object
    administrator: object


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """The test client leaves the language of its last request active in the thread."""
    yield
    translation.deactivate()


@pytest.fixture
def dossier(contract):
    return make_dossier(DossierState.SUBMITTED, contract=contract)


@pytest.fixture
def other_contract(other_territory):
    return EnvelopeFactory(contract=ContractFactory(territory=other_territory)).contract


@pytest.fixture
def people(dossier, officer, other_territory):
    return People(
        sponsor=dossier.created_by,
        sponsor_colleague=make_user(Role.SPONSOR, organisation=dossier.organisation),
        officer=officer,
        officer_colleague=make_user(Role.OFFICER, territory=dossier.territory),
        other_officer=make_user(Role.OFFICER, territory=other_territory),
        other_sponsor=make_user(Role.SPONSOR, organisation=OrganisationFactory()),
        committee_member=make_user(Role.COMMITTEE_MEMBER),
        finance=make_user(Role.FINANCE),
        administrator=make_user(Role.ADMINISTRATOR, is_superuser=True),
    )
