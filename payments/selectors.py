"""The payment requests a user may reach: a sponsor those of its organisations' dossiers, an officer
those of its territories, finance and administrators all of them. Committee members and consulted
services see none (they have no part in payments)."""

from django.db.models import Prefetch, QuerySet

from dossiers.selectors import dossier_list_for_user
from payments.models import PaymentRequest
from workflows.enums import Role
from workflows.permissions import user_roles

PAYMENT_ROLES = frozenset({Role.SPONSOR, Role.OFFICER, Role.FINANCE, Role.ADMINISTRATOR})
PAYMENT_STAFF_ROLES = frozenset({Role.OFFICER, Role.FINANCE, Role.ADMINISTRATOR})


def can_view_payment_requests(user) -> bool:
    return bool(user_roles(user) & PAYMENT_STAFF_ROLES)


def payment_request_list_for_user(user, *, staff_only: bool = False) -> QuerySet[PaymentRequest]:
    roles = user_roles(user) & (PAYMENT_STAFF_ROLES if staff_only else PAYMENT_ROLES)
    if not roles:
        return PaymentRequest.objects.none()
    dossiers = dossier_list_for_user(user, roles=frozenset(roles))
    return PaymentRequest.objects.filter(dossier__in=dossiers.values("pk")).select_related(
        "dossier__organisation", "dossier__territory"
    )


def _certificates() -> Prefetch:
    """Each request's certificates, latest version first, as `request.certificates`."""
    from documents.models import IssuedDocument

    return Prefetch("documents", queryset=IssuedDocument.objects.order_by("-version"), to_attr="certificates")


def payment_request_get_for_user(user, pk, *, staff_only: bool = False) -> PaymentRequest:
    """The request with its lines, files and certificates, if `user` may see it (DoesNotExist otherwise)."""
    return (
        payment_request_list_for_user(user, staff_only=staff_only)
        .select_related("dossier__rule_set", "dossier__envelope", "bank_account", "checked_by", "validated_by")
        .prefetch_related("lines", "files", _certificates())
        .get(pk=pk)
    )


def dossier_payment_requests(dossier) -> list[PaymentRequest]:
    """A dossier's requests with their certificates, oldest first (the dossier pages' panels)."""
    return list(
        PaymentRequest.objects.filter(dossier=dossier).prefetch_related(_certificates()).order_by("submitted_at", "pk")
    )
