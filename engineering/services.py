"""Territorial engineering posts: the draft dossier that funds a post, its changes while it is a draft,
and the yearly activity reports once the grant is notified.

An engineering dossier is an ordinary dossier of kind `engineering`: it is created through
`dossiers.services.dossier_create` and its financing plan through `portal.services.financing_plan_save`,
so that the submission, the instruction, the votes and the payments treat it like a project. Its plan is
built from the post: one expense line per year of the period (the annual cost pro rata), the Region's
line (the regional amount) and the sponsor's own contribution for the rest.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from documents.uploads import check_upload, save_with_file
from dossiers.enums import ContractStatus, DossierKind, FunderKind, FundingStatus, TaxBasis
from dossiers.models import Contract, Dossier, Organisation, RuleSet, Theme
from dossiers.money import ZERO, add_months, format_eur, format_rate, round_cents
from dossiers.rules import financing_plan, meets_self_financing
from dossiers.services import dossier_create
from engineering.enums import REPORTING_STATES, ReportStatus
from engineering.models import ActivityReport, EngineeringPost
from portal.services import financing_plan_save
from workflows.enums import DossierState
from workflows.permissions import organisation_ids

THEME_CODE = "ingenierie"
THEME_LABEL = "Ingénierie territoriale"
MAX_MONTHS = 36
# A year's activity report is due by 31 March of the following year.
REPORT_DUE_MONTH, REPORT_DUE_DAY = 3, 31


@dataclass(frozen=True)
class EngineeringPostData:
    post_title: str
    holder_name: str
    period_start: date
    period_end: date
    annual_cost: Decimal
    regional_rate: Decimal


@dataclass(frozen=True)
class PostFigures:
    months: int
    total_cost: Decimal
    regional_amount: Decimal
    expenses: list[tuple[str, Decimal]]

    @property
    def own_contribution(self) -> Decimal:
        return self.total_cost - self.regional_amount


# Computations ---------------------------------------------------------------------------------------


def period_months(start: date, end: date) -> int | None:
    """The number of whole months from `start` to `end` included (1 March → 28 February is 12), or None
    when the period is not made of whole months or is longer than `MAX_MONTHS`."""
    for months in range(1, MAX_MONTHS + 1):
        if add_months(start, months) - timedelta(days=1) == end:
            return months
    return None


def regional_amount(*, annual_cost: Decimal, months: int, rate: Decimal) -> Decimal:
    """annual cost × years (months / 12) × rate, rounded half-up to the cent once, at the end."""
    return round_cents(Decimal(annual_cost) * months * Decimal(rate) / 12)


def total_cost(*, annual_cost: Decimal, months: int) -> Decimal:
    return round_cents(Decimal(annual_cost) * months / 12)


def yearly_expenses(*, start: date, months: int, annual_cost: Decimal) -> list[tuple[str, Decimal]]:
    """One expense line per year of the period (12-month slices from its start, the last one possibly
    shorter), each the annual cost pro rata; the last line takes the rounding so that the lines add up
    to the total cost exactly."""
    lines, done = [], ZERO
    total = total_cost(annual_cost=annual_cost, months=months)
    for index, first_month in enumerate(range(0, months, 12), start=1):
        slice_months = min(12, months - first_month)
        slice_start = add_months(start, first_month)
        slice_end = add_months(start, first_month + slice_months) - timedelta(days=1)
        last = first_month + 12 >= months
        amount = total - done if last else round_cents(Decimal(annual_cost) * slice_months / 12)
        done += amount
        label = _("Post, year %(number)s (%(start)s – %(end)s)") % {
            "number": index,
            "start": date_format(slice_start, "SHORT_DATE_FORMAT"),
            "end": date_format(slice_end, "SHORT_DATE_FORMAT"),
        }
        lines.append((label, amount))
    return lines


def max_regional_rate(rule_set: RuleSet) -> Decimal:
    """The sponsor pays at least the self-financing share of the post (CGCT L1111-10: the lead bodies are
    public-law owners and the Region is the post's only other funder), so the rate is at most the rest."""
    return Decimal(1) - rule_set.self_financing_min_rate


def post_figures(*, post: EngineeringPostData, organisation: Organisation, rule_set: RuleSet) -> PostFigures:
    """Checks the post's data and computes its figures; raises a ValidationError naming each wrong field."""
    errors: dict[str, ValidationError] = {}
    if not post.post_title.strip():
        errors["post_title"] = ValidationError(_("Give the title of the post."), code="post_title_required")
    months = None
    if post.period_end <= post.period_start:
        errors["period_end"] = ValidationError(
            _("The end of the period must come after its start."), code="period_end_before_start"
        )
    else:
        months = period_months(post.period_start, post.period_end)
        if months is None:
            errors["period_end"] = ValidationError(
                _(
                    "The period must be made of whole months and last at most %(max)s months: for 12 months from "
                    "%(start)s, it ends on %(example)s."
                )
                % {
                    "max": MAX_MONTHS,
                    "start": date_format(post.period_start, "SHORT_DATE_FORMAT"),
                    "example": date_format(add_months(post.period_start, 12) - timedelta(days=1), "SHORT_DATE_FORMAT"),
                },
                code="period_invalid",
            )
    if post.period_start < timezone.localdate():
        errors["period_start"] = ValidationError(
            _("The post's period must not start before the dossier is submitted: choose today or a later date."),
            code="period_started",
        )
    if post.annual_cost <= 0:
        errors["annual_cost"] = ValidationError(_("The annual cost must be more than zero."), code="cost_positive")
    maximum = max_regional_rate(rule_set)
    if not ZERO < post.regional_rate <= maximum:
        errors["regional_rate"] = ValidationError(
            _("The regional rate must be more than 0 %% and at most %(max)s.") % {"max": format_rate(maximum)},
            code="rate_out_of_range",
        )
    if errors:
        raise ValidationError(errors)
    figures = PostFigures(
        months=months,
        total_cost=total_cost(annual_cost=post.annual_cost, months=months),
        regional_amount=regional_amount(annual_cost=post.annual_cost, months=months, rate=post.regional_rate),
        expenses=yearly_expenses(start=post.period_start, months=months, annual_cost=post.annual_cost),
    )
    if figures.regional_amount <= 0:
        raise ValidationError(
            {"annual_cost": _("The regional amount would be zero: check the cost and the rate.")}, code="amount_zero"
        )
    plan = financing_plan(
        expenses=[(amount, True) for _label, amount in figures.expenses],
        funding=[(FunderKind.REGION, figures.regional_amount), (FunderKind.OWN, figures.own_contribution)],
    )
    if organisation.is_public_law and not meets_self_financing(plan, rule_set.self_financing_min_rate):
        # Only at the maximum rate, when the rounding of the regional amount takes a cent from the sponsor.
        raise ValidationError(
            {
                "regional_rate": _(
                    "Self-financing rule (CGCT L1111-10): your own contribution (%(own)s) would be below %(min)s of "
                    "the post's cost; lower the rate slightly."
                )
                % {"own": format_eur(figures.own_contribution), "min": format_rate(rule_set.self_financing_min_rate)}
            },
            code="self_financing",
        )
    return figures


# Dossiers -------------------------------------------------------------------------------------------


def engineering_theme() -> Theme:
    return Theme.objects.get_or_create(code=THEME_CODE, defaults={"label": THEME_LABEL})[0]


def _object_text(post: EngineeringPostData) -> str:
    return (_("Post of %(title)s") % {"title": post.post_title.strip()})[:256]


def _plan_save(*, dossier: Dossier, actor, figures: PostFigures) -> Dossier:
    """The dossier's financing plan, rebuilt from the post. Salaries carry no VAT: the cost is stated TTC."""
    funding = [
        {
            "funder_kind": FunderKind.REGION,
            "funder_name": "",
            "amount": figures.regional_amount,
            "status": FundingStatus.REQUESTED,
        }
    ]
    if figures.own_contribution > 0:
        funding.append(
            {
                "funder_kind": FunderKind.OWN,
                "funder_name": "",
                "amount": figures.own_contribution,
                "status": FundingStatus.OBTAINED,
            }
        )
    return financing_plan_save(
        dossier=dossier,
        actor=actor,
        expenses=[{"label": label, "amount": amount, "is_eligible": True} for label, amount in figures.expenses],
        funding=funding,
        tax_basis=TaxBasis.TTC,
    )


def _post_communes(organisation: Organisation, contract: Contract) -> list:
    """The commune of the lead body's office when it lies in the contract's territory; otherwise none yet
    (the sponsor gives it at the "place" step, as for a project)."""
    commune = organisation.commune
    if commune is not None and commune.epci_id and commune.epci.territory_id == contract.territory_id:
        return [commune]
    return []


def engineering_dossier_create(
    *, actor, organisation: Organisation, contract: Contract, post: EngineeringPostData
) -> EngineeringPost:
    """A member of the organisation opens a draft dossier of kind engineering under the signed
    `contract`: theme "ingénierie territoriale", the period as planned dates, the regional amount as the
    amount requested, and the financing plan built from the post. The sponsor then adds the pieces and
    submits it like any dossier. Raises ValidationError (by field) or PermissionDenied; nothing is
    written then."""
    if organisation.pk not in organisation_ids(actor):
        raise PermissionDenied(_("You are not a member of this organisation."))
    rule_set = RuleSet.objects.current()
    figures = post_figures(post=post, organisation=organisation, rule_set=rule_set)
    if contract.status != ContractStatus.SIGNED:
        raise ValidationError({"contract": _("This contract is not open to new dossiers.")}, code="contract_closed")
    with transaction.atomic():
        dossier = dossier_create(
            actor=actor,
            organisation=organisation,
            contract=contract,
            theme=engineering_theme(),
            title=post.post_title.strip(),
            object=_object_text(post),
            planned_start=post.period_start,
            planned_end=post.period_end,
            requested_amount=figures.regional_amount,
            tax_basis=TaxBasis.TTC,
            communes=_post_communes(organisation, contract),
        )
        dossier.kind = DossierKind.ENGINEERING
        dossier.save(update_fields=["kind"])
        _plan_save(dossier=dossier, actor=actor, figures=figures)
        engineering_post = EngineeringPost(
            dossier=dossier,
            post_title=post.post_title.strip(),
            holder_name=post.holder_name.strip(),
            period_start=post.period_start,
            period_end=post.period_end,
            months=figures.months,
            annual_cost=round_cents(post.annual_cost),
            regional_rate=post.regional_rate,
            regional_amount=figures.regional_amount,
        )
        engineering_post.full_clean(exclude=["dossier"])
        engineering_post.save()
    return engineering_post


def engineering_post_update(*, actor, post: EngineeringPost, data: EngineeringPostData) -> EngineeringPost:
    """The sponsor changes the post while its dossier is a draft: the amounts are computed again and the
    draft follows (title, object, planned dates, amount requested and the whole financing plan)."""
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().select_related("organisation").get(pk=post.dossier_id)
        if dossier.organisation_id not in organisation_ids(actor):
            raise PermissionDenied(_("You are not a member of this organisation."))
        if dossier.state != DossierState.DRAFT:
            raise ValidationError(
                _("The post can only be changed while its dossier is a draft (state: %(state)s).")
                % {"state": dossier.get_state_display()},
                code="not_draft",
            )
        locked = EngineeringPost.objects.select_for_update().get(pk=post.pk)
        figures = post_figures(post=data, organisation=dossier.organisation, rule_set=RuleSet.objects.current())
        dossier.title, dossier.object = data.post_title.strip(), _object_text(data)
        dossier.planned_start, dossier.planned_end = data.period_start, data.period_end
        dossier.full_clean(exclude=["communes", "state"])
        dossier.save(update_fields=["title", "object", "planned_start", "planned_end"])
        _plan_save(dossier=dossier, actor=actor, figures=figures)
        locked.post_title, locked.holder_name = data.post_title.strip(), data.holder_name.strip()
        locked.period_start, locked.period_end, locked.months = data.period_start, data.period_end, figures.months
        locked.annual_cost, locked.regional_rate = round_cents(data.annual_cost), data.regional_rate
        locked.regional_amount = figures.regional_amount
        locked.full_clean(exclude=["dossier"])
        locked.save()
    return locked


# Activity reports -----------------------------------------------------------------------------------


def report_years(post: EngineeringPost) -> list[int]:
    """The calendar years the period touches: one activity report each."""
    return list(range(post.period_start.year, post.period_end.year + 1))


def report_due_on(year: int) -> date:
    return date(year + 1, REPORT_DUE_MONTH, REPORT_DUE_DAY)


def activity_report_submit(*, actor, post: EngineeringPost, year: int, upload) -> ActivityReport:
    """A member of the sponsor sends the activity report of `year` (a PDF, checked by its content) once
    the grant is notified; one report per year of the period. A refused report stores nothing."""
    checked = check_upload(upload)
    if checked.content_type != "application/pdf":
        raise ValidationError(
            _("The activity report must be a PDF document (its content was checked, not its name)."),
            code="file_type",
        )
    with transaction.atomic():
        locked = EngineeringPost.objects.select_for_update().select_related("dossier").get(pk=post.pk)
        dossier = locked.dossier
        if dossier.organisation_id not in organisation_ids(actor):
            raise PermissionDenied(_("Only the members of the sponsor send its activity reports."))
        if dossier.state not in REPORTING_STATES:
            raise ValidationError(
                _("Activity reports are sent once the grant is notified (state: %(state)s).")
                % {"state": dossier.get_state_display()},
                code="not_notified",
            )
        if year not in report_years(locked):
            raise ValidationError(
                _("The year %(year)s is outside the post's period.") % {"year": year}, code="year_outside_period"
            )
        if ActivityReport.objects.filter(post=locked, year=year).exists():
            raise ValidationError(
                _("The activity report of %(year)s has already been sent.") % {"year": year}, code="report_exists"
            )
        report = save_with_file(ActivityReport(post=locked, year=year, submitted_by=actor), upload, checked)
    return report


@dataclass(frozen=True)
class ExpectedReport:
    year: int
    due_on: date
    status: str
    report: ActivityReport | None

    def get_status_display(self) -> str:
        return ReportStatus(self.status).label


def reports_expected(post: EngineeringPost, *, today: date | None = None) -> list[ExpectedReport]:
    """Each year of the period with its due date and whether its report is received, late or upcoming.
    Reads `post.activity_reports.all()` (prefetch it for lists)."""
    today = today or timezone.localdate()
    received = {report.year: report for report in post.activity_reports.all()}
    expected = []
    for year in report_years(post):
        due_on = report_due_on(year)
        report = received.get(year)
        if report is not None:
            status = ReportStatus.RECEIVED
        elif today > due_on:
            status = ReportStatus.LATE
        else:
            status = ReportStatus.UPCOMING
        expected.append(ExpectedReport(year=year, due_on=due_on, status=status, report=report))
    return expected
