"""The sponsor's home runs the same number of queries whatever the number of dossiers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dossiers.services import membership_add
from portal.models import MembershipRequest
from tests.factories import OrganisationFactory, make_dossier, make_user
from workflows.enums import DossierState, Role

S = DossierState
STATES = [S.DRAFT, S.SUBMITTED, S.INCOMPLETE, S.UNDER_REVIEW, S.APPROVED, S.IN_PAYMENT]


@pytest.mark.django_db
def test_the_sponsors_home_runs_the_same_number_of_queries_for_3_or_30_dossiers(
    client, contract, organisation, sponsor
):
    second = OrganisationFactory()
    membership_add(organisation=second, user=sponsor)
    MembershipRequest.objects.create(organisation=organisation, user=make_user(Role.SPONSOR))
    client.force_login(sponsor)

    def queries_for_home():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("portal:home"))
        assert response.status_code == 200
        return len(response.context["page"]), len(queries)

    def add(count):
        for index in range(count):
            owner = organisation if index % 2 else second
            make_dossier(
                STATES[index % len(STATES)], contract=contract, organisation=owner, creator=sponsor, pieces=False
            )

    add(3)
    rows_3, count_3 = queries_for_home()
    add(27)
    rows_30, count_30 = queries_for_home()

    assert (rows_3, rows_30) == (3, 30)
    assert count_30 == count_3
