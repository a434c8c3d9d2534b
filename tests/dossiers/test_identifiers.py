"""SIRET, SIREN and RNA numbers (python-stdnum, La Poste's exception included), and the registration of
an organisation with them."""

import pytest
from django.core.exceptions import ValidationError
from stdnum import luhn

from dossiers.enums import LegalForm
from dossiers.identifiers import normalise_rna, normalise_siren, normalise_siret
from dossiers.models import Membership, Organisation
from dossiers.services import organisation_create
from tests.factories import UserFactory, valid_siret
from workflows.enums import Role
from workflows.permissions import organisation_ids

# A real SIRET (stdnum's documentation) and La Poste's numbers.
SIRET = "73282932000074"
LA_POSTE_HEAD_OFFICE = "35600000000048"
# An establishment of La Poste: its digits add up to a multiple of 5, its Luhn sum does not.
LA_POSTE_ESTABLISHMENT = "35600000049837"


def error_code(call, value) -> str:
    with pytest.raises(ValidationError) as refused:
        call(value)
    return refused.value.code


# SIRET ------------------------------------------------------------------------------------------------


def test_valid_siret_is_accepted_with_its_spaces_stripped():
    assert normalise_siret("732 829 320 00074") == SIRET
    assert normalise_siret(f" {SIRET} ") == SIRET


def test_siret_with_a_wrong_check_digit_is_refused():
    assert error_code(normalise_siret, "73282932000079") == "siret_checksum"


@pytest.mark.parametrize("value", ["7328293200007", "732829320000745", "732 829 320"])
def test_siret_must_have_fourteen_digits(value):
    assert error_code(normalise_siret, value) == "siret_length"


@pytest.mark.parametrize("value", ["7328293200007A", "73282932O00074", "732-829-320-000"])
def test_siret_must_contain_digits_only(value):
    assert error_code(normalise_siret, value) == "siret_format"


def test_la_poste_siret_is_valid_although_it_fails_the_luhn_check():
    assert luhn.is_valid(LA_POSTE_ESTABLISHMENT) is False
    assert normalise_siret(LA_POSTE_ESTABLISHMENT) == LA_POSTE_ESTABLISHMENT


def test_la_poste_head_office_siret_is_valid():
    # The head office is the one La Poste SIRET that follows the plain Luhn check.
    assert luhn.is_valid(LA_POSTE_HEAD_OFFICE) is True
    assert normalise_siret(LA_POSTE_HEAD_OFFICE) == LA_POSTE_HEAD_OFFICE


def test_la_poste_siret_whose_digits_do_not_add_up_to_a_multiple_of_five_is_refused():
    wrong = LA_POSTE_ESTABLISHMENT[:-1] + "8"
    assert sum(map(int, wrong)) % 5 != 0
    assert error_code(normalise_siret, wrong) == "siret_checksum"


def test_organisation_model_validates_its_siret():
    organisation = Organisation(name="SARL Test", legal_form=LegalForm.COMPANY, siret="73282932000079")
    with pytest.raises(ValidationError) as refused:
        organisation.full_clean()
    assert "siret" in refused.value.error_dict


# SIREN and RNA -------------------------------------------------------------------------------------


def test_valid_siren_is_accepted_with_its_spaces_stripped():
    assert normalise_siren("732 829 320") == "732829320"
    assert normalise_siren("356000000") == "356000000"


def test_siren_with_a_wrong_check_digit_is_refused():
    assert error_code(normalise_siren, "732829321") == "siren_checksum"


def test_siren_must_have_nine_digits():
    assert error_code(normalise_siren, "73282932") == "siren_length"
    assert error_code(normalise_siren, "7328293200") == "siren_length"


def test_siren_must_contain_digits_only():
    assert error_code(normalise_siren, "73282932A") == "siren_format"


def test_rna_is_w_followed_by_nine_digits():
    assert normalise_rna("W332001234") == "W332001234"
    assert normalise_rna("w332 001 234") == "W332001234"


@pytest.mark.parametrize("value", ["W33200123", "W3320012345", "332001234", "WA32001234", "X332001234"])
def test_malformed_rna_is_refused(value):
    assert error_code(normalise_rna, value) == "rna_format"


# Registration --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_organisation_create_refuses_a_non_association_without_siret():
    creator = UserFactory()
    with pytest.raises(ValidationError):
        organisation_create(creator=creator, name="SARL Sans SIRET", legal_form=LegalForm.COMPANY, rna="W332001234")
    with pytest.raises(ValidationError):
        organisation_create(creator=creator, name="Commune sans SIRET", legal_form=LegalForm.COMMUNE)
    assert not Organisation.objects.exists()
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_organisation_create_accepts_an_association_with_its_rna_only():
    organisation = organisation_create(
        creator=UserFactory(), name="Amicale", legal_form=LegalForm.ASSOCIATION, rna="w332001234"
    )
    assert (organisation.rna, organisation.siret) == ("W332001234", None)


@pytest.mark.django_db
def test_organisation_create_refuses_an_invalid_siret():
    with pytest.raises(ValidationError) as refused:
        organisation_create(
            creator=UserFactory(), name="SARL Test", legal_form=LegalForm.COMPANY, siret="73282932000079"
        )
    assert refused.value.code == "siret_checksum"
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_organisation_create_refuses_a_duplicate_siret():
    siret = valid_siret()
    organisation_create(creator=UserFactory(), name="Commune A", legal_form=LegalForm.COMMUNE, siret=siret)
    spaced = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    second_creator = UserFactory()
    with pytest.raises(ValidationError):
        organisation_create(creator=second_creator, name="Commune A bis", legal_form=LegalForm.COMMUNE, siret=spaced)
    assert Organisation.objects.filter(siret=siret).count() == 1
    assert not Membership.objects.filter(user=second_creator).exists()


@pytest.mark.django_db
def test_organisation_create_refuses_a_duplicate_rna():
    organisation_create(creator=UserFactory(), name="Amicale", legal_form=LegalForm.ASSOCIATION, rna="W332001234")
    with pytest.raises(ValidationError):
        organisation_create(
            creator=UserFactory(), name="Amicale bis", legal_form=LegalForm.ASSOCIATION, rna="W332001234"
        )
    assert Organisation.objects.filter(rna="W332001234").count() == 1


@pytest.mark.django_db
def test_organisation_create_makes_the_creator_a_member_with_the_sponsor_role():
    creator = UserFactory()
    organisation = organisation_create(
        creator=creator, name="Commune de Test", legal_form=LegalForm.COMMUNE, siret="732 829 320 00074"
    )
    assert organisation.siret == SIRET
    assert Membership.objects.filter(organisation=organisation, user=creator).exists()
    assert creator.groups.filter(name=Role.SPONSOR).exists()
    creator.refresh_from_db()
    assert organisation.pk in organisation_ids(creator)
