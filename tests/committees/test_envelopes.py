"""The envelopes' pages: each contract's envelopes with what is planned, committed, paid and what
remains, by year and by axis; the figures follow the dossiers (a lapse, a withdrawal or a pro-rata
reduction releases what the grant no longer needs) and their payments (each request counts once paid),
each page runs the same number of queries whatever the number of contracts, envelopes and dossiers, and
each person sees their contracts only."""

import csv
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from committees.envelopes import (
    contract_figures,
    contract_list_for_user,
    totals,
    totals_by_axis,
    totals_by_year,
)
from committees.models import AgendaItem, ItemResult
from dossiers.enums import Generation
from dossiers.models import Contract, Dossier
from payments.models import PaymentKind, PaymentRequest, RequestState
from tests.factories import ContractFactory, EnvelopeFactory, make_dossier, make_territory, make_user
from workflows.enums import DossierState, Role

S = DossierState
pytestmark = pytest.mark.django_db


def figures(contract, **kwargs):
    (row,) = contract_figures(Contract.objects.filter(pk=contract.pk), **kwargs)
    return row


def granted(state, *, contract, amount, envelope=None):
    """A dossier of `contract` in `state` granted `amount` on `envelope` (the contract's first one)."""
    dossier = make_dossier(state, contract=contract)
    Dossier.objects.filter(pk=dossier.pk).update(
        granted_amount=Decimal(amount), envelope=envelope or contract.envelopes.first()
    )
    return dossier


def proposed(state, *, contract, amount, target=None):
    """A proposal of `contract` for `amount`; a scheduled one's pending agenda item names `target`."""
    dossier = make_dossier(state, contract=contract)
    Dossier.objects.filter(pk=dossier.pk).update(proposed_amount=Decimal(amount))
    if target is not None:
        AgendaItem.objects.filter(dossier=dossier, result=ItemResult.PENDING).update(envelope=target)
    return dossier


def payment(dossier, amount, *, kind=PaymentKind.INSTALMENT, state=RequestState.PAID):
    """A payment request of `dossier` for `amount`, paid unless told otherwise."""
    return PaymentRequest.objects.create(
        dossier=dossier, kind=kind, state=state, payable=Decimal(amount), created_by=dossier.created_by
    )


def csv_rows(response):
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


# Figures ---------------------------------------------------------------------------------------------


def test_committed_paid_planned_and_remaining_follow_the_dossiers_to_the_cent(contract):
    envelope = contract.envelopes.get()  # 1,000,000.00
    granted(S.NOTIFIED, contract=contract, amount="12345.67")
    in_payment = granted(S.IN_PAYMENT, contract=contract, amount="20000.00")
    payment(in_payment, "6000.00", kind=PaymentKind.ADVANCE)
    payment(in_payment, "4000.00", state=RequestState.VALIDATED)  # not paid yet: does not count
    payment(in_payment, "999.00", state=RequestState.REJECTED)
    # DOMAIN's worked example: 50,000.00 voted; 15,000.00 + 9,000.00 + 20,000.00 paid.
    paid = granted(S.PAID, contract=contract, amount="50000.00")
    payment(paid, "15000.00", kind=PaymentKind.ADVANCE)
    payment(paid, "9000.00")
    payment(paid, "20000.00", kind=PaymentKind.BALANCE)
    closed = granted(S.CLOSED, contract=contract, amount="7654.32")
    payment(closed, "7654.32", kind=PaymentKind.BALANCE)
    lapsed = granted(S.IN_PAYMENT, contract=contract, amount="30000.01")
    payment(lapsed, "1000.00", kind=PaymentKind.ADVANCE)
    withdrawn = granted(S.AGREEMENT_SIGNED, contract=contract, amount="25000.50")
    proposed(S.REVIEWED, contract=contract, amount="1234.56")
    proposed(S.SCHEDULED, contract=contract, amount="80000.00")
    make_dossier(S.REJECTED, contract=contract)
    make_dossier(S.UNDER_REVIEW, contract=contract)

    row = figures(contract)
    assert (row.amount, row.planned, row.committed, row.paid) == (
        Decimal("1000000.00"),
        Decimal("81234.56"),
        Decimal("145000.50"),
        Decimal("58654.32"),
    )
    assert (row.remaining, row.remaining_after_planned) == (Decimal("854999.50"), Decimal("773764.94"))
    (line,) = row.envelopes
    assert (line.envelope, line.committed, line.paid, line.remaining) == (
        envelope,
        Decimal("145000.50"),
        Decimal("58654.32"),
        Decimal("854999.50"),
    )

    # A lapse and a withdrawal release their whole grant; a grant reduced pro rata by its balance (44,000.00
    # justified of 50,000.00) releases the 6,000.00 it no longer needs. What was paid stays paid.
    Dossier.objects.filter(pk=lapsed.pk).update(state=S.LAPSED)
    Dossier.objects.filter(pk=withdrawn.pk).update(state=S.WITHDRAWN)
    Dossier.objects.filter(pk=paid.pk).update(final_amount=Decimal("44000.00"))
    row = figures(contract)
    assert (row.committed, row.paid, row.remaining) == (
        Decimal("83999.99"),
        Decimal("58654.32"),
        Decimal("916000.01"),
    )
    assert row.remaining_after_planned == Decimal("834765.45")


