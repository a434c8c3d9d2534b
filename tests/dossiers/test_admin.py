"""The Django admin shows everything; state, dossiers and audit are read-only there."""

import pytest
from django.urls import reverse

from dossiers.models import Territory
from tests.factories import EpciFactory, make_dossier, make_user
from workflows.enums import DossierState, Role
from workflows.models import AuditEvent
from workflows.services import dossier_declare_admissible

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(Role.ADMINISTRATOR, is_superuser=True))
    return client


def test_every_registered_model_list_opens(admin_client):
    from django.contrib import admin

    make_dossier(DossierState.SUBMITTED)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url


def test_dossiers_and_audit_events_are_read_only_in_the_admin(admin_client):
    dossier = make_dossier(DossierState.SUBMITTED)
    officer = make_user(Role.OFFICER, territory=dossier.territory)
    dossier_declare_admissible(dossier=dossier, actor=officer)
    event = AuditEvent.objects.get(dossier=dossier)
    dossier_url = reverse("admin:dossiers_dossier_change", args=[dossier.pk])
    page = admin_client.get(dossier_url)
    assert page.status_code == 200
    assert b'name="title"' not in page.content and b'name="state"' not in page.content
    assert admin_client.post(dossier_url, {"title": "Changed"}).status_code == 403
    event_url = reverse("admin:workflows_auditevent_change", args=[event.pk])
    assert admin_client.get(event_url).status_code == 200
    assert admin_client.post(event_url, {"comment": "Changed"}).status_code == 403
    assert admin_client.post(reverse("admin:workflows_auditevent_delete", args=[event.pk])).status_code == 403
    dossier.refresh_from_db()
    assert dossier.title != "Changed" and dossier.state == DossierState.ADMISSIBLE


def test_a_territory_added_in_the_admin_gets_its_officers_group_and_permission(admin_client):
    department = EpciFactory().department
    response = admin_client.post(
        reverse("admin:dossiers_territory_add"),
        {
            "code": "nouveau",
            "name": "Nouveau territoire",
            "department": department.pk,
            "lead_body": "PETR du Nouveau territoire",
            "contracts-TOTAL_FORMS": "0",
            "contracts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    territory = Territory.objects.get(code="nouveau")
    officer = make_user(Role.OFFICER, territory=territory)
    assert officer.has_perm("dossiers.instruct_territory", territory)
