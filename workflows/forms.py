"""One form per transition that needs input; each maps its cleaned data to the service's arguments."""

from django import forms
from django.utils.translation import gettext_lazy as _

from committees.selectors import sessions_open_for_agenda
from workflows import services


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )


class OptionalCommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )


class ScheduleForm(forms.Form):
    session = forms.ModelChoiceField(
        label=_("Session"),
        queryset=sessions_open_for_agenda(),
        empty_label=_("Choose a session"),
    )


class NoInputForm(forms.Form):
    pass


# Completeness and review are the tasks of the instruction process (workflows.flows): offering them here
# too would leave the process's task open while the dossier moved on.
INSTRUCTION_TRANSITIONS = frozenset(
    {"declare_incomplete", "declare_admissible", "declare_inadmissible", "start_review", "complete_review"}
)

# The payments (start_payment, mark_paid) follow the validation of the payment requests
# (payments.services), and the convention's signature its countersignature (payments.conventions).
#
# The committee's decisions (approve, reject, defer) are not offered here either: they are votes
# recorded on the session's page (quorum, déport, amendments) and applied when the session is closed
# (committees.voting).

# transition name → (form class, service), for the actions outside the instruction process
ACTIONS = {
    "submit": (NoInputForm, services.dossier_submit),
    "resubmit": (NoInputForm, services.dossier_resubmit),
    "withdraw": (OptionalReasonForm, services.dossier_withdraw),
    "schedule": (ScheduleForm, services.dossier_schedule),
    "unschedule": (NoInputForm, services.dossier_unschedule),
    "notify": (NoInputForm, services.dossier_notify),
    "close": (OptionalCommentForm, services.dossier_close),
    "lapse": (OptionalCommentForm, services.dossier_lapse),
}
