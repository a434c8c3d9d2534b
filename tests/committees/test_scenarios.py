"""Scenarios ("simulation") of an envelope ahead of a session: who sees and changes them, what saving
refuses, the figures to the cent (by theme, remaining room, average rate), the comparison, turning one
into a session's agenda with its amounts as the proposals, and the rule that a scenario never commits
money nor changes a dossier. The pages cost the same number of queries whatever their length."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from committees.models import AgendaItem, Scenario, ScenarioLine, SessionStatus
from committees.scenarios import (
    scenario_figures,
    scenario_list_for_user,
    scenario_save,
    scenario_to_agenda,
    scenarios_compare,
)
from dossiers.models import Dossier, Envelope, Theme
from tests.factories import EnvelopeFactory, make_dossier, make_session, make_user, snapshot
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent
from workflows.services import envelope_committed

S = DossierState
D = Decimal
pytestmark = pytest.mark.django_db
LIST_URL = reverse("scenarios:index")
NEW_URL = reverse("scenarios:scenario_create")
COMPARE_URL = reverse("scenarios:scenario_compare")


def url(name, scenario):
    return reverse(f"scenarios:{name}", args=[scenario.pk])


@pytest.fixture
def envelope(contract):
    return contract.envelopes.get()  # 1,000,000.00


@pytest.fixture
def mobility(db):
    return Theme.objects.get(code="mobilite")  # listed before "sante"


def reviewed(contract, *, theme=None, requested=None):
    """A reviewed dossier of `contract` (requested 80,000.00, base 200,000.00, proposal 80,000.00)."""
    dossier = make_dossier(S.REVIEWED, contract=contract)
    changes = {}
    if theme is not None:
        changes["theme"] = theme
    if requested is not None:
        changes["requested_amount"] = requested
    if changes:
        Dossier.objects.filter(pk=dossier.pk).update(**changes)
    return Dossier.objects.get(pk=dossier.pk)


def save(actor, envelope, lines, name="Hypothèse haute", **kwargs):
    return scenario_save(
        actor=actor,
        envelope=envelope,
        name=name,
        lines=[(d.pk, D(base), D(amount)) for d, base, amount in lines],
        **kwargs,
    )


def codes(error: ValidationError) -> set[str]:
    return {each.code for each in error.error_list}


def lines_of(scenario):
    return list(ScenarioLine.objects.filter(scenario=scenario).values_list("dossier_id", "eligible_base", "amount"))


# Who ------------------------------------------------------------------------------------------------


@pytest.fixture
def scenario(officer, envelope, contract):
    return save(officer, envelope, [(reviewed(contract), "200000.00", "80000.00")])


def test_an_officer_of_another_territory_gets_a_404_on_every_page_of_the_scenario(
    client, scenario, envelope, contract, other_territory
):
    stranger = make_user(Role.OFFICER, territory=other_territory)
    client.force_login(stranger)
    before = (lines_of(scenario), Scenario.objects.values_list("pk", "name", "session_id").get(pk=scenario.pk))
    dossier_id = lines_of(scenario)[0][0]

    listed = client.get(LIST_URL)
    assert listed.status_code == 200 and scenario.name not in listed.content.decode()
    for address in (
        url("scenario_detail", scenario),
        url("scenario_edit", scenario),
        f"{NEW_URL}?envelope={envelope.pk}",
        f"{NEW_URL}?from={scenario.pk}",
        f"{COMPARE_URL}?scenarios={scenario.pk}&scenarios={scenario.pk + 1}",
    ):
        assert client.get(address).status_code == 404, address
    for address, data in (
        (url("scenario_edit", scenario), {"name": "Pris", "dossiers": [dossier_id]}),
        (url("scenario_delete", scenario), {}),
        (url("scenario_to_agenda", scenario), {"session": make_session().pk}),
        (NEW_URL, {"envelope": envelope.pk, "name": "Pris", "dossiers": [dossier_id]}),
    ):
        assert client.post(address, data).status_code == 404, address
    assert (lines_of(scenario), Scenario.objects.values_list("pk", "name", "session_id").get(pk=scenario.pk)) == before
    assert Scenario.objects.count() == 1


def test_an_officer_cannot_save_a_scenario_over_an_envelope_of_another_territory(envelope, contract, other_territory):
    stranger = make_user(Role.OFFICER, territory=other_territory)

    with pytest.raises(PermissionDenied):
        save(stranger, envelope, [(reviewed(contract), "200000.00", "80000.00")])
    assert not Scenario.objects.exists()


@pytest.mark.parametrize("role", [Role.SPONSOR, Role.FINANCE, Role.COMMITTEE_MEMBER, Role.ADVISER])
def test_other_roles_get_nothing(client, scenario, envelope, role):
    user = make_user(role)
    client.force_login(user)

    assert not scenario_list_for_user(user).exists()
    for address in (LIST_URL, url("scenario_detail", scenario), f"{NEW_URL}?envelope={envelope.pk}"):
        assert client.get(address).status_code in (403, 404), address
    assert client.post(url("scenario_delete", scenario)).status_code in (403, 404)
    assert Scenario.objects.filter(pk=scenario.pk).exists()


@pytest.mark.parametrize("role", [Role.COMMITTEE_SECRETARY, Role.ADMINISTRATOR])
def test_the_secretariat_and_administrators_see_every_scenario(client, scenario, role):
    client.force_login(make_user(role))

    assert scenario.name in client.get(LIST_URL).content.decode()
    assert client.get(url("scenario_detail", scenario)).status_code == 200
    assert client.get(url("scenario_edit", scenario)).status_code == 200


def test_a_colleague_sees_and_copies_a_scenario_but_only_its_author_changes_or_deletes_it(
    client, scenario, territory, officer
):
    colleague = make_user(Role.OFFICER, territory=territory)
    client.force_login(colleague)

    assert client.get(url("scenario_detail", scenario)).status_code == 200
    copy = client.get(f"{NEW_URL}?from={scenario.pk}")
    name = copy.context["form"].initial["name"]
    assert copy.status_code == 200 and scenario.name in name and name != scenario.name  # "Copy of …"
    assert [row.included for row in copy.context["rows"]] == [True]
    assert client.get(url("scenario_edit", scenario)).status_code == 403
    assert client.post(url("scenario_delete", scenario)).status_code == 403

    client.force_login(officer)
    assert client.post(url("scenario_delete", scenario)).status_code == 302
    assert not Scenario.objects.exists()


# Saving ---------------------------------------------------------------------------------------------


def test_saving_replaces_the_lines_and_rounds_amounts_half_up_to_the_cent(officer, envelope, contract):
    first, second = reviewed(contract), reviewed(contract)
    scenario = save(officer, envelope, [(first, "200000.00", "80000.00")])

    save(officer, envelope, [(second, "150000.004", "100.005")], name="Hypothèse basse", scenario=scenario)

    scenario.refresh_from_db()
    assert scenario.name == "Hypothèse basse" and scenario.created_by == officer
    assert lines_of(scenario) == [(second.pk, D("150000.00"), D("100.01"))]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ({"amount": "0"}, "amount_not_positive"),
        ({"amount": "-5"}, "amount_not_positive"),
        ({"base": "0"}, "base_not_positive"),
        ({"amount": "80000.01", "base": "300000"}, "amount_above_requested"),
        ({"amount": "60000.01", "base": "60000"}, "amount_above_base"),
    ],
)
def test_saving_refuses_an_amount_outside_its_bounds(officer, envelope, contract, line, code):
    dossier = reviewed(contract)  # requested 80,000.00

    with pytest.raises(ValidationError) as refusal:
        save(officer, envelope, [(dossier, line.get("base", "200000"), line.get("amount", "80000"))])

    assert code in codes(refusal.value)
    assert dossier.reference in " ".join(refusal.value.messages)
    assert not Scenario.objects.exists()


@pytest.mark.parametrize("state", [S.UNDER_REVIEW, S.SCHEDULED, S.APPROVED, S.WITHDRAWN])
def test_saving_refuses_a_dossier_that_is_not_reviewed(officer, envelope, contract, state):
    dossier = make_dossier(state, contract=contract)

    with pytest.raises(ValidationError) as refusal:
        save(officer, envelope, [(dossier, "200000", "80000")])

    assert codes(refusal.value) == {"not_reviewed"}
    assert not Scenario.objects.exists()


def test_saving_refuses_a_dossier_of_another_contract_a_closed_envelope_and_a_turned_scenario(
    officer, envelope, contract, territory, secretary
):
    other_contract = EnvelopeFactory(contract__territory=territory, contract__generation="2018-2021").contract
    with pytest.raises(ValidationError) as refusal:
        save(officer, envelope, [(reviewed(other_contract), "200000", "80000")])
    assert codes(refusal.value) == {"not_of_contract"}

    Envelope.objects.filter(pk=envelope.pk).update(is_open=False)
    envelope.refresh_from_db()
    with pytest.raises(ValidationError) as refusal:
        save(officer, envelope, [(reviewed(contract), "200000", "80000")])
    assert codes(refusal.value) == {"envelope_closed"}
    assert not Scenario.objects.exists()


def test_a_scenario_turned_into_an_agenda_is_no_longer_changed(client, scenario, officer, envelope, contract):
    Scenario.objects.filter(pk=scenario.pk).update(session=make_session())

    with pytest.raises(ValidationError) as refusal:
        save(officer, envelope, [(reviewed(contract), "200000", "80000")], scenario=scenario)
    assert codes(refusal.value) == {"already_turned"}
    client.force_login(officer)
    assert client.get(url("scenario_edit", scenario))["Location"] == url("scenario_detail", scenario)


def test_a_scenario_never_commits_money_nor_changes_a_dossier(officer, envelope, contract):
    make_dossier(S.NOTIFIED, contract=contract)  # commits 80,000.00
    dossiers = [reviewed(contract) for _ in range(3)]
    committed = envelope_committed(envelope)
    before = [snapshot(dossier.pk) for dossier in dossiers]
    events = AuditEvent.objects.count()

    scenario = save(officer, envelope, [(d, "200000.00", "79999.99") for d in dossiers])
    save(officer, envelope, [(dossiers[0], "100000.00", "50000.00")], scenario=scenario)
    save(officer, envelope, [(d, "200000.00", "80000.00") for d in dossiers], name="Copie")

    assert envelope_committed(envelope) == committed == D("80000.00")
    assert [snapshot(dossier.pk) for dossier in dossiers] == before
    assert AuditEvent.objects.count() == events
    assert not AgendaItem.objects.filter(dossier__in=dossiers).exists()


# Figures --------------------------------------------------------------------------------------------


@pytest.fixture
def three_lines(officer, envelope, contract, mobility):
    make_dossier(S.NOTIFIED, contract=contract)  # commits 80,000.00 on the envelope
    make_dossier(S.LAPSED, contract=contract)  # released: commits nothing
    health = [reviewed(contract), reviewed(contract)]
    transport = reviewed(contract, theme=mobility)
    return save(
        officer,
        envelope,
        [
            (health[0], "200000.00", "80000.00"),
            (health[1], "123456.78", "49382.71"),
            (transport, "50000.00", "12500.50"),
        ],
    )


def test_the_figures_add_up_to_the_cent_by_theme_with_the_remaining_room(three_lines):
    figures = scenario_figures(three_lines)

    assert figures.total == D("141883.21")
    assert figures.committed == D("80000.00")
    assert figures.room_before == D("920000.00")
    assert figures.remaining == D("778116.79")  # 1,000,000.00 − 80,000.00 − 141,883.21
    assert not figures.exceeds and figures.overrun == D("0")
    assert [(t.theme.code, t.amount, t.count) for t in figures.themes] == [
        ("mobilite", D("12500.50"), 1),
        ("sante", D("129382.71"), 2),
    ]
    assert figures.rate == D("141883.21") / D("373456.78")


def test_a_scenario_may_exceed_the_envelope_and_the_page_says_by_how_much(client, three_lines, envelope, officer):
    Envelope.objects.filter(pk=envelope.pk).update(amount=D("150000.00"))
    scenario = Scenario.objects.get(pk=three_lines.pk)

    figures = scenario_figures(scenario)

    assert figures.remaining == D("-71883.21") and figures.exceeds and figures.overrun == D("71883.21")
    client.force_login(officer)
    html = client.get(url("scenario_detail", scenario)).content.decode()
    assert "71\u202f883,21\xa0€" in html and "-71\u202f883,21\xa0€" in html
    assert "129\u202f382,71\xa0€" in html and "12\u202f500,50\xa0€" in html


# Comparing ------------------------------------------------------------------------------------------


def test_scenarios_of_one_envelope_are_compared_side_by_side(client, officer, envelope, contract, mobility):
    shared, high, transport = reviewed(contract), reviewed(contract), reviewed(contract, theme=mobility)
    low = save(officer, envelope, [(shared, "200000", "60000"), (transport, "50000", "10000")], name="Basse")
    top = save(officer, envelope, [(shared, "200000", "80000"), (high, "200000", "80000")], name="Haute")

    comparison = scenarios_compare([low, top])

    assert [(f.total, f.remaining) for f in comparison.figures] == [
        (D("70000.00"), D("930000.00")),
        (D("160000.00"), D("840000.00")),
    ]
    rows = {dossier.pk: [line and line.amount for line in lines] for dossier, lines in comparison.dossiers}
    assert rows == {
        shared.pk: [D("60000.00"), D("80000.00")],
        high.pk: [None, D("80000.00")],
        transport.pk: [D("10000.00"), None],
    }
    themes = {
        theme.code: [total and (total.amount, total.count) for total in totals] for theme, totals in comparison.themes
    }
    assert themes == {"sante": [(D("60000.00"), 1), (D("160000.00"), 2)], "mobilite": [(D("10000.00"), 1), None]}

    client.force_login(officer)
    html = client.get(f"{COMPARE_URL}?scenarios={low.pk}&scenarios={top.pk}").content.decode()
    for text in ("Basse", "Haute", high.reference, "930\u202f000,00\xa0€", "840\u202f000,00\xa0€"):
        assert text in html


def test_only_scenarios_of_the_same_envelope_are_compared(client, officer, envelope, contract, territory):
    other_envelope = EnvelopeFactory(contract=contract, year=2099, label="AP 2099")
    first = save(officer, envelope, [(reviewed(contract), "200000", "80000")])
    second = save(officer, other_envelope, [(reviewed(contract), "200000", "80000")])

    with pytest.raises(ValidationError) as refusal:
        scenarios_compare([first, second])
    assert refusal.value.code == "several_envelopes"
    with pytest.raises(ValidationError):
        scenarios_compare([first])

    client.force_login(officer)
    response = client.get(f"{COMPARE_URL}?scenarios={first.pk}&scenarios={second.pk}")
    assert response.status_code == 200 and response.context["error"]


# Turning a scenario into an agenda ------------------------------------------------------------------


def test_turning_a_scenario_puts_its_dossiers_on_the_agenda_with_its_amounts(officer, secretary, envelope, contract):
    make_dossier(S.NOTIFIED, contract=contract)
    first, second = reviewed(contract), reviewed(contract)
    withdrawn, shrunk = reviewed(contract), reviewed(contract)
    scenario = save(
        officer,
        envelope,
        [
            (first, "150000.00", "45000.50"),
            (second, "200000.00", "80000.00"),
            (withdrawn, "200000.00", "80000.00"),
            (shrunk, "200000.00", "70000.00"),
        ],
    )
    Dossier.objects.filter(pk=withdrawn.pk).update(state=S.WITHDRAWN)
    Dossier.objects.filter(pk=shrunk.pk).update(requested_amount=D("60000.00"))  # below the scenario's amount
    refused_before = [snapshot(withdrawn.pk), snapshot(shrunk.pk)]
    committed = envelope_committed(envelope)
    session = make_session()

    report = scenario_to_agenda(scenario=scenario, session=session, actor=secretary)

    assert [d.pk for d in report.scheduled] == [first.pk, second.pk]
    assert [d.pk for d, _reason in report.refused] == [withdrawn.pk, shrunk.pk]
    assert str(S.WITHDRAWN.label) in report.refused[0][1] and "60\u202f000,00\xa0€" in report.refused[1][1]
    items = AgendaItem.objects.filter(session=session).order_by("position")
    assert [(i.dossier_id, i.proposed_amount, i.eligible_base, i.envelope_id) for i in items] == [
        (first.pk, D("45000.50"), D("150000.00"), envelope.pk),
        (second.pk, D("80000.00"), D("200000.00"), envelope.pk),
    ]
    assert list(Dossier.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", "proposed_amount")) in (
        [(S.SCHEDULED, D("45000.50")), (S.SCHEDULED, D("80000.00"))],
        [(S.SCHEDULED, D("80000.00")), (S.SCHEDULED, D("45000.50"))],
    )
    assert [snapshot(withdrawn.pk), snapshot(shrunk.pk)] == refused_before
    assert envelope_committed(envelope) == committed  # the agenda commits nothing either
    scenario.refresh_from_db()
    assert scenario.session == session and scenario.turned_at is not None
    assert AuditEvent.objects.filter(kind=AuditKind.TRANSITION, transition="schedule").count() == 2

    with pytest.raises(ValidationError) as again:
        scenario_to_agenda(scenario=scenario, session=make_session(), actor=secretary)
    assert again.value.code == "already_turned"


def test_a_scenario_none_of_whose_dossiers_go_on_the_agenda_stays_unturned(officer, secretary, envelope, contract):
    dossier = reviewed(contract)
    scenario = save(officer, envelope, [(dossier, "200000", "80000")])
    Dossier.objects.filter(pk=dossier.pk).update(state=S.WITHDRAWN)

    report = scenario_to_agenda(scenario=scenario, session=make_session(), actor=secretary)

    assert report.scheduled == [] and len(report.refused) == 1
    scenario.refresh_from_db()
    assert scenario.session is None and scenario.turned_at is None


def test_only_the_secretariat_turns_a_scenario_and_only_into_an_open_agenda(
    client, officer, secretary, scenario, envelope
):
    with pytest.raises(PermissionDenied):
        scenario_to_agenda(scenario=scenario, session=make_session(), actor=officer)
    with pytest.raises(ValidationError) as refusal:
        scenario_to_agenda(scenario=scenario, session=make_session(status=SessionStatus.HELD), actor=secretary)
    assert refusal.value.code == "session_closed_for_agenda"

    client.force_login(officer)
    assert client.post(url("scenario_to_agenda", scenario), {"session": make_session().pk}).status_code == 403
    assert not AgendaItem.objects.exists()


def test_the_secretary_turns_a_scenario_from_its_page_and_reads_what_went_on_and_what_did_not(
    client, officer, secretary, envelope, contract
):
    going, withdrawn = reviewed(contract), reviewed(contract)
    scenario = save(officer, envelope, [(going, "200000", "50000"), (withdrawn, "200000", "80000")])
    Dossier.objects.filter(pk=withdrawn.pk).update(state=S.WITHDRAWN)
    session = make_session()
    client.force_login(secretary)
    assert f'<option value="{session.pk}"' in client.get(url("scenario_detail", scenario)).content.decode()

    response = client.post(url("scenario_to_agenda", scenario), {"session": session.pk}, follow=True)

    texts = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert texts[0][0] == "success" and going.reference in texts[0][1]
    assert texts[1][0] == "error" and withdrawn.reference in texts[1][1]
    assert AgendaItem.objects.get(session=session).proposed_amount == D("50000.00")


# The pages ------------------------------------------------------------------------------------------


def test_the_edit_page_saves_what_was_typed_in_french_or_with_a_dot(client, officer, envelope, contract):
    first, second, left = reviewed(contract), reviewed(contract), reviewed(contract)
    client.force_login(officer)
    page = client.get(f"{NEW_URL}?envelope={envelope.pk}")
    assert [row.dossier.pk for row in page.context["rows"]] == sorted(
        [first.pk, second.pk, left.pk], key=lambda pk: Dossier.objects.get(pk=pk).reference
    )
    assert 'value="200000,00"' in page.content.decode() and 'value="40"' in page.content.decode()

    response = client.post(
        NEW_URL,
        {
            "envelope": envelope.pk,
            "name": "Programmation de juin",
            "note": "<b>à voir</b>",
            "dossiers": [first.pk, second.pk],
            f"base-{first.pk}": "200 000,00",
            f"amount-{first.pk}": "60\u202f000,50 €",
            f"base-{second.pk}": "150000.00",
            f"amount-{second.pk}": "30000.4",
            f"base-{left.pk}": "not read",
            f"amount-{left.pk}": "",
        },
    )

    scenario = Scenario.objects.get()
    assert response.status_code == 302 and response["Location"] == url("scenario_detail", scenario)
    assert sorted(lines_of(scenario)) == sorted(
        [(first.pk, D("200000.00"), D("60000.50")), (second.pk, D("150000.00"), D("30000.40"))]
    )
    html = client.get(url("scenario_detail", scenario)).content.decode()
    assert "&lt;b&gt;à voir&lt;/b&gt;" in html and "<b>à voir" not in html


def test_the_edit_page_shows_every_refusal_and_keeps_what_was_typed(client, officer, envelope, contract):
    above, unreadable = reviewed(contract), reviewed(contract)
    client.force_login(officer)

    response = client.post(
        NEW_URL,
        {
            "envelope": envelope.pk,
            "name": "Essai",
            "dossiers": [above.pk, unreadable.pk],
            f"base-{above.pk}": "200000",
            f"amount-{above.pk}": "90000",
            f"base-{unreadable.pk}": "deux cents",
            f"amount-{unreadable.pk}": "1",
        },
    )
    assert response.status_code == 200
    assert [row.invalid for row in response.context["rows"] if row.dossier.pk == unreadable.pk] == [True]
    assert 'value="deux cents"' in response.content.decode()

    response = client.post(
        NEW_URL,
        {
            "envelope": envelope.pk,
            "name": "Essai",
            "dossiers": [above.pk],
            f"base-{above.pk}": "200000",
            f"amount-{above.pk}": "90000",
        },
    )
    assert response.status_code == 200
    assert any(above.reference in error for error in response.context["errors"])
    assert [row.invalid for row in response.context["rows"] if row.dossier.pk == above.pk] == [True]
    assert not Scenario.objects.exists()


def test_the_edit_page_saves_a_copy_as_a_new_scenario(client, officer, scenario, envelope):
    dossier_id = lines_of(scenario)[0][0]
    client.force_login(officer)

    client.post(
        url("scenario_edit", scenario),
        {
            "name": "Variante",
            "dossiers": [dossier_id],
            f"base-{dossier_id}": "200000",
            f"amount-{dossier_id}": "70000",
            "save_as_new": "",
        },
    )

    assert Scenario.objects.count() == 2
    copy = Scenario.objects.exclude(pk=scenario.pk).get()
    assert copy.name == "Variante" and lines_of(copy) == [(dossier_id, D("200000.00"), D("70000.00"))]
    assert lines_of(scenario)[0][2] == D("80000.00")


def count_queries(client, address):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_number_of_queries_with_3_or_30_scenarios(client, officer, envelope, contract):
    dossiers = [reviewed(contract) for _ in range(3)]
    for index in range(3):
        save(officer, envelope, [(d, "200000", "80000") for d in dossiers], name=f"S{index}")
    client.force_login(officer)
    small = count_queries(client, LIST_URL)

    for index in range(27):
        save(officer, envelope, [(d, "200000", "80000") for d in dossiers[: index % 3 + 1]], name=f"T{index}")
    EnvelopeFactory(contract=contract, year=2099, label="AP 2099")
    assert count_queries(client, LIST_URL) == small


def test_the_edit_and_detail_pages_cost_the_same_number_of_queries_with_3_or_30_dossiers(
    client, officer, envelope, contract, mobility
):
    dossiers = [reviewed(contract, theme=mobility if index % 2 else None) for index in range(3)]
    scenario = save(officer, envelope, [(d, "200000", "80000") for d in dossiers])
    client.force_login(officer)
    small = [count_queries(client, url(name, scenario)) for name in ("scenario_edit", "scenario_detail")]
    new_small = count_queries(client, f"{NEW_URL}?envelope={envelope.pk}&from={scenario.pk}")

    dossiers += [reviewed(contract, theme=mobility if index % 2 else None) for index in range(27)]
    save(officer, envelope, [(d, "200000", "80000") for d in dossiers], scenario=scenario)
    make_dossier(S.NOTIFIED, contract=contract)
    assert [count_queries(client, url(name, scenario)) for name in ("scenario_edit", "scenario_detail")] == small
    assert count_queries(client, f"{NEW_URL}?envelope={envelope.pk}&from={scenario.pk}") == new_small
