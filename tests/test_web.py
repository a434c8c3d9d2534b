"""The web pages through Django's test client: login, each role routed to its space, the staff's scoped
dossier list and dossier page, transitions by POST only, translated and escaped output."""

import gettext as gettext_module
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import trans_real

from dossiers.models import Dossier
from tests.factories import ContractFactory, EnvelopeFactory, make_dossier, make_user
from workflows import services
from workflows.enums import AuditKind, DossierState, Role
from workflows.forms import INSTRUCTION_TRANSITIONS
from workflows.lifecycle import TRANSITIONS
from workflows.models import AuditEvent

S = DossierState
FRENCH_CATALOGUE = settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.mo"
TEMPLATES_DIR = settings.BASE_DIR / "templates"


def transition_url(dossier, name):
    return reverse("dossier_transition", args=[dossier.pk, name])


def detail_url(dossier):
    return reverse("dossier_detail", args=[dossier.pk])


def page_url(dossier):
    """The staff's dossier page, where `detail_url` sends the Region's staff."""
    return reverse("instruction:dossier_page", args=[dossier.pk])


LIST_URL = "/region/instruction/dossiers/"


def error_messages(response):
    return [str(m) for m in response.context["messages"] if m.level == message_levels.ERROR]


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """The test client leaves the language of its last request active in the thread."""
    yield
    translation.deactivate()


@pytest.fixture
def other_contract(other_territory):
    return EnvelopeFactory(contract=ContractFactory(territory=other_territory)).contract


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


# Login and scoping ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_asks_for_a_username_and_a_password(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<input[^>]+name="username"', html)
    assert re.search(r'<input[^>]+type="password"[^>]+name="password"', html)
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.django_db
def test_pages_are_in_french_by_default_and_say_so(client):
    html = client.get(reverse("login")).content.decode()

    assert '<html lang="fr-fr">' in html
    assert re.search(r'<option value="fr-fr"\s+selected>', html)


@pytest.mark.django_db
def test_the_english_pages_are_under_the_en_prefix(client):
    default_url = reverse("login")
    with translation.override("en"):
        url = reverse("login")
    html = client.get(url).content.decode()

    assert url == "/en" + default_url
    assert '<html lang="en">' in html
    assert re.search(r'<option value="en"\s+selected>', html)
    assert "Log in" in html


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('home')}"


@pytest.mark.django_db
def test_anonymous_visitors_cannot_reach_a_dossier_or_fire_a_transition(client, contract):
    dossier = make_dossier(S.SUBMITTED, contract=contract)

    for response in (
        client.get(detail_url(dossier)),
        client.post(transition_url(dossier, "declare_admissible")),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "space"),
    [
        (Role.SPONSOR, "/porteur/"),
        (Role.OFFICER, "/region/instruction/"),
        (Role.COMMITTEE_SECRETARY, "/region/instruction/"),
        (Role.FINANCE, "/region/instruction/"),
        (Role.ADMINISTRATOR, "/region/instruction/"),
    ],
)
def test_the_home_page_sends_each_role_to_its_space(client, role, space):
    client.force_login(make_user(role))

    assert client.get(reverse("home")).url == space


@pytest.mark.django_db
def test_a_dossiers_address_opens_the_staff_page_or_the_sponsor_page(client, officer, contract):
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    client.force_login(officer)
    assert client.get(detail_url(dossier)).url == page_url(dossier)
    client.force_login(dossier.created_by)
    assert client.get(detail_url(dossier)).url == reverse("portal:dossier_detail", args=[dossier.pk])


@pytest.mark.django_db
def test_an_officers_dossier_list_shows_only_their_territorys_dossiers(officer_client, contract, other_contract):
    mine = [make_dossier(state, contract=contract) for state in (S.DRAFT, S.SUBMITTED, S.APPROVED)]
    theirs = [make_dossier(state, contract=other_contract) for state in (S.DRAFT, S.SUBMITTED, S.APPROVED)]

    response = officer_client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert all(dossier.reference in html for dossier in mine)
    assert not any(dossier.reference in html for dossier in theirs)
    assert other_contract.territory.name not in html
    assert [d.pk for d in response.context["page_obj"]] == [d.pk for d in reversed(mine)]


