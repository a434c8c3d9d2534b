from django.utils.functional import cached_property

from messaging.selectors import unread_notification_count


class UnreadNotifications:
    """The user's unread notifications, counted on first use only: a page that does not show the
    count does not pay for the query."""

    def __init__(self, user):
        self._user = user

    @cached_property
    def count(self) -> int:
        return unread_notification_count(self._user) if self._user.is_authenticated else 0

    def __int__(self) -> int:
        return self.count

    def __str__(self) -> str:
        return str(self.count)


def unread_notifications(request) -> dict:
    """`{{ unread_notifications.count }}` in every template."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"unread_notifications": UnreadNotifications(user)}
