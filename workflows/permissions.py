"""Who is who. Roles are Django groups named after `Role` values; territory scope is the
django-guardian object permission `instruct_territory`, held by each territory's officers' group."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from guardian.shortcuts import get_objects_for_user

from workflows.enums import Role
from workflows.lifecycle import TransitionSpec

REGION_WIDE_ROLES = frozenset({Role.COMMITTEE_SECRETARY, Role.COMMITTEE_MEMBER, Role.FINANCE})


def user_roles(user) -> frozenset[Role]:
    """The user's roles, cached on the user object for the request."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if not hasattr(user, "_roles_cache"):
        names = set(user.groups.values_list("name", flat=True))
        roles = {Role(name) for name in names if name in Role.values}
        if user.is_superuser:
            roles.add(Role.ADMINISTRATOR)
        user._roles_cache = frozenset(roles)
    return user._roles_cache


def is_administrator(user) -> bool:
    return Role.ADMINISTRATOR in user_roles(user)


def _territory_ids(user, role: Role, permission: str, cache: str) -> frozenset[int]:
    """The territories on which the user, holding `role`, has the object permission `permission` through
    their territory groups (never global permissions); cached on the user object for the request."""
    if role not in user_roles(user):
        return frozenset()
    if not hasattr(user, cache):
        from dossiers.models import Territory

        territories = get_objects_for_user(
            user, permission, klass=Territory, with_superuser=False, accept_global_perms=False
        )
        setattr(user, cache, frozenset(territories.values_list("id", flat=True)))
    return getattr(user, cache)


def officer_territory_ids(user) -> frozenset[int]:
    """Territories the user instructs (`instruct_territory`, held by each territory's officers' group)."""
    return _territory_ids(user, Role.OFFICER, "dossiers.instruct_territory", "_territory_ids_cache")


def representative_territory_ids(user) -> frozenset[int]:
    """Territories whose contract the user follows as an elected representative: the object permission
    `follow_territory`, held by the territory's representatives' group (see
    `dossiers.services.territory_assign_representative`)."""
    return _territory_ids(user, Role.REPRESENTATIVE, "dossiers.follow_territory", "_represented_ids_cache")


def organisation_ids(user) -> frozenset[int]:
    if Role.SPONSOR not in user_roles(user):
        return frozenset()
    if not hasattr(user, "_organisation_ids_cache"):
        user._organisation_ids_cache = frozenset(user.memberships.values_list("organisation_id", flat=True))
    return user._organisation_ids_cache


def service_ids(user) -> frozenset[int]:
    """Consulted services the user answers for (members of the service's group, with the adviser role)."""
    if Role.ADVISER not in user_roles(user):
        return frozenset()
    if not hasattr(user, "_service_ids_cache"):
        from workflows.models import OpinionService

        user._service_ids_cache = frozenset(
            OpinionService.objects.filter(group__user=user).values_list("pk", flat=True)
        )
    return user._service_ids_cache


class SystemActor:
    """The application acting on its own (the deadlines' job): no user, no role, no scope. It may fire
    only the transitions whose spec says `system=True`; the audit trail records no user and the name
    "System (deadlines)"."""

    is_authenticated = False
    is_active = False
    pk = None

    def __str__(self):
        return _("System (deadlines)")


SYSTEM = SystemActor()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self):
        return self.allowed


def can_fire_transition(user, dossier, spec: TransitionSpec) -> Decision:
    """Whether `user` may fire `spec` on `dossier` in their role and scope (not whether the state and
    guards allow it: the service checks those)."""
    if user is SYSTEM:
        if spec.system:
            return Decision(True)
        return Decision(False, _("This action must be done by a person."))
    if user is None or isinstance(user, AnonymousUser):
        return Decision(False, _("You must be logged in."))
    roles = user_roles(user) & spec.roles
    for role in roles:
        if role == Role.ADMINISTRATOR or role in REGION_WIDE_ROLES:
            return Decision(True)
        if role == Role.OFFICER and dossier.territory_id in officer_territory_ids(user):
            return Decision(True)
        if role == Role.SPONSOR and dossier.organisation_id in organisation_ids(user):
            return Decision(True)
    if roles:
        return Decision(False, _("This dossier is outside your scope (territory or organisation)."))
    return Decision(False, _("Your role does not allow this action."))
