"""Times the payment cycle of N dossiers (default 200): each sponsor asks for the balance with a
statement of 20 lines and an invoice, the territory's officer checks it, finance validates it (which
fixes the figures, moves the dossier to in_payment then paid, and requests the certificate, rendered
by a background task that is not run here: scripts/bench_documents.py times the rendering); then
finance exports every validated request as one payment order and marks it paid.

Usage: python scripts/bench_payments.py [dossiers]

It builds its own data in a temporary SQLite database (nothing else is touched) and prints the median
time and the queries of each step, and the time of the order's export and payment.
"""

import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.mkdtemp(prefix="bench-payments-"))
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ["TASKS_BACKEND"] = "django.tasks.backends.dummy.DummyBackend"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from payments.models import PaymentKind  # noqa: E402
from payments.orders import payment_order_create, payment_order_csv, payment_order_mark_paid  # noqa: E402
from payments.services import (  # noqa: E402
    payment_request_check,
    payment_request_submit,
    payment_request_validate,
)
from tests.factories import EnvelopeFactory, make_dossier, make_user  # noqa: E402
from tests.payments.conftest import bank_account, pdf_upload, statement  # noqa: E402
from workflows.enums import DossierState, Role  # noqa: E402


def timed(function, **kwargs):
    reset_queries()  # the query log keeps 9,000 entries: counting across its end would be wrong
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = function(**kwargs)
        elapsed = time.perf_counter() - started
    return result, elapsed, len(queries)


def main(count: int) -> None:
    call_command("migrate", verbosity=0)
    contract = EnvelopeFactory(amount=10**10).contract
    officer = make_user(Role.OFFICER, territory=contract.territory)
    finance = make_user(Role.FINANCE)
    first = make_dossier(DossierState.NOTIFIED, contract=contract)
    sponsor = make_user(Role.SPONSOR, organisation=first.organisation)
    bank_account(first.organisation, sponsor)
    dossiers = [first] + [
        make_dossier(
            DossierState.NOTIFIED, contract=contract, organisation=first.organisation, creator=sponsor, pieces=False
        )
        for _ in range(count - 1)
    ]
    print(f"{count} dossiers, balance with 20 lines each, in {WORK}")
    steps = {"submit": [], "check": [], "validate": []}
    queries = {name: set() for name in steps}
    for dossier in dossiers:
        request, elapsed, spent = timed(
            payment_request_submit,
            dossier=dossier,
            actor=sponsor,
            kind=PaymentKind.BALANCE,
            idempotency_key=uuid.uuid4(),
            lines=statement(*["4000"] * 20),
            invoices=[pdf_upload()],
            completion_statement=pdf_upload("achevement.pdf"),
        )
        steps["submit"].append(elapsed)
        queries["submit"].add(spent)
        _, elapsed, spent = timed(payment_request_check, request=request, actor=officer)
        steps["check"].append(elapsed)
        queries["check"].add(spent)
        _, elapsed, spent = timed(payment_request_validate, request=request, actor=finance)
        steps["validate"].append(elapsed)
        queries["validate"].add(spent)
    for name, times in steps.items():
        print(
            f"{name:<9} median {statistics.median(times) * 1000:6.1f} ms, "
            f"p95 {sorted(times)[int(len(times) * 0.95) - 1] * 1000:6.1f} ms, queries {sorted(queries[name])}"
        )
    order, elapsed, spent = timed(payment_order_create, actor=finance)
    print(f"order of {order.requests.count()} requests: created in {elapsed * 1000:.0f} ms ({spent} queries)")
    started = time.perf_counter()
    text = payment_order_csv(order)
    print(f"its CSV ({len(text.splitlines()) - 1} lines): {(time.perf_counter() - started) * 1000:.0f} ms")
    _, elapsed, spent = timed(payment_order_mark_paid, order=order, actor=finance, paid_on=timezone.localdate())
    print(f"marked paid in {elapsed * 1000:.0f} ms ({spent} queries, {spent / count:.1f} per request)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
