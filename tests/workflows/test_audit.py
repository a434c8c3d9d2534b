"""The audit trail and the side effects of transitions: one event per attempt, never edited; handlers
run only once the transition is committed; the people concerned are told by e-mail."""

from collections import defaultdict
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.forms.models import model_to_dict
from django.template.loader import render_to_string
from django.utils import timezone, translation

from dossiers.enums import FunderKind
from dossiers.models import Dossier
from tests.factories import make_dossier, make_draft, make_user, snapshot
from workflows import hooks, services
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AppendOnlyError, AuditEvent

S = DossierState
ON_SQLITE = connection.vendor != "postgresql"  # PostgreSQL's trigger (migration 0002) catches what the ORM lets by


class Rollback(Exception):
    pass


@pytest.fixture
def submitted(contract):
    return make_dossier(S.SUBMITTED, contract=contract)


@pytest.fixture
def handler_calls(monkeypatch):
    """A handler registered for `declare_admissible` through the public decorator; the registry is
    restored after the test."""
    registry = defaultdict(list, {name: list(handlers) for name, handlers in hooks._handlers.items()})
    monkeypatch.setattr(hooks, "_handlers", registry)
    calls = []

    @hooks.on_transition("declare_admissible")
    def record(event):
        calls.append((event.transition, event.pk, Dossier.objects.get(pk=event.dossier_id).state))

    return calls


# One event per attempt ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("ip_address", ["203.0.113.7", "2001:db8::7"])
def test_an_allowed_transition_writes_exactly_one_event_with_who_what_when_and_where(submitted, officer, ip_address):
    before = timezone.now()
    result = services.dossier_declare_admissible(
        dossier=submitted, actor=officer, comment="Toutes les pièces sont là.", ip_address=ip_address
    )
    after = timezone.now()

    events = list(AuditEvent.objects.filter(dossier=submitted))
    assert len(events) == 1
    event = events[0]
    assert event.kind == AuditKind.TRANSITION
    assert event.actor == officer
    assert event.actor_name == officer.get_full_name()
    assert event.transition == "declare_admissible"
    assert (event.from_state, event.to_state) == (S.SUBMITTED, S.ADMISSIBLE)
    assert event.comment == "Toutes les pièces sont là."
    assert event.ip_address == ip_address
    assert (event.reason_code, event.reason) == ("", "")
    assert event.created_at.utcoffset() == timedelta(0)
    assert event.created_at.tzinfo == UTC
    assert before <= event.created_at <= after
    assert event.created_at == Dossier.objects.get(pk=submitted.pk).state_changed_at
    assert result.state == S.ADMISSIBLE


@pytest.mark.django_db
def test_the_actor_name_is_kept_as_it_was_at_the_time(submitted, officer):
    services.dossier_declare_admissible(dossier=submitted, actor=officer)
    name = officer.get_full_name()
    officer.last_name = "Renamed"
    officer.save()

    assert AuditEvent.objects.get(dossier=submitted).actor_name == name


@pytest.mark.django_db
def test_without_a_client_ip_the_event_records_none(submitted, officer):
    services.dossier_declare_admissible(dossier=submitted, actor=officer)

    assert AuditEvent.objects.get(dossier=submitted).ip_address is None


@pytest.mark.django_db
def test_a_refusal_writes_one_refusal_event_with_its_reason_and_changes_nothing_else(
    submitted, django_capture_on_commit_callbacks, mailoutbox
):
    sponsor = submitted.created_by
    before = snapshot(submitted.pk)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(services.TransitionRefused) as refused,
    ):
        services.dossier_declare_admissible(
            dossier=submitted, actor=sponsor, comment="Je me déclare recevable", ip_address="198.51.100.4"
        )

    events = list(AuditEvent.objects.filter(dossier=submitted))
    assert len(events) == 1
    event = events[0]
    assert event.kind == AuditKind.REFUSAL
    assert event.reason_code == "forbidden" == refused.value.code
    assert event.reason == refused.value.message != ""
    assert (event.actor, event.actor_name) == (sponsor, sponsor.get_full_name())
    assert event.transition == "declare_admissible"
    assert (event.from_state, event.to_state) == (S.SUBMITTED, "")
    assert event.comment == "Je me déclare recevable"
    assert event.ip_address == "198.51.100.4"
    assert event.created_at.utcoffset() == timedelta(0)
    assert snapshot(submitted.pk) == before
    assert callbacks == []
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_refusal_with_several_problems_records_every_code_and_message(contract):
    # The Region's line differs from the amount requested, and no piece is attached.
    draft = make_draft(
        contract=contract,
        pieces=False,
        funding=[(FunderKind.REGION, Decimal("70000.00")), (FunderKind.OWN, Decimal("130000.00"))],
    )
    with pytest.raises(services.TransitionRefused) as refused:
        services.dossier_submit(dossier=draft, actor=draft.created_by)

    event = AuditEvent.objects.get(dossier=draft)
    assert len(refused.value.problems) > 1
    assert event.reason_code == ",".join(refused.value.codes)
    assert {"requested_mismatch", "missing_pieces"} <= set(event.reason_code.split(","))
    assert all(problem.message in event.reason for problem in refused.value.problems)
    assert AuditEvent.objects.filter(dossier=draft, kind=AuditKind.TRANSITION).count() == 0


