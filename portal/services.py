"""Writes of the sponsor portal: sign-up, requests to join an organisation, and the edits of a dossier's
content while its sponsor may still change it (draft or incomplete).

Every service is keyword-only and runs in one transaction. Edits of a dossier lock its row first and
check that the actor is a member of its organisation and that its state allows edits
(`dossiers.services.dossier_lock_for_edit`); state changes stay in `workflows.services`.
"""

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.enums import FunderKind, SelfFinancingExemption, TaxBasis
from dossiers.models import Commune, Dossier, Membership, Organisation, Piece, PieceType, Theme
from dossiers.money import ZERO, round_cents
from dossiers.services import (
    dossier_create,
    dossier_lock_for_edit,
    expense_line_add,
    funding_line_add,
    membership_add,
    piece_add,
    role_group,
)
from portal.enums import MembershipRequestStatus
from portal.models import MembershipRequest
from portal.selectors import place_for_communes
from workflows.enums import DossierState, Role
from workflows.permissions import organisation_ids

# Accounts and organisations ---------------------------------------------------------------------------


def sponsor_sign_up(*, username: str, email: str, first_name: str, last_name: str, password: str):
    """Creates the account of a project sponsor (password already checked by Django's validators);
    the account holds the sponsor role and no organisation yet."""
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username=username, email=email, password=password, first_name=first_name, last_name=last_name
        )
        user.groups.add(role_group(Role.SPONSOR))
    return user


def membership_request_create(*, user, organisation: Organisation, message: str = "") -> MembershipRequest:
    """The user asks the members of an organisation already registered to let them in."""
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if Membership.objects.filter(organisation=organisation, user=user).exists():
            raise ValidationError(_("You are already a member of this organisation."), code="already_member")
        if MembershipRequest.objects.filter(
            organisation=organisation, user=user, status=MembershipRequestStatus.PENDING
        ).exists():
            raise ValidationError(
                _("Your request to join this organisation is already waiting for its members' answer."),
                code="already_requested",
            )
        return MembershipRequest.objects.create(organisation=organisation, user=user, message=message.strip())


def _membership_request_decide(*, membership_request: MembershipRequest, actor, accept: bool) -> MembershipRequest:
    with transaction.atomic():
        locked = (
            MembershipRequest.objects.select_for_update()
            .select_related("organisation", "user")
            .get(pk=membership_request.pk)
        )
        if locked.organisation_id not in organisation_ids(actor):
            raise PermissionDenied(_("Only the members of the organisation answer its membership requests."))
        if locked.status != MembershipRequestStatus.PENDING:
            raise ValidationError(
                _("This request has already been answered (%(status)s).") % {"status": locked.get_status_display()},
                code="already_decided",
            )
        if accept:
            membership_add(organisation=locked.organisation, user=locked.user)
        locked.status = MembershipRequestStatus.ACCEPTED if accept else MembershipRequestStatus.REFUSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked


def membership_request_accept(*, membership_request: MembershipRequest, actor) -> MembershipRequest:
    """A member of the organisation lets the requester in: the requester becomes a member (sponsor role)."""
    return _membership_request_decide(membership_request=membership_request, actor=actor, accept=True)


def membership_request_refuse(*, membership_request: MembershipRequest, actor) -> MembershipRequest:
    """A member of the organisation turns the request down; the requester may ask again later."""
    return _membership_request_decide(membership_request=membership_request, actor=actor, accept=False)


# Dossier content ------------------------------------------------------------------------------------


def dossier_start(
    *,
    actor,
    organisation: Organisation,
    theme: Theme,
    title: str,
    object: str,
    description: str,
    communes: list[Commune],
    planned_start: date,
    planned_end: date,
    requested_amount: Decimal,
) -> Dossier:
    """Opens a draft under the signed contract of the communes' territory, with the Region's line of
    its financing plan set to the amount requested (the two stay equal: see `financing_plan_save`)."""
    with transaction.atomic():
        place = place_for_communes(communes)
        _check_dates(planned_start, planned_end)
        dossier = dossier_create(
            actor=actor,
            organisation=organisation,
            contract=place.contract,
            theme=theme,
            title=title,
            object=object,
            description=description,
            planned_start=planned_start,
            planned_end=planned_end,
            requested_amount=requested_amount,
            communes=communes,
        )
        funding_line_add(dossier=dossier, actor=actor, funder_kind=FunderKind.REGION, amount=requested_amount)
    return dossier


