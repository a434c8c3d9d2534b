"""The envelopes' page: each contract's envelopes with what is committed and what remains, and the
proposals waiting for a vote; the figures follow the dossiers (a lapse releases its commitment), the
page runs the same number of queries whatever the number of contracts, and each person sees theirs."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from committees.envelopes import contract_figures, contract_list_for_user
from dossiers.models import Dossier
from tests.factories import EnvelopeFactory, make_dossier, make_user
from workflows.enums import DossierState, Role

S = DossierState
pytestmark = pytest.mark.django_db


def figures(contract):
    (row,) = contract_figures(type(contract).objects.filter(pk=contract.pk))
    return row


def test_committed_remaining_and_planned_follow_the_dossiers(contract):
    envelope = contract.envelopes.get()  # 1,000,000.00
    granted = [make_dossier(S.NOTIFIED, contract=contract) for _ in range(2)]  # 80,000.00 each
    make_dossier(S.SCHEDULED, contract=contract)  # proposes 80,000.00
    make_dossier(S.REJECTED, contract=contract)

    row = figures(contract)
    assert (row.amount, row.committed, row.remaining, row.planned) == (
        envelope.amount,
        Decimal("160000.00"),
        Decimal("840000.00"),
        Decimal("80000.00"),
    )
    assert row.remaining_after_planned == Decimal("760000.00")
    assert row.envelopes[0].committed == Decimal("160000.00")

    Dossier.objects.filter(pk=granted[0].pk).update(state=S.LAPSED)  # a lapse releases the commitment
    assert figures(contract).committed == Decimal("80000.00")


def test_the_page_runs_the_same_number_of_queries_whatever_the_number_of_contracts(client):
    client.force_login(make_user(Role.FINANCE))
    url = reverse("envelopes:index")

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    EnvelopeFactory()
    one = count()
    for _ in range(4):
        make_dossier(S.NOTIFIED, contract=EnvelopeFactory().contract)
    assert count() == one


def test_officers_see_their_territories_and_sponsors_nothing(client, contract, officer, other_territory):
    other = EnvelopeFactory(contract__territory=other_territory).contract
    assert list(contract_list_for_user(officer)) == [contract]
    assert set(contract_list_for_user(make_user(Role.FINANCE))) == {contract, other}

    client.force_login(officer)
    page = client.get(reverse("envelopes:index")).content.decode()
    assert contract.territory.name in page and other_territory.name not in page

    sponsor = make_dossier(S.SUBMITTED, contract=contract).created_by
    client.force_login(sponsor)
    assert client.get(reverse("envelopes:index")).status_code in (403, 404)
