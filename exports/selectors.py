"""The staff dossier list's filters, applied in one place: the list (`workflows.frontend.DossierListView`)
and its exports show exactly the same rows."""

from dataclasses import asdict, dataclass

from django.db.models import Q, QuerySet

from dossiers.models import Dossier
from dossiers.selectors import dossier_list_for_user
from exports.models import ExportJob
from workflows.enums import DossierState


@dataclass(frozen=True)
class DossierListFilters:
    """The list's filters: a state (ignored unless it is one) and a text searched in references and titles."""

    state: str = ""
    q: str = ""

    @classmethod
    def from_params(cls, params) -> "DossierListFilters":
        state = str(params.get("state", "") or "")
        return cls(
            state=state if state in DossierState.values else "",
            q=str(params.get("q", "") or "").strip(),
        )

    def as_dict(self) -> dict:
        return asdict(self)


def staff_dossier_list(user, filters: DossierListFilters) -> QuerySet[Dossier]:
    """The dossiers `user` sees on the staff list with these filters, most recent first."""
    dossiers = dossier_list_for_user(user, staff_only=True).order_by("-created_at", "-pk")
    if filters.state:
        dossiers = dossiers.filter(state=filters.state)
    if filters.q:
        dossiers = dossiers.filter(Q(reference__icontains=filters.q) | Q(title__icontains=filters.q))
    return dossiers


def export_job_list_for_user(user) -> QuerySet[ExportJob]:
    """The user's own exports: nobody sees or downloads another's."""
    return ExportJob.objects.filter(owner=user)