@pytest.mark.django_db
def test_the_dossier_list_runs_the_same_number_of_queries_for_3_or_30_dossiers(officer_client, contract, officer):
    states = [S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED, S.IN_PAYMENT]

    def queries_for_home():
        with CaptureQueriesContext(connection) as queries:
            response = officer_client.get(LIST_URL)
        assert response.status_code == 200
        return len(response.context["page_obj"]), len(queries)

    for index in range(3):
        make_dossier(states[index % len(states)], contract=contract, pieces=False)
    rows_3, count_3 = queries_for_home()
    for index in range(27):
        make_dossier(states[index % len(states)], contract=contract, pieces=False)
    rows_30, count_30 = queries_for_home()

    assert (rows_3, rows_30) == (3, 30)
    assert count_30 == count_3


@pytest.mark.django_db
def test_another_territorys_dossier_is_not_found_rather_than_forbidden(officer_client, other_contract):
    dossier = make_dossier(S.SUBMITTED, contract=other_contract)

    assert officer_client.get(detail_url(dossier)).status_code == 404
    assert officer_client.get(page_url(dossier)).status_code == 404
    assert officer_client.post(transition_url(dossier, "declare_admissible")).status_code == 404
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED
    assert not AuditEvent.objects.filter(dossier=dossier).exists()


@pytest.mark.django_db
def test_a_dossier_that_does_not_exist_is_not_found(officer_client):
    assert officer_client.get(reverse("dossier_detail", args=[999_999])).status_code == 404


# The dossier page and its actions ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "who", "expected"),
    [
        # Completeness and review are tasks of the instruction process, not actions of this page.
        (S.SUBMITTED, "officer", set()),
        (S.APPROVED, "officer", {"notify"}),
        (S.DRAFT, "officer", set()),
        # The committee's decisions are votes on the session's page, applied at its closing.
        (S.SCHEDULED, "committee_secretary", {"unschedule"}),
        (S.SCHEDULED, "committee_member", set()),
    ],
)
def test_the_dossier_page_offers_exactly_the_actions_the_user_may_fire_now(client, contract, state, who, expected):
    dossier = make_dossier(state, contract=contract)
    user = {
        "officer": lambda: make_user(Role.OFFICER, territory=contract.territory),
        "committee_secretary": lambda: make_user(Role.COMMITTEE_SECRETARY),
        "committee_member": lambda: make_user(Role.COMMITTEE_MEMBER),
    }[who]()
    client.force_login(user)

    response = client.get(page_url(dossier))

    assert response.status_code == 200
    html = response.content.decode()
    offered = {name for name in TRANSITIONS if f'action="{transition_url(dossier, name)}"' in html}
    assert offered == expected
    for name in expected:
        assert escape(str(TRANSITIONS[name].label)) in html


@pytest.mark.django_db
def test_an_officer_closes_a_paid_dossier_and_the_client_ip_is_recorded(officer_client, officer, contract):
    dossier = make_dossier(S.PAID, contract=contract)

    response = officer_client.post(
        transition_url(dossier, "close"), {"comment": "Opération achevée"}, REMOTE_ADDR="203.0.113.9"
    )

    assert response.status_code == 302
    assert response.url == detail_url(dossier)
    assert Dossier.objects.get(pk=dossier.pk).state == S.CLOSED
    event = AuditEvent.objects.get(dossier=dossier)
    assert (event.kind, event.transition, event.actor) == (AuditKind.TRANSITION, "close", officer)
    assert event.ip_address == "203.0.113.9"
    assert event.comment == "Opération achevée"
    page = officer_client.get(response.url, follow=True)
    assert [m.level for m in page.context["messages"]] == [message_levels.SUCCESS]


@pytest.mark.django_db
def test_a_post_missing_required_input_shows_an_error_and_changes_nothing(client, contract):
    dossier = make_dossier(S.APPROVED, contract=contract)
    client.force_login(make_user(Role.OFFICER, territory=contract.territory))

    response = client.post(transition_url(dossier, "lapse"), {"comment": "x" * 5001}, follow=True)

    assert response.status_code == 200
    assert error_messages(response)
    html = response.content.decode()
    assert all(f'<li class="error">{escape(message)}</li>' in html for message in error_messages(response))
    assert Dossier.objects.get(pk=dossier.pk).state == S.APPROVED
    assert not AuditEvent.objects.filter(dossier=dossier, kind=AuditKind.TRANSITION).exists()


