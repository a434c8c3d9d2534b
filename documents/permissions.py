"""Who may read and who may (re)issue documents. Everyone else gets a 404 on a document's address."""

from django.db.models import Q, QuerySet

from committees.permissions import can_manage_sessions
from documents.models import IssuedDocument
from dossiers.selectors import dossier_list_for_user
from workflows.enums import Role
from workflows.permissions import user_roles

# A dossier's letters are read by its sponsors and by the staff who work on it (the territory's officers,
# the committee, finance, administrators); the services consulted for an opinion do not receive them.
DOSSIER_READERS = frozenset(Role) - {Role.ADVISER}
# Those who may issue a new version of a dossier's document, or retry a failed one.
DOSSIER_ISSUERS = frozenset({Role.OFFICER, Role.COMMITTEE_SECRETARY, Role.FINANCE, Role.ADMINISTRATOR})


def can_read_dossier_documents(user, dossier_id: int) -> bool:
    return dossier_list_for_user(user, roles=DOSSIER_READERS).filter(pk=dossier_id).exists()


def can_read_session_documents(user, session) -> bool:
    """The secretariat and administrators; committee members for the sessions they sit in."""
    roles = user_roles(user)
    if roles & {Role.COMMITTEE_SECRETARY, Role.ADMINISTRATOR}:
        return True
    return Role.COMMITTEE_MEMBER in roles and session.members.filter(pk=user.pk).exists()


def can_read_meeting_documents(user, meeting) -> bool:
    """The minutes of a follow-up meeting: whoever sees the contract's roadmap (the territory's officers
    and elected representatives, administrators)."""
    from roadmaps.services import can_view_roadmap

    return can_view_roadmap(user, meeting.roadmap)


def can_issue_meeting_documents(user, meeting) -> bool:
    from roadmaps.services import can_edit_roadmap

    return can_edit_roadmap(user, meeting.roadmap)


def can_read(user, document) -> bool:
    if not user.is_authenticated:
        return False
    if document.meeting_id is not None:
        return can_read_meeting_documents(user, document.meeting)
    if document.session_id is not None and document.dossier_id is None:
        return can_read_session_documents(user, document.session)
    return can_read_dossier_documents(user, document.dossier_id)


def document_list_for_user(user) -> QuerySet[IssuedDocument]:
    """The issued documents `user` may read: the same rule as `documents.permissions.can_read`, as one
    query. A meeting's minutes go to whoever sees the contract's roadmap; a session's own documents to the
    secretariat, administrators and the session's members; a dossier's letters to its readers."""
    from roadmaps.services import roadmap_territory_ids

    roles = user_roles(user)
    documents = IssuedDocument.objects.all()
    if Role.ADMINISTRATOR in roles:
        return documents
    meetings = Q(meeting__roadmap__contract__territory_id__in=roadmap_territory_ids(user))
    session_only = Q(meeting__isnull=True, dossier__isnull=True)
    if Role.COMMITTEE_SECRETARY in roles:
        sessions = session_only
    elif Role.COMMITTEE_MEMBER in roles:
        sessions = session_only & Q(session__in=user.committee_sessions.values("pk"))
    else:
        sessions = Q(pk__in=[])
    dossiers = Q(meeting__isnull=True, dossier__in=dossier_list_for_user(user, roles=DOSSIER_READERS).values("pk"))
    return documents.filter(meetings | sessions | dossiers)


def can_issue_for_dossier(user, dossier_id: int) -> bool:
    return dossier_list_for_user(user, roles=DOSSIER_ISSUERS).filter(pk=dossier_id).exists()


def can_issue(user, subject) -> bool:
    """`subject`: an IssuedDocument or a DocumentJob."""
    if not user.is_authenticated:
        return False
    if subject.meeting_id is not None:
        return can_issue_meeting_documents(user, subject.meeting)
    if subject.dossier_id is None:
        return can_manage_sessions(user)
    return can_issue_for_dossier(user, subject.dossier_id)
