import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from diagnostics.models import ProposalOverride
from diagnostics.services import proposal_override, vintage_classify
from dossiers.enums import ContractType
from tests.diagnostics.helpers import FAVOURABLE, VULNERABLE, make_diagnostic
from tests.factories import make_user
from workflows.enums import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def classified(admin):
    diagnostic = make_diagnostic(admin, FAVOURABLE, name="Grand Poitiers")
    make_diagnostic(admin, VULNERABLE, name="Autre")
    vintage_classify(actor=admin, vintage=2022)
    return diagnostic


def test_an_override_without_a_comment_is_refused(admin, classified):
    for comment in ("", "   "):
        with pytest.raises(ValidationError):
            proposal_override(
                actor=admin, diagnostic=classified, contract_type=ContractType.ATTRACTIVITE_SOLIDARITE, comment=comment
            )
    assert not ProposalOverride.objects.exists()


def test_an_override_is_recorded_with_who_and_when_and_the_computed_proposal_stays(admin, classified, client):
    client.force_login(admin)
    url = reverse("diagnostics:override", args=[classified.pk])
    refused = client.post(url, {"contract_type": ContractType.ATTRACTIVITE_SOLIDARITE, "comment": ""})
    assert refused.status_code == 200
    assert not ProposalOverride.objects.exists()

    response = client.post(
        url, {"contract_type": ContractType.ATTRACTIVITE_SOLIDARITE, "comment": "Ancienne capitale régionale"}
    )
    assert response.status_code == 302
    override = ProposalOverride.objects.get()
    classification = classified.classifications.get()
    assert (override.decided_by, override.comment, override.classification) == (
        admin,
        "Ancienne capitale régionale",
        classification,
    )
    assert override.decided_at is not None
    assert classification.proposed_contract_type == ContractType.ATTRACTIVITE
    page = client.get(reverse("diagnostics:detail", args=[classified.pk])).content.decode()
    assert f'id="proposed-contract" data-type="{ContractType.ATTRACTIVITE}"' in page
    assert f'id="override" data-type="{ContractType.ATTRACTIVITE_SOLIDARITE}"' in page
    assert "Ancienne capitale régionale" in page


def test_an_officer_cannot_override_the_proposal(admin, classified, client):
    officer = make_user(Role.OFFICER, territory=classified.territory)
    client.force_login(officer)
    response = client.post(
        reverse("diagnostics:override", args=[classified.pk]),
        {"contract_type": ContractType.ATTRACTIVITE_SOLIDARITE, "comment": "Pourquoi pas"},
    )
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        proposal_override(
            actor=officer, diagnostic=classified, contract_type=ContractType.ATTRACTIVITE_SOLIDARITE, comment="x"
        )
    assert not ProposalOverride.objects.exists()
