"""A territory's elected representatives: scoped to their territory by django-guardian like officers,
they read its dossiers (not the Region's internal notes) and change none of them."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from dossiers.selectors import dossier_list_for_user, territory_list_for_user
from messaging.models import Message
from messaging.selectors import message_list_for_user
from messaging.services import message_post
from roadmaps import services
from tests.factories import make_dossier, make_territory, make_user
from tests.test_access_every_url import application_routes, fill, snapshot, world  # noqa: F401
from workflows.enums import DossierState, Role
from workflows.lifecycle import TRANSITIONS
from workflows.permissions import can_fire_transition, representative_territory_ids

pytestmark = pytest.mark.django_db


def test_a_representative_sees_the_dossiers_of_the_territory_they_follow_and_no_other(territory, contract):
    mine = make_dossier(DossierState.SUBMITTED, contract=contract)
    elsewhere = make_dossier(DossierState.SUBMITTED)
    representative = make_user(Role.REPRESENTATIVE, territory=territory)
    assert representative_territory_ids(representative) == {territory.pk}
    assert list(dossier_list_for_user(representative)) == [mine]
    assert list(territory_list_for_user(representative)) == [territory]
    assert elsewhere.territory_id != territory.pk


def test_the_representative_role_without_a_territory_sees_nothing(contract):
    make_dossier(DossierState.SUBMITTED, contract=contract)
    assert not dossier_list_for_user(make_user(Role.REPRESENTATIVE)).exists()


def test_a_representative_fires_no_transition(territory, contract):
    representative = make_user(Role.REPRESENTATIVE, territory=territory)
    for state in (DossierState.SUBMITTED, DossierState.UNDER_REVIEW, DossierState.NOTIFIED):
        dossier = make_dossier(state, contract=contract)
        allowed = [spec.name for spec in TRANSITIONS.values() if can_fire_transition(representative, dossier, spec)]
        assert allowed == [], (state, allowed)


def test_a_representative_reads_the_public_thread_but_not_the_internal_notes(territory, contract, officer):
    dossier = make_dossier(DossierState.SUBMITTED, contract=contract)
    message_post(dossier=dossier, author=dossier.created_by, body="Question du porteur")
    message_post(dossier=dossier, author=officer, body="Note interne de l'instructeur", is_internal=True)
    representative = make_user(Role.REPRESENTATIVE, territory=territory)
    assert [m.body for m in message_list_for_user(representative, dossier)] == ["Question du porteur"]
    assert message_list_for_user(officer, dossier).count() == 2


def test_a_representative_edits_the_roadmap_of_their_territory_only(territory, contract):
    representative = make_user(Role.REPRESENTATIVE, territory=territory)
    other_contract = make_dossier(DossierState.SUBMITTED).contract
    assert services.can_edit_roadmap(representative, services.roadmap_for_contract(contract))
    assert not services.can_edit_roadmap(representative, services.roadmap_for_contract(other_contract))


def test_the_staff_dossier_page_shows_a_representative_the_dossier_and_no_action(world, client):  # noqa: F811
    dossier = world["dossier"]
    representative = make_user(Role.REPRESENTATIVE, territory=dossier.territory)

    def post_forms(user):
        client.force_login(user)
        response = client.get(reverse("instruction:dossier_page", args=[dossier.pk]))
        assert response.status_code == 200
        text = response.content.decode()
        assert dossier.reference in text
        actions = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]*)"', text, flags=re.IGNORECASE)
        return [action for action in actions if "deconnexion" not in action and "i18n" not in action]

    assert post_forms(world["officer"]), "the officer's page offers actions"
    assert post_forms(representative) == []


def test_a_representative_changes_nothing_of_a_dossier_from_any_url(world, client):  # noqa: F811
    """Read-only: every URL, posted to by the territory's own representative, leaves the dossier, its
    task, pieces, messages, documents, sessions and payments as they were."""
    dossier = world["dossier"]
    representative = make_user(Role.REPRESENTATIVE, territory=dossier.territory)
    before = snapshot(world)
    messages_before = Message.objects.count()
    client.force_login(representative)
    # The roadmap's and the meetings' pages are theirs to change (minutes issued, operations edited).
    theirs = ("region/roadmaps/", "region/follow-up-meetings/", "comites-de-suivi/")
    theirs += ("api/v1/^roadmaps/", "api/v1/^roadmap-operations/", "api/v1/^follow-up-meetings/")
    for route in application_routes():
        if route.startswith(theirs):
            continue
        url = fill(route, world)
        cache.clear()  # the API's rate limits would answer 429 and hide the addresses behind
        client.post(url, {"body": "Tentative", "comment": "Tentative", "decision": "accept"})
        assert snapshot(world) == before, url
    assert Message.objects.count() == messages_before


def test_representatives_of_another_territory_see_nothing(contract):
    dossier = make_dossier(DossierState.SUBMITTED, contract=contract)
    stranger = make_user(Role.REPRESENTATIVE, territory=make_territory("Territoire B"))
    assert not dossier_list_for_user(stranger).filter(pk=dossier.pk).exists()
    assert not services.can_edit_roadmap(stranger, services.roadmap_for_contract(contract))
