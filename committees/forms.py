from django import forms
from django.utils.translation import gettext_lazy as _

from committees.models import Body, CommitteeSession


class SessionForm(forms.Form):
    body = forms.ChoiceField(label=_("Body"), choices=Body.choices, initial=Body.PERMANENT_COMMITTEE)
    sits_on = forms.DateField(label=_("Date of the session"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        initial=CommitteeSession._meta.get_field("place").default,
    )
