"""In-app notifications: the same people as the e-mails, for transitions and messages; each user reads
and marks only their own; sponsors never hear of internal notes; the unread count is right."""

import copy

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from messaging.context_processors import unread_notifications
from messaging.enums import NotificationKind
from messaging.models import Notification
from messaging.selectors import notification_list_for_user
from messaging.services import message_post, notifications_create_for_transition
from messaging.views import PAGE_SIZE
from tests.factories import make_dossier, make_draft, make_user
from tests.messaging.conftest import SCRIPT
from workflows import services
from workflows.enums import DossierState, Role
from workflows.models import AuditEvent

pytestmark = pytest.mark.django_db
S = DossierState
PROCESSOR = "messaging.context_processors.unread_notifications"


def recipients_of(**filters) -> set:
    return {notification.recipient for notification in Notification.objects.filter(**filters)}


def unread_count(user) -> int:
    request = RequestFactory().get("/")
    request.user = user
    return unread_notifications(request)["unread_notifications"].count


@pytest.fixture
def with_unread_processor(settings):
    """The context processor as settings.TEMPLATES will list it."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["context_processors"].append(PROCESSOR)
    settings.TEMPLATES = templates


@pytest.fixture
def fire(django_capture_on_commit_callbacks):
    def fire(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return fire


# Transitions --------------------------------------------------------------------------------------


def test_a_submission_notifies_the_sponsors_other_members_and_the_territorys_officers_not_the_actor(
    fire, contract, officer, other_territory
):
    draft = make_draft(contract=contract)
    colleague = make_user(Role.SPONSOR, organisation=draft.organisation)
    officer_colleague = make_user(Role.OFFICER, territory=contract.territory)
    make_user(Role.SPONSOR, organisation=draft.organisation, is_active=False)
    make_user(Role.OFFICER, territory=other_territory)
    make_user(Role.FINANCE)

    fire(services.dossier_submit, dossier=draft, actor=draft.created_by)

    event = AuditEvent.objects.get(dossier=draft, transition="submit")
    assert recipients_of(dossier=draft) == {colleague, officer, officer_colleague}
    assert set(Notification.objects.values_list("kind", "audit_event", "read_at")) == {
        (NotificationKind.TRANSITION, event.pk, None)
    }


def test_an_officers_decision_notifies_the_sponsors_members_not_the_officers(fire, dossier, people):
    fire(services.dossier_declare_admissible, dossier=dossier, actor=people.officer)

    assert recipients_of(dossier=dossier) == {people.sponsor, people.sponsor_colleague}


@pytest.mark.parametrize(
    ("service", "actor", "kwargs"),
    [
        ("dossier_declare_incomplete", "officer", {"missing": "Délibération"}),
        ("dossier_declare_admissible", "officer", {}),
        ("dossier_withdraw", "sponsor", {}),
    ],
)
def test_transition_notifications_go_to_the_people_the_transition_email_goes_to(
    fire, dossier, people, mailoutbox, service, actor, kwargs
):
    fire(getattr(services, service), dossier=dossier, actor=getattr(people, actor), **kwargs)

    emailed = {address for mail in mailoutbox for address in mail.to}
    assert emailed
    assert {user.email for user in recipients_of(dossier=dossier)} == emailed


def test_a_refused_transition_notifies_nobody(fire, dossier, people):
    with pytest.raises(services.TransitionRefused):
        fire(services.dossier_declare_admissible, dossier=dossier, actor=people.sponsor)

    assert not Notification.objects.exists()


# Messages -----------------------------------------------------------------------------------------


def test_a_sponsors_message_notifies_the_territorys_officers(dossier, people):
    message = message_post(dossier=dossier, author=people.sponsor, body="Question")

    assert recipients_of(message=message) == {people.officer, people.officer_colleague}
    assert set(Notification.objects.values_list("kind", flat=True)) == {NotificationKind.MESSAGE}


def test_a_message_from_the_region_notifies_the_sponsors_members_not_its_author(dossier, people):
    message = message_post(dossier=dossier, author=people.officer, body="Réponse")

    assert recipients_of(message=message) == {people.sponsor, people.sponsor_colleague}


def test_an_internal_note_notifies_the_other_officers_of_the_territory_only(dossier, people):
    message = message_post(dossier=dossier, author=people.officer, body="Note", is_internal=True)

    assert recipients_of(message=message) == {people.officer_colleague}
    assert Notification.objects.get().kind == NotificationKind.INTERNAL_NOTE


def test_sponsors_never_see_an_internal_note_among_their_notifications(dossier, people):
    note = message_post(dossier=dossier, author=people.officer, body="Note", is_internal=True)
    # Even a notification created by mistake for a sponsor stays invisible to them.
    Notification.objects.create(
        recipient=people.sponsor, dossier=dossier, kind=NotificationKind.INTERNAL_NOTE, message=note
    )

    assert not notification_list_for_user(people.sponsor).exists()
    assert unread_count(people.sponsor) == 0


# Unread count, reading ----------------------------------------------------------------------------


def test_the_unread_count_counts_the_users_own_unread_notifications(dossier, people, contract):
    for index in range(3):
        message_post(dossier=dossier, author=people.sponsor, body=f"Question {index}")
    message_post(dossier=dossier, author=people.officer, body="Réponse")
    Notification.objects.filter(recipient=people.officer).order_by("pk").first().delete()

    assert unread_count(people.officer) == 2
    assert unread_count(people.officer_colleague) == 3
    assert unread_count(people.sponsor) == 1
    assert unread_count(people.other_officer) == 0


def test_the_unread_count_is_zero_for_anonymous_visitors():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert unread_notifications(request)["unread_notifications"].count == 0


def test_the_unread_count_is_not_queried_unless_shown(dossier, people, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = people.officer

    with django_assert_num_queries(0):
        unread_notifications(request)


def test_every_page_shows_the_unread_count_as_text_next_to_the_users_name(
    client, dossier, people, with_unread_processor
):
    for index in range(3):
        message_post(dossier=dossier, author=people.sponsor, body=f"Question {index}")
    client.force_login(people.officer)

    html = client.get(reverse("home"), follow=True).content.decode()

    with translation.override("fr-fr"):
        badge = translation.ngettext("%(counter)s unread", "%(counter)s unread", 3) % {"counter": 3}
    assert f'href="{reverse("messaging:notification_list")}"' in html
    assert f'<span class="badge">{badge}</span>' in html


def test_the_notification_link_shows_no_count_when_everything_is_read(client, people, with_unread_processor):
    client.force_login(people.officer)

    html = client.get(reverse("home"), follow=True).content.decode()

    assert f'href="{reverse("messaging:notification_list")}"' in html
    assert 'class="badge"' not in html


def test_marking_one_notification_as_read(client, dossier, people):
    message_post(dossier=dossier, author=people.sponsor, body="Question")
    mine = Notification.objects.get(recipient=people.officer)
    client.force_login(people.officer)

    response = client.post(reverse("messaging:notification_read", args=[mine.pk]))

    assert response.status_code == 302
    assert response.url == reverse("messaging:notification_list")
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert Notification.objects.get(recipient=people.officer_colleague).read_at is None
    assert unread_count(people.officer) == 0


def test_nobody_can_mark_someone_elses_notification_as_read(client, dossier, people):
    message_post(dossier=dossier, author=people.sponsor, body="Question")
    theirs = Notification.objects.get(recipient=people.officer_colleague)
    client.force_login(people.officer)

    assert client.post(reverse("messaging:notification_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_all_as_read_touches_only_ones_own_notifications(client, dossier, people):
    for index in range(3):
        message_post(dossier=dossier, author=people.sponsor, body=f"Question {index}")
    client.force_login(people.officer)

    response = client.post(reverse("messaging:notification_read_all"))

    assert response.status_code == 302
    assert unread_count(people.officer) == 0
    assert unread_count(people.officer_colleague) == 3


def test_reading_requires_a_post(client, dossier, people):
    message_post(dossier=dossier, author=people.sponsor, body="Question")
    mine = Notification.objects.get(recipient=people.officer)
    client.force_login(people.officer)

    assert client.get(reverse("messaging:notification_read", args=[mine.pk])).status_code == 405
    assert client.get(reverse("messaging:notification_read_all")).status_code == 405
    assert unread_count(people.officer) == 1


# The list -----------------------------------------------------------------------------------------


def test_the_list_shows_the_users_notifications_newest_first_with_user_text_escaped(client, fire, dossier, people):
    message_post(dossier=dossier, author=people.sponsor, body=f"Bonjour {SCRIPT}")
    fire(services.dossier_declare_incomplete, dossier=dossier, actor=people.officer_colleague, missing=SCRIPT)
    client.force_login(people.officer)

    response = client.get(reverse("messaging:notification_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert SCRIPT not in html
    assert escape(f"Bonjour {SCRIPT}") in html
    assert dossier.reference in html
    notifications = list(response.context["page"])
    assert [n.kind for n in notifications] == [NotificationKind.MESSAGE]  # officers are not told of incompleteness
    assert f"{reverse('dossier_detail', args=[dossier.pk])}#message-{notifications[0].message_id}" in html


def test_the_notification_list_runs_the_same_number_of_queries_for_3_or_30_notifications(
    client, contract, people, with_unread_processor
):
    def queries_for_list():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("messaging:notification_list"))
        assert response.status_code == 200
        return len(response.context["page"]), len(queries)

    def add_notifications(count):
        for index in range(count):
            dossier = make_dossier(S.SUBMITTED, contract=contract, pieces=False)
            if index % 3 == 0:
                message_post(dossier=dossier, author=people.officer_colleague, body="Note", is_internal=True)
            elif index % 3 == 1:
                message_post(dossier=dossier, author=dossier.created_by, body="Question")
            else:
                event = AuditEvent.objects.create(
                    kind="transition",
                    dossier=dossier,
                    actor=dossier.created_by,
                    actor_name="Porteur",
                    transition="resubmit",
                    from_state=S.INCOMPLETE,
                    to_state=S.SUBMITTED,
                )
                notifications_create_for_transition(event=event)

    client.force_login(people.officer)
    add_notifications(3)
    rows_3, count_3 = queries_for_list()
    add_notifications(27)
    rows_30, count_30 = queries_for_list()

    assert (rows_3, rows_30) == (3, 30)
    assert count_30 == count_3


def test_the_list_is_paginated(client, dossier, people):
    for index in range(PAGE_SIZE + 1):
        message_post(dossier=dossier, author=people.sponsor, body=f"Question {index}")
    client.force_login(people.officer)

    first = client.get(reverse("messaging:notification_list"))
    second = client.get(reverse("messaging:notification_list"), {"page": 2})

    assert len(first.context["page"]) == PAGE_SIZE
    assert [n.message.body for n in second.context["page"]] == ["Question 0"]
    assert first.context["unread_count"] == PAGE_SIZE + 1


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("messaging:notification_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
