"""Scenarios ("simulation"): what-if programmings of an envelope ahead of a committee session.

An officer (for the envelopes of their territories' contracts), the committee's secretariat or an
administrator (for every envelope) picks reviewed dossiers of the envelope's contract with the amount
and eligible base they would propose, and sees what the envelope would have left. A scenario never
commits money and never changes a dossier: saving one writes its own rows only. The secretariat (whoever
may put a dossier on an agenda) turns a scenario into the agenda of a session, each line through
`workflows.services.dossier_schedule` with the scenario's amounts as the proposal.

Figures are computed from the rows as they are now, in a constant number of queries."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from committees.models import CommitteeSession, Scenario, ScenarioLine
from dossiers.models import Dossier, Envelope, Theme
from dossiers.money import ZERO, format_eur, round_cents
from workflows.enums import DossierState, Role
from workflows.lifecycle import TRANSITIONS
from workflows.permissions import officer_territory_ids, user_roles

# Who works on scenarios over every envelope; officers work on those of their territories.
SCENARIOS_REGION_WIDE = frozenset({Role.COMMITTEE_SECRETARY, Role.ADMINISTRATOR})
# Only these dossiers can be programmed: instructed, and not yet on an agenda.
PROGRAMMABLE_STATE = DossierState.REVIEWED


# Who -----------------------------------------------------------------------------------------------


def can_view_scenarios(user) -> bool:
    roles = user_roles(user)
    return bool(roles & SCENARIOS_REGION_WIDE) or Role.OFFICER in roles


def can_turn_scenarios(user) -> bool:
    """Whoever may put dossiers on a committee's agenda (the secretariat, administrators)."""
    return bool(user_roles(user) & TRANSITIONS["schedule"].roles)


def can_change_scenario(user, scenario: Scenario) -> bool:
    """The author, the secretariat and administrators change or delete a scenario (of an envelope
    they see); colleagues copy it into a new one."""
    return scenario.created_by_id == user.pk or bool(user_roles(user) & SCENARIOS_REGION_WIDE)


# Reads ---------------------------------------------------------------------------------------------


def envelope_list_for_scenarios(user) -> QuerySet[Envelope]:
    """The envelopes `user` may build scenarios on, with their contract and territory."""
    roles = user_roles(user)
    envelopes = Envelope.objects.select_related("contract__territory").order_by(
        "contract__territory__name", "contract__generation", "year", "axis", "pk"
    )
    if roles & SCENARIOS_REGION_WIDE:
        return envelopes
    if Role.OFFICER in roles:
        return envelopes.filter(contract__territory_id__in=officer_territory_ids(user))
    return envelopes.none()


def scenario_list_for_user(user) -> QuerySet[Scenario]:
    """The scenarios over the envelopes `user` may see, most recently changed first, each with its
    number of lines and its total (in the same query)."""
    return (
        Scenario.objects.filter(envelope__in=envelope_list_for_scenarios(user).values("pk"))
        .select_related("envelope__contract__territory", "created_by", "session")
        .annotate(line_count=Count("lines"), total=Coalesce(Sum("lines__amount"), ZERO))
        .order_by("-updated_at", "-pk")
    )


def scenario_candidates(envelope: Envelope) -> QuerySet[Dossier]:
    """The dossiers a scenario over `envelope` may include: the reviewed dossiers of its contract."""
    return (
        Dossier.objects.filter(contract_id=envelope.contract_id, state=PROGRAMMABLE_STATE)
        .select_related("organisation", "theme")
        .order_by("theme__position", "theme__label", "reference")
    )


@dataclass
class ThemeTotal:
    theme: Theme
    amount: Decimal = ZERO
    count: int = 0


@dataclass
class ScenarioFigures:
    """What a scenario adds up to against its envelope. `remaining` is negative when the scenario
    exceeds the envelope's room: a scenario may (it is a what-if), the page says so."""

    scenario: Scenario | None
    envelope: Envelope
    lines: list[ScenarioLine]
    committed: Decimal
    total: Decimal = ZERO
    base_total: Decimal = ZERO
    themes: list[ThemeTotal] = field(default_factory=list)

    @property
    def room_before(self) -> Decimal:
        """The envelope's room before the scenario: its amount less what is committed."""
        return self.envelope.amount - self.committed

    @property
    def remaining(self) -> Decimal:
        """The envelope's room after the scenario: amount − committed − the scenario's total."""
        return self.room_before - self.total

    @property
    def exceeds(self) -> bool:
        return self.remaining < ZERO

    @property
    def overrun(self) -> Decimal:
        """By how much the scenario exceeds the envelope's room (zero when it fits)."""
        return -self.remaining if self.exceeds else ZERO

    @property
    def rate(self) -> Decimal | None:
        """The average rate, weighted by the eligible bases: total amount / total base."""
        return self.total / self.base_total if self.base_total else None

    @property
    def by_dossier(self) -> dict[int, ScenarioLine]:
        return {line.dossier_id: line for line in self.lines}


