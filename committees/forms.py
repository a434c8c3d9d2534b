from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from committees.models import CAST_CHOICES, Body, CommitteeSession, VoteChoice
from committees.services import AGENDA_ORDERS
from committees.voting import member_name


class SessionForm(forms.Form):
    body = forms.ChoiceField(label=_("Body"), choices=Body.choices, initial=Body.PERMANENT_COMMITTEE)
    sits_on = forms.DateField(label=_("Date of the session"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        initial=CommitteeSession._meta.get_field("place").default,
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every committee member is ticked by default."),
    )
    quorum = forms.IntegerField(
        label=_("Quorum"),
        min_value=1,
        required=False,
        help_text=CommitteeSession._meta.get_field("quorum").help_text,
    )

    def __init__(self, *args, **kwargs):
        from committees.selectors import committee_member_list

        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = committee_member_list()
        self.fields["members"].label_from_instance = member_name
        self.fields["members"].initial = list(self.fields["members"].queryset)

    def clean(self):
        cleaned = super().clean()
        quorum, members = cleaned.get("quorum"), cleaned.get("members")
        if quorum and members is not None and quorum > len(members):
            self.add_error("quorum", _("The quorum cannot be more than the number of members."))
        return cleaned


class IdListField(forms.Field):
    """The ids of the rows ticked in a list (checkboxes sharing one name)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("The selection is not valid: reload the page and try again.")}

    def to_python(self, value):
        try:
            return [int(pk) for pk in value or ()]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class AgendaAddForm(forms.Form):
    dossiers = IdListField(
        label=_("Dossiers to put on the agenda"),
        error_messages={"required": _("Tick the dossiers to put on the agenda.")},
    )


AGENDA_ORDER_LABELS = {
    "territory": _("territory"),
    "contract": _("contract"),
    "theme": _("theme"),
}


class AgendaOrderForm(forms.Form):
    order_by = forms.ChoiceField(
        label=_("Order the agenda by"), choices=[(key, AGENDA_ORDER_LABELS[key]) for key in AGENDA_ORDERS]
    )


class AgendaMoveForm(forms.Form):
    direction = forms.ChoiceField(label=_("Move"), choices=[("up", _("Up")), ("down", _("Down"))])


class AttendanceForm(forms.Form):
    """Who of the session's members is present (the others are recorded as absent)."""

    present = forms.TypedMultipleChoiceField(
        label=_("Members present"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(member.pk, member_name(member)) for member in members]


# A vote's refusals that concern one field of the forms below; the others concern the whole vote.
REFUSAL_FIELDS = {
    "amount_above_request": "amended_amount",
    "invalid_amount": "amended_amount",
    "reason_required": "reason",
}


class VotesMixin:
    """One choice per present member (`vote_<member id>`), "for" by default."""

    def add_vote_fields(self, members, *, optional=()):
        """`members` get a required choice; `optional` ones (withdrawn from the item) a field that is not
        shown: a value posted for them anyway (a page loaded before the interest was declared) reaches
        the service, which refuses it with the reason."""
        for member in members:
            self.fields[f"vote_{member.pk}"] = forms.ChoiceField(
                label=member_name(member), choices=[(c.value, c.label) for c in CAST_CHOICES], initial=VoteChoice.FOR
            )
        for member in optional:
            self.fields[f"vote_{member.pk}"] = forms.ChoiceField(
                label=member_name(member), choices=[(c.value, c.label) for c in CAST_CHOICES], required=False
            )

    def vote_fields(self):
        return [self[name] for name in self.fields if name.startswith("vote_") and self.fields[name].required]

    def votes(self) -> dict[int, str]:
        return {
            int(name.removeprefix("vote_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("vote_") and value
        }

    def add_refusal(self, error: ValidationError) -> None:
        """A refusal of the service, shown on the field it concerns or on the whole form."""
        self.add_error(REFUSAL_FIELDS.get(getattr(error, "code", None)), error)


class ItemVoteForm(VotesMixin, forms.Form):
    """The vote on one item: each present member's choice, an amendment of the amount, a reason."""

    amended_amount = forms.DecimalField(
        label=_("Amount amended by the committee (€)"),
        help_text=_("Empty: the amount proposed. Never above the amount requested."),
        max_digits=14,
        decimal_places=2,
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Required if the item is rejected: the letter states it."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args, voters, withdrawn=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_vote_fields(voters, optional=withdrawn)


class ItemDeferForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the deferral"), widget=forms.Textarea(attrs={"rows": 2}), required=True
    )


class BlockVoteForm(VotesMixin, forms.Form):
    """One vote for every item without a vote yet, less the exceptions ticked."""

    exceptions = forms.TypedMultipleChoiceField(
        label=_("Except from the vote en bloc"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=_("Reason (for the items rejected)"),
        help_text=_("Required if the vote rejects the items: the letters state it."),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, voters, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_vote_fields(voters)
        self.fields["exceptions"].choices = [(item.pk, f"{item.position}. {item.dossier.reference}") for item in items]

    def excepted(self) -> set[int]:
        """The items ticked as exceptions (as posted, for the page shown again)."""
        if not self.is_bound:
            return set()
        try:
            return {int(pk) for pk in self.data.getlist(self.add_prefix("exceptions"))}
        except ValueError:
            return set()
