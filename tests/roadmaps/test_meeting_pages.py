"""The follow-up meetings' pages: a representative prepares a meeting, the decisions recorded through the
page make one new version while the earlier ones stay readable, a refusal records nothing and says why,
nobody outside the territory reaches any of it, and the lists cost the same whatever their length."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from roadmaps import services
from roadmaps.meetings import meeting_update
from roadmaps.models import FollowUpMeeting, MeetingDecision, RoadmapOperation, RoadmapVersion
from roadmaps.services import Decision, NewOperation
from tests import factories
from tests.factories import make_user
from workflows.enums import Role

pytestmark = pytest.mark.django_db


def en(name, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def new_operation(title, year=2026, cost="500000", support="150000"):
    return NewOperation(
        title=title,
        theme=factories.theme(),
        estimated_cost=Decimal(cost),
        expected_support=Decimal(support),
        expected_year=year,
    )


@pytest.fixture
def roadmap(contract):
    return services.roadmap_for_contract(contract)


@pytest.fixture
def greenway(roadmap, officer):
    """Operation #1, expected in 2026 (version 1)."""
    return services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation("Voie verte"))


@pytest.fixture
def meeting(roadmap, officer, representative, greenway):
    return services.meeting_create(
        roadmap=roadmap,
        actor=representative,
        held_on=date(2026, 11, 20),
        participants=[officer, representative],
        agenda="Point d'étape",
    )


def decision_rows(*rows, extra=3):
    """The decisions formset's POST data: the rows given, then empty rows up to `extra` in all."""
    data = {"decision-TOTAL_FORMS": str(max(extra, len(rows))), "decision-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        data |= {f"decision-{index}-{name}": value for name, value in row.items()}
    return data


def test_a_representative_prepares_a_meeting_and_writes_its_minutes(client, contract, officer, representative):
    client.force_login(representative)
    form = client.get(en("meetings:create", contract.pk))
    assert form.status_code == 200
    assert {officer, representative} == set(form.context["form"].fields["participants"].queryset)

    created = client.post(
        en("meetings:create", contract.pk),
        {
            "held_on": "2026-11-20",
            "participants": [officer.pk, representative.pk],
            "partners": "Sous-préfecture",
            "agenda": "Avancement des opérations",
        },
    )
    meeting = FollowUpMeeting.objects.get()
    assert created.status_code == 302
    assert created["Location"] == en("meetings:detail", meeting.pk)
    assert (meeting.held_on, meeting.created_by, meeting.roadmap.contract) == (
        date(2026, 11, 20),
        representative,
        contract,
    )
    assert set(meeting.participants.all()) == {officer, representative}

    edited = client.post(
        en("meetings:edit", meeting.pk),
        {
            "held_on": "2026-11-21",
            "participants": [representative.pk],
            "partners": "Sous-préfecture",
            "agenda": "Avancement des opérations",
            "minutes": "Le comité valide le calendrier. <script>alert(1)</script>",
        },
    )
    assert edited.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.held_on, list(meeting.participants.all())) == (date(2026, 11, 21), [representative])
    page = client.get(en("meetings:detail", meeting.pk)).content.decode()
    assert "Le comité valide le calendrier." in page
    assert "<script>alert(1)</script>" not in page  # the minutes are escaped


