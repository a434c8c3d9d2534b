"""Who sees and who runs the committee's sessions."""

from workflows.enums import Role
from workflows.permissions import user_roles

SESSION_VIEWERS = frozenset({Role.COMMITTEE_SECRETARY, Role.COMMITTEE_MEMBER, Role.ADMINISTRATOR})
SESSION_MANAGERS = frozenset({Role.COMMITTEE_SECRETARY, Role.ADMINISTRATOR})


def can_view_sessions(user) -> bool:
    """The committee's secretariat and members, and administrators, see every session and its agenda."""
    return bool(user_roles(user) & SESSION_VIEWERS)


def can_manage_sessions(user) -> bool:
    """The committee's secretariat and administrators create sessions and move them on."""
    return bool(user_roles(user) & SESSION_MANAGERS)


def is_committee_member(user) -> bool:
    """Committee members have their own pages: their sessions, votes and declared interests."""
    return Role.COMMITTEE_MEMBER in user_roles(user)
