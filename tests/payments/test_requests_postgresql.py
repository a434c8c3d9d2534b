"""What only a real PostgreSQL server can prove about the payment requests: two people acting on one
dossier at the same moment are served one after the other, because every payment service locks the
dossier's row before it reads anything.

The second call waits for the first one's commit, then sees what it did: the same form sent twice gets
the request the first one created, a second request meets the first one in progress, a second
validation meets a validated request. A second submission is refused or answered before it writes
anything: the unique constraints on the requests are the last resort, never the path taken (each thread
records the statements it sends, which is how these tests notice the dossier's lock gone missing). A
validation also locks the request's row, and its update checks the state it read (code `concurrent`),
so two validations give one even without the dossier's lock.

Run with `DATABASE_URL=postgres://... REQUIRE_POSTGRESQL=1 pytest tests/payments/test_requests_postgresql.py`;
see tests/workflows/test_postgresql.py for `run_together` and why `serialized_rollback=True`.
"""

import re
import uuid
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from documents.models import DocumentJob, DocumentKind
from dossiers.models import Dossier
from messaging.models import Notification
from payments import services
from payments.models import ExpenseStatementLine, PaymentFile, PaymentKind, PaymentRequest, RequestState
from payments.services import PaymentRefused
from tests.factories import PDF, make_user
from tests.payments.conftest import statement
from tests.workflows.test_postgresql import fresh_users, run_together, successes_and_errors
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent

D = Decimal
pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"(\w+)"', re.IGNORECASE)


