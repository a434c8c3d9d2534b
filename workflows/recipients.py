"""Who hears about a transition: the same people get the e-mail (workflows.tasks) and the in-app
notification (messaging). Nobody is told about their own action, nor about a dossier they cannot open
in the capacity they are told in."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from workflows.enums import Role
from workflows.models import AuditEvent, Opinion

# Transitions the territory's officers hear about (the others are theirs or the committee's; a lapse
# is usually the deadlines' job's).
OFFICER_NOTICES = frozenset({"submit", "resubmit", "withdraw", "lapse"})
# A review completed is a proposal to the committee: its secretary builds the agendas.
COMMITTEE_NOTICES = frozenset({"complete_review"})


def _active_users() -> QuerySet:
    return get_user_model().objects.filter(is_active=True)


def _with_role(role: Role) -> QuerySet:
    return get_user_model().objects.filter(groups__name=role).values("pk")


def sponsor_members(dossier) -> QuerySet:
    """The active members of the dossier's organisation who hold the sponsor role."""
    members = get_user_model().objects.filter(memberships__organisation_id=dossier.organisation_id).values("pk")
    return _active_users().filter(pk__in=members).filter(pk__in=_with_role(Role.SPONSOR))


def territory_officers(dossier) -> QuerySet:
    """The active officers of the dossier's territory (its officers' group and the officer role)."""
    assigned = get_user_model().objects.filter(groups__territory=dossier.territory_id).values("pk")
    return _active_users().filter(pk__in=assigned).filter(pk__in=_with_role(Role.OFFICER))


def consulted_members(event: AuditEvent) -> QuerySet:
    """The members of the services whose opinion was asked by this event (the start of the review)."""
    asked = Opinion.objects.filter(dossier_id=event.dossier_id, requested_at__gte=event.created_at, given_at=None)
    members = get_user_model().objects.filter(groups__opinion_service__in=asked.values("service_id")).values("pk")
    return _active_users().filter(pk__in=members).filter(pk__in=_with_role(Role.ADVISER))


def committee_secretaries() -> QuerySet:
    return _active_users().filter(pk__in=_with_role(Role.COMMITTEE_SECRETARY))


def transition_recipients(event: AuditEvent) -> QuerySet:
    """The sponsor's members on every transition; the territory's officers on submission, resubmission,
    withdrawal and lapse; the consulted services when their opinion is asked; the committee's secretaries when
    a review proposes the dossier to the committee. Never the actor."""
    users = sponsor_members(event.dossier)
    if event.transition in OFFICER_NOTICES:
        users = users | territory_officers(event.dossier)
    if event.transition == "start_review":
        users = users | consulted_members(event)
    if event.transition in COMMITTEE_NOTICES:
        users = users | committee_secretaries()
    if event.actor_id is not None:
        users = users.exclude(pk=event.actor_id)
    return users.distinct().order_by("pk")
