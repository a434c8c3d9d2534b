"""Reads of the sponsor portal. Whatever a user reaches goes through the project's scoped selectors
(`dossiers.selectors`, `workflows.selectors`), narrowed here to what the user holds as a sponsor."""

import re
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.enums import PUBLIC_LAW_FORMS, UNDERTAKING_FORMS, ContractStatus
from dossiers.models import Commune, Contract, Dossier, Organisation, PieceType, RuleSet, Territory
from dossiers.money import format_eur, format_rate
from dossiers.rules import dossier_financing_plan
from dossiers.selectors import dossier_get_for_user, dossier_list_for_user, organisation_list_for_user
from portal.enums import PROBLEM_STEPS, MembershipRequestStatus, Step
from portal.models import MembershipRequest
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent
from workflows.permissions import organisation_ids
from workflows.selectors import audit_event_list_for_user
from workflows.services import Problem, submission_problems

COMMUNE_SEARCH_LIMIT = 20
INSEE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


# Communes ------------------------------------------------------------------------------------------


def commune_search(query: str, *, limit: int = COMMUNE_SEARCH_LIMIT) -> list[Commune]:
    """Communes whose name starts with `query`, or one of whose postcodes does (or whose INSEE code is
    `query`), the most populated first; at most `limit`."""
    query = " ".join(query.split())
    if not query:
        return []
    if query.isdigit():
        condition = Q(postcodes__startswith=query) | Q(postcodes__contains=f" {query}")
        if INSEE_CODE.match(query):
            condition |= Q(insee=query)
    else:
        condition = Q(name__istartswith=query)
        if "-" in query or " " in query:
            # "saint emilion" finds Saint-Émilion's spelling with hyphens, and the other way round.
            condition |= Q(name__istartswith=query.replace(" ", "-")) | Q(name__istartswith=query.replace("-", " "))
    return list(Commune.objects.filter(condition).order_by("-population", "name")[:limit])


def commune_label(commune: Commune) -> str:
    postcode = commune.postcodes.split()[0] if commune.postcodes else commune.department_id
    return f"{commune.name} ({postcode})"


# Territory and contract -----------------------------------------------------------------------------


def signed_contract_for(territory: Territory) -> Contract | None:
    """The territory's contract open to new dossiers: signed, the most recent generation first."""
    return territory.contracts.filter(status=ContractStatus.SIGNED).order_by("-generation", "-period_start").first()


def territory_officer_list(territory: Territory) -> QuerySet:
    """The active users of the territory's officers' group who hold the officer role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups=territory.officers_group)
        .filter(groups__name=Role.OFFICER)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@dataclass(frozen=True)
class Place:
    territory: Territory
    contract: Contract


def place_for_communes(communes: list[Commune]) -> Place:
    """The territory and the signed contract a dossier on `communes` falls under; raises a
    ValidationError saying what is wrong (no commune, a commune outside every territory, communes of
    different territories, no signed contract)."""
    if not communes:
        raise ValidationError(_("Give at least one commune where the project takes place."), code="no_commune")
    communes = list(Commune.objects.filter(pk__in=[c.pk for c in communes]).select_related("epci__territory"))
    outside = [c.name for c in communes if c.epci is None or c.epci.territory is None]
    if outside:
        raise ValidationError(
            _("%(communes)s: the intermunicipal body (EPCI) of this commune belongs to no territory under contract.")
            % {"communes": ", ".join(outside)},
            code="commune_outside_territories",
        )
    territories = {c.epci.territory for c in communes}
    if len(territories) > 1:
        by_territory = sorted(
            f"{territory.name} ({', '.join(sorted(c.name for c in communes if c.epci.territory == territory))})"
            for territory in territories
        )
        raise ValidationError(
            _(
                "A dossier falls under one contract, hence one territory; these communes belong to different "
                "territories: %(territories)s. File one dossier per territory."
            )
            % {"territories": "; ".join(by_territory)},
            code="communes_in_several_territories",
        )
    territory = territories.pop()
    contract = signed_contract_for(territory)
    if contract is None:
        raise ValidationError(
            _("The territory “%(territory)s” has no signed contract open to new dossiers at the moment.")
            % {"territory": territory.name},
            code="no_signed_contract",
        )
    return Place(territory=territory, contract=contract)


# Orientation ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    title: str
    text: str


@dataclass(frozen=True)
class Orientation:
    commune: Commune
    legal_form: str
    territory: Territory | None
    contract: Contract | None
    officers: list = field(default_factory=list)
    pieces: list[PieceType] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)


def applicable_rules(legal_form: str, rule_set: RuleSet) -> list[Rule]:
    """The rules of `rule_set` that apply to an organisation of `legal_form`, with their figures."""
    rules = []
    if legal_form in PUBLIC_LAW_FORMS:
        rules.append(
            Rule(
                _("Self-financing"),
                _(
                    "As a public-law project owner, your own contribution must be at least %(rate)s of the total "
                    "public funding of the project, your own contribution included (CGCT, article L1111-10)."
                )
                % {"rate": format_rate(rule_set.self_financing_min_rate)},
            )
        )
    if legal_form in UNDERTAKING_FORMS:
        rules.append(
            Rule(
                _("De minimis aid"),
                _(
                    "The de minimis aid your undertaking receives from every public body, this grant included, may "
                    "not exceed %(cap)s over %(years)s rolling years (EU regulation 2023/2831)."
                )
                % {"cap": format_eur(rule_set.de_minimis_cap), "years": rule_set.de_minimis_years},
            )
        )
    if legal_form not in PUBLIC_LAW_FORMS:
        rules.append(
            Rule(
                _("Convention"),
                _(
                    "As a private-law beneficiary, you will sign a convention with the Region if the grant exceeds "
                    "%(threshold)s (loi 2000-321, article 10)."
                )
                % {"threshold": format_eur(rule_set.convention_threshold)},
            )
        )
    return rules


def piece_types_for(legal_form: str) -> list[PieceType]:
    """The checklist of pieces that applies to `legal_form`, mandatory ones and the others."""
    return [piece_type for piece_type in PieceType.objects.all() if piece_type.applies_to(legal_form)]


def orientation_get(*, commune: Commune, legal_form: str) -> Orientation:
    """What applies to a project in `commune` carried by an organisation of `legal_form`."""
    commune = Commune.objects.select_related("epci__territory__officers_group").get(pk=commune.pk)
    territory = commune.epci.territory if commune.epci else None
    rule_set = RuleSet.objects.current()
    return Orientation(
        commune=commune,
        legal_form=legal_form,
        territory=territory,
        contract=signed_contract_for(territory) if territory else None,
        officers=list(territory_officer_list(territory)) if territory else [],
        pieces=piece_types_for(legal_form),
        rules=applicable_rules(legal_form, rule_set) if rule_set else [],
    )


# The sponsor's organisations and requests -------------------------------------------------------------


def sponsor_organisation_list(user) -> QuerySet[Organisation]:
    """The organisations the user is a member of (none unless they hold the sponsor role)."""
    return organisation_list_for_user(user).filter(pk__in=organisation_ids(user)).select_related("commune")


def sponsor_organisation_get(user, pk) -> Organisation:
    return sponsor_organisation_list(user).get(pk=pk)


def organisation_find(*, siret: str | None = None, rna: str | None = None) -> Organisation | None:
    """The registered organisation with this (normalised) SIRET or RNA number, if any."""
    if siret:
        return Organisation.objects.filter(siret=siret).first()
    if rna:
        return Organisation.objects.filter(rna=rna).first()
    return None


def membership_requests_to_decide(user) -> QuerySet[MembershipRequest]:
    """Pending requests to join the organisations the user is a member of."""
    return MembershipRequest.objects.filter(
        organisation_id__in=organisation_ids(user), status=MembershipRequestStatus.PENDING
    ).select_related("organisation", "user")


def membership_request_list_of(user) -> QuerySet[MembershipRequest]:
    """The user's own requests to join an organisation."""
    return MembershipRequest.objects.filter(user=user).select_related("organisation")


