"""Les chiffres on the staff site (`workflows.frontend.site`, /region/chiffres/, URL names `figures:…`):
the region's (or, for an officer, their territories') figures, with the charts and their tables, by
contract type, department, territory or theme, filtered by generation and year.

Who: `figures.selectors.can_view_figures`; anyone else gets a 404. The page runs the same number of
queries whatever the number of dossiers, and one when the figures are in the cache."""

from functools import partial

from django import forms
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.urls import Application

from dossiers.enums import Generation
from figures.charts import envelope_bars, theme_bars, tile_map
from figures.selectors import CACHE_TIMEOUT, FILED_STATES, Filters, can_view_figures, dashboard_for_user
from workflows.enums import DossierState

FIRST_YEAR = 2018
DIMENSION_CHOICES = [
    ("territory", gettext_lazy("Territory")),
    ("department", gettext_lazy("Department")),
    ("contract_type", gettext_lazy("Contract type")),
    ("theme", gettext_lazy("Theme")),
]


class FiguresFilterForm(forms.Form):
    """The filters; a value outside the choices is ignored, not an error page."""

    generation = forms.ChoiceField(label=gettext_lazy("Generation"), required=False)
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int, required=False)
    by = forms.ChoiceField(label=gettext_lazy("Figures by"), choices=DIMENSION_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["generation"].choices = everything + list(Generation.choices)
        years = range(timezone.localdate().year + 1, FIRST_YEAR - 1, -1)
        self.fields["year"].choices = everything + [(year, year) for year in years]

    def value(self, name):
        """The field's cleaned value, None when it is empty or invalid."""
        self.is_valid()
        return self.cleaned_data.get(name) or None


class FiguresView(generic.TemplateView):
    template_name = "figures/dashboard.html"

    def dispatch(self, request, *args, **kwargs):
        if not can_view_figures(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form = FiguresFilterForm(self.request.GET)
        filters = Filters(generation=form.value("generation"), year=form.value("year"))
        by = form.value("by") or "territory"
        dashboard = dashboard_for_user(self.request.user, filters)
        query = self.request.GET.copy()
        query.pop("by", None)
        return super().get_context_data(
            form=form,
            dashboard=dashboard,
            region=dashboard.region,
            by=by,
            by_label=dict(DIMENSION_CHOICES)[by],
            dimensions=DIMENSION_CHOICES,
            rows=dashboard.by[by],
            with_envelopes=by != "theme",
            states=[(state, DossierState(state).label) for state in FILED_STATES],
            # Drawn only when the page's rendering is not in the cache (the template calls them).
            theme_chart=partial(theme_bars, dashboard.by["theme"]),
            envelope_chart=partial(envelope_bars, dashboard.by["territory"]),
            type_map=partial(tile_map, dashboard, mode="type"),
            amount_map=partial(tile_map, dashboard, mode="amount"),
            query=query.urlencode(),
            cache_timeout=CACHE_TIMEOUT,
            **kwargs,
        )


class FiguresViewset(Application):
    """Les chiffres in the staff site's menu, at /region/chiffres/ (URL names `figures:…`)."""

    title = gettext_lazy("Figures")
    icon = "bar_chart"
    # The URL's prefix is the app name (French, as the issue names the pages); the namespace is English.
    app_name = "chiffres"
    namespace = "figures"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return can_view_figures(user)

    def _get_resolver_extra(self):
        # As for the roadmaps: the view answers other roles with a 404 (viewflow's middleware would
        # answer a 403); the menu still hides the app.
        return {"viewset": self}

    @property
    def index_path(self):
        return path("", FiguresView.as_view(), name="index")
