"""The beneficiary's bank details: IBAN and BIC (checked with python-stdnum, stored compact in capitals)
and the RIB as a file. A sponsor member sends them; finance validates them once and every payment reuses
them. New details replace the current ones and wait for their own validation: until then no payment goes
out (`bank_account_for_payment` is None)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as NumberError

from documents.uploads import check_upload, save_with_file
from dossiers.models import Organisation
from payments.models import LIVE_BANK_STATUSES, BankAccount, BankAccountStatus
from payments.permissions import is_finance, is_organisation_member
from workflows.permissions import organisation_ids

# Rules --------------------------------------------------------------------------------------------


def can_manage_bank_details(user) -> bool:
    """Finance officers and administrators validate or refuse bank details, and see them all."""
    return is_finance(user)


def checked_iban(value: str) -> str:
    """The IBAN compact in capitals; ValidationError with a message for the sponsor otherwise."""
    try:
        return stdnum_iban.validate(value or "")
    except InvalidChecksum:
        raise ValidationError(
            _("This IBAN is not valid: its check digits do not match (look for a typing error)."), code="iban_checksum"
        ) from None
    except InvalidLength:
        raise ValidationError(
            _("This IBAN does not have the length of its country's IBANs."), code="iban_length"
        ) from None
    except NumberError:
        raise ValidationError(
            _("This is not a valid IBAN (it starts with the country's two letters, e.g. FR76…)."), code="iban_invalid"
        ) from None


def checked_bic(value: str) -> str:
    try:
        return stdnum_bic.validate(value or "")
    except NumberError:
        raise ValidationError(
            _("This is not a valid BIC: 8 or 11 letters and digits (bank, country, place, branch), e.g. BNPAFRPPXXX."),
            code="bic_invalid",
        ) from None


# Selectors ----------------------------------------------------------------------------------------


def bank_account_current(organisation: Organisation) -> BankAccount | None:
    """The organisation's live details: waiting for finance or validated (at most one)."""
    return BankAccount.objects.filter(organisation_id=organisation.pk, status__in=LIVE_BANK_STATUSES).first()


def bank_account_for_payment(organisation: Organisation) -> BankAccount | None:
    """The details a payment goes to: the current ones once finance validated them; None otherwise, and
    then no payment may be validated."""
    return BankAccount.objects.filter(organisation_id=organisation.pk, status=BankAccountStatus.VALIDATED).first()


def bank_account_latest(organisation: Organisation) -> BankAccount | None:
    """The details sent last, whatever their status (a refusal is shown to the sponsor until replaced)."""
    return BankAccount.objects.filter(organisation_id=organisation.pk).first()


def bank_account_list_for_user(user) -> QuerySet[BankAccount]:
    """Every organisation's details for finance and administrators; their organisations' for sponsors."""
    accounts = BankAccount.objects.select_related("organisation", "submitted_by", "decided_by")
    if can_manage_bank_details(user):
        return accounts
    return accounts.filter(organisation_id__in=organisation_ids(user))


# Services -----------------------------------------------------------------------------------------


def bank_account_submit(
    *, organisation: Organisation, actor, holder: str, iban: str, bic: str, uploaded
) -> BankAccount:
    """A member of the organisation sends its bank details with the RIB (PDF, PNG or JPEG, checked by its
    content). The current details, waiting or validated, are marked replaced and the new ones wait for
    finance: no payment goes out until then. Refusals are a ValidationError whose dict names the field
    (holder, iban, bic, uploaded); nothing is written then."""
    if not is_organisation_member(actor, organisation):
        raise PermissionDenied(_("Only the organisation's members give its bank details."))
    errors = {}
    holder = " ".join((holder or "").split())
    if not holder:
        errors["holder"] = _("Give the account holder's name, as on the RIB.")
    try:
        iban = checked_iban(iban)
    except ValidationError as error:
        errors["iban"] = error
    try:
        bic = checked_bic(bic)
    except ValidationError as error:
        errors["bic"] = error
    checked = None
    if uploaded is None:
        errors["uploaded"] = _("Attach the RIB (bank details statement).")
    else:
        try:
            checked = check_upload(uploaded)
        except ValidationError as error:
            errors["uploaded"] = error
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        BankAccount.objects.filter(organisation_id=organisation.pk, status__in=LIVE_BANK_STATUSES).update(
            status=BankAccountStatus.REPLACED
        )
        account = BankAccount(organisation=organisation, holder=holder[:200], iban=iban, bic=bic, submitted_by=actor)
        save_with_file(account, uploaded, checked)
    return account


def _require_finance(actor) -> None:
    if not can_manage_bank_details(actor):
        raise PermissionDenied(_("Only finance validates or refuses bank details."))


def _locked_pending(*, account: BankAccount, actor) -> BankAccount:
    _require_finance(actor)
    locked = BankAccount.objects.select_for_update().get(pk=account.pk)
    if locked.status != BankAccountStatus.PENDING:
        raise ValidationError(
            _("These bank details were already decided (%(status)s).") % {"status": locked.get_status_display()},
            code="already_decided",
        )
    return locked


def bank_account_validate(*, account: BankAccount, actor) -> BankAccount:
    """Finance (or an administrator) validates details waiting for it: payments may go to them."""
    with transaction.atomic():
        locked = _locked_pending(account=account, actor=actor)
        locked.status = BankAccountStatus.VALIDATED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked


def bank_account_refuse(*, account: BankAccount, actor, reason: str) -> BankAccount:
    """Finance (or an administrator) refuses details waiting for it, saying why (the sponsor reads it on the
    organisation's page and sends new details)."""
    _require_finance(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the bank details are refused.")}, code="reason_required")
    with transaction.atomic():
        locked = _locked_pending(account=account, actor=actor)
        locked.status = BankAccountStatus.REFUSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.refusal_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "refusal_reason"])
    return locked
