"""API tokens and organisations' service accounts: the only code that writes them.

A raw token is `ct_<prefix>_<secret>`: the prefix (8 letters and digits) finds the row, the secret
(32 random bytes, url-safe) is checked against its stored SHA-256 digest in constant time. The raw token
exists only in the answer to its creation."""

import hashlib
import hmac
import ipaddress
import secrets
import string
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken, ServiceAccount
from dossiers.models import Organisation
from dossiers.services import membership_add
from workflows.enums import Role
from workflows.permissions import user_roles

TOKEN_START = "ct_"  # noqa: S105 (the fixed start of every token, not a secret)
PREFIX_LENGTH = 8
SECRET_BYTES = 32
# Recording each use would write on every request; once a minute tells the owner what they need.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_PREFIX_ALPHABET = string.ascii_letters + string.digits
_NO_DIGEST = hashlib.sha256(b"").hexdigest()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_prefix() -> str:
    while True:
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix


def _split(raw: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed raw token, else None."""
    start = len(TOKEN_START)
    end = start + PREFIX_LENGTH
    if not raw.startswith(TOKEN_START) or len(raw) <= end + 1 or raw[end] != "_":
        return None
    return raw[start:end], raw[end + 1 :]


# Selectors ----------------------------------------------------------------------------------------


def organisations_with_service_account_for(user) -> QuerySet[Organisation]:
    """The organisations whose service account `user` manages: theirs, as a sponsor member (a service
    account does not manage itself)."""
    if Role.SPONSOR not in user_roles(user) or hasattr(user, "service_account"):
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user)


def tokens_manageable_by(user) -> QuerySet[ApiToken]:
    """The tokens `user` may see and revoke: their own and those of their organisations' service accounts."""
    organisations = organisations_with_service_account_for(user)
    return ApiToken.objects.filter(Q(user=user) | Q(user__service_account__organisation__in=organisations))


# Services -----------------------------------------------------------------------------------------


def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Creates a token for `user` named `name` (unique among the user's tokens that are not revoked) and
    returns it with the raw token, which is never stored nor shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the token a name."), code="name_required")
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValidationError(_("The name is too long."), code="name_too_long")
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            raise ValidationError(_("This account is disabled."), code="inactive_user")
        if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
            raise ValidationError(_("A token of that name already exists."), code="name_taken")
        secret = secrets.token_urlsafe(SECRET_BYTES)
        token = ApiToken.objects.create(user=user, name=name, prefix=_new_prefix(), digest=_digest(secret))
    return token, f"{TOKEN_START}{token.prefix}_{secret}"


def token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revokes `token` for good; only its owner (or, for a service account, a member of its organisation)
    may. Revoking a revoked token is refused and changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if not tokens_manageable_by(actor).filter(pk=token.pk).exists():
            raise PermissionDenied(_("You cannot revoke this token."))
        if token.revoked_at is not None:
            raise ValidationError(_("This token is already revoked."), code="already_revoked")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_check(raw: str, *, ip: str | None = None) -> ApiToken | None:
    """The live token `raw` designates (with its user), or None when it is malformed, unknown, wrong,
    revoked or its user disabled. Records the use (time and address) at most once a minute."""
    parts = _split(raw or "")
    if parts is None:
        return None
    prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    # Compare even when the prefix is unknown, so that the answer takes the same time.
    if not hmac.compare_digest(token.digest if token else _NO_DIGEST, _digest(secret)) or token is None:
        return None
    if token.revoked_at is not None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ip = _valid_ip(ip)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
    return token


def token_authenticate(raw: str, *, ip: str | None = None):
    """The user `raw` authenticates, or None (see `token_check`)."""
    token = token_check(raw, ip=ip)
    return token.user if token else None


def _valid_ip(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


def service_account_for(organisation: Organisation):
    """The organisation's service account, created on first use: a sponsor member of the organisation
    named `service-<SIREN>-<id>` (or `service-<id>`), who cannot log in with a password."""
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        existing = ServiceAccount.objects.select_related("user").filter(organisation=organisation).first()
        if existing is not None:
            return existing.user
        siren = organisation.siren
        username = f"service-{siren}-{organisation.pk}" if siren else f"service-{organisation.pk}"
        user = get_user_model()(username=username, first_name=_("Service account"), last_name=organisation.name[:150])
        user.set_unusable_password()
        user.save()
        membership_add(organisation=organisation, user=user)
        ServiceAccount.objects.create(organisation=organisation, user=user)
    return user


def service_token_create(*, organisation: Organisation, actor, name: str) -> tuple[ApiToken, str]:
    """Creates a token of the organisation's service account, for a sponsor member of the organisation."""
    if not organisations_with_service_account_for(actor).filter(pk=organisation.pk).exists():
        raise PermissionDenied(_("Only the organisation's members manage its service account."))
    return token_create(user=service_account_for(organisation), name=name)
