from django.tasks import task

from documents.services import job_run


@task()
def render_document(job_id: int) -> str:
    """Renders, stores and records one requested document (documents.services.job_run); returns the
    job's final status."""
    return job_run(job_id).status