# Append-only --------------------------------------------------------------------------------------


@pytest.fixture
def event(submitted, officer):
    services.dossier_declare_admissible(dossier=submitted, actor=officer, comment="Complet", ip_address="203.0.113.7")
    return AuditEvent.objects.get(dossier=submitted)


def forged_copy(event):
    """A new instance with the primary key and the data of `event`, its comment rewritten."""
    values = {f.attname: getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields}
    return AuditEvent(**{**values, "comment": "Réécrit"})


def stored(event):
    return model_to_dict(AuditEvent.objects.get(pk=event.pk))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda e: (setattr(e, "comment", "Réécrit"), e.save()), id="instance-save"),
        pytest.param(lambda e: e.save(update_fields=["comment"]), id="instance-save-update-fields"),
        pytest.param(lambda e: e.delete(), id="instance-delete"),
        pytest.param(lambda e: AuditEvent.objects.filter(pk=e.pk).update(comment="Réécrit"), id="queryset-update"),
        pytest.param(lambda e: AuditEvent.objects.filter(pk=e.pk).delete(), id="queryset-delete"),
        pytest.param(lambda e: AuditEvent.objects.all().delete(), id="all-delete"),
        pytest.param(lambda e: e.dossier.audit_events.update(comment="Réécrit"), id="related-manager-update"),
        pytest.param(lambda e: e.dossier.audit_events.all().delete(), id="related-manager-delete"),
        pytest.param(
            lambda e: AuditEvent.objects.bulk_update([AuditEvent(pk=e.pk, comment="Réécrit")], ["comment"]),
            id="bulk-update",
        ),
        pytest.param(
            lambda e: AuditEvent.objects.update_or_create(pk=e.pk, defaults={"comment": "Réécrit"}),
            id="update-or-create",
        ),
    ],
)
def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(event, tamper):
    before = stored(event)

    with pytest.raises(AppendOnlyError), transaction.atomic():
        tamper(AuditEvent.objects.get(pk=event.pk))

    assert stored(event) == before


@pytest.mark.django_db
def test_a_new_instance_with_an_existing_primary_key_cannot_overwrite_an_event(event):
    before = stored(event)
    forged = forged_copy(event)

    with pytest.raises((AppendOnlyError, DatabaseError)), transaction.atomic():
        forged.save()

    assert stored(event) == before


@pytest.mark.django_db
def test_an_upsert_cannot_overwrite_an_event(event):
    before = stored(event)
    forged = forged_copy(event)

    with pytest.raises((AppendOnlyError, DatabaseError)), transaction.atomic():
        AuditEvent.objects.bulk_create([forged], update_conflicts=True, unique_fields=["id"], update_fields=["comment"])

    assert stored(event) == before


@pytest.mark.django_db
def test_a_dossier_or_a_user_with_an_audit_trail_cannot_be_deleted(event, officer):
    with pytest.raises(ProtectedError), transaction.atomic():
        Dossier.objects.filter(pk=event.dossier_id).delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        officer.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


# Side effects after commit ------------------------------------------------------------------------


