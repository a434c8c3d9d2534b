"""Territorial diagnostics on the staff site (`workflows.frontend.site`, /region/diagnostics/, URL names
`diagnostics:…`): the diagnostics in the user's scope with their proposal beside the contract's actual
type; a diagnostic's page (values, reasons, history, override); for administrators the entry form, the
CSV import, the method's versions and the classification of a vintage.

Who sees what is in `diagnostics.selectors`; anyone outside gets a 404 on every address, as for a
diagnostic outside their scope. The list runs the same number of queries whatever its length."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.urls import Application

from diagnostics.enums import VulnerabilityClass
from diagnostics.forms import ClassifyForm, DiagnosticValuesForm, ImportForm, MethodForm, OverrideForm
from diagnostics.imports import ImportRefused
from diagnostics.models import ClassificationMethod, Diagnostic, Indicator
from diagnostics.selectors import (
    attach_summaries,
    diagnostic_list_for_user,
    reasons_for_display,
    sees_diagnostics,
    with_latest,
)
from diagnostics.services import (
    current_method,
    diagnostic_save_values,
    diagnostics_import_csv,
    method_publish,
    proposal_override,
    vintage_classify,
)
from dossiers.http import error_text
from dossiers.selectors import territory_list_for_user
from workflows.permissions import is_administrator


class DiagnosticAccessMixin:
    """A 404 for anyone who sees no diagnostic; `administrators_only` pages give a 404 to the readers too.
    With `pk`, the diagnostic is resolved within the user's scope first, whatever the method."""

    administrators_only = False

    def dispatch(self, request, *args, **kwargs):
        if not sees_diagnostics(request.user):
            raise Http404
        if self.administrators_only and not is_administrator(request.user):
            raise Http404
        if "pk" in kwargs:
            self.diagnostic = diagnostic_list_for_user(request.user).filter(pk=kwargs["pk"]).first()
            if self.diagnostic is None:
                raise Http404(_("No such diagnostic, or it is outside your scope."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_administer=is_administrator(self.request.user), **kwargs)


class DiagnosticIndexView(DiagnosticAccessMixin, generic.ListView):
    """The diagnostics in scope, most recent vintage first, filterable by vintage."""

    template_name = "diagnostics/diagnostic_index.html"
    paginate_by = 50
    context_object_name = "diagnostics"

    def scope(self):
        return diagnostic_list_for_user(self.request.user)

    def get_queryset(self):
        diagnostics = with_latest(self.scope()).order_by("-vintage", "territory__name", "pk")
        vintage = self.request.GET.get("vintage", "")
        if vintage.isdigit():
            diagnostics = diagnostics.filter(vintage=int(vintage))
        return diagnostics

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["diagnostics"] = attach_summaries(list(context["diagnostics"]))
        vintages = list(self.scope().order_by("-vintage").values_list("vintage", flat=True).distinct())
        method = current_method()
        return {
            **context,
            "vintages": vintages,
            "vintage": self.request.GET.get("vintage", ""),
            "method": method,
            "classify_form": ClassifyForm(vintages=vintages),
            "strong": VulnerabilityClass.STRONG,
            "relative": VulnerabilityClass.RELATIVE,
        }


class DiagnosticDetailView(DiagnosticAccessMixin, generic.TemplateView):
    """A territory's diagnostic: its values per dimension, the current proposal with its reasons beside
    the contract's actual type, the override in force, the earlier classifications and overrides."""

    template_name = "diagnostics/diagnostic_detail.html"

    def get_context_data(self, **kwargs):
        diagnostic = attach_summaries(list(with_latest(Diagnostic.objects.filter(pk=self.diagnostic.pk))))[0]
        diagnostic.territory = self.diagnostic.territory
        return super().get_context_data(
            diagnostic=diagnostic,
            values=list(diagnostic.values.select_related("indicator")),
            reasons=reasons_for_display(diagnostic.classification),
            classifications=list(diagnostic.classifications.select_related("method", "computed_by").order_by("-pk")),
            overrides=list(diagnostic.overrides.select_related("decided_by", "classification__method").order_by("-pk")),
            override_form=OverrideForm(
                initial={"contract_type": diagnostic.classification.proposed_contract_type}
                if diagnostic.classification
                else {}
            ),
            **kwargs,
        )


class DiagnosticFormView(DiagnosticAccessMixin, generic.FormView):
    """Entering a diagnostic's values (a new one: its territory and vintage too)."""

    administrators_only = True
    template_name = "diagnostics/diagnostic_form.html"
    form_class = DiagnosticValuesForm

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "indicators": Indicator.objects.all()}
        if hasattr(self, "diagnostic"):
            kwargs["values"] = {value.indicator_id: value for value in self.diagnostic.values.all()}
        else:
            kwargs["territories"] = territory_list_for_user(self.request.user)
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(diagnostic=getattr(self, "diagnostic", None), **kwargs)

    def form_valid(self, form):
        existing = getattr(self, "diagnostic", None)
        territory = existing.territory if existing else form.cleaned_data["territory"]
        vintage = existing.vintage if existing else form.cleaned_data["vintage"]
        try:
            diagnostic = diagnostic_save_values(
                actor=self.request.user, territory=territory, vintage=vintage, entries=form.entries()
            )
        except (PermissionDenied, ValidationError) as error:
            form.add_error(None, error_text(error))
            return self.form_invalid(form)
        messages.success(self.request, _("The diagnostic's values were saved."))
        return redirect("diagnostics:detail", pk=diagnostic.pk)


