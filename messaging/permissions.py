"""Who may write in a dossier's thread. Reading is decided by the selectors (`messaging.selectors`)."""

from django.utils.translation import gettext as _

from workflows.enums import Role
from workflows.permissions import Decision, is_administrator, officer_territory_ids, organisation_ids, user_roles


def writes_for_region(user, dossier) -> bool:
    """Administrators and the officers of the dossier's territory write in the Region's name."""
    return is_administrator(user) or dossier.territory_id in officer_territory_ids(user)


def is_sponsor_member(user, dossier) -> bool:
    return Role.SPONSOR in user_roles(user) and dossier.organisation_id in organisation_ids(user)


def can_post_message(user, dossier, *, is_internal: bool = False) -> Decision:
    """The sponsor's members post public messages; the territory's officers and administrators post
    public messages or internal notes. The thread never closes, whatever the dossier's state."""
    if user is None or not user_roles(user):
        return Decision(False, _("You must be logged in."))
    if writes_for_region(user, dossier):
        return Decision(True)
    if is_sponsor_member(user, dossier):
        if is_internal:
            return Decision(False, _("Only the Region's staff can write internal notes."))
        return Decision(True)
    return Decision(
        False, _("Only the sponsor's members, the territory's officers and administrators write in this thread.")
    )


def can_post_internal_note(user, dossier) -> bool:
    return bool(can_post_message(user, dossier, is_internal=True))
