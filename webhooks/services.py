"""Who manages which webhook subscriptions, and the only code that writes them.

- An organisation's subscriptions: its members (its service account included), as for its dossiers
  (`workflows.permissions.organisation_ids`).
- A territory's subscriptions: the territory's officers (`officer_territory_ids`) and administrators.
Everybody else does not see them (404 in the API).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dossiers.models import Organisation, Territory
from webhooks import security, signing
from webhooks.enums import EventType
from webhooks.models import Delivery, Subscription
from workflows.permissions import is_administrator, officer_territory_ids, organisation_ids

# Selectors ----------------------------------------------------------------------------------------


def subscription_list_for_user(user) -> QuerySet[Subscription]:
    """The subscriptions `user` may see and manage."""
    territories = (
        Q(territory__isnull=False) if is_administrator(user) else Q(territory_id__in=officer_territory_ids(user))
    )
    return Subscription.objects.filter(Q(organisation_id__in=organisation_ids(user)) | territories).select_related(
        "organisation", "territory"
    )


def delivery_list_for_user(user) -> QuerySet[Delivery]:
    """The deliveries of the subscriptions `user` manages: their log."""
    return Delivery.objects.filter(subscription__in=subscription_list_for_user(user).values("pk")).select_related(
        "event"
    )


def organisations_manageable_by(user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=organisation_ids(user))


def can_manage_territory(user, territory: Territory) -> bool:
    return is_administrator(user) or territory.pk in officer_territory_ids(user)


# Services -----------------------------------------------------------------------------------------


def _clean_events(events) -> list[str]:
    events = list(dict.fromkeys(events or []))
    unknown = [event for event in events if event not in EventType.values]
    if unknown:
        raise ValidationError(
            _("Unknown event types: %(types)s.") % {"types": ", ".join(map(str, unknown))}, code="unknown_event"
        )
    if not events:
        raise ValidationError(_("Choose at least one event."), code="no_events")
    return events


def subscription_create(
    *, actor, url: str, events, organisation: Organisation | None = None, territory: Territory | None = None
) -> Subscription:
    """Subscribes `url` to the `events` of `organisation`'s dossiers or of `territory`'s (exactly one).

    Guarantees: the actor manages that organisation or territory (PermissionDenied otherwise); the URL is
    safe to call (`security.check_url`: raises `security.UnsafeURL`, code `unsafe_url`); a new random
    secret signs the deliveries (read it from the returned subscription, once)."""
    if (organisation is None) == (territory is None):
        raise ValidationError(_("Give either an organisation or a territory."), code="one_owner")
    if organisation is not None and not organisations_manageable_by(actor).filter(pk=organisation.pk).exists():
        raise PermissionDenied(_("Only the organisation's members manage its webhooks."))
    if territory is not None and not can_manage_territory(actor, territory):
        raise PermissionDenied(_("Only the territory's officers and administrators manage its webhooks."))
    events = _clean_events(events)
    security.check_url(url)
    return Subscription.objects.create(
        organisation=organisation,
        territory=territory,
        url=url.strip(),
        events=events,
        secret=signing.secret_generate(),
        created_by=actor,
    )


def subscription_update(*, subscription: Subscription, actor, **changes) -> Subscription:
    """Changes the `url`, `events` or `active` of a subscription the actor manages (the owner and the
    secret never change); a new URL is checked as at creation."""
    with transaction.atomic():
        locked = subscription_list_for_user(actor).select_for_update(of=("self",)).filter(pk=subscription.pk).first()
        if locked is None:
            raise PermissionDenied(_("You do not manage this subscription."))
        if "url" in changes:
            security.check_url(changes["url"])
            locked.url = changes["url"].strip()
        if "events" in changes:
            locked.events = _clean_events(changes["events"])
        if "active" in changes:
            locked.active = bool(changes["active"])
        locked.save(update_fields=["url", "events", "active"])
    return locked


def subscription_delete(*, subscription: Subscription, actor) -> None:
    """Deletes the subscription with its delivery log; nothing more is sent to it."""
    with transaction.atomic():
        deleted, _rows = subscription_list_for_user(actor).filter(pk=subscription.pk).delete()
        if not deleted:
            raise PermissionDenied(_("You do not manage this subscription."))