def test_a_proposal_counts_on_the_envelope_its_agenda_item_names_else_on_the_contract(contract):
    first = contract.envelopes.get()
    second = EnvelopeFactory(contract=contract, year=None, axis="Mobilités", label="Axe mobilités", amount=500)
    proposed(S.SCHEDULED, contract=contract, amount="1000.10", target=second)
    proposed(S.SCHEDULED, contract=contract, amount="2000.20")
    proposed(S.REVIEWED, contract=contract, amount="300.03")

    row = figures(contract)
    lines = {line.envelope: line for line in row.envelopes}
    assert (lines[first].planned, lines[second].planned) == (Decimal("0.00"), Decimal("1000.10"))
    assert lines[second].remaining_after_planned == Decimal("-500.10")
    assert (row.unassigned_planned, row.planned) == (Decimal("2300.23"), Decimal("3300.33"))


def test_totals_by_year_and_by_axis_across_contracts(contract, other_territory):
    first = contract.envelopes.get()  # this year, no axis, 1,000,000.00
    year = first.year
    mobility = EnvelopeFactory(contract=contract, year=year + 1, axis="Mobilités", amount=Decimal("200000.50"))
    other = ContractFactory(territory=other_territory)
    health = EnvelopeFactory(contract=other, year=year, axis="Santé", amount=Decimal("300000.25"))
    axis_only = EnvelopeFactory(contract=other, year=None, axis="Mobilités", label="Mobilités", amount=100)
    granted(S.NOTIFIED, contract=contract, amount="1000.01", envelope=mobility)
    payment(granted(S.PAID, contract=other, amount="2000.02", envelope=health), "2000.02")
    payment(granted(S.CLOSED, contract=other, amount="30.03", envelope=axis_only), "30.03")
    granted(S.NOTIFIED, contract=contract, amount="400.04", envelope=first)
    proposed(S.SCHEDULED, contract=other, amount="50.05", target=health)
    proposed(S.REVIEWED, contract=contract, amount="60.06")

    rows = contract_figures(Contract.objects.filter(pk__in=[contract.pk, other.pk]))
    by_year = {split.key: split for split in totals_by_year(rows)}
    assert list(by_year) == [year, year + 1, None]
    assert (by_year[year].amount, by_year[year].committed, by_year[year].paid, by_year[year].planned) == (
        Decimal("1300000.25"),
        Decimal("2400.06"),
        Decimal("2000.02"),
        Decimal("50.05"),
    )
    assert (by_year[year + 1].amount, by_year[year + 1].remaining) == (Decimal("200000.50"), Decimal("199000.49"))
    assert (by_year[None].amount, by_year[None].paid) == (Decimal("100.00"), Decimal("30.03"))

    by_axis = {split.key: split for split in totals_by_axis(rows)}
    assert list(by_axis) == ["Mobilités", "Santé", None]
    assert (by_axis["Mobilités"].amount, by_axis["Mobilités"].committed) == (Decimal("200100.50"), Decimal("1030.04"))
    assert by_axis["Santé"].remaining_after_planned == Decimal("297950.18")
    assert by_axis[None].committed == Decimal("400.04")

    total = totals(rows)
    assert (total.amount, total.committed, total.paid) == (
        Decimal("1500100.75"),
        Decimal("3430.10"),
        Decimal("2030.05"),
    )
    # The proposal without an envelope counts in the total, not in any year or axis.
    assert (total.planned, total.unassigned_planned) == (Decimal("110.11"), Decimal("60.06"))


