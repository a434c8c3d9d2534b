"""Reading the thread: everything goes through the dossier scope; internal notes are for the Region's
staff only, never for sponsors."""

import pytest
from django.contrib.auth import get_user_model

from dossiers.models import Dossier
from messaging.models import MessageAttachment
from messaging.selectors import attachment_list_for_user, message_list_for_user, notification_list_for_user
from messaging.services import message_post
from tests.factories import make_dossier
from tests.messaging.conftest import upload
from workflows.enums import DossierState, Role
from workflows.permissions import user_roles

pytestmark = pytest.mark.django_db
S = DossierState


def fresh(user):
    """The user as a new request would load it, without the role and scope caches of earlier calls."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def thread(dossier, people):
    public = message_post(dossier=dossier, author=people.sponsor, body="Question du porteur", attachments=[upload()])
    answer = message_post(dossier=dossier, author=people.officer, body="Réponse de la Région")
    note = message_post(
        dossier=dossier, author=people.officer, body="Avis interne", is_internal=True, attachments=[upload()]
    )
    return public, answer, note


def test_sponsors_never_see_internal_notes_in_the_thread(dossier, people, thread):
    public, answer, _note = thread

    for sponsor in (people.sponsor, people.sponsor_colleague):
        assert list(message_list_for_user(sponsor, dossier)) == [public, answer]
        assert set(attachment_list_for_user(sponsor, dossier)) == set(public.attachments.all())


def test_the_territorys_officers_and_administrators_see_the_whole_thread_with_internal_notes(dossier, people, thread):
    for user in (people.officer, people.officer_colleague, people.administrator):
        assert list(message_list_for_user(user, dossier)) == list(thread)
        assert set(attachment_list_for_user(user, dossier)) == set(MessageAttachment.objects.all())


def test_an_officer_of_another_territory_sees_nothing_of_the_thread(dossier, people, thread):
    assert list(message_list_for_user(people.other_officer, dossier)) == []
    assert list(message_list_for_user(people.other_officer, dossier.pk)) == []
    assert list(attachment_list_for_user(people.other_officer, dossier)) == []


def test_a_sponsor_of_another_organisation_sees_nothing_of_the_thread(dossier, people, thread):
    assert list(message_list_for_user(people.other_sponsor, dossier)) == []
    assert list(attachment_list_for_user(people.other_sponsor, dossier)) == []


@pytest.mark.parametrize("role", [Role.COMMITTEE_MEMBER, Role.FINANCE])
def test_committee_and_finance_read_internal_notes_only_where_they_see_the_dossier(people, contract, role):
    approved = make_dossier(S.APPROVED, contract=contract)
    submitted = make_dossier(S.SUBMITTED, contract=contract)
    for each in (approved, submitted):
        message_post(dossier=each, author=people.officer, body="Note", is_internal=True)
    reader = people.committee_member if role == Role.COMMITTEE_MEMBER else people.finance

    assert [m.body for m in message_list_for_user(reader, approved)] == ["Note"]
    assert list(message_list_for_user(reader, submitted)) == []


def test_a_sponsor_who_also_sits_on_the_committee_sees_no_internal_note_on_a_dossier_seen_only_as_sponsor(
    people, dossier
):
    message_post(dossier=dossier, author=people.officer, body="Note", is_internal=True)
    message_post(dossier=dossier, author=people.officer, body="Public")
    people.sponsor.groups.add(*people.committee_member.groups.all())
    sponsor = fresh(people.sponsor)
    assert Role.COMMITTEE_MEMBER in user_roles(sponsor)

    assert [m.body for m in message_list_for_user(sponsor, dossier)] == ["Public"]


def test_an_officer_removed_from_the_territory_no_longer_reads_its_threads_or_their_notifications(
    people, dossier, thread
):
    assert notification_list_for_user(people.officer_colleague).exists()
    people.officer_colleague.groups.remove(dossier.territory.officers_group)
    colleague = fresh(people.officer_colleague)

    assert list(message_list_for_user(colleague, dossier)) == []
    assert not notification_list_for_user(colleague).exists()


def test_the_thread_is_read_in_two_queries_whatever_its_length(dossier, people, django_assert_num_queries):
    for index in range(12):
        message_post(dossier=dossier, author=people.sponsor, body=f"Message {index}", attachments=[upload()])
    officer = fresh(people.officer)
    list(message_list_for_user(officer, dossier))  # loads the user's roles and territories, cached per request

    with django_assert_num_queries(2):
        messages = list(message_list_for_user(officer, dossier))
        assert all(message.author.pk and len(message.attachments.all()) == 1 for message in messages)


def test_selectors_return_nothing_for_a_dossier_that_does_not_exist(people):
    assert not Dossier.objects.filter(pk=999_999).exists()
    assert list(message_list_for_user(people.administrator, 999_999)) == []
