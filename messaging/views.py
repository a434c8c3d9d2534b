from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from dossiers.http import attachment_response, dossier_or_404, safe_next
from messaging.forms import MessageForm
from messaging.permissions import can_post_internal_note
from messaging.selectors import attachment_list_for_user, notification_list_for_user
from messaging.services import message_post, notification_mark_read, notifications_mark_all_read

PAGE_SIZE = 50


def draft_session_key(dossier_pk: int) -> str:
    return f"messaging:draft:{dossier_pk}"


def _with_fragment(url: str, fragment: str) -> str:
    return url if "#" in url else f"{url}#{fragment}"


@login_required
@require_POST
def message_create(request, pk):
    dossier = dossier_or_404(request, pk)
    target = safe_next(request, reverse("dossier_detail", args=[dossier.pk]))
    form = MessageForm(request.POST, request.FILES, allow_internal=can_post_internal_note(request.user, dossier))
    problems = []
    if form.is_valid():
        try:
            message = message_post(
                dossier=dossier,
                author=request.user,
                body=form.cleaned_data["body"],
                is_internal=form.cleaned_data.get("is_internal", False),
                attachments=form.cleaned_data["attachments"],
            )
        except (PermissionDenied, ValidationError) as error:
            problems = getattr(error, "messages", None) or [str(error)]
        else:
            request.session.pop(draft_session_key(dossier.pk), None)
            messages.success(request, _("Your message was sent."))
            return redirect(_with_fragment(target, f"message-{message.pk}"))
    else:
        problems = [error for errors in form.errors.values() for error in errors]
    for problem in problems:
        messages.error(request, _("Your message was not sent: %(reason)s") % {"reason": problem})
    # The text typed is kept for the form shown after the redirect, so that nothing has to be retyped.
    request.session[draft_session_key(dossier.pk)] = {
        "body": request.POST.get("body", "")[:20_000],
        "is_internal": request.POST.get("is_internal") == "on",
    }
    return redirect(target)


@login_required
@require_safe
def attachment_download(request, pk, attachment_pk):
    dossier = dossier_or_404(request, pk)
    attachment = attachment_list_for_user(request.user, dossier).filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404(_("No such file, or it is outside your scope."))
    return attachment_response(attachment)


@login_required
@require_safe
def notification_list(request):
    notifications = notification_list_for_user(request.user)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "messaging/notification_list.html",
        {"page": page, "unread_count": notifications.filter(read_at__isnull=True).count()},
    )


@login_required
@require_POST
def notification_read(request, pk):
    notification = notification_list_for_user(request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404(_("No such notification."))
    notification_mark_read(notification=notification, user=request.user)
    return redirect(safe_next(request, reverse("messaging:notification_list")))


@login_required
@require_POST
def notification_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All your notifications are marked as read."))
    return redirect(safe_next(request, reverse("messaging:notification_list")))
