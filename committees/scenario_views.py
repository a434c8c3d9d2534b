"""The scenarios' pages on the staff site (`workflows.frontend.site`) at /region/scenarios/: the list,
a new scenario over an envelope (`?envelope=<id>`, or `?from=<scenario id>` to copy one), a scenario,
its edition, the comparison of scenarios (`?scenarios=<id>&scenarios=<id>`), turning one into a
session's agenda, deleting one.

Officers see the scenarios over the envelopes of their territories, the committee's secretariat and the
administrators every one; everyone else gets a 403 from the site or a 404 here. The edition page
recomputes its figures live in the browser (static/committees/scenario.js); the server recomputes and
checks everything on save (`committees.scenarios.scenario_save`)."""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.urls import Application

from committees.models import Scenario, ScenarioLine
from committees.permissions import can_view_sessions
from committees.scenarios import (
    ThemeTotal,
    can_change_scenario,
    can_turn_scenarios,
    can_view_scenarios,
    envelope_list_for_scenarios,
    figures_of,
    scenario_candidates,
    scenario_delete,
    scenario_figures,
    scenario_list_for_user,
    scenario_save,
    scenario_to_agenda,
    scenarios_compare,
)
from committees.selectors import sessions_open_for_agenda
from dossiers.http import client_ip
from dossiers.models import Dossier
from dossiers.money import ZERO, round_cents
from workflows.enums import DossierState
from workflows.services import envelope_committed

NUMBER = re.compile(r"\d+(?:\.\d+)?")
BLANKS = re.compile(r"[\s\u00a0\u202f€%]")


