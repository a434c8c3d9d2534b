"""Writes on the case file that are not state changes (those are in `workflows.services`)."""

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from documents.uploads import check_upload, save_with_file
from dossiers.enums import LegalForm, TaxBasis
from dossiers.identifiers import normalise_rna, normalise_siret
from dossiers.models import (
    Commune,
    Contract,
    Dossier,
    Epci,
    ExpenseLine,
    FundingLine,
    Membership,
    Organisation,
    Piece,
    PieceType,
    ReferenceSequence,
    RuleSet,
    Territory,
    Theme,
)
from dossiers.money import round_cents
from workflows.enums import DossierState, Role
from workflows.permissions import officer_territory_ids, organisation_ids, user_roles

EDITABLE_STATES = frozenset({DossierState.DRAFT, DossierState.INCOMPLETE})
CHECKABLE_STATES = frozenset({DossierState.SUBMITTED, DossierState.ADMISSIBLE, DossierState.UNDER_REVIEW})


def role_group(role: Role) -> Group:
    return Group.objects.get_or_create(name=role.value)[0]


# Organisations ------------------------------------------------------------------------------------


def organisation_create(
    *,
    creator,
    name: str,
    legal_form: LegalForm,
    siret: str | None = None,
    rna: str | None = None,
    commune: Commune | None = None,
    address: str = "",
    email: str = "",
    is_demo: bool = False,
) -> Organisation:
    """Registers a sponsor organisation (SIRET checked with python-stdnum, RNA for associations) and
    makes its creator a member with the sponsor role."""
    siret = normalise_siret(siret) if siret else None
    rna = normalise_rna(rna) if rna else None
    if not siret and not rna:
        raise ValidationError(
            _("Give the organisation's SIRET (or, for an association, its RNA number)."), code="identifier_missing"
        )
    if legal_form != LegalForm.ASSOCIATION and not siret:
        raise ValidationError(_("Only associations may register without a SIRET."), code="siret_required")
    with transaction.atomic():
        if siret and Organisation.objects.filter(siret=siret).exists():
            raise ValidationError(
                _("An organisation with this SIRET is already registered; ask its members to add you."),
                code="siret_taken",
            )
        if rna and Organisation.objects.filter(rna=rna).exists():
            raise ValidationError(
                _("An association with this RNA number is already registered; ask its members to add you."),
                code="rna_taken",
            )
        organisation = Organisation.objects.create(
            name=name,
            legal_form=legal_form,
            siret=siret,
            rna=rna,
            commune=commune,
            address=address,
            email=email,
            is_demo=is_demo,
        )
        membership_add(organisation=organisation, user=creator)
    return organisation


def membership_add(*, organisation: Organisation, user) -> Membership:
    membership, _created = Membership.objects.get_or_create(organisation=organisation, user=user)
    user.groups.add(role_group(Role.SPONSOR))
    return membership


# Territories --------------------------------------------------------------------------------------


def territory_create(
    *, code: str, name: str, department_id: str, lead_body: str, epci_sirens: list[str], name_is_demo: bool = False
) -> Territory:
    """Creates a territory, its officers' group holding `instruct_territory` on it, and attaches its
    EPCIs (an EPCI belongs to one territory at most)."""
    with transaction.atomic():
        epcis = Epci.objects.select_for_update().filter(siren__in=epci_sirens)
        taken = [epci.name for epci in epcis if epci.territory_id is not None]
        if taken:
            raise ValidationError(_("Already in another territory: %(epcis)s.") % {"epcis": ", ".join(taken)})
        if len(epcis) != len(set(epci_sirens)):
            unknown = sorted(set(epci_sirens) - {epci.siren for epci in epcis})
            raise ValidationError(_("Unknown EPCI SIREN: %(sirens)s.") % {"sirens": ", ".join(unknown)})
        territory = Territory(
            code=code, name=name, department_id=department_id, lead_body=lead_body, name_is_demo=name_is_demo
        )
        territory_save_new(territory=territory)
        Epci.objects.filter(siren__in=epci_sirens).update(territory=territory)
    return territory


