"""Times the Commission permanente's session of N items (default 500): the vote en bloc, then the
closing that applies every result through the dossier services (one transaction per item, with its
deliberation number and its letters requested), without rendering the letters (they go to one
background task, timed by scripts/bench_documents.py).

Usage: python scripts/bench_closing.py [items]

It builds its own data in a temporary SQLite database (nothing else is touched) and prints the time of
the vote en bloc, of the closing, per item, and the number of queries per item.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.mkdtemp(prefix="bench-closing-"))
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ["TASKS_BACKEND"] = "django.tasks.backends.dummy.DummyBackend"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from committees.models import SessionStatus  # noqa: E402
from committees.voting import session_close, session_record_attendance, session_record_block_vote  # noqa: E402
from dossiers.models import Dossier  # noqa: E402
from tests.factories import EnvelopeFactory, make_dossier, make_session, make_user  # noqa: E402
from workflows.enums import DossierState, Role  # noqa: E402


def main(count: int) -> None:
    call_command("migrate", verbosity=0)
    contract = EnvelopeFactory(amount=10**10).contract
    members = [make_user(Role.COMMITTEE_MEMBER) for _ in range(9)]
    secretary = make_user(Role.COMMITTEE_SECRETARY)
    session = make_session(members=members, status=SessionStatus.HELD)
    first = make_dossier(DossierState.SCHEDULED, contract=contract, session=session)
    for _ in range(count - 1):
        make_dossier(
            DossierState.SCHEDULED,
            contract=contract,
            session=session,
            organisation=first.organisation,
            creator=first.created_by,
            pieces=False,
        )
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members])
    print(f"{count} items, 9 members, in {WORK}")

    started = time.perf_counter()
    session_record_block_vote(session=session, actor=secretary, votes={m.pk: "for" for m in members})
    print(f"vote en bloc: {time.perf_counter() - started:.2f} s")

    queries = 0

    def count_queries(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count_queries):
        report = session_close(session=session, actor=secretary)
    elapsed = time.perf_counter() - started
    assert report.closed and report.applied == count, report
    assert Dossier.objects.filter(state=DossierState.APPROVED).count() == count
    print(
        f"closing: {elapsed:.1f} s, {elapsed / count * 1000:.0f} ms per item, "
        f"{queries / count:.0f} queries per item, "
        f"{report.letters} letters requested"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