def test_a_year_keeps_that_years_envelopes_and_the_proposals_not_yet_on_one(contract):
    first = contract.envelopes.get()
    later = EnvelopeFactory(contract=contract, year=first.year + 1, amount=Decimal("500.00"))
    granted(S.NOTIFIED, contract=contract, amount="100.00", envelope=later)
    proposed(S.SCHEDULED, contract=contract, amount="10.00", target=first)
    proposed(S.REVIEWED, contract=contract, amount="1.00")

    row = figures(contract, year=later.year)
    assert [line.envelope for line in row.envelopes] == [later]
    assert (row.amount, row.committed, row.planned, row.remaining_after_planned) == (
        Decimal("500.00"),
        Decimal("100.00"),
        Decimal("1.00"),
        Decimal("399.00"),
    )


# The contract's page ---------------------------------------------------------------------------------


def test_the_contract_page_shows_each_envelope_its_dossiers_and_the_proposals(client, contract, officer):
    first = contract.envelopes.get()
    mobility = EnvelopeFactory(contract=contract, year=None, axis="Mobilités", label="Axe mobilités")
    on_first = granted(S.PAID, contract=contract, amount="12345.67", envelope=first)
    payment(on_first, "12345.67", kind=PaymentKind.BALANCE)
    on_mobility = granted(S.NOTIFIED, contract=contract, amount="2000.00", envelope=mobility)
    lapsed = granted(S.NOTIFIED, contract=contract, amount="999.99", envelope=first)
    Dossier.objects.filter(pk=lapsed.pk).update(state=S.LAPSED)
    waiting = proposed(S.SCHEDULED, contract=contract, amount="4321.00", target=mobility)

    client.force_login(officer)
    response = client.get(reverse("envelopes:contract", args=[contract.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for dossier in (on_first, on_mobility, waiting):
        assert reverse("instruction:dossier_page", args=[dossier.pk]) in page
    assert lapsed.reference not in page
    assert "12\u202f345,67\u00a0€" in page and "4\u202f321,00\u00a0€" in page
    assert first.label in page and "Axe mobilités" in page and "Mobilités" in page
    lines = {line.envelope: line for line in response.context["row"].envelopes}
    assert lines[first].dossiers == [on_first] and lines[mobility].dossiers == [on_mobility]
    assert lines[first].dossiers[0].paid_amount == Decimal("12345.67")
    (proposal,) = response.context["proposals"]
    assert proposal.target_envelope == mobility


def test_the_contract_pages_dossier_lines_add_up_to_the_envelopes_figures(client, contract, officer):
    envelope = contract.envelopes.get()
    reduced = granted(S.PAID, contract=contract, amount="50000.00")
    Dossier.objects.filter(pk=reduced.pk).update(final_amount=Decimal("44000.00"))
    payment(reduced, "15000.00", kind=PaymentKind.ADVANCE)
    payment(reduced, "29000.00", kind=PaymentKind.BALANCE)
    running = granted(S.IN_PAYMENT, contract=contract, amount="10000.00")
    payment(running, "3000.00", kind=PaymentKind.ADVANCE)
    payment(running, "2000.00", state=RequestState.VALIDATED)
    lapsed_after_an_advance = granted(S.IN_PAYMENT, contract=contract, amount="8000.00")
    payment(lapsed_after_an_advance, "2400.00", kind=PaymentKind.ADVANCE)
    Dossier.objects.filter(pk=lapsed_after_an_advance.pk).update(state=S.LAPSED)
    lapsed_unpaid = granted(S.NOTIFIED, contract=contract, amount="999.99")
    Dossier.objects.filter(pk=lapsed_unpaid.pk).update(state=S.LAPSED)

    client.force_login(officer)
    response = client.get(reverse("envelopes:contract", args=[contract.pk]))
    (line,) = response.context["row"].envelopes
    assert line.envelope == envelope
    shown = {dossier.pk: (dossier.committed_amount, dossier.paid_amount) for dossier in line.dossiers}
    assert shown == {
        reduced.pk: (Decimal("44000.00"), Decimal("44000.00")),
        running.pk: (Decimal("10000.00"), Decimal("3000.00")),
        lapsed_after_an_advance.pk: (Decimal("0.00"), Decimal("2400.00")),
    }
    assert (line.committed, line.paid) == (Decimal("54000.00"), Decimal("49400.00"))
    assert sum(committed for committed, _ in shown.values()) == line.committed
    assert sum(paid for _, paid in shown.values()) == line.paid
    assert lapsed_unpaid.reference not in response.content.decode()


def test_the_contract_page_is_for_its_territorys_officers_and_the_region(client, contract, other_territory):
    url = reverse("envelopes:contract", args=[contract.pk])
    client.force_login(make_user(Role.OFFICER, territory=other_territory))
    assert client.get(url).status_code == 404
    sponsor = make_dossier(S.SUBMITTED, contract=contract).created_by
    client.force_login(sponsor)
    assert client.get(url).status_code in (403, 404)
    for role in (Role.FINANCE, Role.COMMITTEE_SECRETARY, Role.COMMITTEE_MEMBER, Role.ADMINISTRATOR):
        client.force_login(make_user(role))
        assert client.get(url).status_code == 200
    assert client.get(reverse("envelopes:contract", args=[contract.pk + 1000])).status_code == 404


# The region's page and its export ----------------------------------------------------------------------


def test_officers_see_their_territories_and_sponsors_nothing(client, contract, officer, other_territory):
    other = EnvelopeFactory(contract__territory=other_territory).contract
    assert list(contract_list_for_user(officer)) == [contract]
    assert set(contract_list_for_user(make_user(Role.FINANCE))) == {contract, other}

    client.force_login(officer)
    page = client.get(reverse("envelopes:index")).content.decode()
    assert contract.territory.name in page and other_territory.name not in page
    assert reverse("envelopes:contract", args=[contract.pk]) in page
    assert reverse("envelopes:contract", args=[other.pk]) not in page
    exported = client.get(reverse("envelopes:export"))
    territories = {row[1] for row in csv_rows(exported)[1:]}
    assert territories == {contract.territory.name}
    # Asking for the other territory does not widen the scope.
    page = client.get(reverse("envelopes:index"), {"territory": other_territory.pk}).content.decode()
    assert other_territory.name not in page

    sponsor = make_dossier(S.SUBMITTED, contract=contract).created_by
    client.force_login(sponsor)
    assert client.get(reverse("envelopes:index")).status_code in (403, 404)
    assert client.get(reverse("envelopes:export")).status_code in (403, 404)


def test_the_filters_narrow_the_contracts_and_invalid_values_are_ignored(client, contract, other_territory):
    other = ContractFactory(territory=other_territory, generation=Generation.G2018_2021)
    later = EnvelopeFactory(contract=other, year=contract.envelopes.get().year + 1)
    assert contract.territory.department_id != other_territory.department_id
    client.force_login(make_user(Role.FINANCE))

    def shown(**params):
        return {row.contract for row in client.get(reverse("envelopes:index"), params).context["rows"]}

    assert shown() == {contract, other}
    assert shown(department=other_territory.department_id) == {other}
    assert shown(territory=contract.territory_id) == {contract}
    assert shown(generation=Generation.G2018_2021) == {other}
    assert shown(year=later.year) == {other}
    assert shown(department="zzz", territory="abc", generation="1999", year="1800") == {contract, other}
    # A valid filter still applies next to an invalid one.
    assert shown(territory="abc", generation=Generation.G2023_2025) == {contract}


def test_the_export_is_a_french_spreadsheet_without_formulas(client, contract):
    territory = contract.territory
    territory.name = '=HYPERLINK("http://evil.example")'
    territory.save()
    envelope = contract.envelopes.get()
    envelope.label, envelope.axis, envelope.amount = "+SUM(A1)", "@axe", Decimal("1000.00")
    envelope.save()
    payment(granted(S.PAID, contract=contract, amount="1234.5"), "1234.5")
    proposed(S.SCHEDULED, contract=contract, amount="99999.99")
    client.force_login(make_user(Role.FINANCE))

    response = client.get(reverse("envelopes:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="enveloppes-')
    header, line, unassigned = csv_rows(response)
    assert len(header) == 14
    assert line[1] == '\'=HYPERLINK("http://evil.example")'
    with translation.override(settings.LANGUAGE_CODE):
        assert line[4:8] == ["'+SUM(A1)", str(envelope.year), "'@axe", translation.gettext("yes")]
    # Amount; planned; committed; paid; remaining; remaining after planned: numbers, negatives included.
    assert line[8:] == ["1000,00", "0,00", "1234,50", "1234,50", "-234,50", "-234,50"]
    assert unassigned[8:] == ["0,00", "99999,99", "0,00", "0,00", "0,00", "-99999,99"]

    # The export follows the page's filters.
    response = client.get(reverse("envelopes:export"), {"generation": Generation.G2018_2021})
    assert csv_rows(response)[1:] == []


# Queries -----------------------------------------------------------------------------------------------


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def test_the_region_page_and_export_run_the_same_number_of_queries_whatever_their_size(client):
    client.force_login(make_user(Role.FINANCE))
    urls = (reverse("envelopes:index"), reverse("envelopes:export"))
    EnvelopeFactory()
    small = [count_queries(client, url) for url in urls]
    for _ in range(3):
        contract = EnvelopeFactory(contract__territory=make_territory("Territoire X")).contract
        EnvelopeFactory(contract=contract, year=None, axis="Santé")
        make_dossier(S.NOTIFIED, contract=contract)
        payment(make_dossier(S.PAID, contract=contract), "100.00")
        make_dossier(S.SCHEDULED, contract=contract)
    assert [count_queries(client, url) for url in urls] == small
    assert [count_queries(client, url, {"year": "2000", "territory": "1"}) for url in urls] == small


def test_the_contract_page_runs_the_same_number_of_queries_whatever_its_size(client, contract, officer):
    client.force_login(officer)
    url = reverse("envelopes:contract", args=[contract.pk])
    make_dossier(S.NOTIFIED, contract=contract)
    small = count_queries(client, url)
    extra = EnvelopeFactory(contract=contract, year=None, axis="Santé")
    for state in (S.NOTIFIED, S.PAID, S.CLOSED, S.IN_PAYMENT, S.LAPSED):
        dossier = granted(state, contract=contract, amount="10.00", envelope=extra)
        payment(dossier, "1.00")
        payment(dossier, "2.00", state=RequestState.VALIDATED)
    proposed(S.SCHEDULED, contract=contract, amount="5.00", target=extra)
    proposed(S.SCHEDULED, contract=contract, amount="5.00")
    proposed(S.REVIEWED, contract=contract, amount="5.00")
    assert count_queries(client, url) == small
