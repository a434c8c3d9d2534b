"""The convention signed by the sponsor (loi 2000-321 art. 10, décret 2001-495): the sponsor uploads the
signed copy of the convention issued with the notification; an officer of the dossier's territory (or an
administrator) refuses it with a reason, or countersigns it, which records the dossier's `sign_agreement`
dated of the countersignature (the last signature gives the convention its date)."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from documents.uploads import check_upload, save_with_file
from dossiers.models import Dossier
from dossiers.rules import convention_required
from dossiers.selectors import dossier_list_for_user
from messaging.notices import notices_send
from payments.models import ConventionStatus, SignedConvention
from payments.permissions import is_sponsor_member, is_territory_officer
from workflows.enums import DossierState
from workflows.permissions import is_administrator, officer_territory_ids, organisation_ids
from workflows.recipients import sponsor_members, territory_officers
from workflows.services import TransitionRefused, dossier_sign_agreement

# Rules --------------------------------------------------------------------------------------------


def convention_is_required(dossier: Dossier) -> bool:
    """Whether the granted dossier needs a signed convention (False before the grant)."""
    if dossier.granted_amount is None or dossier.rule_set_id is None:
        return False
    return convention_required(dossier=dossier, amount=dossier.granted_amount, rule_set=dossier.rule_set)


# Selectors ----------------------------------------------------------------------------------------


def signed_convention_list_for_user(user) -> QuerySet[SignedConvention]:
    """The copies `user` may download: those of their organisations' dossiers, and those of the dossiers
    they see as the Region's staff."""
    staff_dossiers = dossier_list_for_user(user, staff_only=True).values("pk")
    scope = Q(dossier__organisation_id__in=organisation_ids(user)) | Q(dossier_id__in=staff_dossiers)
    return SignedConvention.objects.filter(scope).select_related("dossier")


def signed_convention_list_to_decide(user) -> QuerySet[SignedConvention]:
    """The copies `user` may refuse or countersign: their territories' (every one for an administrator)."""
    copies = SignedConvention.objects.select_related("dossier")
    if is_administrator(user):
        return copies
    return copies.filter(dossier__territory_id__in=officer_territory_ids(user))


def signed_convention_list(dossier: Dossier) -> list[SignedConvention]:
    """The dossier's copies, the latest first (the page's user was already checked against the dossier)."""
    return list(SignedConvention.objects.filter(dossier_id=dossier.pk).select_related("uploaded_by", "decided_by"))


def live_copy(copies: list[SignedConvention]) -> SignedConvention | None:
    """The copy waiting or countersigned, if any (at most one: `one_live_signed_convention`)."""
    return next((copy for copy in copies if copy.status != ConventionStatus.REFUSED), None)


# Services -----------------------------------------------------------------------------------------


def convention_submit(*, dossier: Dossier, actor, uploaded, signed_on: date) -> SignedConvention:
    """A member of the dossier's organisation sends the convention they signed on `signed_on`, as a PDF
    (checked by its content), while the dossier is notified and needs a convention and no other copy is
    waiting or countersigned. Notifies the territory's officers (notice `convention_submitted`). A refused
    upload leaves everything as it was (no record, no file)."""
    checked = check_upload(uploaded)
    if checked.content_type != "application/pdf":
        raise ValidationError(
            {"uploaded": _("The signed convention must be a PDF file (its content was checked, not its name).")},
            code="not_pdf",
        )
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("organisation", "rule_set")
            .get(pk=dossier.pk)
        )
        if not is_sponsor_member(actor, locked):
            raise PermissionDenied(_("Only the members of the sponsoring organisation send its signed convention."))
        if locked.state != DossierState.NOTIFIED:
            raise ValidationError(
                _(
                    "The signed convention is sent once the grant is notified, before the first payment "
                    "(state: %(state)s)."
                )
                % {"state": locked.get_state_display()},
                code="invalid_state",
            )
        if not convention_is_required(locked):
            raise ValidationError(_("No convention is required for this grant."), code="convention_not_required")
        if SignedConvention.objects.filter(dossier=locked).exclude(status=ConventionStatus.REFUSED).exists():
            raise ValidationError(
                _("A signed copy of the convention was already sent; a new one can be sent only if it is refused."),
                code="copy_exists",
            )
        today = timezone.localdate()
        if signed_on is None or not locked.notified_on <= signed_on <= today:
            raise ValidationError(
                {
                    "signed_on": _(
                        "The date of your signature must be between the notification (%(notified_on)s) and today."
                    )
                    % {"notified_on": date_format(locked.notified_on, "SHORT_DATE_FORMAT")}
                },
                code="invalid_date",
            )
        copy = SignedConvention(dossier=locked, signed_on=signed_on, uploaded_by=actor)
        save_with_file(
            copy,
            uploaded,
            checked,
            then=lambda: notices_send(
                dossier=locked, code="convention_submitted", values={}, recipients=territory_officers(locked)
            ),
        )
    return copy


def _locked_copy_to_decide(*, copy: SignedConvention, actor) -> SignedConvention:
    locked = SignedConvention.objects.select_for_update(of=("self",)).select_related("dossier").get(pk=copy.pk)
    if not is_territory_officer(actor, locked.dossier):
        raise PermissionDenied(_("Only the territory's officers check the signed conventions of its dossiers."))
    if locked.status != ConventionStatus.SUBMITTED:
        raise ValidationError(
            _("This copy was already checked (%(status)s).") % {"status": locked.get_status_display()},
            code="already_decided",
        )
    return locked


def convention_refuse(*, copy: SignedConvention, actor, reason: str) -> SignedConvention:
    """An officer of the territory (or an administrator) refuses a copy waiting to be checked, saying why;
    the sponsor's members are told (notice `convention_refused`, the reason as its comment) and may send
    a new copy."""
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _locked_copy_to_decide(copy=copy, actor=actor)
        if not reason:
            raise ValidationError(
                {"reason": _("Say why the copy is refused: the sponsor reads it.")}, code="reason_required"
            )
        locked.status = ConventionStatus.REFUSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.refusal_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "refusal_reason"])
        notices_send(
            dossier=locked.dossier,
            code="convention_refused",
            values={"comment": reason},
            recipients=sponsor_members(locked.dossier),
        )
    return locked


def convention_countersign(*, copy: SignedConvention, actor, ip_address: str | None = None) -> SignedConvention:
    """An officer of the territory (or an administrator) countersigns a copy waiting to be checked: in one
    transaction the copy is marked countersigned and the dossier's `sign_agreement` is recorded, dated
    today. If the dossier's transition is refused (TransitionRefused, raised again), nothing changes
    except the refusal's own audit entry."""
    refusal = None
    with transaction.atomic():
        locked = _locked_copy_to_decide(copy=copy, actor=actor)
        try:
            dossier_sign_agreement(
                dossier=locked.dossier, actor=actor, signed_on=timezone.localdate(), ip_address=ip_address
            )
        except TransitionRefused as error:
            # The transition rolled back its own savepoint and recorded the refusal: keep that entry.
            refusal = error
        else:
            locked.status = ConventionStatus.COUNTERSIGNED
            locked.decided_by = actor
            locked.decided_at = timezone.now()
            locked.save(update_fields=["status", "decided_by", "decided_at"])
    if refusal is not None:
        raise refusal
    return locked
