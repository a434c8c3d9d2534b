"""Background tasks of the payments app."""

from django.tasks import task

from payments.deadlines import deadlines_run


@task()
def run_deadlines() -> dict:
    """The deadlines' daily job (`payments.deadlines.deadlines_run`): reminders, then lapses. Returns
    the number of reminders sent and the ids of the dossiers lapsed."""
    reminders, lapsed = deadlines_run()
    return {"reminders": reminders, "lapsed": lapsed}
