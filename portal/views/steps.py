"""The dossier form, step by step: each step saves the draft through one service; a refused step
shows the user's input again with the errors on their fields."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _

from dossiers.enums import PUBLIC_LAW_FORMS, DossierKind, FunderKind, SelfFinancingExemption
from dossiers.http import client_ip
from dossiers.models import Dossier, RuleSet
from dossiers.money import format_eur, format_rate
from dossiers.rules import dossier_financing_plan, meets_self_financing
from dossiers.services import EDITABLE_STATES, piece_add
from portal import selectors, services
from portal.enums import STATE_EXPLANATIONS, Step
from portal.forms import (
    DatesForm,
    ExpenseFormSet,
    FundingFormSet,
    PieceUploadForm,
    PlaceForm,
    PlanOptionsForm,
    ProjectForm,
    SubmitForm,
    project_initial,
)
from portal.views.common import add_errors, get_dossier, posted, sponsor_required
from workflows.enums import DossierState
from workflows.services import TransitionRefused, dossier_resubmit, dossier_submit

STEPS = list(Step)


def steps_nav(dossier: Dossier, current: str | None) -> list[dict]:
    to_complete = set(selectors.steps_to_complete(dossier))
    return [
        {
            "step": step,
            "label": step.label,
            "number": index,
            "url": reverse("portal:dossier_step", args=[dossier.pk, step.value]),
            "current": step == current,
            "status": "" if step == Step.REVIEW else ("to_complete" if step in to_complete else "done"),
        }
        for index, step in enumerate(STEPS, start=1)
    ]


def next_step_url(dossier: Dossier, step: Step) -> str:
    following = STEPS[STEPS.index(step) + 1]
    return reverse("portal:dossier_step", args=[dossier.pk, following.value])


@sponsor_required
def dossier_step(request, pk, step):
    dossier = get_dossier(request, pk)
    try:
        step = Step(step)
    except ValueError:
        raise Http404 from None
    if dossier.state not in EDITABLE_STATES:
        messages.info(
            request,
            _("This dossier is “%(state)s”: it can no longer be edited.") % {"state": dossier.get_state_display()},
        )
        return redirect("portal:dossier_detail", pk=dossier.pk)
    if dossier.kind == DossierKind.ENGINEERING and step in (Step.DATES, Step.FINANCING):
        messages.info(request, _("An engineering post's period and financing plan follow the post: change them here."))
        return redirect("engineering:post_edit", pk=dossier.pk)
    handler = {
        Step.PROJECT: _step_project,
        Step.PLACE: _step_place,
        Step.DATES: _step_dates,
        Step.FINANCING: _step_financing,
        Step.PIECES: _step_pieces,
        Step.REVIEW: _step_review,
    }[step]
    return handler(request, dossier, step)


def _render_step(request, dossier, step, context, status=200):
    context = {
        "dossier": dossier,
        "step": step,
        "steps": steps_nav(dossier, step),
        "explanation": STATE_EXPLANATIONS[dossier.state],
        **context,
    }
    return render(request, f"portal/step_{step.name.lower()}.html", context, status=status)


def _saved(request, dossier, step, *, again: bool = False):
    messages.success(request, _("Saved."))
    if again:
        return redirect("portal:dossier_step", pk=dossier.pk, step=step.value)
    return redirect(next_step_url(dossier, step))


def _step_project(request, dossier, step):
    form = ProjectForm(posted(request), user=request.user, initial=project_initial(dossier))
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_project_update(dossier=dossier, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(error, form)
        else:
            return _saved(request, dossier, step)
    return _render_step(request, dossier, step, {"form": form, "forms": [form]})


def adding_commune(request) -> bool:
    """Whether "add this commune" was pressed with a commune typed (Enter in another box of the form
    also presses it, being the form's first button: then the form is simply submitted)."""
    return "add_commune" in request.POST and bool(
        request.POST.get("communes_add", "").strip() or request.POST.get("communes_add_insee", "").strip()
    )


def with_commune_added(place: PlaceForm) -> PlaceForm:
    """The place form again, with the commune typed in the box now ticked in the list."""
    data = place.data.copy()
    data.setlist("communes", [commune.insee for commune in place.cleaned_data["communes"]])
    data["communes_add"] = data["communes_add_insee"] = ""
    return PlaceForm(data)


def _step_place(request, dossier, step):
    form = PlaceForm(posted(request), initial={"communes": list(dossier.communes.all())})
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_place_update(dossier=dossier, actor=request.user, communes=form.cleaned_data["communes"])
        except ValidationError as error:
            add_errors(error, form, field="communes")
        else:
            return _saved(request, dossier, step, again=adding_commune(request))
    return _render_step(request, dossier, step, {"form": form, "forms": [form]})


def _step_dates(request, dossier, step):
    initial = {"planned_start": dossier.planned_start, "planned_end": dossier.planned_end}
    form = DatesForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_dates_update(dossier=dossier, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(error, form)
        else:
            return _saved(request, dossier, step)
    return _render_step(request, dossier, step, {"form": form, "forms": [form]})


def _plan_messages() -> dict[str, str]:
    """The sentences of the plan's live check, shared by the server and the browser's script."""
    return {
        "live": _("Totals of what is typed, updated as you type."),
        "empty": _("Add the expenses and the resources of the project."),
        "balanced": _("Balanced: the resources equal the total cost."),
        "missing": _("Not balanced: %(amount)s of resources are missing."),
        "surplus": _("Not balanced: the resources exceed the cost by %(amount)s."),
        "region_above": _(
            "The amount requested from the Region (%(region)s) exceeds the eligible expenses (%(eligible)s)."
        ),
        "self_ok": _("Self-financing: %(share)s of the public funding (at least %(minimum)s required): met."),
        "self_short": _("Self-financing: %(share)s of the public funding (at least %(minimum)s required): not met."),
        "self_none": _("Self-financing: no public funding yet."),
        "self_exempt": _("Self-financing rule: an exemption is claimed."),
    }


def _plan_status(plan, *, public_law: bool, exempt: bool, min_rate) -> list[str]:
    texts = _plan_messages()
    if plan.total_cost == 0 and plan.total_funding == 0:
        return [texts["empty"]]
    balance = plan.total_funding - plan.total_cost
    if balance == 0:
        lines = [texts["balanced"]]
    elif balance < 0:
        lines = [texts["missing"] % {"amount": format_eur(-balance)}]
    else:
        lines = [texts["surplus"] % {"amount": format_eur(balance)}]
    if plan.region_funding > plan.eligible_expenses:
        lines.append(
            texts["region_above"]
            % {"region": format_eur(plan.region_funding), "eligible": format_eur(plan.eligible_expenses)}
        )
    if public_law:
        if exempt:
            lines.append(texts["self_exempt"])
        elif plan.public_funding == 0:
            lines.append(texts["self_none"])
        else:
            key = "self_ok" if meets_self_financing(plan, min_rate) else "self_short"
            lines.append(
                texts[key] % {"share": format_rate(plan.own_share_of_public), "minimum": format_rate(min_rate)}
            )
    return lines


def _step_financing(request, dossier, step):
    public_law = dossier.organisation.legal_form in PUBLIC_LAW_FORMS
    data = posted(request)
    # The plan is replaced as a whole: what is posted is compared with blank lines, not with the saved
    # ones, so that every line typed counts.
    expenses = ExpenseFormSet(
        data,
        prefix="expenses",
        initial=None if data else list(dossier.expense_lines.values("label", "amount", "is_eligible")),
    )
    funding = FundingFormSet(
        data,
        prefix="funding",
        initial=None if data else list(dossier.funding_lines.values("funder_kind", "funder_name", "amount", "status")),
    )
    options = PlanOptionsForm(
        data,
        public_law=public_law,
        initial={"tax_basis": dossier.tax_basis, "self_financing_exemption": dossier.self_financing_exemption},
    )
    if request.method == "POST" and all([expenses.is_valid(), funding.is_valid(), options.is_valid()]):
        try:
            saved = services.financing_plan_save(
                dossier=dossier,
                actor=request.user,
                expenses=expenses.lines(),
                funding=funding.lines(),
                tax_basis=options.cleaned_data["tax_basis"],
                self_financing_exemption=options.cleaned_data.get(
                    "self_financing_exemption", SelfFinancingExemption.NONE
                ),
            )
        except ValidationError as error:
            add_errors(error, options)
        else:
            if "add_lines" in request.POST:
                return _saved(request, dossier, step, again=True)
            if selectors.financing_problems(saved):
                messages.warning(
                    request, _("The plan is saved, but it cannot be submitted as it is: see the checks below.")
                )
                return redirect("portal:dossier_step", pk=dossier.pk, step=step.value)
            return _saved(request, dossier, step)
    rule_set = dossier.rule_set or RuleSet.objects.current()
    plan = dossier_financing_plan(dossier)
    return _render_step(
        request,
        dossier,
        step,
        {
            "expenses": expenses,
            "funding": funding,
            "options": options,
            "forms": [*expenses.forms, *funding.forms, options],
            "plan": plan,
            "status": _plan_status(
                plan,
                public_law=public_law,
                exempt=dossier.self_financing_exemption != SelfFinancingExemption.NONE,
                min_rate=rule_set.self_financing_min_rate,
            ),
            "plan_messages": _plan_messages(),
            "problems": selectors.financing_problems(dossier),
            "public_law": public_law,
            "min_rate": rule_set.self_financing_min_rate,
            "region_kind": FunderKind.REGION.value,
            "own_kind": FunderKind.OWN.value,
            "private_kind": FunderKind.PRIVATE.value,
        },
    )


def _step_pieces(request, dossier, step):
    legal_form = dossier.organisation.legal_form
    pieces = list(dossier.pieces.select_related("piece_type"))
    bound_target = request.POST.get("target", "") if request.method == "POST" else ""
    forms_by_target = {}

    def form_for(target):
        if target == bound_target:
            form = PieceUploadForm(request.POST, request.FILES, prefix=target)
        else:
            form = PieceUploadForm(prefix=target)
        forms_by_target[target] = form
        return form

    checklist_types = selectors.piece_types_for(legal_form)
    checklist = [
        {
            "type": piece_type,
            "pieces": [(piece, form_for(f"p{piece.pk}")) for piece in pieces if piece.piece_type_id == piece_type.pk],
            "form": form_for(f"t{piece_type.pk}"),
        }
        for piece_type in checklist_types
    ]
    listed = {piece_type.pk for piece_type in checklist_types}
    others = [(piece, form_for(f"p{piece.pk}")) for piece in pieces if piece.piece_type_id not in listed]
    if request.method == "POST":
        form = forms_by_target.get(bound_target)
        if form is None:
            raise Http404
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                if bound_target.startswith("t"):
                    piece_type = next(i["type"] for i in checklist if f"t{i['type'].pk}" == bound_target)
                    piece_add(dossier=dossier, actor=request.user, piece_type=piece_type, uploaded=uploaded)
                else:
                    piece = next(p for p in pieces if f"p{p.pk}" == bound_target)
                    services.piece_replace(piece=piece, actor=request.user, uploaded=uploaded)
            except ValidationError as error:
                add_errors(error, form, field="file")
            else:
                messages.success(request, _("The file “%(name)s” is received.") % {"name": uploaded.name})
                return redirect("portal:dossier_step", pk=dossier.pk, step=step.value)
    return _render_step(
        request,
        dossier,
        step,
        {
            "checklist": checklist,
            "others": others,
            "forms": [forms_by_target[bound_target]] if bound_target in forms_by_target else [],
            "max_size": filesizeformat(settings.PIECE_MAX_SIZE),
        },
    )


def _step_review(request, dossier, step):
    form = SubmitForm(posted(request))
    refusal = None
    if request.method == "POST" and form.is_valid():
        service = dossier_resubmit if dossier.state == DossierState.INCOMPLETE else dossier_submit
        try:
            submitted = service(dossier=dossier, actor=request.user, ip_address=client_ip(request))
        except TransitionRefused as refused:
            refusal = refused
        else:
            messages.success(
                request,
                _("Dossier %(reference)s submitted: the Region acknowledges receipt by e-mail.")
                % {"reference": submitted.reference},
            )
            return redirect("portal:dossier_detail", pk=dossier.pk)
    problems = refusal.problems if refusal else selectors.dossier_open_problems(dossier)
    grouped = selectors.problems_by_step(problems)
    return _render_step(
        request,
        dossier,
        step,
        {
            "form": form,
            "forms": [form],
            "refused": refusal is not None,
            "general_problems": grouped.get("", []),
            "step_problems": [
                {
                    "step": s,
                    "label": s.label,
                    "url": reverse("portal:dossier_step", args=[dossier.pk, s.value]),
                    "problems": grouped[s],
                }
                for s in STEPS
                if s in grouped
            ],
            "problem_count": len(problems),
            "plan": dossier_financing_plan(dossier),
            "communes": dossier.communes.all(),
            "pieces": dossier.pieces.select_related("piece_type"),
            "resubmission": dossier.state == DossierState.INCOMPLETE,
        },
    )
