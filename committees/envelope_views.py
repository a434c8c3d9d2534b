"""The envelopes' pages on the staff site (`workflows.frontend.site`) at /region/envelopes/."""

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.urls import Application

from committees.envelopes import can_view_envelopes, contract_figures, contract_list_for_user, totals


class EnvelopeListView(generic.TemplateView):
    """Every envelope the user may see, by contract: amount, committed, remaining, planned."""

    template_name = "committees/envelope_list.html"

    def dispatch(self, request, *args, **kwargs):
        if not can_view_envelopes(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        contracts = contract_list_for_user(self.request.user).order_by("territory__name", "generation")
        territory = self.request.GET.get("territoire", "")
        if territory.isdigit():
            contracts = contracts.filter(territory_id=int(territory))
        rows = contract_figures(contracts)
        return super().get_context_data(rows=rows, totals=totals(rows), **kwargs)


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
