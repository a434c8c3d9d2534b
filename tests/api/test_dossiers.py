"""Dossiers through the API: scoped exactly as in the web UI, read-only fields, and the lifecycle's
transitions as actions (403 permission, 409 state, 400 payload, 404 out of scope; a refusal changes
nothing)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.status import STATUS

from api.serializers.transitions import FormPayloadSerializer
from api.views.transitions import INDIRECT, ROUTES
from committees.models import SessionStatus
from dossiers.models import Dossier
from dossiers.selectors import dossier_list_for_user
from tests.factories import ContractFactory, make_dossier, make_draft, make_session, make_user
from workflows.enums import AuditKind, DossierState, Role
from workflows.flows import DossierFlow
from workflows.forms import ACTIONS
from workflows.instruction import task_take
from workflows.lifecycle import TRANSITIONS
from workflows.models import AuditEvent
from workflows.processes import start_instruction

pytestmark = pytest.mark.django_db

S = DossierState


def url(dossier, name=None):
    base = f"/api/v1/dossiers/{dossier.pk}/"
    return f"{base}transitions/{name}/" if name else base


@pytest.fixture
def submitted(contract, django_capture_on_commit_callbacks):
    """A submitted dossier of `contract` whose instruction process waits in the territory's queue."""
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    with django_capture_on_commit_callbacks(execute=True):
        start_instruction(dossier)
    return dossier


def state_of(dossier):
    """Everything a refusal must leave as it was: the dossier's row and its transitions' audit."""
    row = Dossier.objects.filter(pk=dossier.pk).values().get()
    events = list(AuditEvent.objects.filter(dossier=dossier, kind=AuditKind.TRANSITION).values_list("pk", "transition"))
    tasks = list(dossier_tasks(dossier).values_list("pk", "status", "owner_id"))
    return row, events, tasks


def dossier_tasks(dossier):
    from workflows.instruction import dossier_tasks as tasks

    return tasks().filter(process__artifact_object_id=dossier.pk)


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# Scope ---------------------------------------------------------------------------------------------


def test_a_sponsor_sees_only_their_organisations_dossiers(api, contract):
    mine = make_dossier(S.SUBMITTED, contract=contract)
    draft = make_draft(organisation=mine.organisation, contract=contract, creator=mine.created_by)
    make_dossier(S.SUBMITTED, contract=contract)  # another sponsor's, same territory
    client = api(mine.created_by)
    assert ids(client.get("/api/v1/dossiers/")) == {mine.pk, draft.pk}


def test_an_officer_sees_exactly_the_web_uis_scope(api, officer, contract, other_territory):
    mine = [make_dossier(S.SUBMITTED, contract=contract), make_dossier(S.REVIEWED, contract=contract)]
    make_dossier(S.SUBMITTED, contract=ContractFactory(territory=other_territory))
    listed = ids(api(officer).get("/api/v1/dossiers/"))
    assert listed == {d.pk for d in mine} == set(dossier_list_for_user(officer).values_list("pk", flat=True))


def test_another_territorys_officer_gets_404_on_the_detail_and_the_transitions_and_nothing_changes(
    api, stranger, submitted
):
    before = state_of(submitted)
    client = api(stranger)
    assert client.get(url(submitted)).status_code == 404
    for name in ("declare_admissible", "withdraw", "no_such_transition"):
        response = client.post(url(submitted, name), {"comment": "x"}, format="json")
        assert response.status_code == 404, response.content
        assert submitted.reference not in response.content.decode()
    assert ids(client.get("/api/v1/dossiers/")) == set()
    assert state_of(submitted) == before
    assert not AuditEvent.objects.filter(dossier=submitted, actor=stranger).exists()


def test_the_detail_lists_the_transitions_the_caller_may_fire_now(api, officer, submitted):
    body = api(officer).get(url(submitted)).json()
    assert {t["name"] for t in body["transitions"]} == {
        "declare_admissible",
        "declare_incomplete",
        "declare_inadmissible",
    }
    assert {t["label"] for t in body["transitions"]} >= {str(TRANSITIONS["declare_admissible"].label)}
    sponsor_view = api(submitted.created_by).get(url(submitted)).json()
    assert [t["name"] for t in sponsor_view["transitions"]] == ["withdraw"]


def test_an_instruction_step_held_by_a_colleague_is_not_offered(api, officer, contract, submitted):
    colleague = make_user(Role.OFFICER, territory=contract.territory)
    task = dossier_tasks(submitted).get(flow_task=DossierFlow.check_completeness)
    task_take(task=task, actor=colleague)
    assert api(officer).get(url(submitted)).json()["transitions"] == []
    before = state_of(submitted)
    response = api(officer).post(url(submitted, "declare_admissible"), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "task_taken")
    assert state_of(submitted) == before