def territory_save_new(*, territory: Territory) -> Territory:
    """Saves a new territory with its officers' group, which holds `instruct_territory` on it."""
    with transaction.atomic():
        territory.officers_group = Group.objects.create(name=f"territory:{territory.code}")
        territory.save()
        assign_perm("dossiers.instruct_territory", territory.officers_group, territory)
    return territory


def territory_assign_officer(*, territory: Territory, user) -> None:
    """The officer instructs the territory's dossiers from now on (membership of its group)."""
    user.groups.add(territory.officers_group, role_group(Role.OFFICER))


def territory_unassign_officer(*, territory: Territory, user) -> None:
    user.groups.remove(territory.officers_group)


def representatives_group(territory: Territory) -> Group:
    """The group of the territory's elected representatives, holding `follow_territory` on it (created
    with the first representative)."""
    group, created = Group.objects.get_or_create(name=f"territory-representatives:{territory.code}")
    if created:
        assign_perm("dossiers.follow_territory", group, territory)
    return group


def territory_assign_representative(*, territory: Territory, user) -> None:
    """The elected representative follows the territory's contract from now on: they read its dossiers,
    see and edit its roadmap and prepare its follow-up meetings; they fire no transition."""
    with transaction.atomic():
        user.groups.add(representatives_group(territory), role_group(Role.REPRESENTATIVE))


def territory_unassign_representative(*, territory: Territory, user) -> None:
    user.groups.remove(representatives_group(territory))


# Rules ---------------------------------------------------------------------------------------------

RULE_FIELDS = (
    "self_financing_min_rate",
    "convention_threshold",
    "de_minimis_cap",
    "de_minimis_years",
    "advance_max_rate",
    "interim_max_rate",
    "start_delay_months",
    "completion_delay_months",
    "extension_months",
    "completeness_delay_months",
    "first_reminder_days",
    "second_reminder_days",
)