@pytest.mark.django_db
def test_a_transition_refused_by_the_lifecycle_shows_its_reason_and_changes_nothing(officer_client, contract):
    dossier = make_dossier(S.DRAFT, contract=contract)

    response = officer_client.post(transition_url(dossier, "notify"), follow=True)

    refusal = AuditEvent.objects.get(dossier=dossier)
    assert refusal.kind == AuditKind.REFUSAL
    assert error_messages(response) == [refusal.reason]
    assert Dossier.objects.get(pk=dossier.pk).state == S.DRAFT


@pytest.mark.django_db
def test_a_sponsor_cannot_fire_an_officers_transition_by_post(client, contract):
    dossier = make_dossier(S.APPROVED, contract=contract)
    client.force_login(dossier.created_by)

    response = client.post(transition_url(dossier, "notify"), follow=True)

    assert error_messages(response)
    assert Dossier.objects.get(pk=dossier.pk).state == S.APPROVED
    events = list(AuditEvent.objects.filter(dossier=dossier))
    assert [(e.kind, e.reason_code) for e in events] == [(AuditKind.REFUSAL, "forbidden")]


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(INSTRUCTION_TRANSITIONS))
def test_completeness_and_review_go_through_the_instruction_tasks_not_this_page(officer_client, contract, name):
    dossier = make_dossier(S.SUBMITTED, contract=contract)

    assert officer_client.post(transition_url(dossier, name), {"missing": "x", "reason": "x"}).status_code == 404
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED
    assert not AuditEvent.objects.filter(dossier=dossier).exists()


@pytest.mark.django_db
def test_a_get_on_a_transition_is_not_allowed(officer_client, contract):
    dossier = make_dossier(S.SUBMITTED, contract=contract)

    response = officer_client.get(transition_url(dossier, "declare_admissible"))

    assert response.status_code == 405
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_unknown_transition_is_not_found(officer_client, contract):
    dossier = make_dossier(S.SUBMITTED, contract=contract)

    assert officer_client.post(transition_url(dossier, "delete")).status_code == 404
    assert officer_client.post(transition_url(dossier, "_fire")).status_code == 404
    assert Dossier.objects.get(pk=dossier.pk).state == S.SUBMITTED


# Escaping ------------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


@pytest.mark.django_db
def test_user_text_is_escaped_on_the_list_and_dossier_pages(officer_client, officer, contract):
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    Dossier.objects.filter(pk=dossier.pk).update(title=SCRIPT, object=SCRIPT, description=SCRIPT)
    services.dossier_declare_incomplete(dossier=dossier, actor=officer, missing=SCRIPT)

    for url in (LIST_URL, page_url(dossier)):
        html = officer_client.get(url).content.decode()
        assert SCRIPT not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


# Translation ---------------------------------------------------------------------------------------

_FULLWIDTH = {code: code + 0xFEE0 for code in [*range(ord("A"), ord("Z") + 1), *range(ord("a"), ord("z") + 1)]}
_PLACEHOLDER = re.compile(r"(%\([^)]*\)[sdif]|%[sdif]|\{[^{}]*\})")


def _pseudo(text: str) -> str:
    """The translated text with every ASCII letter made full-width, placeholders kept."""
    parts = _PLACEHOLDER.split(text)
    return "".join(part if index % 2 else part.translate(_FULLWIDTH) for index, part in enumerate(parts))


