from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from committees.interests import interest_check, interest_declare, interest_remove
from committees.models import AgendaItem, Attendance, CommitteeSession, MemberInterest, Vote
from dossiers.admin import ReadOnlyMixin

ITEM_FIELDS = [
    "position",
    "dossier",
    "added_at",
    "proposed_amount",
    "eligible_base",
    "result",
    "voted_amount",
    "decided_at",
    "deliberation_number",
]


class AgendaItemInline(ReadOnlyMixin, admin.TabularInline):
    model = AgendaItem
    fields = ITEM_FIELDS
    readonly_fields = ITEM_FIELDS
    extra = 0


class AttendanceInline(ReadOnlyMixin, admin.TabularInline):
    """Recorded by the secretariat from the session's page (`session_record_attendance`)."""

    model = Attendance
    fields = ["member", "is_present", "recorded_at", "recorded_by"]
    readonly_fields = fields
    extra = 0


@admin.register(CommitteeSession)
class CommitteeSessionAdmin(admin.ModelAdmin):
    """Date, place and members are editable here; the status moves on from the staff's session page
    only (forward, through `session_set_status`)."""

    list_display = ["sits_on", "body", "place", "status"]
    list_filter = ["body", "status"]
    date_hierarchy = "sits_on"
    readonly_fields = ["status", "created_at"]
    filter_horizontal = ["members"]
    inlines = [AttendanceInline, AgendaItemInline]

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["session", "position", "dossier", "result", "voted_amount", "deliberation_number"]
    list_filter = ["result", "session__body"]
    list_select_related = ["session", "dossier"]
    search_fields = ["dossier__reference", "deliberation_number"]
    raw_id_fields = ["dossier"]


@admin.register(Vote)
class VoteAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Votes are recorded from the session's page (`committees.voting`), never edited."""

    list_display = ["item", "member", "choice", "recorded_at", "recorded_by"]
    list_filter = ["choice", "item__session__body"]
    list_select_related = ["item__session", "member", "recorded_by"]
    search_fields = ["item__dossier__reference", "member__username", "member__last_name"]


class MemberInterestForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        if self.instance.pk is None and data.get("member") is not None:
            try:
                interest_check(
                    member=data["member"], organisation=data.get("organisation"), territory=data.get("territory")
                )
            except ValidationError as error:
                raise ValidationError(error.messages) from error
        return data


@admin.register(MemberInterest)
class MemberInterestAdmin(admin.ModelAdmin):
    """A member's interests are declared and removed through `committees.interests`, as on the
    member's own page; once declared, only the description changes."""

    form = MemberInterestForm
    list_display = ["member", "organisation", "territory", "description", "declared_on"]
    list_filter = ["territory"]
    list_select_related = ["member", "organisation", "territory"]
    search_fields = [
        "member__username",
        "member__first_name",
        "member__last_name",
        "organisation__name",
        "organisation__siret",
        "territory__name",
    ]
    autocomplete_fields = ["organisation"]
    raw_id_fields = ["member"]
    # Deleted one by one, so that a refusal (the interest is relied on in a session being held) is seen.
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return ["member", "organisation", "territory", "declared_on"] if obj is not None else ["declared_on"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["description"])
            return
        declared = interest_declare(
            member=obj.member,
            organisation=obj.organisation,
            territory=obj.territory,
            description=obj.description,
            actor=request.user,
        )
        obj.pk, obj.declared_on = declared.pk, declared.declared_on
        obj._state.adding = False

    def delete_model(self, request, obj):
        try:
            interest_remove(member=obj.member, interest=obj, actor=request.user)
        except ValidationError as error:
            request._interest_kept = True
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "_interest_kept", False):
            return redirect("admin:committees_memberinterest_change", obj_id)
        return super().response_delete(request, obj_display, obj_id)
