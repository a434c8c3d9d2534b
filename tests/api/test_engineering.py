"""Engineering dossiers through the API, as the sponsor portal makes them: created with the portal's post
form and service, their post changed while a draft, their pieces and submission those of any dossier,
their yearly activity reports sent (PDF only, checked by content) once the grant is notified. A sponsor
filing by API only ends with the very dossier the portal produces; outside one's scope: 404; a refused
action changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dossiers.enums import DossierKind, LegalForm
from dossiers.models import Commune, Dossier, PieceType
from dossiers.money import add_months
from engineering import services
from engineering.models import ActivityReport, EngineeringPost
from engineering.services import EngineeringPostData
from tests.api.helpers import comparable as filed
from tests.factories import OrganisationFactory, make_draft, make_user, snapshot
from tests.portal.helpers import PDF, stored_files
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db

S = DossierState
D = Decimal
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def start() -> "timezone.datetime":
    today = timezone.localdate()
    return add_months(today.replace(day=1), 1)


def end(months=24):
    return add_months(start(), months) - timedelta(days=1)


@pytest.fixture
def organisation(contract):
    commune = Commune.objects.filter(epci__territory=contract.territory).first()
    return OrganisationFactory(name="PETR du Pays Test", legal_form=LegalForm.SYNDICATE, commune=commune)


@pytest.fixture
def sponsor(organisation):
    return make_user(Role.SPONSOR, organisation=organisation)


@pytest.fixture
def post(sponsor, organisation, contract):
    return services.engineering_dossier_create(
        actor=sponsor,
        organisation=organisation,
        contract=contract,
        post=EngineeringPostData(
            post_title="chargé de mission tourisme",
            holder_name="",
            period_start=start(),
            period_end=end(),
            annual_cost=D("45000.00"),
            regional_rate=D("0.5"),
        ),
    )


def notified(post) -> EngineeringPost:
    Dossier.objects.filter(pk=post.dossier_id).update(
        state=S.NOTIFIED,
        granted_amount=post.regional_amount,
        decided_at=timezone.now(),
        notified_on=timezone.localdate(),
    )
    return EngineeringPost.objects.select_related("dossier").get(pk=post.pk)


def new_post(organisation, contract, **overrides):
    return {
        "organisation": organisation.pk,
        "contract": contract.pk,
        "post_title": "chargé de mission tourisme",
        "holder_name": "",
        "period_start": start().isoformat(),
        "period_end": end().isoformat(),
        "annual_cost": "45000.00",
        "regional_rate": "50",
        **overrides,
    }


CHANGED = {"holder_name": "Camille Martin", "annual_cost": "48000.00", "regional_rate": "60"}


def url(dossier_pk, suffix=""):
    return f"/api/v1/dossiers/{dossier_pk}/{suffix}"


def report_upload(content=PDF, name="rapport.pdf", year=None):
    return {
        "year": year or start().year,
        "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
    }


def comparable(dossier):
    """What the sponsor filed (`tests.api.helpers.comparable`), with the post."""
    post = EngineeringPost.objects.get(dossier=dossier)
    post_fields = ["post_title", "holder_name", "period_start", "period_end", "months", "annual_cost"]
    return filed(dossier, {name: getattr(post, name) for name in [*post_fields, "regional_rate", "regional_amount"]})


def file_by_api(client, organisation, contract):
    response = client.post("/api/v1/engineering-dossiers/", new_post(organisation, contract), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["state"]) == (DossierKind.ENGINEERING, S.DRAFT)
    dossier = Dossier.objects.get(pk=body["id"])
    payload = {**new_post(organisation, contract), **CHANGED}
    del payload["organisation"], payload["contract"]
    response = client.put(url(dossier.pk, "engineering-post/"), payload, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["regional_rate"], response.json()["regional_amount"]) == ("60.00", "57600.00")
    for piece_type in PieceType.objects.mandatory_for(organisation.legal_form):
        upload = SimpleUploadedFile("piece.pdf", PDF, content_type="application/pdf")
        response = client.post(url(dossier.pk, "pieces/"), {"piece_type": piece_type.code, "file": upload})
        assert response.status_code == 201, response.content
    response = client.post(url(dossier.pk, "transitions/submit/"), {}, format="json")
    assert response.status_code == 200, response.content
    return dossier


def file_on_the_portal(client, organisation, contract):
    assert client.post(reverse("engineering:post_new"), new_post(organisation, contract)).status_code == 302
    dossier = Dossier.objects.order_by("-pk").first()
    payload = {**new_post(organisation, contract), **CHANGED}
    assert client.post(reverse("engineering:post_edit", args=[dossier.pk]), payload).status_code == 302
    step = reverse("portal:dossier_step", args=[dossier.pk, "pieces"])
    for piece_type in PieceType.objects.mandatory_for(organisation.legal_form):
        target = f"t{piece_type.pk}"
        upload = SimpleUploadedFile("piece.pdf", PDF, content_type="application/pdf")
        assert client.post(step, {"target": target, f"{target}-file": upload}).status_code == 302
    summary = reverse("portal:dossier_step", args=[dossier.pk, "recapitulatif"])
    assert client.post(summary, {"certify": "on"}).status_code == 302
    return dossier


# The whole filing --------------------------------------------------------------------------------------


def test_a_sponsor_files_by_api_only_the_very_engineering_dossier_the_portal_produces(
    api, client, organisation, contract, sponsor
):
    by_api = file_by_api(api(sponsor), organisation, contract)
    client.force_login(sponsor)
    on_the_portal = file_on_the_portal(client, organisation, contract)
    assert by_api.pk != on_the_portal.pk
    assert comparable(by_api) == comparable(on_the_portal)
    assert comparable(by_api)[0]["state"] == S.SUBMITTED
    assert comparable(by_api)[0]["requested_amount"] == D("57600.00")  # 48,000 × 2 years × 60 %


# Creating ----------------------------------------------------------------------------------------------


def test_only_sponsors_create_engineering_dossiers(api, officer, organisation, contract):
    response = api(officer).post("/api/v1/engineering-dossiers/", new_post(organisation, contract), format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert not Dossier.objects.exists()


def test_an_engineering_dossier_is_filed_only_for_one_of_ones_own_organisations(api, contract, sponsor):
    theirs = OrganisationFactory()
    response = api(sponsor).post("/api/v1/engineering-dossiers/", new_post(theirs, contract), format="json")
    assert response.status_code == 400
    assert "organisation" in response.json()["errors"]
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(
    "overrides, field, code",
    [
        ({"period_start": (timezone.localdate() - timedelta(days=1)).isoformat()}, "period_start", "period_started"),
        ({"period_end": (end() + timedelta(days=3)).isoformat()}, "period_end", "period_invalid"),
        ({"regional_rate": "90"}, "regional_rate", "rate_out_of_range"),
        ({"post_title": "   "}, "post_title", None),
    ],
)
def test_the_post_forms_and_services_rules_refuse_a_bad_post(
    api, organisation, contract, sponsor, overrides, field, code
):
    response = api(sponsor).post(
        "/api/v1/engineering-dossiers/", new_post(organisation, contract, **overrides), format="json"
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors  # the service's code (`code`) is that field's error's
    assert not Dossier.objects.exists() and not EngineeringPost.objects.exists()


# The post -------------------------------------------------------------------------------------------------


def test_the_territorys_officer_reads_the_post_but_may_not_change_it(api, officer, post):
    Dossier.objects.filter(pk=post.dossier_id).update(state=S.SUBMITTED)
    client = api(officer)
    response = client.get(url(post.dossier_id, "engineering-post/"))
    assert response.status_code == 200, response.content
    assert (response.json()["post_title"], response.json()["regional_amount"]) == (
        "chargé de mission tourisme",
        "45000.00",
    )
    before = snapshot(post.dossier_id)
    payload = {**new_post(post.dossier.organisation, post.dossier.contract), **CHANGED}
    response = client.put(url(post.dossier_id, "engineering-post/"), payload, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert snapshot(post.dossier_id) == before


@pytest.mark.parametrize("state", [S.SUBMITTED, S.INCOMPLETE, S.NOTIFIED])
def test_the_post_is_changed_only_while_its_dossier_is_a_draft(api, sponsor, post, state):
    Dossier.objects.filter(pk=post.dossier_id).update(state=state)
    before = (snapshot(post.dossier_id), list(EngineeringPost.objects.values()))
    payload = {**new_post(post.dossier.organisation, post.dossier.contract), **CHANGED}
    response = api(sponsor).put(url(post.dossier_id, "engineering-post/"), payload, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_state")
    assert (snapshot(post.dossier_id), list(EngineeringPost.objects.values())) == before


def test_a_refused_post_changes_nothing(api, sponsor, post):
    before = (snapshot(post.dossier_id), list(EngineeringPost.objects.values()))
    payload = {**new_post(post.dossier.organisation, post.dossier.contract), "annual_cost": "0"}
    response = api(sponsor).put(url(post.dossier_id, "engineering-post/"), payload, format="json")
    assert response.status_code == 400 and "annual_cost" in response.json()["errors"]
    assert (snapshot(post.dossier_id), list(EngineeringPost.objects.values())) == before


def test_a_project_dossier_has_no_post_nor_reports(api, sponsor, organisation, contract):
    project = make_draft(organisation=organisation, contract=contract, creator=sponsor, pieces=False)
    client = api(sponsor)
    assert client.get(url(project.pk, "engineering-post/")).status_code == 404
    assert client.get(url(project.pk, "activity-reports/")).status_code == 404


# Activity reports ------------------------------------------------------------------------------------


def test_the_sponsor_sends_a_report_and_the_territorys_officer_downloads_it(api, sponsor, officer, post):
    post = notified(post)
    response = api(sponsor).post(url(post.dossier_id, "activity-reports/"), report_upload())
    assert response.status_code == 201, response.content
    body = response.json()
    report = ActivityReport.objects.get(pk=body["id"])
    assert (report.post, report.year, report.submitted_by) == (post, start().year, sponsor)
    assert body["download_url"].endswith(url(post.dossier_id, f"activity-reports/{report.pk}/download/"))
    client = api(officer)
    listed = client.get(url(post.dossier_id, "activity-reports/")).json()
    assert [row["id"] for row in listed["results"]] == [report.pk]
    download = client.get(url(post.dossier_id, f"activity-reports/{report.pk}/download/"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize("content, code", [(PNG, "file_type"), (b"GIF89a not a pdf", "file_type"), (b"", None)])
def test_a_report_that_is_not_a_pdf_is_refused_and_nothing_is_stored(api, sponsor, post, content, code):
    post = notified(post)
    files = stored_files()
    response = api(sponsor).post(url(post.dossier_id, "activity-reports/"), report_upload(content, "rapport.pdf"))
    assert response.status_code == 400, response.content
    if code:
        assert response.json()["code"] == code
    assert not ActivityReport.objects.exists()
    assert stored_files() == files


def test_a_report_before_the_notification_or_twice_is_a_conflict(api, sponsor, post):
    client = api(sponsor)
    response = client.post(url(post.dossier_id, "activity-reports/"), report_upload())
    assert (response.status_code, response.json()["code"]) == (409, "not_notified")
    assert not ActivityReport.objects.exists()
    post = notified(post)
    assert client.post(url(post.dossier_id, "activity-reports/"), report_upload()).status_code == 201
    files = stored_files()
    response = client.post(url(post.dossier_id, "activity-reports/"), report_upload())
    assert (response.status_code, response.json()["code"]) == (409, "report_exists")
    assert ActivityReport.objects.count() == 1 and stored_files() == files


def test_a_year_outside_the_period_is_refused(api, sponsor, post):
    post = notified(post)
    response = api(sponsor).post(url(post.dossier_id, "activity-reports/"), report_upload(year=start().year - 1))
    assert response.status_code == 400 and "year" in response.json()["errors"]
    assert not ActivityReport.objects.exists()


def test_the_officer_sees_the_reports_but_may_not_send_one(api, officer, post):
    post = notified(post)
    response = api(officer).post(url(post.dossier_id, "activity-reports/"), report_upload())
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert not ActivityReport.objects.exists()


def test_the_reports_list_takes_the_same_number_of_queries_for_one_or_several_reports(api, sponsor, post):
    post = notified(post)
    client = api(sponsor)
    listing = url(post.dossier_id, "activity-reports/")
    assert client.post(listing, report_upload(year=start().year)).status_code == 201

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(listing).status_code == 200
        return len(queries)

    one = count()
    for year in services.report_years(post)[1:]:
        assert client.post(listing, report_upload(year=year)).status_code == 201
    assert ActivityReport.objects.count() >= 2
    assert count() == one


# Scope -------------------------------------------------------------------------------------------------


def test_another_organisations_member_gets_404_on_every_engineering_endpoint_and_nothing_changes(
    api, sponsor, post, organisation, contract
):
    post = notified(post)
    report = services.activity_report_submit(
        actor=sponsor, post=post, year=start().year, upload=SimpleUploadedFile("r.pdf", PDF)
    )
    other = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    client = api(other)
    before = (snapshot(post.dossier_id), list(EngineeringPost.objects.values()), ActivityReport.objects.count())
    payload = {**new_post(organisation, contract), **CHANGED}
    for response in (
        client.get(url(post.dossier_id, "engineering-post/")),
        client.put(url(post.dossier_id, "engineering-post/"), payload, format="json"),
        client.get(url(post.dossier_id, "activity-reports/")),
        client.post(url(post.dossier_id, "activity-reports/"), report_upload(year=start().year + 1)),
        client.get(url(post.dossier_id, f"activity-reports/{report.pk}/")),
        client.get(url(post.dossier_id, f"activity-reports/{report.pk}/download/")),
    ):
        assert response.status_code == 404, response.content
    assert (snapshot(post.dossier_id), list(EngineeringPost.objects.values()), ActivityReport.objects.count()) == before
    # Their own engineering dossier cannot be filed under someone else's organisation either.
    response = client.post("/api/v1/engineering-dossiers/", new_post(organisation, contract), format="json")
    assert response.status_code == 400
    assert Dossier.objects.count() == 1
