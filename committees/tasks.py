from django.tasks import task

from committees.voting import session_close_run


@task()
def close_session(session_id: int, actor_id: int) -> dict:
    """Applies the results of a session whose closing the secretariat started; returns the counts."""
    report = session_close_run(session_id=session_id, actor_id=actor_id)
    return {"applied": report.applied, "refused": len(report.refused), "closed": report.closed}
