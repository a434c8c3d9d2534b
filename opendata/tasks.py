"""Background tasks of the open data."""

from django.tasks import task

from opendata.services import open_data_publish


@task()
def publish_open_data() -> dict:
    """The daily publication (`opendata.services.open_data_publish`, the same code as `manage.py
    publish_open_data`). Returns the record's id, status and number of rows."""
    publication = open_data_publish()
    return {"publication": publication.pk, "status": publication.status, "rows": publication.rows}
