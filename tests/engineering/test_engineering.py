"""Territorial engineering posts: the amounts, the draft dossier of kind engineering that goes through
the projects' lifecycle, the yearly activity reports and who reaches them."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dossiers.enums import DossierKind, FunderKind, LegalForm, TaxBasis
from dossiers.models import Commune, Dossier, PieceType
from dossiers.money import add_months
from engineering import services
from engineering.enums import ReportStatus
from engineering.models import ActivityReport, EngineeringPost
from engineering.services import EngineeringPostData
from tests.factories import (
    PDF,
    ContractFactory,
    EnvelopeFactory,
    OrganisationFactory,
    add_piece,
    make_session,
    make_territory,
    make_user,
)
from workflows import services as lifecycle
from workflows.enums import DossierState, Role
from workflows.services import envelope_committed

D = Decimal
S = DossierState
pytestmark = pytest.mark.django_db


def next_month_start() -> date:
    today = timezone.localdate()
    return add_months(today.replace(day=1), 1)


def post_data(**changes) -> EngineeringPostData:
    start = changes.pop("period_start", next_month_start())
    months = changes.pop("months", 24)
    fields = {
        "post_title": "chargé de mission tourisme",
        "holder_name": "Camille Martin",
        "period_start": start,
        "period_end": add_months(start, months) - timedelta(days=1),
        "annual_cost": D("45000.00"),
        "regional_rate": D("0.5"),
    }
    return EngineeringPostData(**{**fields, **changes})


@pytest.fixture
def organisation(contract):
    commune = Commune.objects.filter(epci__territory=contract.territory).first()
    return OrganisationFactory(name="PETR du Pays Test", legal_form=LegalForm.SYNDICATE, commune=commune)


@pytest.fixture
def sponsor(organisation):
    return make_user(Role.SPONSOR, organisation=organisation)


def create_post(sponsor, organisation, contract, **changes) -> EngineeringPost:
    return services.engineering_dossier_create(
        actor=sponsor, organisation=organisation, contract=contract, post=post_data(**changes)
    )


def set_state(dossier, state, **fields):
    """The state the lifecycle would have left (as tests/factories.make_dossier does)."""
    Dossier.objects.filter(pk=dossier.pk).update(state=state, **fields)
    return Dossier.objects.get(pk=dossier.pk)


def notified(post) -> EngineeringPost:
    set_state(
        post.dossier,
        S.NOTIFIED,
        granted_amount=post.regional_amount,
        decided_at=timezone.now(),
        notified_on=timezone.localdate(),
    )
    return EngineeringPost.objects.select_related("dossier").get(pk=post.pk)


def pdf(name="rapport.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT / "engineering"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# Amounts ------------------------------------------------------------------------------------------


def test_regional_amount_is_annual_cost_times_years_times_rate_rounded_half_up_to_the_cent():
    assert services.regional_amount(annual_cost=D("45000.00"), months=30, rate=D("0.5")) == D("56250.00")
    # 41,234.57 × 18/12 × 0.35 = 21,648.14925
    assert services.regional_amount(annual_cost=D("41234.57"), months=18, rate=D("0.35")) == D("21648.15")
    # 1,000.01 × 1 × 0.5 = 500.005: half-up, not half-even
    assert services.regional_amount(annual_cost=D("1000.01"), months=12, rate=D("0.5")) == D("500.01")


def test_expense_lines_are_one_per_year_pro_rata_and_add_up_to_the_cost_to_the_cent():
    lines = services.yearly_expenses(start=date(2027, 3, 1), months=30, annual_cost=D("41234.57"))
    # 41,234.57 × 30/12 = 103,086.425 → 103,086.43; the last (6-month) line takes the rounding.
    assert [amount for _label, amount in lines] == [D("41234.57"), D("41234.57"), D("20617.29")]
    assert sum(amount for _label, amount in lines) == services.total_cost(annual_cost=D("41234.57"), months=30)


def test_the_period_is_made_of_whole_months_and_lasts_at_most_three_years():
    assert services.period_months(date(2027, 3, 1), date(2028, 2, 29)) == 12
    assert services.period_months(date(2027, 1, 15), date(2030, 1, 14)) == 36
    assert services.period_months(date(2027, 1, 15), date(2030, 2, 14)) is None  # 37 months
    assert services.period_months(date(2027, 3, 1), date(2027, 9, 15)) is None


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"months": 37}, "period_end", "period_invalid"),
        ({"regional_rate": D("0.81")}, "regional_rate", "rate_out_of_range"),
        ({"annual_cost": D("0")}, "annual_cost", "cost_positive"),
        ({"period_start": timezone.localdate() - timedelta(days=1)}, "period_start", "period_started"),
    ],
)
def test_a_wrong_post_is_refused_and_nothing_is_created(sponsor, organisation, contract, changes, field, code):
    with pytest.raises(ValidationError) as refusal:
        create_post(sponsor, organisation, contract, **changes)
    assert [error.code for error in refusal.value.error_dict[field]] == [code]
    assert not Dossier.objects.exists()
    assert not EngineeringPost.objects.exists()


def test_the_rate_may_reach_the_self_financing_limit_of_eighty_percent(sponsor, organisation, contract):
    post = create_post(sponsor, organisation, contract, regional_rate=D("0.8"))
    assert post.regional_amount == D("72000.00")


# The draft and its lifecycle ------------------------------------------------------------------------


def test_a_sponsor_creates_an_engineering_draft_from_the_page(client, sponsor, organisation, contract):
    client.force_login(sponsor)
    start = next_month_start()
    end = add_months(start, 24) - timedelta(days=1)
    response = client.post(
        reverse("engineering:post_new"),
        {
            "organisation": organisation.pk,
            "contract": contract.pk,
            "post_title": "chargé de mission tourisme",
            "holder_name": "",
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "annual_cost": "45 000,00",
            "regional_rate": "50",
        },
    )
    post = EngineeringPost.objects.select_related("dossier").get()
    dossier = post.dossier
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dossier_detail", args=[dossier.pk])
    assert (dossier.kind, dossier.state, dossier.theme.code) == (DossierKind.ENGINEERING, S.DRAFT, "ingenierie")
    assert post.regional_amount == D("45000.00")  # 45,000 × 2 years × 50 %
    assert dossier.requested_amount == post.regional_amount
    assert (dossier.planned_start, dossier.planned_end, dossier.tax_basis) == (start, end, TaxBasis.TTC)
    assert list(dossier.communes.all()) == [organisation.commune]
    assert list(dossier.expense_lines.values_list("amount", flat=True)) == [D("45000.00"), D("45000.00")]
    assert list(dossier.funding_lines.values_list("funder_kind", "amount")) == [
        (FunderKind.REGION, D("45000.00")),
        (FunderKind.OWN, D("45000.00")),
    ]
    page = client.get(response["Location"])
    assert 'id="engineering-post-title"' in page.content.decode()
    assert "chargé de mission tourisme" in page.content.decode()


def test_the_post_panel_shows_nothing_on_a_project_dossier(client, sponsor, organisation, contract):
    from tests.factories import make_draft

    project = make_draft(organisation=organisation, contract=contract, creator=sponsor)
    client.force_login(sponsor)
    page = client.get(reverse("portal:dossier_detail", args=[project.pk]))
    assert page.status_code == 200
    assert "Territorial engineering post" not in page.content.decode()


def test_an_engineering_dossier_goes_through_the_lifecycle_like_a_project(
    sponsor, organisation, contract, officer, secretary
):
    post = create_post(sponsor, organisation, contract)
    dossier = post.dossier
    for piece_type in PieceType.objects.mandatory_for(organisation.legal_form):
        add_piece(dossier, piece_type, sponsor)

    dossier = lifecycle.dossier_submit(dossier=dossier, actor=sponsor)
    dossier = lifecycle.dossier_declare_admissible(dossier=dossier, actor=officer)
    dossier = lifecycle.dossier_start_review(dossier=dossier, actor=officer)
    dossier = lifecycle.dossier_complete_review(
        dossier=dossier, actor=officer, eligible_base=D("90000.00"), proposed_amount=post.regional_amount
    )
    dossier = lifecycle.dossier_schedule(dossier=dossier, actor=secretary, session=make_session())
    dossier = lifecycle.dossier_approve(dossier=dossier, actor=secretary, amount=post.regional_amount)
    dossier = lifecycle.dossier_notify(dossier=dossier, actor=officer)

    dossier.refresh_from_db()
    assert dossier.state == S.NOTIFIED
    assert dossier.granted_amount == D("45000.00")
    assert envelope_committed(contract.envelopes.get()) == D("45000.00")


def test_the_post_changes_while_a_draft_and_the_draft_follows(sponsor, organisation, contract):
    post = create_post(sponsor, organisation, contract)
    updated = services.engineering_post_update(
        actor=sponsor, post=post, data=post_data(annual_cost=D("48000.00"), regional_rate=D("0.6"), months=18)
    )
    dossier = Dossier.objects.get(pk=post.dossier_id)
    assert updated.regional_amount == D("43200.00")  # 48,000 × 1.5 × 60 %
    assert dossier.requested_amount == D("43200.00")
    assert dossier.planned_end == updated.period_end
    assert list(dossier.expense_lines.values_list("amount", flat=True)) == [D("48000.00"), D("24000.00")]


def test_the_post_cannot_change_once_submitted(sponsor, organisation, contract, client):
    post = create_post(sponsor, organisation, contract)
    set_state(post.dossier, S.SUBMITTED)
    post.refresh_from_db()
    with pytest.raises(ValidationError) as refusal:
        services.engineering_post_update(actor=sponsor, post=post, data=post_data(annual_cost=D("1000.00")))
    assert refusal.value.code == "not_draft"
    assert EngineeringPost.objects.get(pk=post.pk).annual_cost == D("45000.00")


# Activity reports --------------------------------------------------------------------------------------


def test_the_sponsor_sends_a_pdf_activity_report_from_the_dossier_page(client, sponsor, organisation, contract):
    post = notified(create_post(sponsor, organisation, contract))
    year = post.period_start.year
    client.force_login(sponsor)
    page = client.get(reverse("portal:dossier_detail", args=[post.dossier_id]))
    assert reverse("engineering:report_upload", args=[post.dossier_id]) in page.content.decode()

    response = client.post(
        reverse("engineering:report_upload", args=[post.dossier_id]),
        {"report-year": year, "report-file": pdf("rapport-activite.bin")},
    )
    assert response.status_code == 302
    report = ActivityReport.objects.get()
    assert (report.post_id, report.year, report.content_type) == (post.pk, year, "application/pdf")
    rows = services.reports_expected(post)
    assert rows[0].status == ReportStatus.RECEIVED


def test_a_fake_pdf_is_refused_and_nothing_is_stored(sponsor, organisation, contract, settings):
    post = notified(create_post(sponsor, organisation, contract))
    fake = SimpleUploadedFile("rapport.pdf", b"just some text", content_type="application/pdf")
    with pytest.raises(ValidationError) as refusal:
        services.activity_report_submit(actor=sponsor, post=post, year=post.period_start.year, upload=fake)
    assert refusal.value.code == "file_type"
    assert not ActivityReport.objects.exists()
    assert stored_files(settings) == []


def test_a_second_report_for_the_same_year_is_refused(sponsor, organisation, contract, settings):
    post = notified(create_post(sponsor, organisation, contract))
    year = post.period_start.year
    services.activity_report_submit(actor=sponsor, post=post, year=year, upload=pdf())
    with pytest.raises(ValidationError) as refusal:
        services.activity_report_submit(actor=sponsor, post=post, year=year, upload=pdf("autre.pdf"))
    assert refusal.value.code == "report_exists"
    assert ActivityReport.objects.count() == 1
    assert len(stored_files(settings)) == 1


def test_reports_are_sent_only_once_notified_and_for_a_year_of_the_period(sponsor, organisation, contract):
    post = create_post(sponsor, organisation, contract)
    with pytest.raises(ValidationError) as refusal:
        services.activity_report_submit(actor=sponsor, post=post, year=post.period_start.year, upload=pdf())
    assert refusal.value.code == "not_notified"
    post = notified(post)
    with pytest.raises(ValidationError) as refusal:
        services.activity_report_submit(actor=sponsor, post=post, year=post.period_end.year + 1, upload=pdf())
    assert refusal.value.code == "year_outside_period"
    assert not ActivityReport.objects.exists()


def test_reports_expected_are_due_on_31_march_and_late_after(sponsor, organisation, contract):
    post = notified(create_post(sponsor, organisation, contract))
    first = post.period_start.year
    rows = services.reports_expected(post, today=date(first + 1, 4, 1))
    assert rows[0].year == first
    assert rows[0].due_on == date(first + 1, 3, 31)
    assert rows[0].status == ReportStatus.LATE
    assert [row.year for row in rows] == list(range(first, post.period_end.year + 1))
    assert services.reports_expected(post, today=date(first + 1, 3, 31))[0].status == ReportStatus.UPCOMING


# Access -------------------------------------------------------------------------------------------------


def test_outsiders_get_a_404_on_the_post_edit_and_the_report_download(
    client, sponsor, organisation, contract, officer, representative
):
    post = create_post(sponsor, organisation, contract)
    edit_url = reverse("engineering:post_edit", args=[post.dossier_id])
    post = notified(post)
    report = services.activity_report_submit(actor=sponsor, post=post, year=post.period_start.year, upload=pdf())
    download_url = reverse("engineering:report_download", args=[report.pk])
    set_state(post.dossier, S.DRAFT)

    other_sponsor = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    other_officer = make_user(Role.OFFICER, territory=make_territory("Territoire B"))
    for outsider in (other_sponsor, other_officer):
        client.force_login(outsider)
        assert client.get(edit_url).status_code == 404
        assert client.post(edit_url, {"post_title": "x"}).status_code == 404
        assert client.get(download_url).status_code == 404
    assert EngineeringPost.objects.get(pk=post.pk).post_title == "chargé de mission tourisme"

    for reader in (sponsor, officer, representative):
        client.force_login(reader)
        response = client.get(download_url)
        assert response.status_code == 200, reader
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == PDF
    client.force_login(sponsor)
    assert client.get(edit_url).status_code == 200


# The contract's engineering -------------------------------------------------------------------------


def render_contract_engineering(contract) -> str:
    return Template("{% load engineering %}{% contract_engineering contract %}").render(Context({"contract": contract}))


def test_the_contract_lists_its_engineering_dossiers_in_constant_queries(sponsor, organisation, contract):
    def filed_posts(count):
        for number in range(count):
            post = create_post(sponsor, organisation, contract, post_title=f"poste {number}")
            set_state(post.dossier, S.SUBMITTED)

    draft = create_post(sponsor, organisation, contract, post_title="poste en brouillon")
    filed_posts(2)
    with CaptureQueriesContext(connection) as two:
        html = render_contract_engineering(contract)
    assert "poste 1" in html
    assert draft.dossier.reference not in html  # drafts stay the sponsor's

    filed_posts(3)
    with CaptureQueriesContext(connection) as five:
        html = render_contract_engineering(contract)
    assert html.count("<tr>") == 6  # header + 5 posts
    assert len(five) == len(two)


def test_the_contract_lists_only_its_own_engineering_dossiers(sponsor, organisation, contract):
    post = create_post(sponsor, organisation, contract)
    set_state(post.dossier, S.SUBMITTED)
    other = EnvelopeFactory(contract=ContractFactory()).contract
    assert post.dossier.reference in render_contract_engineering(contract)
    assert post.dossier.reference not in render_contract_engineering(other)


def test_the_roadmap_and_the_envelopes_show_the_contracts_engineering_beside_its_projects(
    client, sponsor, organisation, contract, officer, representative
):
    post = create_post(sponsor, organisation, contract, post_title="chargée de mission santé")
    set_state(post.dossier, S.SUBMITTED)
    client.force_login(representative)
    roadmap_page = client.get(reverse("roadmaps:detail", args=[contract.pk])).content.decode()
    assert "chargée de mission santé" in roadmap_page
    assert post.dossier.reference in roadmap_page
    client.force_login(officer)
    envelope_page = client.get(reverse("envelopes:contract", args=[contract.pk])).content.decode()
    assert "chargée de mission santé" in envelope_page


def test_an_engineering_drafts_period_and_financing_follow_the_post(client, sponsor, organisation, contract):
    post = create_post(sponsor, organisation, contract)
    client.force_login(sponsor)
    for step in ("calendrier", "financement"):
        response = client.get(reverse("portal:dossier_step", args=[post.dossier.pk, step]))
        assert response.status_code == 302
        assert response["Location"] == reverse("engineering:post_edit", args=[post.dossier.pk])
    assert client.get(reverse("portal:dossier_step", args=[post.dossier.pk, "pieces"])).status_code == 200
