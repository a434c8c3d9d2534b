"""The interests committee members declare in an organisation or a territory. A member with an interest
in an item's sponsor or territory withdraws from it (déport): `committees.voting.Roll` reads these
declarations each time votes are recorded.

A member declares and removes their own interests; the committee's secretariat and administrators may
do it for a member. Refusals raise `ValidationError` with a code and a message (or `PermissionDenied`);
a refused call writes nothing."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from committees.models import AgendaItem, MemberInterest, SessionStatus
from committees.permissions import can_manage_sessions
from workflows.enums import Role
from workflows.permissions import user_roles

DESCRIPTION_MAX_LENGTH = MemberInterest._meta.get_field("description").max_length


def can_manage_interests_of(actor, member) -> bool:
    """A committee member for themself; the secretariat and administrators for anyone."""
    if can_manage_sessions(actor):
        return True
    return actor.pk == member.pk and Role.COMMITTEE_MEMBER in user_roles(actor)


def _require(actor, member) -> None:
    if not can_manage_interests_of(actor, member):
        raise PermissionDenied(_("A member's interests are declared by the member or by the committee's secretariat."))


def interest_check(*, member, organisation=None, territory=None, exclude=None) -> None:
    """Refuses an interest that is neither in an organisation nor in a territory (or in both), and one
    the member has declared already."""
    if (organisation is None) == (territory is None):
        raise ValidationError(
            _("An interest is declared in an organisation or in a territory: choose one of them."),
            code="organisation_or_territory",
        )
    declared = MemberInterest.objects.filter(member=member)
    if organisation is not None:
        declared = declared.filter(organisation=organisation)
    else:
        declared = declared.filter(territory=territory)
    if exclude is not None:
        declared = declared.exclude(pk=exclude.pk)
    if declared.exists():
        raise ValidationError(
            _("An interest in “%(what)s” is already declared: it is not declared twice.")
            % {"what": organisation or territory},
            code="duplicate_interest",
        )


def interest_declare(*, member, organisation=None, territory=None, description: str = "", actor=None) -> MemberInterest:
    """Records the member's interest in an organisation or (exclusively) a territory. From then on the
    member is withdrawn from every item whose sponsor or territory it is, in every vote recorded.
    `actor` (by default the member) is the member or the committee's secretariat or an administrator."""
    _require(actor or member, member)
    description = description.strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            _("Describe the interest in %(max)s characters at most.") % {"max": DESCRIPTION_MAX_LENGTH},
            code="description_too_long",
        )
    with transaction.atomic():
        # The member's row is the lock under which two declarations of the same interest cannot both pass.
        get_user_model().objects.select_for_update().filter(pk=member.pk).first()
        interest_check(member=member, organisation=organisation, territory=territory)
        return MemberInterest.objects.create(
            member=member, organisation=organisation, territory=territory, description=description
        )


def interest_remove(*, member, interest: MemberInterest, actor=None) -> None:
    """Deletes one of the member's declared interests. Refused while a session the member sits on is held
    and the interest withdraws them from one of its items: the votes being recorded rely on it.
    `actor` (by default the member) is the member or the committee's secretariat or an administrator."""
    _require(actor or member, member)
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=member.pk).first()
        locked = MemberInterest.objects.filter(pk=interest.pk, member=member).first()
        if locked is None:
            raise ValidationError(_("This interest is not one of the member's."), code="not_the_members")
        concerned = (
            Q(dossier__organisation_id=locked.organisation_id)
            if locked.organisation_id
            else Q(dossier__territory_id=locked.territory_id)
        )
        held = AgendaItem.objects.filter(
            concerned, session__status=SessionStatus.HELD, session__members=member
        ).select_related("session")
        item = held.first()
        if item is not None:
            raise ValidationError(
                _(
                    "This interest withdraws the member from an item of the session “%(session)s”, which is being "
                    "held: it can be removed once the session is closed."
                )
                % {"session": item.session},
                code="session_held",
            )
        locked.delete()