class ImportView(DiagnosticAccessMixin, generic.FormView):
    administrators_only = True
    template_name = "diagnostics/import.html"
    form_class = ImportForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(indicators=Indicator.objects.all(), **kwargs)

    def form_valid(self, form):
        try:
            result = diagnostics_import_csv(actor=self.request.user, content=form.cleaned_data["file"].read())
        except ImportRefused as refused:
            return self.render_to_response(self.get_context_data(form=form, line_errors=refused.errors))
        except PermissionDenied as error:
            form.add_error(None, error_text(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(values)s values imported, %(created)s new diagnostics.")
            % {"values": result.values, "created": result.diagnostics_created},
        )
        return redirect("diagnostics:index")


class MethodListView(DiagnosticAccessMixin, generic.ListView):
    """Every version of the classification method (readers see them too: they explain the proposals)."""

    template_name = "diagnostics/method_list.html"
    context_object_name = "methods"
    paginate_by = 50

    def get_queryset(self):
        return ClassificationMethod.objects.select_related("published_by").order_by("-version")


class MethodPublishView(DiagnosticAccessMixin, generic.FormView):
    administrators_only = True
    template_name = "diagnostics/method_form.html"
    form_class = MethodForm

    def get_initial(self):
        current = current_method()
        if current is None:
            return {}
        return {name: getattr(current, name) for name in MethodForm.Meta.fields if name != "note"}

    def get_context_data(self, **kwargs):
        return super().get_context_data(current=current_method(), **kwargs)

    def form_valid(self, form):
        try:
            method = method_publish(actor=self.request.user, note=form.cleaned_data["note"], **form.values())
        except (PermissionDenied, ValidationError) as error:
            form.add_error(None, error_text(error))
            return self.form_invalid(form)
        messages.success(
            self.request, _("Version %(version)s of the method is published.") % {"version": method.version}
        )
        return redirect("diagnostics:methods")


class ClassifyView(DiagnosticAccessMixin, generic.View):
    administrators_only = True
    http_method_names = ["post"]

    def post(self, request):
        vintages = Diagnostic.objects.order_by().values_list("vintage", flat=True).distinct()
        form = ClassifyForm(request.POST, vintages=vintages)
        if not form.is_valid():
            messages.error(request, _("Choose a vintage."))
            return redirect("diagnostics:index")
        try:
            classifications = vintage_classify(actor=request.user, vintage=form.cleaned_data["vintage"])
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                _("%(count)s diagnostics of %(vintage)s classified.")
                % {"count": len(classifications), "vintage": form.cleaned_data["vintage"]},
            )
        return redirect(reverse("diagnostics:index") + f"?vintage={form.cleaned_data['vintage']}")


class OverrideView(DiagnosticAccessMixin, generic.FormView):
    """The administrator's override of the proposal, with its mandatory comment."""

    administrators_only = True
    template_name = "diagnostics/override_form.html"
    form_class = OverrideForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(diagnostic=self.diagnostic, **kwargs)

    def form_valid(self, form):
        try:
            proposal_override(actor=self.request.user, diagnostic=self.diagnostic, **form.cleaned_data)
        except (PermissionDenied, ValidationError) as error:
            form.add_error(None, error_text(error))
            return self.form_invalid(form)
        messages.success(self.request, _("The override of the proposal is recorded."))
        return redirect("diagnostics:detail", pk=self.diagnostic.pk)


class DiagnosticViewset(Application):
    """The territorial diagnostics in the staff site's menu, at /region/diagnostics/."""

    title = gettext_lazy("Diagnostics")
    icon = "analytics"
    app_name = "diagnostics"
    namespace = "diagnostics"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return sees_diagnostics(user)

    def _get_resolver_extra(self):
        # As for the roadmaps: the views answer 404 to other roles (the middleware would answer 403).
        return {"viewset": self}

    @property
    def index_path(self):
        return path("", DiagnosticIndexView.as_view(), name="index")

    create_path = path("new/", DiagnosticFormView.as_view(), name="create")
    import_path = path("import/", ImportView.as_view(), name="import")
    classify_path = path("classify/", ClassifyView.as_view(), name="classify")
    methods_path = path("methods/", MethodListView.as_view(), name="methods")
    method_publish_path = path("methods/new/", MethodPublishView.as_view(), name="method_publish")
    detail_path = path("<int:pk>/", DiagnosticDetailView.as_view(), name="detail")
    edit_path = path("<int:pk>/edit/", DiagnosticFormView.as_view(), name="edit")
    override_path = path("<int:pk>/override/", OverrideView.as_view(), name="override")
