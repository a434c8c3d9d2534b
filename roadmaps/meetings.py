"""The follow-up meetings (comités de suivi) as the staff pages reach them: the meetings and roadmap
versions a user may see (selectors scoped like `can_edit_roadmap`: the territory's officers and
elected representatives, and the administrators), who may take part in a meeting, and the editing of a
meeting already prepared. Preparing a meeting and recording its decisions are `roadmaps.services`'."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from dossiers.models import Territory
from dossiers.services import representatives_group
from roadmaps.models import FollowUpMeeting, MeetingDecision, Roadmap, RoadmapVersion
from roadmaps.services import locked_roadmap, roadmap_territory_ids
from workflows.permissions import is_administrator


def meeting_list_for_user(user) -> QuerySet[FollowUpMeeting]:
    """The meetings of the user's territories, newest first, with their contract and counts."""
    meetings = FollowUpMeeting.objects.select_related("roadmap__contract__territory", "created_by").annotate(
        participant_count=Count("participants", distinct=True),
        decision_count=Count("decisions", distinct=True),
    )
    if not is_administrator(user):
        meetings = meetings.filter(roadmap__contract__territory_id__in=roadmap_territory_ids(user))
    return meetings.order_by("-held_on", "-id")


def meeting_decision_list(meeting: FollowUpMeeting) -> QuerySet[MeetingDecision]:
    return meeting.decisions.select_related("operation", "recorded_by", "version").order_by("id")


def version_list_for_roadmap(roadmap: Roadmap) -> QuerySet[RoadmapVersion]:
    """The roadmap's versions, newest first, without their snapshots (the list shows what changed)."""
    return roadmap.versions.select_related("meeting", "created_by").defer("operations").order_by("-number")


def meeting_participant_choices(territory: Territory) -> QuerySet:
    """Who takes part in a meeting of the territory's contract: its officers and its elected
    representatives, still active."""
    members = Q(groups=territory.officers_group_id) | Q(groups=representatives_group(territory))
    return (
        get_user_model()
        .objects.filter(members, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def check_participants(territory: Territory, participants) -> list:
    participants = list(participants)
    allowed = set(
        meeting_participant_choices(territory)
        .filter(pk__in=[participant.pk for participant in participants])
        .values_list("pk", flat=True)
    )
    outside = [participant for participant in participants if participant.pk not in allowed]
    if outside:
        raise ValidationError(
            _("%(names)s is neither an officer nor an elected representative of %(territory)s.")
            % {
                "names": ", ".join(person.get_full_name() or person.get_username() for person in outside),
                "territory": territory.name,
            },
            code="participant_outside",
        )
    return participants


def meeting_update(
    *, meeting: FollowUpMeeting, actor, held_on: date, participants, partners: str, agenda: str, minutes: str
) -> FollowUpMeeting:
    """Changes what the meeting's page says: its date, its participants (officers and elected
    representatives of the contract's territory only), the partners, the agenda and the minutes. Under
    the roadmap's lock, by those who edit the roadmap; the decisions and versions are not touched."""
    with transaction.atomic():
        roadmap = locked_roadmap(meeting.roadmap, actor)
        locked = FollowUpMeeting.objects.select_for_update().get(pk=meeting.pk, roadmap=roadmap)
        if held_on is None:
            raise ValidationError(_("A meeting needs a date."), code="date_required")
        participants = check_participants(roadmap.contract.territory, participants)
        locked.held_on, locked.partners, locked.agenda, locked.minutes = held_on, partners, agenda, minutes
        locked.save(update_fields=["held_on", "partners", "agenda", "minutes"])
        locked.participants.set(participants)
    return locked