def parse_decimal(text: str) -> Decimal | None:
    """`12 345,67`, `12345.67`, `12 345,67 €` → Decimal('12345.67'); None when it is not a positive
    number written with a comma or a dot."""
    cleaned = BLANKS.sub("", text or "").replace(",", ".")
    if not NUMBER.fullmatch(cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def input_number(value: Decimal | None) -> str:
    """A Decimal as typed in a French input: `12345,67`."""
    return "" if value is None else f"{round_cents(value):.2f}".replace(".", ",")


def input_rate(amount: Decimal | None, base: Decimal | None) -> str:
    """amount / base as a percentage with at most two decimals: `40`, `37,5`."""
    if not amount or not base:
        return ""
    percent = round_cents(amount * 100 / base).normalize()
    return f"{percent:f}".replace(".", ",")


def cents(value: Decimal | None) -> int:
    return int(round_cents(value or ZERO) * 100)


@dataclass
class Row:
    """A reviewed dossier of the contract in the edition table, with what was typed for it."""

    dossier: Dossier
    included: bool
    base: str
    amount: str
    invalid: bool = False

    @property
    def rate(self) -> str:
        return input_rate(parse_decimal(self.amount), parse_decimal(self.base))

    @property
    def requested_cents(self) -> int:
        return cents(self.dossier.requested_amount)


class ScenarioForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the scenario"), max_length=120)
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ScenarioPageMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_view_scenarios(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_scenario(self) -> Scenario:
        scenario = scenario_list_for_user(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if scenario is None:
            raise Http404(_("No such scenario, or it is outside your scope."))
        return scenario


class ScenarioListView(ScenarioPageMixin, generic.ListView):
    """The scenarios the user may see, most recently changed first, filterable by envelope; each with
    its number of dossiers and total (one query for the list)."""

    template_name = "committees/scenario_list.html"
    context_object_name = "scenarios"
    paginate_by = 50

    def get_queryset(self):
        scenarios = scenario_list_for_user(self.request.user)
        envelope = self.request.GET.get("envelope", "")
        if envelope.isdigit():
            scenarios = scenarios.filter(envelope_id=int(envelope))
        return scenarios

    def get_context_data(self, **kwargs):
        envelopes = list(envelope_list_for_scenarios(self.request.user))
        return super().get_context_data(
            envelopes=envelopes,
            open_envelopes=[envelope for envelope in envelopes if envelope.is_open],
            envelope=self.request.GET.get("envelope", ""),
            **kwargs,
        )


class ScenarioFormView(ScenarioPageMixin, generic.TemplateView):
    """A new scenario over an envelope, or a scenario changed: the reviewed dossiers of the envelope's
    contract, each with a box to include it, its eligible base, rate and amount."""

    template_name = "committees/scenario_form.html"
    editing = False

    def setup_objects(self):
        """The scenario being changed (None for a new one), its envelope and the scenario whose lines
        fill the table at first (the one changed, or the one copied)."""
        user, data = self.request.user, self.request.POST or self.request.GET
        if self.editing:
            scenario = self.get_scenario()
            if not can_change_scenario(user, scenario):
                raise PermissionDenied(
                    _("Only its author, the committee's secretariat or an administrator can change it.")
                )
            return scenario, scenario.envelope, scenario
        source = None
        source_id = self.request.GET.get("from", "")
        if source_id.isdigit():
            source = scenario_list_for_user(user).filter(pk=int(source_id)).first()
        envelope_id = data.get("envelope", "") or (str(source.envelope_id) if source else "")
        envelope = None
        if envelope_id.isdigit():
            envelope = envelope_list_for_scenarios(user).filter(pk=int(envelope_id)).first()
        if envelope is None:
            raise Http404(_("No such envelope, or it is outside your scope."))
        if source is not None and source.envelope_id != envelope.pk:
            source = None
        return None, envelope, source

    def dispatch(self, request, *args, **kwargs):
        if can_view_scenarios(request.user):
            self.scenario, self.envelope, self.source = self.setup_objects()
            if self.scenario is not None and self.scenario.session_id is not None:
                messages.error(
                    request, _("This scenario was turned into an agenda: copy it into a new scenario to change it.")
                )
                return redirect("scenarios:scenario_detail", pk=self.scenario.pk)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        candidates = list(scenario_candidates(self.envelope))
        lines, initial = {}, {}
        if self.source is not None:
            lines = {line.dossier_id: line for line in self.source.lines.select_related("dossier")}
            name = self.source.name if self.editing else _("Copy of %(name)s") % {"name": self.source.name}
            initial = {"name": name[:120], "note": self.source.note}
        rows = []
        for dossier in candidates:
            line = lines.pop(dossier.pk, None)
            if line is not None:
                rows.append(Row(dossier, True, input_number(line.eligible_base), input_number(line.amount)))
            else:
                base, amount = dossier.eligible_base, dossier.proposed_amount
                rows.append(Row(dossier, False, input_number(base), input_number(amount)))
        # The source's dossiers that are no longer reviewed: they cannot stay in the scenario.
        left_out = sorted((line.dossier for line in lines.values()), key=lambda dossier: dossier.reference)
        return self.render(form=ScenarioForm(initial=initial), rows=rows, left_out=left_out, errors=[])

    def post(self, request, *args, **kwargs):
        candidates = list(scenario_candidates(self.envelope))
        form = ScenarioForm(request.POST)
        rows, lines, errors = self.read_rows(candidates)
        if form.is_valid() and not errors:
            replaced = self.scenario if "save_as_new" not in request.POST else None
            try:
                scenario = scenario_save(
                    actor=request.user,
                    envelope=self.envelope,
                    name=form.cleaned_data["name"],
                    note=form.cleaned_data["note"],
                    lines=lines,
                    scenario=replaced,
                )
            except ValidationError as error:
                errors = error.messages
                wrong = {e.params.get("dossier") for e in error.error_list if e.params}
                for row in rows:
                    row.invalid = row.invalid or row.dossier.reference in wrong
            else:
                messages.success(request, _("The scenario “%(name)s” was saved.") % {"name": scenario.name})
                return redirect("scenarios:scenario_detail", pk=scenario.pk)
        return self.render(form=form, rows=rows, left_out=[], errors=errors)

    def read_rows(self, candidates):
        """The table as posted: the rows to show again, the lines (dossier id, base, amount) of the
        boxes ticked, and the numbers that could not be read. A ticked dossier that is no longer among
        the candidates is passed on, so that the service says why it cannot be kept."""
        data = self.request.POST
        chosen = {value for value in data.getlist("dossiers") if value.isdigit()}
        rows, lines, errors = [], [], []
        by_id = {str(dossier.pk): dossier for dossier in candidates}
        for key in sorted(chosen - by_id.keys(), key=int):
            base, amount = parse_decimal(data.get(f"base-{key}", "")), parse_decimal(data.get(f"amount-{key}", ""))
            lines.append((int(key), base or ZERO, amount or ZERO))
        for key, dossier in by_id.items():
            row = Row(
                dossier, key in chosen, data.get(f"base-{key}", "").strip(), data.get(f"amount-{key}", "").strip()
            )
            rows.append(row)
            if not row.included:
                continue
            base, amount = parse_decimal(row.base), parse_decimal(row.amount)
            if base is None or amount is None:
                row.invalid = True
                errors.append(
                    _("%(dossier)s: write the eligible base and the amount as numbers, e.g. 12 345,67.")
                    % {"dossier": dossier.reference}
                )
            else:
                lines.append((dossier.pk, base, amount))
        return rows, lines, errors

    def render(self, *, form, rows, left_out, errors):
        committed = envelope_committed(self.envelope)
        included = []
        for row in rows:
            base, amount = parse_decimal(row.base), parse_decimal(row.amount)
            if row.included and base is not None and amount is not None:
                included.append(
                    ScenarioLine(dossier=row.dossier, eligible_base=round_cents(base), amount=round_cents(amount))
                )
        figures = figures_of(envelope=self.envelope, committed=committed, lines=included, scenario=self.scenario)
        themes = {}
        for row in rows:
            themes.setdefault(row.dossier.theme_id, row.dossier.theme)
        totals = {total.theme.pk: total for total in figures.themes}
        return self.render_to_response(
            self.get_context_data(
                scenario=self.scenario,
                envelope=self.envelope,
                form=form,
                rows=rows,
                left_out=left_out,
                errors=errors,
                figures=figures,
                themes=[(theme, totals.get(theme.pk) or ThemeTotal(theme=theme)) for theme in themes.values()],
                envelope_cents=cents(self.envelope.amount),
                committed_cents=cents(committed),
                js_messages={
                    "within": _("The scenario fits in the envelope's room."),
                    "exceeds": _("The scenario exceeds the envelope's room by %(amount)s."),
                    "above_base": _("above the eligible base"),
                    "above_requested": _("above the amount requested"),
                    "not_a_number": _("not a number"),
                },
            )
        )


class ScenarioDetailView(ScenarioPageMixin, generic.TemplateView):
    """A scenario: its figures against the envelope, its totals by theme and its dossiers; the actions
    the user may take on it."""

    template_name = "committees/scenario_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        scenario = self.get_scenario()
        can_turn = can_turn_scenarios(user) and scenario.session_id is None
        return super().get_context_data(
            scenario=scenario,
            figures=scenario_figures(scenario),
            reviewed=DossierState.REVIEWED,
            can_change=can_change_scenario(user, scenario),
            can_turn=can_turn,
            sessions=sessions_open_for_agenda() if can_turn else [],
            can_view_sessions=can_view_sessions(user),
            **kwargs,
        )


class ScenarioCompareView(ScenarioPageMixin, generic.TemplateView):
    """Scenarios of one envelope side by side: totals, remaining room, totals by theme, and the amount
    each gives to each dossier."""

    template_name = "committees/scenario_compare.html"

    def get_context_data(self, **kwargs):
        ids = sorted({int(value) for value in self.request.GET.getlist("scenarios") if value.isdigit()})
        scenarios = list(scenario_list_for_user(self.request.user).filter(pk__in=ids))
        if len(scenarios) != len(ids):
            raise Http404(_("No such scenario, or it is outside your scope."))
        comparison, error = None, ""
        try:
            comparison = scenarios_compare(scenarios)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        return super().get_context_data(comparison=comparison, error=error, **kwargs)


class ScenarioToAgendaView(ScenarioPageMixin, generic.View):
    """Turns the scenario into the agenda of an open session, then says what went on and what was
    refused, and why."""

    def post(self, request, pk):
        scenario = self.get_scenario()
        if not can_turn_scenarios(request.user):
            raise PermissionDenied
        session_id = request.POST.get("session", "")
        session = sessions_open_for_agenda().filter(pk=int(session_id)).first() if session_id.isdigit() else None
        if session is None:
            messages.error(request, _("Choose a session whose agenda is open."))
            return redirect("scenarios:scenario_detail", pk=scenario.pk)
        try:
            report = scenario_to_agenda(
                scenario=scenario, session=session, actor=request.user, ip_address=client_ip(request)
            )
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
            return redirect("scenarios:scenario_detail", pk=scenario.pk)
        if report.scheduled:
            messages.success(
                request,
                _("Put on the agenda of %(session)s: %(dossiers)s.")
                % {"session": session, "dossiers": ", ".join(dossier.reference for dossier in report.scheduled)},
            )
        else:
            messages.error(request, _("No dossier of the scenario was put on the agenda."))
        for dossier, reason in report.refused:
            messages.error(
                request,
                _("%(dossier)s was not put on the agenda: %(reason)s")
                % {"dossier": dossier.reference, "reason": reason},
            )
        return redirect("scenarios:scenario_detail", pk=scenario.pk)


class ScenarioDeleteView(ScenarioPageMixin, generic.View):
    def post(self, request, pk):
        scenario = self.get_scenario()
        scenario_delete(actor=request.user, scenario=scenario)
        messages.success(request, _("The scenario “%(name)s” was deleted.") % {"name": scenario.name})
        return redirect("scenarios:index")


class ScenarioViewset(Application):
    """The scenarios ("simulation") in the staff site's menu."""

    title = gettext_lazy("Scenarios")
    icon = "calculate"
    app_name = "scenarios"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return can_view_scenarios(user)

    @property
    def index_path(self):
        return path("", ScenarioListView.as_view(), name="index")

    @property
    def scenario_create_path(self):
        return path("new/", ScenarioFormView.as_view(), name="scenario_create")

    @property
    def scenario_compare_path(self):
        return path("compare/", ScenarioCompareView.as_view(), name="scenario_compare")

    @property
    def scenario_detail_path(self):
        return path("<int:pk>/", ScenarioDetailView.as_view(), name="scenario_detail")

    @property
    def scenario_edit_path(self):
        return path("<int:pk>/edit/", ScenarioFormView.as_view(editing=True), name="scenario_edit")

    @property
    def scenario_to_agenda_path(self):
        return path("<int:pk>/agenda/", ScenarioToAgendaView.as_view(), name="scenario_to_agenda")

    @property
    def scenario_delete_path(self):
        return path("<int:pk>/delete/", ScenarioDeleteView.as_view(), name="scenario_delete")
