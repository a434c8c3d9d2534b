"""The inbox, the queue and the dossier list run the same number of queries with 10 or 1,000 dossiers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from viewflow.workflow.status import STATUS

from dossiers.models import Dossier
from dossiers.services import references_allocate
from tests.factories import make_dossier, make_user
from workflows.enums import DossierState, Role
from workflows.flows import DossierFlow
from workflows.processes import start_instruction

pytestmark = pytest.mark.django_db

PAGES = ["instruction:inbox", "instruction:queue", "instruction:process_list", "instruction:index"]


def add_submitted_dossiers(model: Dossier, count: int) -> None:
    """`count` copies of a submitted dossier, each with its instruction process and open task."""
    references = references_allocate(year=model.created_at.year, count=count)
    fields = {f.attname: getattr(model, f.attname) for f in Dossier._meta.concrete_fields if not f.primary_key}
    copies = [Dossier(**{**fields, "reference": reference}) for reference in references]
    for copy in Dossier.objects.bulk_create(copies):
        start_instruction(copy)


def queries(client, page) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(page))
    assert response.status_code == 200
    return len(captured)


def test_lists_cost_the_same_with_10_or_1000_dossiers(client):
    model = make_dossier(DossierState.SUBMITTED)
    officer = make_user(Role.OFFICER, territory=model.territory)
    client.force_login(officer)

    def give_half_to_the_officer():
        tasks = DossierFlow.task_class.objects.filter(flow_task=DossierFlow.check_completeness, status=STATUS.NEW)
        half = list(tasks.values_list("pk", flat=True)[: tasks.count() // 2])
        DossierFlow.task_class.objects.filter(pk__in=half).update(owner=officer, status=STATUS.ASSIGNED)

    add_submitted_dossiers(model, 10)
    give_half_to_the_officer()
    for page in PAGES:  # warms the process-wide caches (content types of the permissions)
        queries(client, page)
    small = {page: queries(client, page) for page in PAGES}
    add_submitted_dossiers(model, 990)
    give_half_to_the_officer()
    assert DossierFlow.task_class.objects.filter(owner=officer).count() > 500
    assert {page: queries(client, page) for page in PAGES} == small
