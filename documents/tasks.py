from django.tasks import task

from documents.services import job_run


@task()
def render_document(job_id: int) -> str:
    """Renders, stores and records one requested document (documents.services.job_run); returns the
    job's final status."""
    return job_run(job_id).status


@task()
def render_documents(job_ids: list[int]) -> dict:
    """Renders requested documents one after the other (a session's letters after its closing);
    returns how many ended done and failed. A failed job keeps its error and can be retried alone."""
    statuses = [job_run(job_id).status for job_id in job_ids]
    return {status: statuses.count(status) for status in set(statuses)}
