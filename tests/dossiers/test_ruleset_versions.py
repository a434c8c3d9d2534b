"""The Region's rules are versioned: a change publishes a new version, a version is never edited, and a
dossier keeps the version in force when it was first submitted."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.urls import reverse

from dossiers.enums import FunderKind, LegalForm
from dossiers.models import Dossier, RuleSet
from dossiers.services import RULE_FIELDS, ruleset_publish
from tests.factories import OrganisationFactory, make_dossier, make_draft, make_user
from workflows.enums import DossierState, Role
from workflows.services import (
    TransitionRefused,
    dossier_declare_incomplete,
    dossier_resubmit,
    dossier_sign_agreement,
    dossier_submit,
)

D = Decimal
pytestmark = pytest.mark.django_db

# Own 50,000 of 200,000 public funding: 25 %, allowed under 20 %, refused under 30 %.
PLAN_25 = [(FunderKind.REGION, D("80000")), (FunderKind.STATE, D("70000")), (FunderKind.OWN, D("50000"))]


def rules(rule_set: RuleSet) -> dict:
    return {name: getattr(rule_set, name) for name in RULE_FIELDS}


def test_first_version_carries_the_default_rules():
    first = RuleSet.objects.current()
    assert first.version == 1
    assert rules(first) == {
        "self_financing_min_rate": D("0.2"),
        "convention_threshold": D("23000"),
        "de_minimis_cap": D("300000"),
        "de_minimis_years": 3,
        "advance_max_rate": D("0.3"),
        "interim_max_rate": D("0.8"),
        "start_delay_months": 12,
        "completion_delay_months": 36,
        "extension_months": 12,
        "completeness_delay_months": 2,
        "first_reminder_days": 60,
        "second_reminder_days": 15,
    }


def test_publishing_creates_the_next_version_with_the_unchanged_rules_copied():
    first = RuleSet.objects.current()
    actor = make_user(Role.ADMINISTRATOR)
    second = ruleset_publish(actor=actor, note="Seuil de convention relevé", convention_threshold=D("25000.00"))
    assert second.version == first.version + 1
    assert RuleSet.objects.current() == second
    assert (second.note, second.published_by) == ("Seuil de convention relevé", actor)
    assert rules(second) == rules(first) | {"convention_threshold": D("25000.00")}
    third = ruleset_publish(actor=None, note="Autofinancement 30 %", self_financing_min_rate=D("0.3"))
    assert third.version == 3
    assert third.convention_threshold == D("25000.00")
    assert third.self_financing_min_rate == D("0.3")
    assert rules(RuleSet.objects.get(version=1)) == rules(first)


def test_publishing_refuses_an_unknown_rule():
    with pytest.raises(ValueError, match="unknown_rule"):
        ruleset_publish(actor=None, note="?", unknown_rule=1)
    assert RuleSet.objects.count() == 1


def test_publishing_refuses_invalid_values_and_creates_no_version():
    with pytest.raises(ValidationError):
        ruleset_publish(actor=None, note="Taux impossible", self_financing_min_rate=D("1.5"))
    with pytest.raises(ValidationError):
        ruleset_publish(actor=None, note="Avance au-delà des acomptes", advance_max_rate=D("0.9"))
    assert RuleSet.objects.count() == 1


def test_published_rule_set_cannot_be_modified():
    first = RuleSet.objects.current()
    before = model_to_dict(first)
    first.self_financing_min_rate = D("0.5")
    with pytest.raises(ValidationError):
        first.save()
    assert model_to_dict(RuleSet.objects.get(pk=first.pk)) == before


def test_submission_stamps_the_current_rule_set_on_the_dossier():
    second = ruleset_publish(actor=None, note="v2", convention_threshold=D("25000.00"))
    dossier = make_draft()
    assert dossier.rule_set is None
    submitted = dossier_submit(dossier=dossier, actor=dossier.created_by)
    assert submitted.rule_set == second
    assert Dossier.objects.get(pk=dossier.pk).rule_set_id == second.pk


def test_new_version_changes_neither_the_rules_of_a_submitted_dossier_nor_those_of_its_resubmission():
    dossier = make_draft(total=D("200000.00"), region=D("80000.00"), funding=PLAN_25)
    first = RuleSet.objects.current()
    dossier_submit(dossier=dossier, actor=dossier.created_by)

    ruleset_publish(actor=None, note="Autofinancement 30 %", self_financing_min_rate=D("0.3"))
    assert Dossier.objects.get(pk=dossier.pk).rule_set == first

    officer = make_user(Role.OFFICER, territory=dossier.territory)
    dossier_declare_incomplete(dossier=dossier, actor=officer, missing="Le plan de financement signé")
    resubmitted = dossier_resubmit(dossier=dossier, actor=dossier.created_by)
    assert resubmitted.state == DossierState.SUBMITTED
    assert Dossier.objects.get(pk=dossier.pk).rule_set == first

    # The same plan, submitted for the first time now, falls under the new version.
    newcomer = make_draft(total=D("200000.00"), region=D("80000.00"), funding=PLAN_25)
    with pytest.raises(TransitionRefused) as refused:
        dossier_submit(dossier=newcomer, actor=newcomer.created_by)
    assert refused.value.codes == ["self_financing"]


def test_other_rules_of_a_granted_dossier_come_from_its_own_version():
    # An association granted 24,000 € under version 1 (threshold 23,000 €) still needs its convention
    # after the threshold is raised to 25,000 €.
    association = OrganisationFactory(legal_form=LegalForm.ASSOCIATION)
    dossier = make_dossier(DossierState.NOTIFIED, organisation=association)
    Dossier.objects.filter(pk=dossier.pk).update(granted_amount=D("24000.00"))
    ruleset_publish(actor=None, note="Seuil relevé", convention_threshold=D("25000.00"))
    officer = make_user(Role.OFFICER, territory=dossier.territory)
    signed = dossier_sign_agreement(dossier=dossier, actor=officer, signed_on=dossier.notified_on)
    assert signed.state == DossierState.AGREEMENT_SIGNED


# Administration ------------------------------------------------------------------------------------


@pytest.fixture
def superuser_client(client, django_user_model):
    admin = django_user_model.objects.create_user(username="admin", password="x", is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.admin = admin
    return client


def test_admin_add_publishes_a_new_version(superuser_client):
    first = RuleSet.objects.current()
    data = {name: str(value) for name, value in rules(first).items()}
    data |= {"note": "Délibération du 12 mars : seuil de convention 25 000 €", "convention_threshold": "25000.00"}
    response = superuser_client.post(reverse("admin:dossiers_ruleset_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert RuleSet.objects.count() == 2
    second = RuleSet.objects.current()
    assert second.version == 2
    assert second.published_by == superuser_client.admin
    assert second.note == data["note"]
    assert rules(second) == rules(first) | {"convention_threshold": D("25000.00")}


def test_admin_add_form_starts_from_the_current_version(superuser_client):
    ruleset_publish(actor=None, note="v2", de_minimis_cap=D("350000.00"))
    response = superuser_client.get(reverse("admin:dossiers_ruleset_add"))
    assert response.status_code == 200
    assert response.context["adminform"].form.initial["de_minimis_cap"] == D("350000.00")


def test_admin_change_view_cannot_edit_a_rule_set(superuser_client):
    first = RuleSet.objects.current()
    before = model_to_dict(first)
    url = reverse("admin:dossiers_ruleset_change", args=[first.pk])
    data = {name: str(value) for name, value in rules(first).items()} | {"note": "modifié", "de_minimis_cap": "1"}

    response = superuser_client.get(url)
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert superuser_client.post(url, data).status_code == 403
    assert (
        superuser_client.post(reverse("admin:dossiers_ruleset_delete", args=[first.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert model_to_dict(RuleSet.objects.get(pk=first.pk)) == before
    assert RuleSet.objects.count() == 1
