"""The demonstration's engineering posts: the bulk-built demo dossiers of the theme "Ingénierie
territoriale" (titled "Poste de chargé de mission …") become dossiers of the engineering type, each
with its post (12 or 24 months from the dossier's planned start, at a regional rate of 50 %, so that the
regional amount is exactly the amount the dossier asked for) and, once notified, the activity report of
each year already due. Seeding again adds nothing."""

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from dossiers.demo import DEMO_PDF
from dossiers.enums import DossierKind
from dossiers.models import Dossier
from dossiers.money import add_months, round_cents
from engineering.models import ActivityReport, EngineeringPost
from engineering.services import THEME_CODE, regional_amount, report_due_on, report_years
from workflows.enums import COMMITTED_STATES, DossierState

RATE = Decimal("0.5")
# Made-up holders of the posts.
HOLDER_FIRST_NAMES = ["Amaia", "Julien", "Sophie", "Karim", "Léa", "Thomas", "Inès", "Mathieu"]
HOLDER_LAST_NAMES = ["Irigoyen", "Dupuy", "Lafitte", "Benali", "Moreau", "Castagnet", "Larrieu", "Faure"]
DEMO_REPORT_NAME = "engineering/demo/rapport-d-activite-de-demonstration.pdf"


def seed_demo_engineering() -> int:
    """Turns the demo engineering dossiers without a post into engineering posts; returns how many."""
    dossiers = Dossier.objects.filter(theme__code=THEME_CODE, engineering_post__isnull=True).select_related(
        "created_by"
    )
    today = timezone.localdate()
    if not default_storage.exists(DEMO_REPORT_NAME):
        default_storage.save(DEMO_REPORT_NAME, _demo_file())
    added = 0
    for dossier in dossiers.order_by("pk"):
        months = 12 if dossier.pk % 2 else 24
        annual_cost = round_cents(dossier.requested_amount * 12 / months / RATE)
        amount = regional_amount(annual_cost=annual_cost, months=months, rate=RATE)
        if amount != dossier.requested_amount:
            continue
        end = add_months(dossier.planned_start, months) - timedelta(days=1)
        with transaction.atomic():
            Dossier.objects.filter(pk=dossier.pk).update(kind=DossierKind.ENGINEERING, planned_end=end)
            post = EngineeringPost.objects.create(
                dossier=dossier,
                post_title=dossier.title.removeprefix("Poste de ") or dossier.title,
                holder_name=f"{HOLDER_FIRST_NAMES[dossier.pk % len(HOLDER_FIRST_NAMES)]} "
                f"{HOLDER_LAST_NAMES[dossier.pk % len(HOLDER_LAST_NAMES)]}",
                period_start=dossier.planned_start,
                period_end=end,
                months=months,
                annual_cost=annual_cost,
                regional_rate=RATE,
                regional_amount=amount,
            )
            if dossier.state in COMMITTED_STATES and dossier.state != DossierState.APPROVED:
                ActivityReport.objects.bulk_create(
                    ActivityReport(
                        post=post,
                        year=year,
                        file=DEMO_REPORT_NAME,
                        original_name=f"rapport-activite-{year}.pdf",
                        content_type="application/pdf",
                        extension="pdf",
                        size=len(DEMO_PDF),
                        sha256=_sha256(),
                        submitted_by=dossier.created_by,
                    )
                    for year in report_years(post)
                    if report_due_on(year) <= today
                )
        added += 1
    return added


def _demo_file() -> ContentFile:
    return ContentFile(DEMO_PDF)


def _sha256() -> str:
    return hashlib.sha256(DEMO_PDF).hexdigest()
