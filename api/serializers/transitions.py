"""The payload of each transition of `POST /api/v1/dossiers/{id}/transitions/{name}/`.

The actions the web UI offers on the dossier's page (`workflows.forms.ACTIONS`) are validated by the
very form of the web UI: the serializer declares the same fields (for the schema) and then hands the
data to the form, whose errors come back as field errors. The instruction's steps (completeness,
review, proposal) are validated with the rules of their task pages (`workflows.views`).
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from committees.selectors import sessions_open_for_agenda
from workflows import forms
from workflows.models import OpinionService


class FormPayloadSerializer(serializers.Serializer):
    """Declares a form's fields; validation and cleaning are the form's."""

    form_class: type = forms.NoInputForm

    def to_internal_value(self, data):
        super().to_internal_value(data)  # the types, with the serializer's messages
        form = self.form_class(data=data)
        if not form.is_valid():
            errors = {}
            for field, field_errors in form.errors.as_data().items():
                key = "non_field_errors" if field == "__all__" else field
                errors[key] = [
                    serializers.ErrorDetail(message, code=error.code or "invalid")
                    for error in field_errors
                    for message in error.messages
                ]
            raise serializers.ValidationError(errors)
        return form.cleaned_data


class NoPayloadSerializer(FormPayloadSerializer):
    """submit, resubmit, unschedule, notify: no input (an empty object)."""

    form_class = forms.NoInputForm


class WithdrawPayloadSerializer(FormPayloadSerializer):
    """withdraw: an optional reason."""

    form_class = forms.OptionalReasonForm
    reason = serializers.CharField(label=gettext_lazy("Reason"), required=False, allow_blank=True, max_length=5000)


class CommentPayloadSerializer(FormPayloadSerializer):
    """close, lapse: an optional comment."""

    form_class = forms.OptionalCommentForm
    comment = serializers.CharField(label=gettext_lazy("Comment"), required=False, allow_blank=True, max_length=5000)


class SchedulePayloadSerializer(FormPayloadSerializer):
    """schedule: the session whose agenda the dossier joins."""

    form_class = forms.ScheduleForm
    session = serializers.PrimaryKeyRelatedField(
        label=gettext_lazy("Session"),
        queryset=sessions_open_for_agenda(),
        help_text=gettext_lazy("The id of a committee session whose agenda is open."),
    )


# The instruction's steps ---------------------------------------------------------------------------


class DeclareAdmissiblePayloadSerializer(serializers.Serializer):
    """declare_admissible: an optional message to the sponsor."""

    comment = serializers.CharField(
        label=gettext_lazy("Message to the sponsor"), required=False, allow_blank=True, max_length=5000, default=""
    )


class DeclareIncompletePayloadSerializer(serializers.Serializer):
    """declare_incomplete: what is missing, and by when it is expected."""

    missing = serializers.CharField(
        label=gettext_lazy("What is missing"), max_length=5000, help_text=gettext_lazy("Sent to the sponsor.")
    )
    pieces_due_on = serializers.DateField(
        label=gettext_lazy("Missing pieces expected by"), required=False, allow_null=True, default=None
    )


class DeclareInadmissiblePayloadSerializer(serializers.Serializer):
    """declare_inadmissible: the reason."""

    reason = serializers.CharField(label=gettext_lazy("Reason"), max_length=5000)


class StartReviewPayloadSerializer(serializers.Serializer):
    """start_review: the services whose opinion is asked, if any."""

    services = serializers.PrimaryKeyRelatedField(
        label=gettext_lazy("Ask the opinion of"),
        queryset=OpinionService.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text=gettext_lazy("Ids of the consulted services; the question and due date are then required."),
    )
    question = serializers.CharField(
        label=gettext_lazy("Question to the consulted services"),
        required=False,
        allow_blank=True,
        max_length=5000,
        default="",
    )
    due_on = serializers.DateField(label=gettext_lazy("Opinions due on"), required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if attrs["services"]:
            errors = {}
            if not attrs["question"].strip():
                errors["question"] = [
                    serializers.ErrorDetail(_("Say what the services are asked about."), code="required")
                ]
            if not attrs["due_on"]:
                errors["due_on"] = [
                    serializers.ErrorDetail(_("Give the date by which the opinions are due."), code="required")
                ]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class CompleteReviewPayloadSerializer(serializers.Serializer):
    """complete_review: the proposal to the committee."""

    eligible_base = serializers.DecimalField(
        label=gettext_lazy("Eligible base (€)"), max_digits=14, decimal_places=2, min_value=0
    )
    proposed_amount = serializers.DecimalField(
        label=gettext_lazy("Proposed amount (€)"), max_digits=14, decimal_places=2, min_value=0
    )
    convention_decided = serializers.BooleanField(
        label=gettext_lazy("Require a convention whatever the amount"), required=False, default=False
    )
    comment = serializers.CharField(label=gettext_lazy("Report to the committee"), max_length=20000)