# The sponsor's dossiers -------------------------------------------------------------------------------


def sponsor_dossier_list(user) -> QuerySet[Dossier]:
    """The dossiers of the user's organisations (as a sponsor, not as the Region's staff)."""
    return dossier_list_for_user(user).filter(organisation_id__in=organisation_ids(user))


def sponsor_dossier_get(user, pk) -> Dossier:
    """The dossier if it belongs to one of the user's organisations; Dossier.DoesNotExist otherwise."""
    return sponsor_dossier_list(user).get(pk=pk)


def dossier_piece_get(user, *, dossier_pk, piece_pk):
    """A piece of a dossier the user may see (sponsor of it, officer of its territory...); raises
    DoesNotExist otherwise."""
    dossier = dossier_get_for_user(user, dossier_pk)
    return dossier.pieces.get(pk=piece_pk)


def dossier_timeline(user, dossier: Dossier) -> QuerySet[AuditEvent]:
    """The dossier's transitions as the sponsor sees them (never the refused attempts)."""
    return audit_event_list_for_user(user).filter(dossier=dossier, kind=AuditKind.TRANSITION)


@dataclass(frozen=True)
class IncompleteRequest:
    message: str
    requested_on: date
    due_on: date | None


def incomplete_request(user, dossier: Dossier) -> IncompleteRequest | None:
    """The officer's last request for missing pieces, when the dossier is incomplete."""
    if dossier.state != DossierState.INCOMPLETE:
        return None
    event = dossier_timeline(user, dossier).filter(transition="declare_incomplete").order_by("-created_at").first()
    if event is None:
        return None
    return IncompleteRequest(
        message=event.comment, requested_on=timezone.localdate(event.created_at), due_on=dossier.pieces_due_on
    )


def problems_by_step(problems: list[Problem]) -> dict[str, list[Problem]]:
    """Problems grouped by the step of the form that fixes them ("" for the dossier as a whole)."""
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(PROBLEM_STEPS.get(problem.code, ""), []).append(problem)
    return grouped


def dossier_open_problems(dossier: Dossier) -> list[Problem]:
    """What would stop the dossier from being submitted now, under the rules that would apply."""
    rule_set = dossier.rule_set or RuleSet.objects.current()
    return submission_problems(dossier, rule_set, timezone.localdate())


def steps_to_complete(dossier: Dossier) -> list[Step]:
    grouped = problems_by_step(dossier_open_problems(dossier))
    return [step for step in Step if step in grouped]


FINANCING_CODES = frozenset(code for code, step in PROBLEM_STEPS.items() if step == Step.FINANCING)


def financing_problems(dossier: Dossier) -> list[Problem]:
    """What the Region's rules find wrong in the saved financing plan: the submission's own checks
    (balance, Region's line, eligible expenses, self-financing, de minimis), said before submitting."""
    problems = [problem for problem in dossier_open_problems(dossier) if problem.code in FINANCING_CODES]
    if dossier_financing_plan(dossier).region_funding == 0:
        problems = [problem for problem in problems if problem.code != "requested_mismatch"]
        problems.insert(0, Problem("no_region_line", _("Add the Region's line: its amount is the amount you request.")))
    return problems
