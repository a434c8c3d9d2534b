"""The demonstration's roadmaps: every contract's roadmap holds dossiers as operations, whose status is
the one their dossier's step gives, and operations without a dossier; the demo officer's contract held
a meeting whose two decisions made a new version. Seeding again adds nothing."""

import pytest

from dossiers.demo import seed_dossiers, seed_logins, seed_territories, seed_territory_officers
from dossiers.loaders import load_reference_data
from dossiers.models import Contract
from roadmaps.demo import seed_demo_roadmaps
from roadmaps.enums import DecisionKind, OperationStatus
from roadmaps.models import FollowUpMeeting, RoadmapOperation, RoadmapVersion
from roadmaps.services import status_for_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    load_reference_data()
    seed_territories()
    seed_logins()
    seed_dossiers(120)
    seed_territory_officers()
    return seed_demo_roadmaps()


def test_the_demo_roadmaps_follow_their_dossiers(demo):
    assert demo == Contract.objects.count()
    linked = RoadmapOperation.objects.filter(dossier__isnull=False).select_related("dossier")
    assert linked.exists()
    for operation in linked:
        assert operation.status == status_for_dossier(operation.dossier), operation
    assert RoadmapOperation.objects.filter(dossier__isnull=True, status=OperationStatus.IDENTIFIED).count() >= demo * 3


def test_the_demo_officer_s_contract_held_a_meeting_that_made_a_new_version(demo):
    meeting = FollowUpMeeting.objects.get()
    assert meeting.roadmap.contract.territory.officers_group.user_set.filter(username="instructeur").exists()
    assert sorted(meeting.participants.values_list("username", flat=True)) == ["instructeur", "representant"]
    assert sorted(meeting.decisions.values_list("kind", flat=True)) == sorted([DecisionKind.ADD, DecisionKind.POSTPONE])
    version = RoadmapVersion.objects.get(meeting=meeting)
    before = RoadmapVersion.objects.get(roadmap=meeting.roadmap, number=version.number - 1)
    assert len(version.operations) == len(before.operations) + 1
    assert meeting.minutes


def test_seeding_the_roadmaps_again_adds_nothing(demo):
    counts = (RoadmapOperation.objects.count(), RoadmapVersion.objects.count(), FollowUpMeeting.objects.count())
    assert seed_demo_roadmaps() == 0
    assert (RoadmapOperation.objects.count(), RoadmapVersion.objects.count(), FollowUpMeeting.objects.count()) == counts