def ruleset_publish(*, actor, note: str, **values) -> RuleSet:
    """Publishes a new version of the rules, starting from the current one with `values` changed.
    Dossiers already submitted keep the version they were submitted under."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown rules: {sorted(unknown)}")
    with transaction.atomic():
        current = RuleSet.objects.select_for_update().order_by("-version").first()
        fields = {name: getattr(current, name) for name in RULE_FIELDS} if current else {}
        fields.update(values)
        rule_set = RuleSet(version=(current.version + 1) if current else 1, published_by=actor, note=note, **fields)
        rule_set.full_clean()
        rule_set.save()
    return rule_set


# Dossiers ------------------------------------------------------------------------------------------


def references_allocate(*, year: int, count: int = 1) -> list[str]:
    """Hands out `count` new references `NA-<year>-<number>`; numbers are never reused."""
    with transaction.atomic():
        ReferenceSequence.objects.bulk_create([ReferenceSequence(year=year)], ignore_conflicts=True)
        sequence = ReferenceSequence.objects.select_for_update().get(year=year)
        first = sequence.last_number + 1
        sequence.last_number += count
        sequence.save(update_fields=["last_number"])
    return [f"NA-{year}-{number:06d}" for number in range(first, first + count)]


def _check_sponsor(actor, organisation_id: int) -> None:
    if organisation_id not in organisation_ids(actor):
        raise PermissionDenied(_("You are not a member of this organisation."))


def dossier_create(
    *,
    actor,
    organisation: Organisation,
    contract: Contract,
    theme: Theme,
    title: str,
    object: str,
    planned_start: date,
    planned_end: date,
    requested_amount: Decimal,
    tax_basis: TaxBasis = TaxBasis.HT,
    description: str = "",
    communes: list[Commune] = (),
) -> Dossier:
    """A member of the organisation opens a draft under `contract`; it receives its reference now."""
    _check_sponsor(actor, organisation.pk)
    with transaction.atomic():
        dossier = Dossier(
            reference=references_allocate(year=timezone.localdate().year)[0],
            organisation=organisation,
            created_by=actor,
            contract=contract,
            territory_id=contract.territory_id,
            theme=theme,
            title=title,
            object=object,
            description=description,
            planned_start=planned_start,
            planned_end=planned_end,
            requested_amount=round_cents(requested_amount),
            tax_basis=tax_basis,
        )
        dossier.full_clean(exclude=["communes", "state"])
        dossier.save()
        dossier.communes.set(communes)
    return dossier


EDIT_FORBIDDEN = "forbidden"
EDIT_INVALID_STATE = "invalid_state"


def dossier_edit_refusal(*, dossier: Dossier, actor) -> str | None:
    """Why `actor` may not edit the dossier's content now, or None: its content is edited by the members of
    its sponsor (`EDIT_FORBIDDEN` for anyone else) while it is a draft or incomplete (`EDIT_INVALID_STATE`
    otherwise). Each caller words the refusal its own way."""
    if dossier.organisation_id not in organisation_ids(actor):
        return EDIT_FORBIDDEN
    if dossier.state not in EDITABLE_STATES:
        return EDIT_INVALID_STATE
    return None


def dossier_lock_for_edit(*, dossier: Dossier, actor) -> Dossier:
    """Locks the dossier for an edit of its content, allowed to its sponsor while it is a draft or
    incomplete (`dossier_edit_refusal`)."""
    locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
    refusal = dossier_edit_refusal(dossier=locked, actor=actor)
    if refusal == EDIT_FORBIDDEN:
        raise PermissionDenied(_("You are not a member of this organisation."))
    if refusal == EDIT_INVALID_STATE:
        raise ValidationError(
            _("The dossier can no longer be edited (state: %(state)s).") % {"state": locked.get_state_display()}
        )
    return locked


def expense_line_add(*, dossier: Dossier, actor, label: str, amount: Decimal, is_eligible: bool = True) -> ExpenseLine:
    with transaction.atomic():
        locked = dossier_lock_for_edit(dossier=dossier, actor=actor)
        line = ExpenseLine(dossier=locked, label=label, amount=round_cents(amount), is_eligible=is_eligible)
        line.full_clean()
        line.save()
    return line


def funding_line_add(
    *,
    dossier: Dossier,
    actor,
    funder_kind: str,
    amount: Decimal,
    funder_name: str = "",
    status: str = "requested",
) -> FundingLine:
    with transaction.atomic():
        locked = dossier_lock_for_edit(dossier=dossier, actor=actor)
        line = FundingLine(
            dossier=locked,
            funder_kind=funder_kind,
            funder_name=funder_name,
            amount=round_cents(amount),
            status=status,
        )
        line.full_clean()
        line.save()
    return line


def piece_add(*, dossier: Dossier, actor, piece_type: PieceType, uploaded) -> Piece:
    """Stores an uploaded piece after checking its content; a refused file leaves the dossier as it was."""
    checked = check_upload(uploaded)
    with transaction.atomic():
        locked = dossier_lock_for_edit(dossier=dossier, actor=actor)
        if not piece_type.applies_to(locked.organisation.legal_form):
            raise ValidationError(_("This type of piece does not apply to your organisation."))
        piece = save_with_file(Piece(dossier=locked, piece_type=piece_type, uploaded_by=actor), uploaded, checked)
    return piece


def piece_set_checked(*, piece: Piece, actor, checked: bool = True) -> Piece:
    """An officer of the dossier's territory (or an administrator) records that a piece was checked,
    or withdraws that mark, while the dossier's completeness or review is open."""
    with transaction.atomic():
        locked = Piece.objects.select_for_update().select_related("dossier").get(pk=piece.pk)
        roles = user_roles(actor)
        if Role.ADMINISTRATOR not in roles and locked.dossier.territory_id not in officer_territory_ids(actor):
            raise PermissionDenied(_("Only the territory's officers check the pieces of its dossiers."))
        if locked.dossier.state not in CHECKABLE_STATES:
            raise ValidationError(
                _("Pieces are checked while the dossier is submitted or under review (state: %(state)s).")
                % {"state": locked.dossier.get_state_display()}
            )
        locked.is_checked = checked
        locked.checked_by = actor if checked else None
        locked.checked_at = timezone.now() if checked else None
        locked.save(update_fields=["is_checked", "checked_by", "checked_at"])
    return locked