# Transitions --------------------------------------------------------------------------------------


def test_every_transition_is_either_fired_here_or_said_to_be_fired_elsewhere():
    assert set(ROUTES) | set(INDIRECT) == set(TRANSITIONS)
    assert not set(ROUTES) & set(INDIRECT)


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_the_web_uis_actions_are_validated_by_their_form(name):
    payload = ROUTES[name].payload
    assert issubclass(payload, FormPayloadSerializer)
    assert payload.form_class is ACTIONS[name][0]
    assert set(payload().fields) == set(payload.form_class.base_fields)


def test_an_officer_declares_a_dossier_admissible_through_the_api(api, officer, submitted):
    response = api(officer).post(url(submitted, "declare_admissible"), {"comment": "Complet."}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["state"]) == (submitted.pk, S.ADMISSIBLE)
    assert Dossier.objects.get(pk=submitted.pk).state == S.ADMISSIBLE
    event = AuditEvent.objects.get(dossier=submitted, kind=AuditKind.TRANSITION)
    assert (event.transition, event.actor, event.from_state, event.to_state, event.comment) == (
        "declare_admissible",
        officer,
        S.SUBMITTED,
        S.ADMISSIBLE,
        "Complet.",
    )
    # Done as the instruction's task: the process moved on to the review, in the territory's queue.
    completeness = dossier_tasks(submitted).get(flow_task=DossierFlow.check_completeness)
    assert (completeness.status, completeness.owner) == (STATUS.DONE, officer)
    assert dossier_tasks(submitted).get(flow_task=DossierFlow.instruct).status == STATUS.NEW
    assert {t["name"] for t in body["transitions"]} == {"start_review", "declare_inadmissible"}