def test_an_officer_records_two_decisions_as_one_new_version(client, roadmap, officer, meeting, greenway):
    client.force_login(officer)
    assert client.get(en("meetings:decisions", meeting.pk)).status_code == 200
    recorded = client.post(
        en("meetings:decisions", meeting.pk),
        decision_rows(
            {"kind": "postpone", "operation": greenway.pk, "expected_year": "2028", "decided_by": "Comité de suivi"},
            {
                "kind": "add",
                "title": "Piscine intercommunale",
                "theme": factories.theme().pk,
                "estimated_cost": "900000",
                "expected_support": "200000",
                "expected_year": "2027",
                "priority": "high",
                "sponsor_name": "Communauté de communes",
                "decided_by": "Président du PETR",
            },
        ),
    )

    assert recorded.status_code == 302
    assert list(RoadmapVersion.objects.filter(roadmap=roadmap).values_list("number", "meeting")) == [
        (2, meeting.pk),
        (1, None),
    ]
    assert [(d.kind, d.decided_by, d.recorded_by) for d in MeetingDecision.objects.order_by("id")] == [
        ("postpone", "Comité de suivi", officer),
        ("add", "Président du PETR", officer),
    ]
    assert RoadmapOperation.objects.get(pk=greenway.pk).expected_year == 2028
    detail = client.get(en("meetings:detail", meeting.pk)).content.decode()
    assert "Président du PETR" in detail and "Piscine intercommunale" in detail

    old = client.get(en("meetings:version", roadmap.contract_id, 1))
    assert [(row.title, dict(row.cells)["expected year"]) for row in old.context["operations"]] == [
        ("Voie verte", "2026")
    ]
    new = client.get(en("meetings:version", roadmap.contract_id, 2))
    diff = new.context["diff"]
    assert [row.title for row in diff.added] == ["Piscine intercommunale"]
    assert [(c.title, [(f.label, f.before, f.after) for f in c.fields]) for c in diff.changed] == [
        ("Voie verte", [("expected year", "2026", "2028")])
    ]


def test_the_version_page_shows_each_changed_field_before_and_after(client, roadmap, officer, meeting, greenway):
    services.meeting_record_decisions(
        meeting=meeting,
        actor=officer,
        decisions=[
            Decision(
                "modify_estimate",
                "Comité de suivi",
                greenway,
                {"estimated_cost": "650000", "expected_support": "180000"},
            )
        ],
    )
    client.force_login(officer)
    page = client.get(en("meetings:version", roadmap.contract_id, 2))
    content = page.content.decode()
    assert [(f.label, f.before, f.after) for f in page.context["diff"].changed[0].fields] == [
        ("estimated cost", "500\u202f000,00\u00a0€", "650\u202f000,00\u00a0€"),
        ("expected regional support", "150\u202f000,00\u00a0€", "180\u202f000,00\u00a0€"),
    ]
    assert (
        '<td class="diff-before">500\u202f000,00\u00a0€</td><td class="diff-after">650\u202f000,00\u00a0€</td>'
        in content
    )
    versions = client.get(en("meetings:versions", roadmap.contract_id))
    assert [version.number for version in versions.context["versions"]] == [2, 1]
    assert "Modify the estimate — #1 Voie verte" in versions.content.decode()


def test_a_refused_decision_records_nothing_and_says_why(client, roadmap, officer, meeting, greenway):
    client.force_login(officer)
    refused = client.post(
        en("meetings:decisions", meeting.pk),
        decision_rows(
            {
                "kind": "add",
                "title": "Piscine",
                "theme": factories.theme().pk,
                "estimated_cost": "900000",
                "expected_support": "200000",
                "expected_year": "2027",
                "decided_by": "Comité",
            },
            {"kind": "postpone", "operation": greenway.pk, "expected_year": "2025", "decided_by": "Comité"},
        ),
    )

    assert refused.status_code == 200
    assert "Postponing the operation #1 needs a year after 2026." in refused.content.decode()
    assert RoadmapVersion.objects.filter(roadmap=roadmap).count() == 1
    assert not MeetingDecision.objects.exists()
    assert list(RoadmapOperation.objects.values_list("title", "expected_year")) == [("Voie verte", 2026)]


def test_an_incomplete_row_records_nothing_and_names_the_row(client, roadmap, officer, meeting, greenway):
    client.force_login(officer)
    refused = client.post(
        en("meetings:decisions", meeting.pk),
        decision_rows(
            {"kind": "postpone", "operation": greenway.pk, "expected_year": "2028", "decided_by": "Comité"},
            {"kind": "abandon", "operation": greenway.pk, "decided_by": "Comité"},
        ),
    )
    assert refused.status_code == 200
    assert "Row 2: Reason (abandon): Needed for this decision." in refused.content.decode()
    assert RoadmapVersion.objects.filter(roadmap=roadmap).count() == 1
    assert RoadmapOperation.objects.get(pk=greenway.pk).expected_year == 2026