def figures_of(
    *, envelope: Envelope, committed: Decimal, lines: Iterable[ScenarioLine], scenario: Scenario | None = None
) -> ScenarioFigures:
    """The figures of `lines` (saved or not, each with its dossier and theme) over `envelope`; each
    line gets its `rate` (amount / eligible base)."""
    row = ScenarioFigures(scenario=scenario, envelope=envelope, lines=list(lines), committed=committed)
    themes: dict[int, ThemeTotal] = {}
    for line in row.lines:
        line.rate = line.amount / line.eligible_base if line.eligible_base else None
        row.total += line.amount
        row.base_total += line.eligible_base
        theme = line.dossier.theme
        total = themes.setdefault(theme.pk, ThemeTotal(theme=theme))
        total.amount += line.amount
        total.count += 1
    row.themes = sorted(themes.values(), key=lambda t: (t.theme.position, t.theme.label, t.theme.pk))
    return row


def _figures(scenarios: Sequence[Scenario]) -> list[ScenarioFigures]:
    """The figures of `scenarios` (their envelopes already loaded), in two queries whatever their
    number and size."""
    from workflows.services import envelope_committed_amounts

    committed = envelope_committed_amounts({scenario.envelope_id for scenario in scenarios})
    lines: dict[int, list[ScenarioLine]] = {scenario.pk: [] for scenario in scenarios}
    for line in (
        ScenarioLine.objects.filter(scenario_id__in=list(lines))
        .select_related("dossier__organisation", "dossier__theme")
        .order_by("dossier__theme__position", "dossier__theme__label", "dossier__reference", "pk")
    ):
        lines[line.scenario_id].append(line)
    return [
        figures_of(
            scenario=scenario,
            envelope=scenario.envelope,
            committed=committed.get(scenario.envelope_id, ZERO),
            lines=lines[scenario.pk],
        )
        for scenario in scenarios
    ]


def scenario_figures(scenario: Scenario) -> ScenarioFigures:
    """The scenario's total, its totals by theme, its average rate, and its envelope's amount, what is
    committed on it and what would remain after the scenario. Two queries (the envelope loaded)."""
    (figures,) = _figures([scenario])
    return figures


@dataclass
class Comparison:
    """Scenarios of one envelope side by side: `figures` in the order given; `themes` and `dossiers`
    rows with one cell per scenario (None where the scenario does not have it)."""

    envelope: Envelope
    figures: list[ScenarioFigures]
    themes: list[tuple[Theme, list[ThemeTotal | None]]]
    dossiers: list[tuple[Dossier, list[ScenarioLine | None]]]


def scenarios_compare(scenarios: Sequence[Scenario]) -> Comparison:
    """Two scenarios or more of the same envelope, side by side; refuses others (ValidationError)."""
    if len(scenarios) < 2:
        raise ValidationError(_("Choose at least two scenarios to compare."), code="too_few")
    if len({scenario.envelope_id for scenario in scenarios}) > 1:
        raise ValidationError(_("Only scenarios of the same envelope can be compared."), code="several_envelopes")
    figures = _figures(scenarios)
    themes: dict[int, Theme] = {}
    dossiers: dict[int, Dossier] = {}
    for row in figures:
        for total in row.themes:
            themes.setdefault(total.theme.pk, total.theme)
        for line in row.lines:
            dossiers.setdefault(line.dossier_id, line.dossier)
    theme_rows = [
        (theme, [next((t for t in row.themes if t.theme.pk == theme.pk), None) for row in figures])
        for theme in sorted(themes.values(), key=lambda t: (t.position, t.label, t.pk))
    ]
    per_scenario = [row.by_dossier for row in figures]
    dossier_rows = [
        (dossier, [lines.get(dossier.pk) for lines in per_scenario])
        for dossier in sorted(dossiers.values(), key=lambda d: (d.theme.position, d.theme.label, d.reference))
    ]
    return Comparison(envelope=scenarios[0].envelope, figures=figures, themes=theme_rows, dossiers=dossier_rows)