def test_a_transition_the_state_does_not_allow_is_a_409_with_its_code(api, officer, contract):
    dossier = make_dossier(S.REVIEWED, contract=contract)
    before = state_of(dossier)
    response = api(officer).post(url(dossier, "declare_admissible"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert response.json()["detail"]
    assert state_of(dossier) == before


def test_a_transition_the_role_does_not_allow_is_a_403_with_its_code(api, submitted):
    before = state_of(submitted)
    response = api(submitted.created_by).post(url(submitted, "declare_admissible"), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert state_of(submitted) == before


def test_an_unknown_transition_is_a_404_with_its_code(api, officer, submitted):
    response = api(officer).post(url(submitted, "teleport"), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "unknown_transition")


def test_a_decision_of_the_committee_is_not_fired_here(api, secretary, contract):
    dossier = make_dossier(S.SCHEDULED, contract=contract)
    before = state_of(dossier)
    response = api(secretary).post(url(dossier, "approve"), {"amount": "1000"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "indirect_transition")
    assert state_of(dossier) == before


def test_a_bad_payload_is_a_400_with_the_field_errors_and_changes_nothing(api, officer, submitted):
    before = state_of(submitted)
    client = api(officer)
    response = client.post(url(submitted, "declare_incomplete"), {"pieces_due_on": "not a date"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"missing", "pieces_due_on"}
    assert state_of(submitted) == before


def test_a_refusal_of_the_service_on_the_payload_is_a_400_and_the_task_goes_back_to_the_queue(api, officer, submitted):
    before = state_of(submitted)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = api(officer).post(
        url(submitted, "declare_incomplete"), {"missing": "Le RIB.", "pieces_due_on": yesterday}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_due_date")
    assert state_of(submitted) == before
    # The house rule: the service records its refusal in the audit trail.
    assert AuditEvent.objects.get(dossier=submitted, kind=AuditKind.REFUSAL).reason_code == "invalid_due_date"


def test_the_web_uis_form_validates_the_schedules_session(api, secretary, contract):
    dossier = make_dossier(S.REVIEWED, contract=contract)
    closed = make_session(status=SessionStatus.CLOSED)
    before = state_of(dossier)
    client = api(secretary)
    for payload in ({}, {"session": closed.pk}):
        response = client.post(url(dossier, "schedule"), payload, format="json")
        assert response.status_code == 400
        assert "session" in response.json()["errors"]
    assert state_of(dossier) == before
    session = make_session()
    response = client.post(url(dossier, "schedule"), {"session": session.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == S.SCHEDULED
    assert dossier.agenda_items.get().session == session


def test_a_sponsor_submits_a_draft_and_a_refusal_of_the_rules_is_a_409_with_their_codes(api, contract):
    draft = make_draft(contract=contract, pieces=False)
    client = api(draft.created_by)
    before = state_of(draft)
    response = client.post(url(draft, "submit"), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "missing_pieces")
    assert state_of(draft) == before
    ready = make_draft(contract=contract, organisation=draft.organisation, creator=draft.created_by)
    response = client.post(url(ready, "submit"), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == S.SUBMITTED
    assert response.json()["reference"] == ready.reference


def test_the_proposal_is_recorded_through_the_api(api, officer, submitted):
    client = api(officer)
    assert client.post(url(submitted, "declare_admissible"), {}, format="json").status_code == 200
    assert client.post(url(submitted, "start_review"), {}, format="json").status_code == 200
    response = client.post(
        url(submitted, "complete_review"),
        {"eligible_base": "150000.00", "proposed_amount": "60000.00", "comment": "Avis favorable."},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["eligible_base"], body["proposed_amount"]) == (S.REVIEWED, "150000.00", "60000.00")


# Read-only ---------------------------------------------------------------------------------------


def test_a_submitted_dossier_is_written_only_by_its_transitions(api, submitted):
    before = state_of(submitted)
    client = api(submitted.created_by)
    payload = {"state": S.APPROVED, "granted_amount": "1000000.00", "title": "X"}
    for method in ("put", "delete"):  # never replaced whole nor deleted (withdraw is a transition)
        assert getattr(client, method)(url(submitted), payload, format="json").status_code == 405
    response = client.patch(url(submitted), payload, format="json")  # edits are for drafts only
    assert (response.status_code, response.json()["code"]) == (409, "invalid_state")
    assert state_of(submitted) == before


def test_the_fields_the_procedure_sets_are_read_only():
    from api.serializers.dossiers import DossierDetailSerializer

    fields = DossierDetailSerializer().fields
    for name in (
        "state",
        "reference",
        "territory",
        "granted_amount",
        "proposed_amount",
        "eligible_base",
        "decided_at",
        "notified_on",
        "final_amount",
        "submitted_at",
        "envelope",
        "transitions",
    ):
        assert fields[name].read_only, name


# Lists --------------------------------------------------------------------------------------------


def test_the_list_runs_a_constant_number_of_queries(api, officer, contract, django_assert_num_queries):
    client = api(officer)
    for _ in range(2):
        make_dossier(S.SUBMITTED, contract=contract)
    client.get("/api/v1/dossiers/")  # the user's roles and territories are read once per request
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/dossiers/").json()["results"]) == 2
    for _ in range(18):
        make_dossier(S.SUBMITTED, contract=contract)
    with django_assert_num_queries(len(few)):
        assert len(client.get("/api/v1/dossiers/").json()["results"]) == 20


def test_the_list_filters_and_orders(api, officer, contract):
    small = make_dossier(S.SUBMITTED, contract=contract)
    big = make_dossier(S.REVIEWED, contract=contract)
    Dossier.objects.filter(pk=big.pk).update(
        requested_amount=Decimal("150000.00"), submitted_at=timezone.now() - timedelta(days=200)
    )
    client = api(officer)
    assert ids(client.get("/api/v1/dossiers/", {"state": S.REVIEWED})) == {big.pk}
    assert ids(client.get("/api/v1/dossiers/", {"state": [S.REVIEWED, S.SUBMITTED]})) == {small.pk, big.pk}
    assert ids(client.get("/api/v1/dossiers/", {"requested_min": "100000"})) == {big.pk}
    assert ids(client.get("/api/v1/dossiers/", {"requested_max": "100000"})) == {small.pk}
    since = (timezone.now() - timedelta(days=100)).isoformat()
    assert ids(client.get("/api/v1/dossiers/", {"submitted_after": since})) == {small.pk}
    assert ids(client.get("/api/v1/dossiers/", {"submitted_before": since})) == {big.pk}
    assert ids(client.get("/api/v1/dossiers/", {"territory": contract.territory_id, "theme": small.theme_id})) == {
        small.pk,
        big.pk,
    }
    assert ids(client.get("/api/v1/dossiers/", {"contract": ContractFactory().pk})) == set()
    rows = client.get("/api/v1/dossiers/", {"ordering": "-requested_amount"}).json()["results"]
    assert [row["id"] for row in rows] == [big.pk, small.pk]
    assert client.get("/api/v1/dossiers/", {"state": "nonsense"}).status_code == 400


def test_a_representative_reads_the_territorys_dossiers_and_fires_nothing(api, representative, submitted):
    client = api(representative)
    assert ids(client.get("/api/v1/dossiers/")) == {submitted.pk}
    assert client.get(url(submitted)).json()["transitions"] == []
    before = state_of(submitted)
    response = client.post(url(submitted, "declare_admissible"), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert state_of(submitted) == before