@pytest.mark.django_db
def test_side_effects_run_only_after_the_commit(submitted, officer, handler_calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.dossier_declare_admissible(dossier=submitted, actor=officer)
        assert handler_calls == []  # still inside the transaction

    event = AuditEvent.objects.get(dossier=submitted)
    assert callbacks
    assert handler_calls == [("declare_admissible", event.pk, S.ADMISSIBLE)]


@pytest.mark.django_db
def test_a_transition_rolled_back_with_its_transaction_runs_no_handler(
    submitted, officer, handler_calls, django_capture_on_commit_callbacks, mailoutbox
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        services.dossier_declare_admissible(dossier=submitted, actor=officer)
        assert AuditEvent.objects.filter(dossier=submitted).count() == 1
        raise Rollback

    assert callbacks == []
    assert handler_calls == []
    assert mailoutbox == []
    assert Dossier.objects.get(pk=submitted.pk).state == S.SUBMITTED
    assert not AuditEvent.objects.filter(dossier=submitted).exists()


@pytest.mark.django_db
def test_a_refused_transition_runs_no_handler(submitted, handler_calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(services.TransitionRefused):
        services.dossier_declare_admissible(dossier=submitted, actor=submitted.created_by)

    assert callbacks == []
    assert handler_calls == []


@pytest.mark.django_db
def test_handlers_run_for_their_transitions_only_and_catch_all_handlers_for_every_one(
    submitted, officer, handler_calls, django_capture_on_commit_callbacks
):
    every = []
    hooks.on_transition()(lambda event: every.append(event.transition))

    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_declare_admissible(dossier=submitted, actor=officer)
        services.dossier_start_review(dossier=submitted, actor=officer)

    assert [call[0] for call in handler_calls] == ["declare_admissible"]
    assert every == ["declare_admissible", "start_review"]


@pytest.mark.django_db
def test_a_failing_handler_does_not_stop_the_others(
    submitted, officer, monkeypatch, django_capture_on_commit_callbacks
):
    registry = defaultdict(list)
    monkeypatch.setattr(hooks, "_handlers", registry)
    calls = []

    @hooks.on_transition("declare_admissible")
    def broken(event):
        raise RuntimeError("mail server down")

    @hooks.on_transition("declare_admissible")
    def record(event):
        calls.append(event.pk)

    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_declare_admissible(dossier=submitted, actor=officer)

    assert calls == [AuditEvent.objects.get(dossier=submitted).pk]
    assert dossier.state == S.ADMISSIBLE


# Notifications ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_submission_is_mailed_to_the_sponsors_members_and_the_territorys_officers_not_to_the_actor(
    contract, officer, other_territory, django_capture_on_commit_callbacks, mailoutbox
):
    draft = make_draft(contract=contract)
    actor = draft.created_by
    colleague = make_user(Role.SPONSOR, organisation=draft.organisation)
    make_user(Role.SPONSOR, organisation=draft.organisation, is_active=False)
    make_user(Role.SPONSOR, organisation=draft.organisation, email="")
    make_user(Role.OFFICER, territory=other_territory)
    make_user(Role.SPONSOR)  # a sponsor of another organisation
    make_user(Role.FINANCE)

    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_submit(dossier=draft, actor=actor)

    assert sorted(recipient for message in mailoutbox for recipient in message.to) == sorted(
        [colleague.email, officer.email]
    )
    assert all(len(message.to) == 1 for message in mailoutbox)  # nobody sees the other recipients
    assert all(draft.reference in message.subject for message in mailoutbox)
    assert all(draft.reference in message.body for message in mailoutbox)


@pytest.mark.django_db
def test_an_officers_decision_is_mailed_to_the_sponsors_members_not_to_the_officers(
    submitted, officer, django_capture_on_commit_callbacks, mailoutbox
):
    colleague = make_user(Role.SPONSOR, organisation=submitted.organisation)
    make_user(Role.OFFICER, territory=submitted.territory)

    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_declare_admissible(dossier=submitted, actor=officer)

    assert sorted(recipient for message in mailoutbox for recipient in message.to) == sorted(
        [submitted.created_by.email, colleague.email]
    )
    assert all(submitted.reference in message.subject for message in mailoutbox)


@pytest.mark.django_db
def test_no_mail_is_sent_before_the_commit(submitted, officer, mailoutbox):
    services.dossier_declare_admissible(dossier=submitted, actor=officer)

    assert mailoutbox == []


def test_the_mail_subject_is_plain_text_not_html_escaped():
    context = {"dossier": {"reference": "NA-2026-000001"}, "event": {"get_to_state_display": "En cours d'instruction"}}
    with translation.override("en"):
        subject = render_to_string("emails/transition_subject.txt", context)

    assert "NA-2026-000001" in subject
    assert "En cours d'instruction" in subject