def test_a_participant_of_another_territory_is_refused(client, contract, representative, meeting, other_territory):
    outsider = make_user(Role.OFFICER, territory=other_territory)
    client.force_login(representative)

    created = client.post(en("meetings:create", contract.pk), {"held_on": "2026-12-01", "participants": [outsider.pk]})
    assert created.status_code == 200
    assert FollowUpMeeting.objects.count() == 1

    with pytest.raises(ValidationError) as refusal:
        meeting_update(
            meeting=meeting,
            actor=representative,
            held_on=date(2026, 12, 1),
            participants=[representative, outsider],
            partners="",
            agenda="",
            minutes="Relevé",
        )
    assert refusal.value.code == "participant_outside"
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.minutes) == (date(2026, 11, 20), "")
    assert outsider not in meeting.participants.all()


def test_nobody_outside_the_territory_reaches_the_meetings(client, roadmap, officer, meeting, other_territory):
    services.meeting_record_decisions(
        meeting=meeting,
        actor=officer,
        decisions=[Decision("postpone", "Comité", meeting.roadmap.operations.get(), {"expected_year": 2027})],
    )
    contract_pk = roadmap.contract_id
    urls = [
        en("meetings:create", contract_pk),
        en("meetings:detail", meeting.pk),
        en("meetings:edit", meeting.pk),
        en("meetings:decisions", meeting.pk),
        en("meetings:versions", contract_pk),
        en("meetings:version", contract_pk, 2),
    ]
    post = {
        "held_on": "2027-01-01",
        "minutes": "Changé",
        **decision_rows(
            {"kind": "abandon", "operation": meeting.roadmap.operations.get().pk, "reason": "x", "decided_by": "x"}
        ),
    }

    def state():
        meeting.refresh_from_db()
        return (
            meeting.held_on,
            meeting.minutes,
            FollowUpMeeting.objects.count(),
            RoadmapVersion.objects.count(),
            MeetingDecision.objects.count(),
            list(RoadmapOperation.objects.values_list("status", "expected_year")),
        )

    before = state()
    other_officer = make_user(Role.OFFICER, territory=other_territory)
    other_representative = make_user(Role.REPRESENTATIVE, territory=other_territory)
    sponsor = make_user(Role.SPONSOR, organisation=factories.OrganisationFactory())
    for user in (
        other_officer,
        other_representative,
        sponsor,
        make_user(Role.FINANCE),
        make_user(Role.COMMITTEE_SECRETARY),
    ):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
            assert client.post(url, post).status_code == 404, (user, url)
    assert state() == before

    for user in (sponsor, make_user(Role.FINANCE)):
        client.force_login(user)
        assert client.get(en("meetings:index")).status_code == 404
    client.force_login(other_officer)
    assert client.get(en("meetings:index")).context["meetings"] == []

    client.force_login(make_user(Role.ADMINISTRATOR))
    assert client.get(en("meetings:detail", meeting.pk)).status_code == 200


def test_the_meetings_list_runs_the_same_queries_with_2_or_10_meetings(
    client, roadmap, officer, representative, django_assert_num_queries
):
    def add(count):
        for day in range(count):
            meeting = services.meeting_create(
                roadmap=roadmap, actor=officer, held_on=date(2026, 1, 1 + day), participants=[officer, representative]
            )
            services.meeting_record_decisions(
                meeting=meeting,
                actor=officer,
                decisions=[Decision("add", "Comité", details={"operation": new_operation(f"Opération {day}")})],
            )

    client.force_login(representative)
    url = en("meetings:index")
    client.get(url)
    add(2)
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(url).context["meetings"]) == 2
    add(8)
    with django_assert_num_queries(len(queries)):
        meetings = client.get(url).context["meetings"]
    assert len(meetings) == 10
    assert meetings[0].held_on > meetings[-1].held_on  # newest first


def test_the_versions_list_runs_the_same_queries_with_2_or_10_versions(
    client, roadmap, officer, representative, django_assert_num_queries
):
    def add(count):
        for index in range(count):
            services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation(f"Opération {index}"))

    client.force_login(representative)
    url = en("meetings:versions", roadmap.contract_id)
    client.get(url)
    add(2)
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(url).context["versions"]) == 2
    add(8)
    with django_assert_num_queries(len(queries)):
        versions = client.get(url).context["versions"]
    assert [version.number for version in versions] == list(range(10, 0, -1))
