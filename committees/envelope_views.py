"""The envelopes' pages on the staff site (`workflows.frontend.site`): the region's envelopes by
contract (/region/envelopes/, filterable, exported as CSV) and each contract's envelopes with the
dossiers behind their figures (/region/envelopes/<contract>/). Each page runs the same number of
queries whatever the number of contracts, envelopes and dossiers."""

import csv
import io

from django import forms
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views import generic
from viewflow.urls import Application

from committees.envelopes import (
    Figures,
    can_view_envelopes,
    contract_figures,
    contract_list_for_user,
    contract_page_figures,
    envelope_year_list_for_user,
    territory_list_for_user,
    totals,
    totals_by_axis,
    totals_by_year,
)
from documents.spreadsheets import csv_amount, csv_text
from dossiers.enums import Generation


class EnvelopeFilterForm(forms.Form):
    """The region page's filters; a value outside the user's choices is ignored, not an error page."""

    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)
    territory = forms.TypedChoiceField(label=gettext_lazy("Territory"), coerce=int, required=False)
    generation = forms.ChoiceField(label=gettext_lazy("Generation"), required=False)
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        territories = list(territory_list_for_user(user))
        departments = sorted({territory.department for territory in territories}, key=lambda d: d.code)
        everything = [("", _("All"))]
        self.fields["department"].choices = everything + [(d.code, str(d)) for d in departments]
        self.fields["territory"].choices = everything + [(t.pk, t.name) for t in territories]
        self.fields["generation"].choices = everything + list(Generation.choices)
        self.fields["year"].choices = everything + [(year, year) for year in envelope_year_list_for_user(user)]

    def filter_value(self, name):
        """The field's cleaned value, None when it is empty or invalid."""
        self.is_valid()
        return self.cleaned_data.get(name) or None


class EnvelopeAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_view_envelopes(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class RegionFiguresMixin(EnvelopeAccessMixin):
    """The contracts the user may see, filtered, with their figures."""

    def region_figures(self) -> tuple[EnvelopeFilterForm, list]:
        user = self.request.user
        form = EnvelopeFilterForm(self.request.GET, user=user)
        contracts = contract_list_for_user(user).order_by("territory__name", "generation")
        if department := form.filter_value("department"):
            contracts = contracts.filter(territory__department_id=department)
        if territory := form.filter_value("territory"):
            contracts = contracts.filter(territory_id=territory)
        if generation := form.filter_value("generation"):
            contracts = contracts.filter(generation=generation)
        year = form.filter_value("year")
        if year:
            contracts = contracts.filter(envelopes__year=year).distinct()
        return form, contract_figures(contracts, year=year)


class EnvelopeListView(RegionFiguresMixin, generic.TemplateView):
    """Every envelope the user may see, by contract, then by year and by axis: amount, planned,
    committed, paid, remaining."""

    template_name = "committees/envelope_list.html"

    def get_context_data(self, **kwargs):
        form, rows = self.region_figures()
        return super().get_context_data(
            form=form,
            rows=rows,
            totals=totals(rows),
            by_year=totals_by_year(rows),
            by_axis=totals_by_axis(rows),
            query=self.request.GET.urlencode(),
            **kwargs,
        )


class EnvelopeExportView(RegionFiguresMixin, generic.View):
    """The region page's table as CSV for French spreadsheets (UTF-8 with BOM, semicolons), one row
    per envelope, plus one per contract for its proposals not yet on an envelope: the columns add up."""

    def get(self, request, *args, **kwargs):
        _form, rows = self.region_figures()
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(
            [
                _("Department"),
                _("Territory"),
                _("Contract"),
                _("Generation"),
                _("Envelope"),
                _("Year"),
                _("Axis"),
                _("Open"),
                _("Amount"),
                _("Planned"),
                _("Committed"),
                pgettext("envelope figure", "Paid"),
                _("Remaining"),
                _("Remaining after the planned proposals"),
            ]
        )
        for row in rows:
            contract = row.contract
            head = [
                csv_text(contract.territory.department),
                csv_text(contract.territory.name),
                csv_text(contract.name),
                csv_text(contract.get_generation_display()),
            ]
            for line in row.envelopes:
                envelope = line.envelope
                writer.writerow(
                    head
                    + [
                        csv_text(envelope.label),
                        envelope.year or "",
                        csv_text(envelope.axis),
                        _("yes") if envelope.is_open else _("no"),
                    ]
                    + [csv_amount(value) for value in self.amounts(line)]
                )
            if row.unassigned_planned:
                unassigned = Figures(planned=row.unassigned_planned)
                writer.writerow(
                    head
                    + [_("Proposals not yet on an envelope"), "", "", ""]
                    + [csv_amount(value) for value in self.amounts(unassigned)]
                )
        response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
        filename = f"enveloppes-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @staticmethod
    def amounts(figures):
        return (
            figures.amount,
            figures.planned,
            figures.committed,
            figures.paid,
            figures.remaining,
            figures.remaining_after_planned,
        )


class EnvelopeContractView(EnvelopeAccessMixin, generic.TemplateView):
    """One contract's envelopes, by year and by axis, with the dossiers committed on each and the
    proposals planned; officers see the contracts of their territories only."""

    template_name = "committees/envelope_contract.html"

    def get_context_data(self, **kwargs):
        contract = contract_list_for_user(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if contract is None:
            raise Http404(_("No such contract, or it is outside your scope."))
        page = contract_page_figures(contract)
        rows = [page.figures]
        return super().get_context_data(
            contract=contract,
            row=page.figures,
            unfiled=page.unfiled,
            proposals=page.proposals,
            by_year=totals_by_year(rows),
            by_axis=totals_by_axis(rows),
            **kwargs,
        )


class EnvelopeViewset(Application):
    """The envelopes (autorisations de programme) in the staff site's menu."""

    title = gettext_lazy("Envelopes")
    icon = "account_balance"
    app_name = "envelopes"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return can_view_envelopes(user)

    @property
    def index_path(self):
        return path("", EnvelopeListView.as_view(), name="index")

    export_path = path("export.csv", EnvelopeExportView.as_view(), name="export")
    contract_path = path("<int:pk>/", EnvelopeContractView.as_view(), name="contract")