# Writes --------------------------------------------------------------------------------------------


def _line_problems(
    *, envelope: Envelope, lines: Sequence[tuple[int, Decimal, Decimal]]
) -> tuple[list[ValidationError], list[tuple[int, Decimal, Decimal]]]:
    """Everything wrong with `lines` (dossier id, eligible base, amount), each with the dossier's
    reference and figures; and the lines rounded to the cent."""
    problems = []
    ids = [dossier_id for dossier_id, _base, _amount in lines]
    if not lines:
        problems.append(ValidationError(_("Select at least one dossier."), code="no_line"))
    if len(set(ids)) != len(ids):
        problems.append(ValidationError(_("A dossier appears twice in the scenario."), code="duplicate_dossier"))
    dossiers = Dossier.objects.in_bulk(ids)
    rounded = []
    for dossier_id, base, amount in lines:
        base, amount = round_cents(base), round_cents(amount)
        rounded.append((dossier_id, base, amount))
        dossier = dossiers.get(dossier_id)
        if dossier is None or dossier.contract_id != envelope.contract_id:
            problems.append(
                ValidationError(
                    _("Dossier no. %(id)s is not a dossier of the contract of the envelope “%(envelope)s”."),
                    code="not_of_contract",
                    params={"id": dossier_id, "envelope": envelope.label},
                )
            )
            continue
        reference = dossier.reference
        if dossier.state != PROGRAMMABLE_STATE:
            problems.append(
                ValidationError(
                    _("%(dossier)s is “%(state)s”: only reviewed dossiers can be programmed."),
                    code="not_reviewed",
                    params={"dossier": reference, "state": dossier.get_state_display()},
                )
            )
        if base <= ZERO:
            problems.append(
                ValidationError(
                    _("%(dossier)s: the eligible base must be more than zero."),
                    code="base_not_positive",
                    params={"dossier": reference},
                )
            )
        if amount <= ZERO:
            problems.append(
                ValidationError(
                    _("%(dossier)s: the amount must be more than zero."),
                    code="amount_not_positive",
                    params={"dossier": reference},
                )
            )
            continue
        if amount > dossier.requested_amount:
            problems.append(
                ValidationError(
                    _("%(dossier)s: the amount (%(amount)s) is above the amount requested (%(requested)s)."),
                    code="amount_above_requested",
                    params={
                        "dossier": reference,
                        "amount": format_eur(amount),
                        "requested": format_eur(dossier.requested_amount),
                    },
                )
            )
        if base > ZERO and amount > base:
            problems.append(
                ValidationError(
                    _("%(dossier)s: the amount (%(amount)s) is above the eligible base (%(base)s)."),
                    code="amount_above_base",
                    params={"dossier": reference, "amount": format_eur(amount), "base": format_eur(base)},
                )
            )
    return problems, rounded


