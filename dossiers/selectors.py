"""Every queryset a user can reach comes from here: scoping by role and territory lives in one place.

- administrators see everything;
- sponsors see their organisations' dossiers;
- officers see the dossiers of the territories they instruct (django-guardian permission on the
  territory, then a plain `territory_id IN (...)` filter: no per-dossier permission rows);
- the committee secretary and members see the dossiers from review to decision onwards;
- finance officers see the dossiers that hold a commitment;
- consulted services see the dossiers on which their opinion was asked;
- a territory's elected representatives read the dossiers of the territories they follow (guardian
  permission `follow_territory`), and act on none.
"""

from django.db.models import Q, QuerySet

from dossiers.models import Dossier, Organisation, Territory
from workflows.enums import COMMITTEE_STATES, FINANCE_STATES, Role
from workflows.permissions import (
    is_administrator,
    officer_territory_ids,
    organisation_ids,
    representative_territory_ids,
    service_ids,
    user_roles,
)


def _dossier_scope(user, roles: frozenset[Role] | None = None) -> Q | None:
    """The filter of the dossiers `user` may see in `roles` (all their roles by default); None when
    everything is visible."""
    roles = user_roles(user) if roles is None else roles & user_roles(user)
    if Role.ADMINISTRATOR in roles:
        return None
    scope = Q(pk__in=[])
    if Role.SPONSOR in roles:
        scope |= Q(organisation_id__in=organisation_ids(user))
    if Role.OFFICER in roles:
        scope |= Q(territory_id__in=officer_territory_ids(user))
    if Role.REPRESENTATIVE in roles:
        scope |= Q(territory_id__in=representative_territory_ids(user))
    if roles & {Role.COMMITTEE_SECRETARY, Role.COMMITTEE_MEMBER}:
        scope |= Q(state__in=COMMITTEE_STATES)
    if Role.FINANCE in roles:
        scope |= Q(state__in=FINANCE_STATES)
    if Role.ADVISER in roles:
        from workflows.models import Opinion

        scope |= Q(pk__in=Opinion.objects.filter(service_id__in=service_ids(user)).values("dossier_id"))
    return scope


def dossier_list_for_user(user, *, staff_only: bool = False, roles: frozenset[Role] | None = None) -> QuerySet[Dossier]:
    """The dossiers `user` may see; with `staff_only`, only those they see as the Region's staff (not
    as a sponsor); with `roles`, only those they see through these roles."""
    if roles is None and staff_only:
        roles = frozenset(Role) - {Role.SPONSOR}
    scope = _dossier_scope(user, roles)
    dossiers = Dossier.objects.all() if scope is None else Dossier.objects.filter(scope)
    return dossiers.select_related("organisation", "territory", "contract", "theme")


def dossier_get_for_user(user, pk) -> Dossier:
    """The dossier if `user` may see it; raises Dossier.DoesNotExist otherwise (a 404, not a 403, so
    that references outside one's scope are not revealed)."""
    return dossier_list_for_user(user).get(pk=pk)


def territory_list_for_user(user) -> QuerySet[Territory]:
    """The territories the user works on: their own for officers, all for region-wide roles."""
    roles = user_roles(user)
    if roles & {Role.ADMINISTRATOR, Role.COMMITTEE_SECRETARY, Role.COMMITTEE_MEMBER, Role.FINANCE}:
        return Territory.objects.select_related("department")
    scope = (
        Q(pk__in=officer_territory_ids(user))
        | Q(pk__in=representative_territory_ids(user))
        | Q(dossiers__organisation_id__in=organisation_ids(user))
    )
    return Territory.objects.filter(scope).distinct().select_related("department")


def organisation_list_for_user(user) -> QuerySet[Organisation]:
    if is_administrator(user):
        return Organisation.objects.all()
    return Organisation.objects.filter(
        Q(pk__in=organisation_ids(user)) | Q(dossiers__in=dossier_list_for_user(user).values("pk"))
    ).distinct()
