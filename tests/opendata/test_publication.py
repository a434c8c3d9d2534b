"""The publication: only a valid file is published; a refused attempt lists its faulty rows and the
public URL keeps serving the previous valid file. The command and the task run the same service."""

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from dossiers.models import Organisation
from opendata.enums import PublicationStatus
from opendata.models import Publication
from opendata.services import open_data_publish
from opendata.tasks import publish_open_data
from tests.factories import make_user
from tests.opendata.conftest import grant, read_csv
from workflows.enums import Role

pytestmark = pytest.mark.django_db
CSV_URL = "/donnees-ouvertes/subventions.csv"


def served(client) -> bytes:
    response = client.get(CSV_URL)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_row_without_siret_nor_rna_refuses_the_publication_and_the_previous_file_stays_online(
    client, deliberation_of
):
    valid = grant()
    first = open_data_publish()
    assert first.status == PublicationStatus.PUBLISHED and first.rows == 1
    before = served(client)

    faulty = grant()
    # What an organisation created before identifiers were checked could look like.
    Organisation.objects.filter(pk=faulty.organisation_id).update(siret="", rna=None)
    refused = open_data_publish()

    assert refused.status == PublicationStatus.REFUSED
    assert not refused.file and refused.rows == 2
    assert [(p["row"], p["reference"], p["dossier"], p["column"]) for p in refused.errors] == [
        (2, deliberation_of(faulty), faulty.reference, "idBeneficiaire")
    ]
    assert Publication.objects.current() == first
    assert served(client) == before
    _, records = read_csv(before)
    assert [record["referenceDecision"] for record in records] == [deliberation_of(valid)]


def test_a_value_the_schema_refuses_is_reported_with_its_row_and_column(client, deliberation_of):
    grant()
    faulty = grant()
    Organisation.objects.filter(pk=faulty.organisation_id).update(siret="1234")
    refused = open_data_publish()
    assert refused.status == PublicationStatus.REFUSED
    columns = {(p["row"], p["reference"], p["column"]) for p in refused.errors}
    assert (2, deliberation_of(faulty), "idBeneficiaire") in columns
    assert {p["row"] for p in refused.errors} == {2}
    # Nothing was ever published: the public address says so.
    assert client.get(CSV_URL).status_code == 404


def test_a_publication_with_no_grant_is_a_valid_file_with_its_header_only():
    publication = open_data_publish()
    assert publication.status == PublicationStatus.PUBLISHED and publication.rows == 0
    with publication.file.open("rb") as handle:
        header, records = read_csv(handle.read())
    assert len(header) == 16 and records == []


def test_only_an_administrator_publishes_by_hand(finance):
    with pytest.raises(PermissionDenied):
        open_data_publish(actor=finance)
    admin = make_user(Role.ADMINISTRATOR)
    assert open_data_publish(actor=admin).generated_by == admin
    assert Publication.objects.count() == 1


def test_the_command_prints_the_rows_and_exits_0_when_published():
    grant()
    grant()
    output = StringIO()
    call_command("publish_open_data", stdout=output)
    assert output.getvalue().startswith("2 rows published")
    assert Publication.objects.get().status == PublicationStatus.PUBLISHED


def test_the_command_prints_the_faulty_rows_and_exits_1_when_refused(deliberation_of):
    faulty = grant()
    Organisation.objects.filter(pk=faulty.organisation_id).update(siret="", rna=None)
    errors = StringIO()
    with pytest.raises(CommandError) as refusal:
        call_command("publish_open_data", stdout=StringIO(), stderr=errors)
    assert refusal.value.returncode == 1
    assert deliberation_of(faulty) in errors.getvalue() and "idBeneficiaire" in errors.getvalue()
    assert Publication.objects.get().status == PublicationStatus.REFUSED


def test_the_daily_task_publishes():
    grant()
    result = publish_open_data.enqueue()
    assert result.return_value["status"] == PublicationStatus.PUBLISHED
    assert result.return_value["rows"] == 1
