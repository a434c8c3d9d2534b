"""Notices: what happens around a dossier without changing its state (a payment request checked, a
deadline near, an extension granted...), told in the app and by e-mail to the people concerned.

A notice is a code of `NOTICES` and its values (strings; values whose name ends in `_on` are ISO dates,
and values named in `VALUE_LABELS` are codes, both shown in the reader's language). The text is
rendered when shown, so each reader gets their language.
A value named `comment` is shown as the notification's excerpt (a reason, the officer's comment).
"""

from datetime import date

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from messaging.enums import NotificationKind
from messaging.models import Notification

NOTICES = {
    "payment_request_submitted": _("a payment request (%(kind)s) was submitted."),
    "payment_request_checked": _("the payment request (%(kind)s) was checked by the officer, for %(amount)s."),
    "payment_request_validated": _("the payment request (%(kind)s) was validated: %(amount)s will be paid."),
    "payment_request_returned": _("the payment request (%(kind)s) was returned to you."),
    "payment_request_rejected": _("the payment request (%(kind)s) was rejected."),
    "payment_request_paid": _("the payment of %(amount)s (%(kind)s) was made on %(paid_on)s."),
    "payment_recovery": _(
        "the final grant is %(final_grant)s: %(amount)s already paid beyond it will be claimed back (recovery order)."
    ),
    "convention_submitted": _("the signed convention was sent, to be checked and countersigned."),
    "convention_refused": _("the signed copy of the convention was refused."),
    "extension_requested": _("an extension of the %(deadline)s deadline (%(deadline_on)s) is asked for."),
    "extension_granted": _("the extension was granted: the %(deadline)s deadline is now %(deadline_on)s."),
    "extension_refused": _("the extension was refused: the %(deadline)s deadline stays %(deadline_on)s."),
    "deadline_reminder": _("the %(deadline)s deadline is %(deadline_on)s, in %(days)s days."),
    "meeting_minutes_issued": _("the minutes of the follow-up meeting of %(held_on)s were issued: %(number)s."),
}


# value name → {code: lazy label}, registered by the apps whose codes they are (payments: `kind`, `deadline`).
VALUE_LABELS: dict[str, dict] = {}


def register_value_labels(name: str, labels: dict) -> None:
    VALUE_LABELS[name] = labels


def _shown(name: str, value):
    if name.endswith("_on") and value:
        return date_format(date.fromisoformat(value), "DATE_FORMAT")
    if name in VALUE_LABELS:
        return str(VALUE_LABELS[name].get(value, value))
    return value


def notice_text(code: str, values: dict) -> str:
    template = NOTICES.get(code)
    if template is None:
        return code
    return str(template) % {name: _shown(name, value) for name, value in values.items()}


def notices_send(*, dossier, code: str, values: dict, recipients) -> list[Notification]:
    """Notifies `recipients` (users) of the notice on `dossier`, and e-mails them after the commit."""
    from messaging.tasks import email_notice

    if code not in NOTICES:
        raise ValueError(f"unknown notice {code}")
    values = {name: value.isoformat() if isinstance(value, date) else str(value) for name, value in values.items()}
    created = Notification.objects.bulk_create(
        Notification(
            recipient=user, dossier_id=dossier.pk, kind=NotificationKind.NOTICE, notice=code, notice_values=values
        )
        for user in {user.pk: user for user in recipients}.values()
    )
    ids = [notification.pk for notification in created]
    if ids:
        transaction.on_commit(lambda: email_notice.enqueue(notification_ids=ids), robust=True)
    return created