class Writes:
    """The rows one thread's connection tried to change: (verb, table) of each statement it sent."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        if match := WRITE.match(sql):
            self.statements.append((match[1].split()[0].upper(), match[2]))
        return execute(sql, params, many, context)

    def wrap(self, call):
        def run():
            with connection.execute_wrapper(self):
                return call()

        return run


def invoice(marker: str) -> SimpleUploadedFile:
    """A PDF invoice whose content (hence SHA-256) is told apart by `marker`."""
    return SimpleUploadedFile(f"facture-{marker}.pdf", PDF + f"% {marker}\n".encode(), content_type="application/pdf")


def stored_payment_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "payments"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def submitting(dossier, sponsor, kind, *, key, lines=(), invoices=()):
    return partial(
        services.payment_request_submit,
        dossier=dossier,
        actor=sponsor,
        kind=kind,
        idempotency_key=key,
        lines=list(lines),
        invoices=list(invoices),
    )


def test_a_double_submitted_payment_request_creates_one_request(granted, sponsor, officer, key):
    sponsors = fresh_users(sponsor, 2)
    writes = [Writes(), Writes()]
    # The same form sent twice: same key, same lines, the same invoice (one upload object per request).
    calls = [
        writes[i].wrap(
            submitting(
                granted,
                sponsors[i],
                PaymentKind.INSTALMENT,
                key=key,
                lines=statement("10000", "5000"),
                invoices=[invoice("same")],
            )
        )
        for i in range(2)
    ]

    outcomes = run_together(calls)

    successes, errors = successes_and_errors(outcomes)
    assert errors == []
    request = PaymentRequest.objects.get(dossier=granted)
    assert [result.pk for result in successes] == [request.pk, request.pk]
    assert (request.idempotency_key, request.kind, request.state) == (
        key,
        PaymentKind.INSTALMENT,
        RequestState.SUBMITTED,
    )
    assert request.payable == D("6000.00")  # 40 % of 15,000 € justified
    assert list(request.lines.values_list("position", "amount_ht")) == [(1, D("10000.00")), (2, D("5000.00"))]
    assert ExpenseStatementLine.objects.filter(request__dossier=granted).count() == 2
    (document,) = PaymentFile.objects.filter(request__dossier=granted)
    assert document.original_name == "facture-same.pdf"
    assert stored_payment_files() == [Path(document.file.path)]
    assert Notification.objects.filter(notice="payment_request_submitted", recipient=officer).count() == 1
    # The second form waited for the first one's commit and found its request: it wrote nothing.
    assert sorted(("INSERT", "payments_paymentrequest") in w.statements for w in writes) == [False, True]
    assert [w.statements for w in writes if ("INSERT", "payments_paymentrequest") not in w.statements] == [[]]


def test_two_concurrent_validations_give_one(granted, sponsor, officer):
    request = services.payment_request_submit(
        dossier=granted, actor=sponsor, kind=PaymentKind.ADVANCE, idempotency_key=uuid.uuid4()
    )
    checked = services.payment_request_check(request=request, actor=officer)
    assert checked.payable == D("15000.00")
    finance_users = [make_user(Role.FINANCE), make_user(Role.FINANCE)]

    outcomes = run_together(
        [
            partial(services.payment_request_validate, request=PaymentRequest.objects.get(pk=request.pk), actor=user)
            for user in finance_users
        ]
    )

    successes, errors = successes_and_errors(outcomes)
    assert not [e for e in errors if not isinstance(e, PaymentRefused)], errors
    assert len(successes) == 1 and len(errors) == 1, errors
    assert errors[0].code in {"invalid_state", "concurrent"}
    winner = finance_users[[kind for kind, _ in outcomes].index("ok")]

    validated = PaymentRequest.objects.get(pk=request.pk)
    assert (validated.state, validated.validated_by_id, validated.payable) == (
        RequestState.VALIDATED,
        winner.pk,
        D("15000.00"),
    )
    assert DocumentJob.objects.filter(kind=DocumentKind.PAYMENT_CERTIFICATE, dossier=granted).count() == 1
    assert DocumentJob.objects.get(kind=DocumentKind.PAYMENT_CERTIFICATE).payment_request_id == request.pk
    assert Dossier.objects.get(pk=granted.pk).state == DossierState.IN_PAYMENT
    events = AuditEvent.objects.filter(dossier=granted)
    assert [(e.kind, e.transition, e.from_state, e.to_state, e.actor_id) for e in events] == [
        (AuditKind.TRANSITION, "start_payment", DossierState.NOTIFIED, DossierState.IN_PAYMENT, winner.pk)
    ]
    assert Notification.objects.filter(notice="payment_request_validated", recipient=sponsor).count() == 1


def test_concurrent_requests_of_one_dossier_are_refused_cleanly(granted, sponsor, officer):
    sponsors = fresh_users(sponsor, 2)
    writes = [Writes(), Writes()]
    keys = [uuid.uuid4(), uuid.uuid4()]
    calls = [
        writes[0].wrap(submitting(granted, sponsors[0], PaymentKind.ADVANCE, key=keys[0])),
        writes[1].wrap(
            submitting(
                granted,
                sponsors[1],
                PaymentKind.INSTALMENT,
                key=keys[1],
                lines=statement("10000"),
                invoices=[invoice("instalment")],
            )
        ),
    ]

    outcomes = run_together(calls)

    successes, errors = successes_and_errors(outcomes)
    assert not [e for e in errors if not isinstance(e, PaymentRefused)], errors
    assert len(successes) == 1 and len(errors) == 1, errors
    assert errors[0].code == "request_in_progress"
    winner = [kind for kind, _ in outcomes].index("ok")

    request = PaymentRequest.objects.get(dossier=granted)
    assert (request.pk, request.idempotency_key) == (successes[0].pk, keys[winner])
    assert request.state == RequestState.SUBMITTED
    # Nothing of the refused request is left: no lines, no files, no notice.
    assert ExpenseStatementLine.objects.filter(request__dossier=granted).count() == len(request.lines.all())
    assert PaymentFile.objects.filter(request__dossier=granted).count() == len(request.files.all())
    assert stored_payment_files() == [Path(document.file.path) for document in request.files.all()]
    assert Notification.objects.filter(notice="payment_request_submitted", recipient=officer).count() == 1
    # The refused one waited for the first one's commit and was stopped by its guard: it wrote nothing.
    assert writes[winner].statements
    assert writes[1 - winner].statements == []
