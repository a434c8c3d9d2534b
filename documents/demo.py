"""The letters of the demonstration: the documents the demo sponsor's dossiers call for (a payment
certificate for each of their validated or paid payment requests), and the presentation report of the
next session, rendered at seed time so that `make run` shows real PDFs. Idempotent: a document already
issued is not issued again."""

from committees.models import AGENDA_OPEN_STATUSES, CommitteeSession
from documents.models import DocumentKind, IssuedDocument, JobStatus
from documents.services import decision_kinds, document_request, job_run
from dossiers.models import Dossier
from workflows.enums import DossierState

S = DossierState
LATER_THAN_SUBMITTED = frozenset(S) - {S.DRAFT}


def kinds_for(dossier, decision) -> list[str]:
    kinds = [DocumentKind.ACKNOWLEDGEMENT] if dossier.state in LATER_THAN_SUBMITTED else []
    if dossier.state == S.INCOMPLETE:
        kinds.append(DocumentKind.PIECES_REQUEST)
    if decision is not None:
        kinds += decision_kinds(decision)
    return kinds


def _certificates_to_issue(dossier):
    """The dossier's validated or paid payment requests without their certificate yet."""
    from payments.models import ORDERED_REQUEST_STATES, PaymentRequest

    issued = IssuedDocument.objects.filter(
        dossier=dossier, kind=DocumentKind.PAYMENT_CERTIFICATE, payment_request__isnull=False
    )
    return (
        PaymentRequest.objects.filter(dossier=dossier, state__in=ORDERED_REQUEST_STATES)
        .exclude(pk__in=issued.values("payment_request_id"))
        .select_related("validated_by")
        .order_by("validated_at", "pk")
    )


def seed_demo_letters(username: str = "porteur", limit: int = 12) -> int:
    """Issues what is missing for the first `limit` dossiers of `username`'s organisations, and the
    report of the next session in preparation. Returns the number of documents issued."""
    from committees.selectors import decision_item

    dossiers = (
        Dossier.objects.filter(organisation__memberships__user__username=username)
        .exclude(state=S.DRAFT)
        .select_related("organisation", "rule_set")
        .order_by("pk")[:limit]
    )
    issued = 0
    for dossier in dossiers:
        existing = set(IssuedDocument.objects.filter(dossier=dossier).values_list("kind", flat=True))
        for kind in kinds_for(dossier, decision_item(dossier)):
            if kind not in existing:
                issued += (
                    job_run(document_request(kind=kind, dossier=dossier, enqueue=False).pk).status == JobStatus.DONE
                )
        for request in _certificates_to_issue(dossier):
            job = document_request(
                kind=DocumentKind.PAYMENT_CERTIFICATE,
                dossier=dossier,
                payment_request=request,
                actor=request.validated_by,
                enqueue=False,
            )
            issued += job_run(job.pk).status == JobStatus.DONE
    session = CommitteeSession.objects.filter(status__in=AGENDA_OPEN_STATUSES).order_by("sits_on").first()
    if session is not None and session.items.exists() and not session.documents.exists():
        job = document_request(kind=DocumentKind.SESSION_REPORT, session=session, enqueue=False)
        issued += job_run(job.pk).status == JobStatus.DONE
    return issued
