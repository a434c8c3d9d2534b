"""Sign-up, registering an organisation (SIRET checked by python-stdnum, La Poste included), and joining an
organisation already registered through a request that one of its members accepts or refuses."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dossiers.enums import LegalForm
from dossiers.models import Membership, Organisation
from portal.enums import MembershipRequestStatus
from portal.models import MembershipRequest
from tests.factories import OrganisationFactory, UserFactory, make_user, valid_siret
from tests.portal.helpers import french
from workflows.enums import Role
from workflows.permissions import user_roles

User = get_user_model()
LA_POSTE_SIRET = "35600000049837"  # not Luhn-valid: La Poste's exception (SIREN 356000000)
STRONG_PASSWORD = "Bayonne-Garonne-2026!"


def sign_up_data(**overrides):
    return {
        "username": "amaia",
        "first_name": "Amaia",
        "last_name": "Etxeberria",
        "email": "amaia@example.test",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        **overrides,
    }


# Sign-up ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signing_up_creates_a_sponsor_account_and_logs_it_in(client):
    response = client.post(reverse("portal:signup"), sign_up_data())

    assert response.status_code == 302
    assert response.url == reverse("portal:home")
    user = User.objects.get(username="amaia")
    assert (user.email, user.first_name, user.last_name) == ("amaia@example.test", "Amaia", "Etxeberria")
    assert user.check_password(STRONG_PASSWORD)
    assert user_roles(user) == {Role.SPONSOR}
    assert not Membership.objects.filter(user=user).exists()
    assert client.get(reverse("portal:home")).context["user"] == user


@pytest.mark.django_db
def test_signing_up_goes_on_to_the_next_url_of_the_orientation(client):
    next_url = f"{reverse('portal:dossier_new')}?commune=64102&legal_form=commune"

    response = client.post(f"{reverse('portal:signup')}?next={next_url}", sign_up_data(next=next_url))

    assert response.url == next_url


@pytest.mark.django_db
def test_signing_up_never_redirects_to_another_site(client):
    response = client.post(reverse("portal:signup"), sign_up_data(next="https://evil.example/"))

    assert response.url == reverse("portal:home")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password1": "123", "password2": "123"}, "password2"),  # Django's validators: too short, numeric
        ({"password1": "password", "password2": "password"}, "password2"),  # too common
        ({"password2": "something-else-2026"}, "password2"),
        ({"email": "not-an-address"}, "email"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_sign_up_refusals_are_shown_on_their_field_and_keep_the_input(client, overrides, field):
    response = client.post(reverse("portal:signup"), sign_up_data(**overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.exists()
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert 'value="Etxeberria"' in html or field == "last_name"


@pytest.mark.django_db
def test_an_email_already_used_is_refused(client):
    UserFactory(email="amaia@example.test")

    response = client.post(reverse("portal:signup"), sign_up_data(email="AMAIA@example.test"))

    assert "email" in response.context["form"].errors
    assert not User.objects.filter(username="amaia").exists()


@pytest.mark.django_db
def test_the_login_page_links_to_sign_up_with_the_same_next(client):
    html = client.get(reverse("login"), {"next": "/porteur/dossiers/nouveau/?commune=64102"}).content.decode()

    assert f'href="{reverse("portal:signup")}?next=/porteur/dossiers/nouveau/%3Fcommune%3D64102"' in html


# Registering an organisation --------------------------------------------------------------------------------


@pytest.fixture
def newcomer_client(client):
    user = make_user(Role.SPONSOR)
    client.force_login(user)
    client.user = user
    return client


def organisation_data(**overrides):
    return {
        "name": "Commune de Bayonne",
        "legal_form": LegalForm.COMMUNE,
        "siret": "",
        "rna": "",
        "address": "1 avenue de l'Hôtel de Ville",
        "commune": "",
        "email": "",
        **overrides,
    }


@pytest.mark.django_db
def test_a_wrong_siret_check_digit_is_refused_on_the_siret_field_and_nothing_is_created(newcomer_client):
    good = valid_siret()
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)

    response = newcomer_client.post(reverse("portal:organisation_new"), organisation_data(siret=wrong))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["siret"] == [
        french("This SIRET is not valid: its check digit is wrong. Check the number on your Kbis or INSEE notice.")
    ]
    assert not Organisation.objects.exists()
    html = response.content.decode()
    assert 'id="id_siret_error"' in html
    assert 'aria-describedby="id_siret_helptext id_siret_error"' in html
    assert 'value="Commune de Bayonne"' in html  # what was typed is kept


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("siret", "message"),
    [("1234", "A SIRET has exactly 14 digits."), ("3560000004983A", "A SIRET contains digits only.")],
)
def test_a_malformed_siret_is_explained_on_its_field(newcomer_client, siret, message):
    response = newcomer_client.post(reverse("portal:organisation_new"), organisation_data(siret=siret))

    assert response.context["form"].errors["siret"] == [french(message)]
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_la_postes_siret_is_accepted_and_its_creator_becomes_a_member(newcomer_client, contract):
    response = newcomer_client.post(
        reverse("portal:organisation_new"),
        organisation_data(name="La Poste", legal_form=LegalForm.COMPANY, siret="356 000 000 49837"),
    )

    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert organisation.siret == LA_POSTE_SIRET
    assert Membership.objects.filter(organisation=organisation, user=newcomer_client.user).exists()


@pytest.mark.django_db
def test_an_association_registers_with_its_rna_number_and_its_commune(newcomer_client, commune):
    response = newcomer_client.post(
        reverse("portal:organisation_new"),
        organisation_data(
            name="Les Amis du Fronton", legal_form=LegalForm.ASSOCIATION, rna="w641000123", commune_insee=commune.insee
        ),
    )

    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert (organisation.rna, organisation.siret, organisation.commune) == ("W641000123", None, commune)


@pytest.mark.django_db
def test_only_associations_may_register_without_a_siret(newcomer_client):
    response = newcomer_client.post(
        reverse("portal:organisation_new"), organisation_data(legal_form=LegalForm.COMPANY, rna="W641000123")
    )

    assert response.context["form"].errors["siret"] == [french("Only associations may register without a SIRET.")]
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_registering_goes_on_to_the_next_url(newcomer_client):
    next_url = f"{reverse('portal:dossier_new')}?legal_form=commune"

    response = newcomer_client.post(
        reverse("portal:organisation_new"), organisation_data(siret=valid_siret(), next=next_url)
    )

    assert response.url == next_url


# Joining an organisation already registered --------------------------------------------------------------


@pytest.mark.django_db
def test_a_duplicate_siret_offers_a_join_request_that_a_member_accepts(client, organisation, sponsor):
    newcomer = make_user(Role.SPONSOR, first_name="Mikel", last_name="Arrieta")
    client.force_login(newcomer)

    refused = client.post(reverse("portal:organisation_new"), organisation_data(siret=organisation.siret))
    assert refused.context["form"].errors["siret"] == [
        french("An organisation with this SIRET is already registered; ask its members to add you.")
    ]
    join_url = refused.context["join_url"]
    assert join_url == f"{reverse('portal:organisation_join')}?identifier={organisation.siret}"
    assert Organisation.objects.count() == 1

    assert client.get(join_url).context["form"].initial["identifier"] == organisation.siret
    sent = client.post(
        reverse("portal:organisation_join"), {"identifier": organisation.siret, "message": "Secrétaire de mairie"}
    )
    assert sent.status_code == 302
    membership_request = MembershipRequest.objects.get()
    assert (membership_request.user, membership_request.organisation) == (newcomer, organisation)
    assert membership_request.status == MembershipRequestStatus.PENDING
    assert not Membership.objects.filter(user=newcomer, organisation=organisation).exists()

    client.force_login(sponsor)
    home = client.get(reverse("portal:home")).content.decode()
    assert "Mikel Arrieta" in home
    detail = client.get(reverse("portal:organisation_detail", args=[organisation.pk])).content.decode()
    assert "Secrétaire de mairie" in detail
    accept_url = reverse("portal:membership_request_decide", args=[membership_request.pk, "accepter"])
    assert f'action="{accept_url}"' in detail
    accepted = client.post(accept_url)

    assert accepted.status_code == 302
    assert Membership.objects.filter(user=newcomer, organisation=organisation).exists()
    membership_request.refresh_from_db()
    assert membership_request.status == MembershipRequestStatus.ACCEPTED
    assert membership_request.decided_by == sponsor
    assert Role.SPONSOR in user_roles(User.objects.get(pk=newcomer.pk))


@pytest.mark.django_db
def test_a_member_refuses_a_join_request_and_no_membership_is_made(client, organisation, sponsor):
    newcomer = make_user(Role.SPONSOR)
    membership_request = MembershipRequest.objects.create(organisation=organisation, user=newcomer)
    client.force_login(sponsor)

    client.post(reverse("portal:membership_request_decide", args=[membership_request.pk, "refuser"]))

    membership_request.refresh_from_db()
    assert membership_request.status == MembershipRequestStatus.REFUSED
    assert not Membership.objects.filter(user=newcomer, organisation=organisation).exists()


@pytest.mark.django_db
def test_only_a_member_answers_a_join_request(client, organisation):
    newcomer = make_user(Role.SPONSOR)
    stranger = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    membership_request = MembershipRequest.objects.create(organisation=organisation, user=newcomer)

    for user in (newcomer, stranger):
        client.force_login(user)
        response = client.post(reverse("portal:membership_request_decide", args=[membership_request.pk, "accepter"]))
        assert response.status_code == 404
    membership_request.refresh_from_db()
    assert membership_request.status == MembershipRequestStatus.PENDING
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.django_db
def test_a_request_is_answered_once(client, organisation, sponsor):
    newcomer = make_user(Role.SPONSOR)
    membership_request = MembershipRequest.objects.create(organisation=organisation, user=newcomer)
    client.force_login(sponsor)
    client.post(reverse("portal:membership_request_decide", args=[membership_request.pk, "refuser"]))

    response = client.post(reverse("portal:membership_request_decide", args=[membership_request.pk, "accepter"]))

    assert response.status_code == 404  # no longer among the pending requests
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ("unknown", "No organisation is registered with this number: register it yourself."),
        ("member", "You are already a member of this organisation."),
        ("pending", "Your request to join this organisation is already waiting for its members' answer."),
    ],
)
def test_join_requests_that_cannot_be_sent_say_why_on_the_field(client, organisation, sponsor, identifier, message):
    newcomer = make_user(Role.SPONSOR)
    if identifier == "pending":
        MembershipRequest.objects.create(organisation=organisation, user=newcomer)
    user = sponsor if identifier == "member" else newcomer
    client.force_login(user)
    siret = valid_siret() if identifier == "unknown" else organisation.siret

    response = client.post(reverse("portal:organisation_join"), {"identifier": siret})

    assert response.status_code == 200
    assert response.context["form"].errors["identifier"] == [french(message)]
    assert MembershipRequest.objects.filter(user=user).count() == (1 if identifier == "pending" else 0)
