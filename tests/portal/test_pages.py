"""The sponsor's home in plain words, and what every portal page owes to keyboard and screen-reader users:
each field has its label, each error is tied to its field, ids are unique."""

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from dossiers.enums import LegalForm
from portal.enums import STATE_EXPLANATIONS
from portal.models import MembershipRequest
from tests.factories import OrganisationFactory, make_dossier, make_draft, make_user
from tests.portal.helpers import french
from workflows.enums import DossierState, Role

S = DossierState


@pytest.mark.django_db
def test_the_home_lists_the_sponsors_organisations_and_dossiers_with_their_status_in_plain_words(
    sponsor_client, contract, organisation, sponsor
):
    mine = [
        make_dossier(state, contract=contract, organisation=organisation, creator=sponsor)
        for state in (S.DRAFT, S.INCOMPLETE, S.APPROVED)
    ]
    theirs = make_dossier(S.SUBMITTED, contract=contract)

    response = sponsor_client.get(reverse("portal:home"))

    assert [d.pk for d in response.context["page"]] == [d.pk for d in reversed(mine)]
    html = response.content.decode()
    assert theirs.reference not in html
    assert organisation.name in html
    for dossier in mine:
        assert dossier.reference in html
        assert french(str(STATE_EXPLANATIONS[dossier.state])).replace("'", "&#x27;") in html
        assert dossier.get_state_display() in html


@pytest.mark.django_db
def test_the_home_shows_the_requests_to_answer_and_ones_own_pending_request(client, organisation, sponsor):
    applicant = make_user(Role.SPONSOR, first_name="Mikel", last_name="Arrieta")
    MembershipRequest.objects.create(organisation=organisation, user=applicant)
    other = OrganisationFactory(name="Syndicat de la Nive")
    MembershipRequest.objects.create(organisation=other, user=sponsor)
    client.force_login(sponsor)

    response = client.get(reverse("portal:home"))

    assert [r.user for r in response.context["requests_to_decide"]] == [applicant]
    assert [r.organisation for r in response.context["my_requests"]] == [other]
    html = response.content.decode()
    assert "Mikel Arrieta" in html and "Syndicat de la Nive" in html


class _Controls(HTMLParser):
    """Form controls, labels and ids of a page."""

    def __init__(self):
        super().__init__()
        self.controls, self.label_for, self.ids, self.described = [], set(), Counter(), []
        self._template = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "template":
            self._template += 1
        if self._template:
            return
        if "id" in attrs:
            self.ids[attrs["id"]] += 1
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden", "submit", "button"}:
            self.controls.append(attrs)
        if attrs.get("aria-describedby"):
            self.described += attrs["aria-describedby"].split()

    def handle_endtag(self, tag):
        if tag == "template":
            self._template -= 1


def check_accessible_controls(html: str) -> list[str]:
    parser = _Controls()
    parser.feed(html)
    problems = [
        f"unlabelled control {c}"
        for c in parser.controls
        if c.get("id") not in parser.label_for and not c.get("aria-label")
    ]
    problems += [f"duplicate id {name}" for name, count in parser.ids.items() if count > 1]
    problems += [f"aria-describedby points to nothing: {name}" for name in parser.described if name not in parser.ids]
    return problems


@pytest.mark.django_db
def test_every_field_of_every_portal_page_has_a_label_and_unique_ids(
    client, sponsor_client, contract, organisation, sponsor
):
    draft = make_draft(contract=contract, organisation=organisation, creator=sponsor)
    commune = draft.communes.get()
    public = [
        reverse("portal:orientation"),
        f"{reverse('portal:orientation')}?commune_insee={commune.insee}&legal_form={LegalForm.COMMUNE}",
        f"{reverse('portal:orientation')}?commune=Atlantide&legal_form=",
        reverse("portal:signup"),
    ]
    for url in public:
        assert check_accessible_controls(client.get(url).content.decode()) == [], url
    private = [
        reverse("portal:home"),
        reverse("portal:organisation_new"),
        reverse("portal:organisation_join"),
        reverse("portal:organisation_detail", args=[organisation.pk]),
        reverse("portal:dossier_new"),
        reverse("portal:dossier_detail", args=[draft.pk]),
        reverse("portal:dossier_withdraw", args=[draft.pk]),
        *[
            reverse("portal:dossier_step", args=[draft.pk, step])
            for step in ("projet", "lieu", "calendrier", "financement", "pieces", "recapitulatif")
        ],
    ]
    for url in private:
        assert check_accessible_controls(sponsor_client.get(url).content.decode()) == [], url


@pytest.mark.django_db
def test_errors_are_tied_to_their_fields_on_a_refused_form(sponsor_client):
    response = sponsor_client.post(reverse("portal:dossier_new"), {"communes_add": "Atlantide"})

    html = response.content.decode()
    assert check_accessible_controls(html) == []
    assert 'id="id_title_error"' in html and 'aria-describedby="id_title_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'class="error-summary" role="alert"' in html
