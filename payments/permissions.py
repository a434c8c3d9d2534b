"""Who acts on the payments of a dossier: its sponsor's members ask (payments, extensions, the signed
convention, bank details), the territory's officers check and decide, finance validates and pays.
Administrators may do what officers and finance do."""

from workflows.enums import Role
from workflows.permissions import is_administrator, officer_territory_ids, organisation_ids, user_roles


def is_organisation_member(user, organisation) -> bool:
    """A member of the organisation holding the sponsor role (`organisation_ids` requires it)."""
    return organisation.pk in organisation_ids(user)


def is_sponsor_member(user, dossier) -> bool:
    return dossier.organisation_id in organisation_ids(user)


def is_territory_officer(user, dossier) -> bool:
    """An officer of the dossier's territory, or an administrator."""
    return is_administrator(user) or dossier.territory_id in officer_territory_ids(user)


def is_finance(user) -> bool:
    return bool(user_roles(user) & {Role.FINANCE, Role.ADMINISTRATOR})