def dossier_project_update(
    *,
    dossier: Dossier,
    actor,
    organisation: Organisation,
    theme: Theme,
    title: str,
    object: str,
    description: str,
) -> Dossier:
    """Changes what the project is. The sponsoring organisation changes only while the dossier is a
    draft, and only to another organisation of the actor."""
    with transaction.atomic():
        locked = dossier_lock_for_edit(dossier=dossier, actor=actor)
        if organisation.pk != locked.organisation_id:
            if locked.state != DossierState.DRAFT:
                raise ValidationError(
                    {"organisation": _("The sponsor of a dossier already submitted cannot change.")},
                    code="organisation_locked",
                )
            if organisation.pk not in organisation_ids(actor):
                raise PermissionDenied(_("You are not a member of this organisation."))
            locked.organisation = organisation
        locked.theme, locked.title, locked.object, locked.description = theme, title, object, description
        locked.full_clean(exclude=["communes", "state"])
        locked.save(update_fields=["organisation", "theme", "title", "object", "description"])
    return locked


def dossier_place_update(*, dossier: Dossier, actor, communes: list[Commune]) -> Dossier:
    """Sets the communes of the project; a draft follows them to the signed contract of their
    territory, a dossier already submitted stays in its territory."""
    with transaction.atomic():
        locked = dossier_lock_for_edit(dossier=dossier, actor=actor)
        place = place_for_communes(communes)
        if locked.state == DossierState.DRAFT:
            if place.contract.pk != locked.contract_id:
                locked.contract, locked.territory = place.contract, place.territory
                locked.save(update_fields=["contract", "territory"])
        elif place.territory.pk != locked.territory_id:
            raise ValidationError(
                _(
                    "A dossier already submitted stays in its territory (%(territory)s): choose communes of "
                    "that territory."
                )
                % {"territory": locked.territory.name},
                code="territory_locked",
            )
        locked.communes.set(communes)
    return locked


def _check_dates(planned_start: date, planned_end: date) -> None:
    if planned_end < planned_start:
        raise ValidationError(
            {"planned_end": _("The end of the work cannot come before its start.")}, code="end_before_start"
        )


def dossier_dates_update(*, dossier: Dossier, actor, planned_start: date, planned_end: date) -> Dossier:
    with transaction.atomic():
        locked = dossier_lock_for_edit(dossier=dossier, actor=actor)
        _check_dates(planned_start, planned_end)
        locked.planned_start, locked.planned_end = planned_start, planned_end
        locked.save(update_fields=["planned_start", "planned_end"])
    return locked


def financing_plan_save(
    *,
    dossier: Dossier,
    actor,
    expenses: list[dict],
    funding: list[dict],
    tax_basis: str = TaxBasis.HT,
    self_financing_exemption: str = SelfFinancingExemption.NONE,
) -> Dossier:
    """Replaces the whole financing plan: `expenses` are dicts of label, amount, is_eligible; `funding`
    dicts of funder_kind, funder_name, amount, status. The amount requested becomes the total of the
    Region's lines (kept as it was when the plan has none: the submission then says they differ).
    Only public-law owners claim an exemption from the self-financing rule."""
    with transaction.atomic():
        locked = dossier_lock_for_edit(dossier=dossier, actor=actor)
        locked.expense_lines.all().delete()
        locked.funding_lines.all().delete()
        for line in expenses:
            expense_line_add(dossier=locked, actor=actor, **line)
        for line in funding:
            funding_line_add(dossier=locked, actor=actor, **line)
        region = sum(
            (round_cents(line["amount"]) for line in funding if line["funder_kind"] == FunderKind.REGION), ZERO
        )
        if region > 0:
            locked.requested_amount = region
        locked.tax_basis = tax_basis
        locked.self_financing_exemption = (
            self_financing_exemption if locked.organisation.is_public_law else SelfFinancingExemption.NONE
        )
        locked.full_clean(exclude=["communes", "state"])
        locked.save(update_fields=["requested_amount", "tax_basis", "self_financing_exemption"])
    return locked


# Pieces -----------------------------------------------------------------------------------------------


def _editable_piece(*, piece: Piece, actor) -> Piece:
    dossier_lock_for_edit(dossier=piece.dossier, actor=actor)
    return Piece.objects.select_for_update().get(pk=piece.pk, dossier_id=piece.dossier_id)


def _delete_file_after_commit(piece: Piece) -> None:
    name, storage = piece.file.name, piece.file.storage
    transaction.on_commit(lambda: storage.delete(name))


def piece_replace(*, piece: Piece, actor, uploaded) -> Piece:
    """Puts a new file in place of `piece` (same type), checked like any upload; a refused file leaves
    the old piece as it was. The old file is deleted from storage once the change is committed."""
    with transaction.atomic():
        old = _editable_piece(piece=piece, actor=actor)
        piece_type = PieceType.objects.get(pk=old.piece_type_id)
        old.delete()
        new = piece_add(dossier=old.dossier, actor=actor, piece_type=piece_type, uploaded=uploaded)
        _delete_file_after_commit(old)
    return new


def piece_remove(*, piece: Piece, actor) -> None:
    """Removes a piece sent by mistake while the dossier is still editable."""
    with transaction.atomic():
        old = _editable_piece(piece=piece, actor=actor)
        old.delete()
        _delete_file_after_commit(old)