def scenario_save(
    *,
    actor,
    envelope: Envelope,
    name: str,
    note: str = "",
    lines: Sequence[tuple[int, Decimal, Decimal]],
    scenario: Scenario | None = None,
) -> Scenario:
    """Creates a scenario over `envelope` (or replaces `scenario`'s name, note and every line) with
    `lines` (dossier id, eligible base, amount), amounts rounded half up to the cent, in one transaction.

    Refused (ValidationError listing every problem, each with its code) when the envelope is closed, a
    dossier is not a reviewed dossier of the envelope's contract, an amount is not more than zero or is
    above the amount requested or the eligible base, or the scenario was turned into an agenda. The total
    may exceed the envelope's room: the figures show it. Writes the scenario's rows and nothing else."""
    if not envelope_list_for_scenarios(actor).filter(pk=envelope.pk).exists():
        raise PermissionDenied(_("This envelope is outside your scope."))
    if scenario is not None and not can_change_scenario(actor, scenario):
        raise PermissionDenied(_("Only its author, the committee's secretariat or an administrator can change it."))
    problems = []
    name = name.strip()
    if not name:
        problems.append(ValidationError(_("Give the scenario a name."), code="no_name"))
    if not envelope.is_open:
        problems.append(
            ValidationError(
                _("The envelope “%(envelope)s” is closed: it cannot be programmed."),
                code="envelope_closed",
                params={"envelope": envelope.label},
            )
        )
    line_problems, lines = _line_problems(envelope=envelope, lines=lines)
    problems += line_problems
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    with transaction.atomic():
        if scenario is None:
            scenario = Scenario.objects.create(
                envelope=envelope, name=name, note=note.strip(), created_by=actor, created_at=now, updated_at=now
            )
        else:
            scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
            if scenario.envelope_id != envelope.pk:
                raise ValidationError(_("A scenario stays on its envelope."), code="envelope_changed")
            if scenario.session_id is not None:
                raise ValidationError(
                    _("This scenario was turned into an agenda: copy it into a new scenario to change it."),
                    code="already_turned",
                )
            scenario.name, scenario.note, scenario.updated_at = name, note.strip(), now
            scenario.save(update_fields=["name", "note", "updated_at"])
            scenario.lines.all().delete()
        ScenarioLine.objects.bulk_create(
            ScenarioLine(scenario=scenario, dossier_id=dossier_id, eligible_base=base, amount=amount)
            for dossier_id, base, amount in lines
        )
    return scenario


def scenario_delete(*, actor, scenario: Scenario) -> None:
    """Deletes the scenario and its lines (never what an agenda it was turned into holds)."""
    if not can_change_scenario(actor, scenario):
        raise PermissionDenied(_("Only its author, the committee's secretariat or an administrator can delete it."))
    scenario.delete()


@dataclass
class AgendaReport:
    """What turning a scenario into an agenda did: the dossiers put on it, and those refused with the
    reason."""

    session: CommitteeSession
    scheduled: list[Dossier] = field(default_factory=list)
    refused: list[tuple[Dossier, str]] = field(default_factory=list)


def scenario_to_agenda(
    *, scenario: Scenario, session: CommitteeSession, actor, ip_address: str | None = None
) -> AgendaReport:
    """Puts each dossier of the scenario on the agenda of `session`, with the scenario's amount and
    eligible base as the proposal and the scenario's envelope as the one the approval will commit: each
    through `dossier_schedule`, in its own transaction, with its side effects (audit entry,
    notifications). A refused line (the dossier is no longer reviewed, the amount no longer fits, …)
    is reported with the reason and changes nothing; the others go on.

    Refused as a whole (ValidationError) when the scenario was already turned into an agenda, the
    session's agenda is closed, or the envelope is closed. The scenario records the session and the
    moment once at least one dossier went on the agenda."""
    from workflows.services import TransitionRefused, dossier_schedule

    if not can_turn_scenarios(actor):
        raise PermissionDenied(_("Only the committee's secretariat or an administrator can build an agenda."))
    if not session.is_open_for_agenda:
        raise ValidationError(
            _("The agenda of the session of %(date)s is closed."),
            code="session_closed_for_agenda",
            params={"date": date_format(session.sits_on, "SHORT_DATE_FORMAT")},
        )
    if not scenario.envelope.is_open:
        raise ValidationError(
            _("The envelope “%(envelope)s” is closed: it cannot be programmed."),
            code="envelope_closed",
            params={"envelope": scenario.envelope.label},
        )
    # Claim the scenario, so that two people turning it at once do not both go through its lines.
    now = timezone.now()
    claimed = Scenario.objects.filter(pk=scenario.pk, session__isnull=True, turned_at__isnull=True).update(
        turned_at=now
    )
    if not claimed:
        raise ValidationError(_("This scenario was already turned into an agenda."), code="already_turned")
    report = AgendaReport(session=session)
    try:
        for line in scenario.lines.select_related("dossier").order_by("dossier__theme__position", "pk"):
            try:
                dossier_schedule(
                    dossier=line.dossier,
                    actor=actor,
                    session=session,
                    proposal=(line.amount, line.eligible_base),
                    envelope=scenario.envelope,
                    ip_address=ip_address,
                )
            except TransitionRefused as refusal:
                report.refused.append((line.dossier, refusal.message))
            else:
                report.scheduled.append(line.dossier)
    finally:
        Scenario.objects.filter(pk=scenario.pk).update(
            session=session if report.scheduled else None, turned_at=now if report.scheduled else None
        )
    return report