class _PseudoTranslation:
    """Wraps a real catalogue: whatever goes through gettext comes out in full-width letters, so that any
    ASCII letter left on a page was not translated."""

    def __init__(self, real):
        self._real = real

    def gettext(self, message):
        result = self._real.gettext(message)
        return _pseudo(result.split(trans_real.CONTEXT_SEPARATOR)[-1])

    def ngettext(self, singular, plural, number):
        result = self._real.ngettext(singular, plural, number)
        return _pseudo(result.split(trans_real.CONTEXT_SEPARATOR)[-1])

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.fixture
def pseudo_translation(monkeypatch):
    real_translation = trans_real.translation
    monkeypatch.setattr(trans_real, "translation", lambda language: _PseudoTranslation(real_translation(language)))
    monkeypatch.setattr(trans_real, "_default", None)
    yield
    translation.deactivate()


class _VisibleText(HTMLParser):
    ATTRIBUTES = {"aria-label", "title", "placeholder", "alt"}

    def __init__(self):
        super().__init__()
        self.chunks, self._hidden_tags = [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        # Scripts, styles and icon ligatures (Material icons: names, hidden from assistive technologies).
        if tag in {"script", "style"} or "material-icons" in (attributes.get("class") or ""):
            self._hidden_tags.append(tag)
        self.chunks += [value for name, value in attrs if name in self.ATTRIBUTES and value]
        if tag == "input" and attributes.get("type") in {"submit", "button"}:
            self.chunks.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if self._hidden_tags and self._hidden_tags[-1] == tag:
            self._hidden_tags.pop()

    def handle_data(self, data):
        if not self._hidden_tags and data.strip():
            self.chunks.append(data)


def untranslated_text(html: str, user_data: list[str]) -> list[str]:
    """The visible chunks of `html` that still hold ASCII letters once the user's data is taken out."""
    parser = _VisibleText()
    parser.feed(html)
    data = sorted({str(value) for value in user_data if value}, key=len, reverse=True)
    leftovers = []
    for chunk in parser.chunks:
        for value in data:
            chunk = chunk.replace(value, "")
        if re.search(r"[A-Za-z]", chunk):
            leftovers.append(chunk.strip())
    return leftovers


LANGUAGE_NAMES = [name for _code, name in settings.LANGUAGES]  # each shown in its own language


@pytest.mark.django_db
def test_every_text_of_the_login_page_is_translated(client, pseudo_translation):
    html = client.get(reverse("login")).content.decode()

    assert untranslated_text(html, LANGUAGE_NAMES) == []


@pytest.mark.django_db
def test_every_text_of_the_dossier_list_is_translated(client, officer, contract, pseudo_translation):
    dossiers = [make_dossier(state, contract=contract) for state in (S.SUBMITTED, S.APPROVED)]
    client.force_login(officer)

    html = client.get(LIST_URL).content.decode()

    data = [officer.get_full_name(), officer.email, *LANGUAGE_NAMES]
    for dossier in dossiers:
        data += [dossier.reference, dossier.title, dossier.organisation.name, dossier.territory.name]
    assert untranslated_text(html, data) == []


def _dossier_page_data(dossier, user):
    dossier = Dossier.objects.get(pk=dossier.pk)
    return [
        user.get_full_name(),
        user.email,
        *LANGUAGE_NAMES,
        dossier.reference,
        dossier.title,
        dossier.object,
        dossier.description,
        dossier.organisation.name,
        dossier.organisation.siret,
        dossier.contract.name,
        dossier.territory.name,
        dossier.theme.label,
        *[commune.name for commune in dossier.communes.all()],
        *[line.label for line in dossier.expense_lines.all()],
        *[line.funder_name for line in dossier.funding_lines.all()],
        *[f"{piece.piece_type.label} — {piece.original_name}" for piece in dossier.pieces.all()],
        *[piece.original_name for piece in dossier.pieces.all()],
        *[piece.piece_type.label for piece in dossier.pieces.all()],
        *[text for event in dossier.audit_events.all() for text in (event.actor_name, event.comment, event.reason)],
        *[document.number for document in dossier.documents.all()],
        *[job.number for job in dossier.document_jobs.all()],
    ]


@pytest.mark.django_db
def test_every_text_of_the_dossier_page_is_translated(client, officer, contract, pseudo_translation):
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    with pytest.raises(services.TransitionRefused):
        services.dossier_start_review(dossier=dossier, actor=officer)
    services.dossier_declare_incomplete(dossier=dossier, actor=officer, missing="Délibération")
    translation.deactivate()
    client.force_login(officer)

    html = client.get(page_url(dossier)).content.decode()

    assert untranslated_text(html, _dossier_page_data(dossier, officer)) == []


@pytest.mark.django_db
def test_the_dossier_page_translates_its_headings_labels_and_actions(client, officer, contract, pseudo_translation):
    """The parts of the dossier page known to be translated today, so that a regression there shows even
    whatever the other texts of the page."""
    dossier = make_dossier(S.APPROVED, contract=contract)
    client.force_login(officer)

    html = client.get(page_url(dossier)).content.decode()

    for english in ("Summary", "Financing plan", "Pieces", "Actions", "History", "Notify the decision", "Approved"):
        with translation.override(settings.LANGUAGE_CODE):
            translated = translation.gettext(english)
        assert english not in html
        assert translated in html


@pytest.mark.django_db
def test_every_text_of_the_notification_mail_is_translated(officer, contract, pseudo_translation):
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    services.dossier_declare_incomplete(dossier=dossier, actor=officer, missing="Délibération")
    event = AuditEvent.objects.get(dossier=dossier)
    context = {"event": event, "dossier": event.dossier}

    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("emails/transition_subject.txt", context)
        body = render_to_string("emails/transition_body.txt", context)

    data = [dossier.reference, dossier.title, event.actor_name, event.comment]
    for text in (subject, body):
        for value in sorted(data, key=len, reverse=True):
            text = text.replace(value, "")
        assert not re.search(r"[A-Za-z]", text), text


def _template_msgids() -> set[str]:
    """The msgids of the project's templates: {% translate "..." %} and {% blocktranslate %} bodies."""
    msgids = set()
    for path in TEMPLATES_DIR.rglob("*"):
        if not path.is_file():
            continue
        source = path.read_text(encoding="utf-8")
        # A literal % is doubled in the catalogue (as makemessages writes it); Django undoes it at render.
        # With a context, the catalogue's key is "context\x04msgid" (as pgettext looks it up).
        found = re.findall(r"{%\s*(?:translate|trans)\s+(['\"])(.*?)\1(?:\s+context\s+(['\"])(.*?)\3)?", source)
        msgids |= {(f"{m[3]}\x04" if m[3] else "") + m[1].replace("%", "%%") for m in found}
        blocks = re.findall(r"{%\s*blocktrans(?:late)?\b([^%]*)%}(.*?){%\s*endblocktrans(?:late)?\s*%}", source, re.S)
        for options, body in blocks:
            singular = re.split(r"{%\s*plural\s*%}", body)[0]  # a plural block's msgid is its singular
            if re.search(r"\btrimmed\b", options):  # as Django trims: lines stripped, joined by a space
                singular = " ".join(line.strip() for line in singular.strip().splitlines() if line.strip())
            msgids.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", singular.replace("%", "%%")))
    return msgids


def test_the_template_msgids_are_found():
    msgids = _template_msgids()

    assert {"Log in", "Dossiers", "Page %(number)s of %(count)s"} <= msgids


def test_every_template_text_has_a_french_translation():
    if not FRENCH_CATALOGUE.exists():
        pytest.skip(f"no French catalogue yet ({FRENCH_CATALOGUE.relative_to(settings.BASE_DIR)})")
    with FRENCH_CATALOGUE.open("rb") as mo:
        catalogue = gettext_module.GNUTranslations(mo)._catalog

    missing = sorted(msgid for msgid in _template_msgids() if not (catalogue.get(msgid) or catalogue.get((msgid, 0))))
    assert missing == []


@pytest.mark.django_db
def test_the_default_pages_are_in_french_and_the_en_pages_in_english(client):
    if not FRENCH_CATALOGUE.exists():
        pytest.skip(f"no French catalogue yet ({FRENCH_CATALOGUE.relative_to(settings.BASE_DIR)})")
    french = client.get(reverse("login")).content.decode()
    with translation.override("en"):
        english = client.get(reverse("login")).content.decode()

    for text in ("Territorial contracts", "Log in", "Username", "Password"):
        assert text in english
        assert text not in french
    with translation.override("fr"):
        assert translation.gettext("Territorial contracts") in french
