"""Form fields of the portal: communes typed by name, postcode or INSEE code (an autocomplete in the
browser, a plain text box and a <select> of the candidates without JavaScript) and amounts typed the
French way."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.models import Commune
from portal.selectors import INSEE_CODE, commune_label, commune_search

AUTOCOMPLETE_URL = reverse_lazy("portal:commune_search")
AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")


class AmbiguousCommune(ValidationError):
    def __init__(self, text: str, candidates: list[Commune]):
        super().__init__(
            _("Several communes match “%(text)s”: choose yours in the list below.") % {"text": text},
            code="ambiguous_commune",
        )
        self.candidates = candidates


def _matches(commune: Commune, text: str) -> bool:
    folded = " ".join(text.split()).casefold()
    return (
        not folded
        or folded in (commune_label(commune).casefold(), commune.insee.casefold())
        or commune.name.casefold().replace("-", " ").startswith(folded.replace("-", " "))
        or any(postcode.startswith(folded) for postcode in commune.postcodes.split())
    )


def resolve_commune(text: str, insee: str) -> Commune | None:
    """The commune chosen in the list (`insee`) or typed (`text`: a name, a postcode or an INSEE
    code). Raises AmbiguousCommune with the candidates when several match, ValidationError when none."""
    text, insee = (text or "").strip(), (insee or "").strip()
    if insee:
        commune = Commune.objects.filter(pk=insee).first()
        # Without JavaScript the code chosen earlier stays in the page: a different text typed since wins.
        if commune is not None and _matches(commune, text):
            return commune
    if not text:
        return None
    candidates = commune_search(text)
    exact = [c for c in candidates if text.casefold() in (c.name.casefold(), commune_label(c).casefold(), c.insee)]
    if len(exact) == 1:
        return exact[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ValidationError(
            _("No commune of Nouvelle-Aquitaine matches “%(text)s”: check the spelling or type its postcode.")
            % {"text": text},
            code="unknown_commune",
        )
    raise AmbiguousCommune(text, candidates)


def _autocomplete_attrs() -> dict:
    return {
        "data-commune-autocomplete": AUTOCOMPLETE_URL,
        "autocomplete": "off",
        "spellcheck": "false",
    }


class CommuneWidget(forms.Widget):
    """A text box for the name, postcode or INSEE code, with the chosen commune's INSEE code beside it
    (set by the autocomplete, or picked in the <select> of candidates the server offers)."""

    template_name = "portal/widgets/commune.html"

    def __init__(self, attrs=None):
        super().__init__({**_autocomplete_attrs(), **(attrs or {})})
        self.candidates: list[Commune] = []

    def value_from_datadict(self, data, files, name):
        return (data.get(name, ""), data.get(f"{name}_insee", ""))

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_insee" not in data

    def format_value(self, value):
        if isinstance(value, Commune):
            return (commune_label(value), value.insee)
        if isinstance(value, tuple):
            return value
        if isinstance(value, str) and INSEE_CODE.match(value):
            commune = Commune.objects.filter(pk=value).first()
            return (commune_label(commune), commune.insee) if commune else (value, "")
        return ("", "")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        text, insee = self.format_value(value)
        context["widget"].update(
            {
                "text": text,
                "insee": insee,
                "candidates": [(c.insee, commune_label(c)) for c in self.candidates],
            }
        )
        return context


class CommuneField(forms.Field):
    widget = CommuneWidget

    def to_python(self, value):
        text, insee = value if isinstance(value, tuple) else (value or "", "")
        try:
            return resolve_commune(text, insee)
        except AmbiguousCommune as ambiguous:
            self.widget.candidates = ambiguous.candidates
            raise

    def has_changed(self, initial, data):
        initial_insee = initial.insee if isinstance(initial, Commune) else (initial or "")
        return initial_insee != (data[1] if isinstance(data, tuple) else data)


class CommuneListWidget(CommuneWidget):
    """The communes already chosen as ticked checkboxes (untick to remove), and a box to add one."""

    template_name = "portal/widgets/commune_list.html"
    use_fieldset = True

    def value_from_datadict(self, data, files, name):
        chosen = data.getlist(name) if hasattr(data, "getlist") else list(data.get(name, []))
        return (chosen, data.get(f"{name}_add", ""), data.get(f"{name}_add_insee", ""))

    def value_omitted_from_data(self, data, files, name):
        return False  # an empty list is a list (every box unticked)

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)
        if isinstance(value, tuple):
            chosen, text, insee = value
        else:
            chosen, text, insee = list(value or []), "", ""
        codes = [c.insee if isinstance(c, Commune) else c for c in chosen]
        found = Commune.objects.in_bulk(codes) if codes else {}
        context["widget"].update(
            {
                "chosen": [(code, commune_label(found[code])) for code in dict.fromkeys(codes) if code in found],
                "text": text,
                "insee": insee,
                "candidates": [(c.insee, commune_label(c)) for c in self.candidates],
                "autocomplete_url": str(AUTOCOMPLETE_URL),
                "invalid": bool(attrs and attrs.get("aria-invalid")),
            }
        )
        return context


class CommuneListField(forms.Field):
    """The communes of a project: the ticked ones plus the one typed in the box."""

    widget = CommuneListWidget
    default_error_messages = {"required": gettext_lazy("Give at least one commune where the project takes place.")}

    def to_python(self, value):
        if not isinstance(value, tuple):
            value = (list(value or []), "", "")
        chosen, text, insee = value
        codes = [code.insee if isinstance(code, Commune) else str(code) for code in chosen]
        found = Commune.objects.in_bulk(codes) if codes else {}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise ValidationError(_("Unknown commune: %(codes)s.") % {"codes": ", ".join(unknown)}, code="unknown")
        communes = [found[code] for code in dict.fromkeys(codes)]
        try:
            added = resolve_commune(text, insee)
        except AmbiguousCommune as ambiguous:
            self.widget.candidates = ambiguous.candidates
            raise
        if added is not None and added not in communes:
            communes.append(added)
        return communes

    def has_changed(self, initial, data):
        return True


class AmountField(forms.DecimalField):
    """An amount in euros, to the cent: accepts “12 345,67”, “12345.67” or “12 345,67 €”."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("localize", True)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "amount"})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("€", "").replace(",", ".")
            value = "".join(value.split()).replace("\u202f", "").replace("\u00a0", "")
            if value and not AMOUNT.match(value):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        if value in self.empty_values:
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
