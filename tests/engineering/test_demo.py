"""The demonstration's engineering posts: the demo dossiers of the engineering theme become dossiers of
the engineering type, whose post's regional amount is the amount asked; those notified or later carry
the activity reports already due. Seeding again adds nothing."""

import pytest
from django.utils import timezone

from dossiers.demo import seed_dossiers, seed_logins, seed_territories, seed_territory_officers
from dossiers.enums import DossierKind
from dossiers.loaders import load_reference_data
from dossiers.models import Dossier
from engineering.demo import seed_demo_engineering
from engineering.models import ActivityReport, EngineeringPost
from engineering.services import regional_amount, report_due_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    load_reference_data()
    seed_territories()
    seed_logins()
    seed_dossiers(200)
    seed_territory_officers()
    return seed_demo_engineering()


def test_the_demo_engineering_dossiers_carry_consistent_posts(demo):
    posts = EngineeringPost.objects.select_related("dossier")
    assert demo == posts.count() > 0
    assert not Dossier.objects.filter(theme__code="ingenierie").exclude(kind=DossierKind.ENGINEERING).exists()
    for post in posts:
        assert post.dossier.kind == DossierKind.ENGINEERING
        assert post.regional_amount == post.dossier.requested_amount
        assert post.regional_amount == regional_amount(
            annual_cost=post.annual_cost, months=post.months, rate=post.regional_rate
        )
        assert post.dossier.planned_end == post.period_end
    today = timezone.localdate()
    for report in ActivityReport.objects.select_related("post"):
        assert report_due_on(report.year) <= today
        assert report.post.period_start.year <= report.year <= report.post.period_end.year


def test_seeding_the_engineering_again_adds_nothing(demo):
    counts = (EngineeringPost.objects.count(), ActivityReport.objects.count())
    assert seed_demo_engineering() == 0
    assert (EngineeringPost.objects.count(), ActivityReport.objects.count()) == counts
