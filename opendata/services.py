"""The open-data publication of the grants (décret 2017-779): who sees what, and the publication itself.

Selectors: `can_view_publications`, `can_publish_open_data`, `publication_list_for_user`,
`current_publication`.
Service: `open_data_publish`.
"""

import hashlib
import logging

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from opendata.enums import PublicationStatus
from opendata.models import Publication
from opendata.scdl import grant_rows, grants_csv
from opendata.validation import grants_validate
from workflows.enums import Role
from workflows.permissions import user_roles

logger = logging.getLogger(__name__)

# The name under which the public downloads the file, whatever the stored one.
PUBLIC_FILE_NAME = "subventions.csv"


def can_view_publications(user) -> bool:
    """The history of the publications, refused attempts and their errors: finance and administrators."""
    return bool(user_roles(user) & {Role.FINANCE, Role.ADMINISTRATOR})


def can_publish_open_data(user) -> bool:
    return Role.ADMINISTRATOR in user_roles(user)


def publication_list_for_user(user) -> QuerySet[Publication]:
    if not can_view_publications(user):
        return Publication.objects.none()
    return Publication.objects.select_related("generated_by").order_by("-generated_at", "-pk")


def current_publication() -> Publication | None:
    """The file the public URL serves: the latest valid publication (None before the first)."""
    return Publication.objects.current()


def _stored_name(generated_at, sha256: str) -> str:
    return f"opendata/subventions-{generated_at:%Y%m%dT%H%M%S}-{sha256[:16]}.csv"


def open_data_publish(*, actor=None) -> Publication:
    """Builds the file of every grant to publish (`opendata.scdl`), validates it (`opendata.validation`)
    and records the attempt.

    - Valid: the file is stored under a new name (never overwritten) and recorded as published; the
      public URL serves it from then on.
    - Invalid: the attempt is recorded as refused with every problem (row, deliberation number, column,
      message) and no file; the public URL keeps serving the previous valid file. A partially valid file
      is never published.

    `actor` None is the daily job (task or management command); a person must be an administrator.
    Returns the record, published or refused."""
    if actor is not None and not can_publish_open_data(actor):
        raise PermissionDenied(_("Only an administrator can publish the open data."))
    generated_at = timezone.now()
    rows = grant_rows()
    content = grants_csv(rows)
    sha256 = hashlib.sha256(content).hexdigest()
    problems = grants_validate(content, rows)
    record = {"generated_at": generated_at, "generated_by": actor, "rows": len(rows), "sha256": sha256}
    if problems:
        publication = Publication.objects.create(status=PublicationStatus.REFUSED, errors=problems, **record)
        logger.warning("Open data: publication %s refused, %d problems", publication.pk, len(problems))
        return publication
    name = default_storage.save(_stored_name(generated_at, sha256), ContentFile(content))
    try:
        with transaction.atomic():
            publication = Publication.objects.create(
                status=PublicationStatus.PUBLISHED, file=name, size=len(content), **record
            )
    except Exception:
        # No record points to a file that could not be recorded.
        default_storage.delete(name)
        raise
    logger.info("Open data: publication %s, %d rows", publication.pk, len(rows))
    return publication
