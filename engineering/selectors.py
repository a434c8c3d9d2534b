"""Reads of territorial engineering, scoped by the user: the sponsor's posts, the reports a user may
download, the engineering dossiers of a contract."""

from django.db.models import Prefetch, QuerySet

from dossiers.enums import DossierKind
from engineering.models import ActivityReport, EngineeringPost
from portal.selectors import sponsor_dossier_list
from workflows.enums import DossierState
from workflows.permissions import (
    is_administrator,
    officer_territory_ids,
    organisation_ids,
    representative_territory_ids,
)


def can_read_reports(user, dossier) -> bool:
    """The activity reports of a post are read by the sponsor's members, the territory's officers and
    elected representatives, and administrators."""
    return (
        is_administrator(user)
        or dossier.organisation_id in organisation_ids(user)
        or dossier.territory_id in officer_territory_ids(user)
        or dossier.territory_id in representative_territory_ids(user)
    )


def sponsor_post_get(user, dossier_pk) -> EngineeringPost:
    """The post of an engineering dossier of the user's organisations; EngineeringPost.DoesNotExist
    otherwise."""
    dossiers = sponsor_dossier_list(user).filter(kind=DossierKind.ENGINEERING)
    return EngineeringPost.objects.select_related("dossier__organisation").get(dossier__in=dossiers, dossier=dossier_pk)


def activity_report_get_for_user(user, pk) -> ActivityReport:
    """The report if the user may read its post's reports; ActivityReport.DoesNotExist otherwise."""
    report = ActivityReport.objects.select_related("post__dossier").get(pk=pk)
    if not can_read_reports(user, report.post.dossier):
        raise ActivityReport.DoesNotExist
    return report


def post_for_dossier(dossier) -> EngineeringPost | None:
    """The post of an engineering dossier with its reports (two queries), None for a project."""
    if dossier.kind != DossierKind.ENGINEERING:
        return None
    return EngineeringPost.objects.filter(dossier=dossier).prefetch_related("activity_reports").first()


def contract_post_list(contract) -> QuerySet[EngineeringPost]:
    """The posts of the contract's engineering dossiers filed so far (drafts stay the sponsor's), the
    oldest period first, in a fixed number of queries."""
    return (
        EngineeringPost.objects.filter(dossier__contract=contract, dossier__kind=DossierKind.ENGINEERING)
        .exclude(dossier__state=DossierState.DRAFT)
        .select_related("dossier__organisation")
        .prefetch_related(Prefetch("activity_reports", queryset=ActivityReport.objects.only("id", "post_id", "year")))
        .order_by("period_start", "dossier__reference")
    )
