from django import template

from messaging.forms import MessageForm
from messaging.permissions import can_post_internal_note, can_post_message
from messaging.selectors import message_list_for_user
from messaging.views import draft_session_key

register = template.Library()


@register.inclusion_tag("messaging/thread.html", takes_context=True)
def dossier_thread(context, dossier, user):
    """The dossier's thread as `user` may read it, and the form to write in it if they may:
    `{% load messaging %}{% dossier_thread dossier request.user %}`."""
    request = context.get("request")
    can_post = bool(can_post_message(user, dossier))
    allow_internal = can_post and can_post_internal_note(user, dossier)
    draft = {}
    if request is not None and hasattr(request, "session"):
        draft = request.session.pop(draft_session_key(dossier.pk), None) or {}
    form = (
        MessageForm(
            initial={"body": draft.get("body", ""), "is_internal": draft.get("is_internal", False)},
            allow_internal=allow_internal,
        )
        if can_post
        else None
    )
    return {
        "dossier": dossier,
        "thread_messages": message_list_for_user(user, dossier),
        "form": form,
        "next": request.get_full_path() if request is not None else "",
    }
