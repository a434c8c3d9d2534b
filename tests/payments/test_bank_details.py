"""The beneficiary's bank details: IBAN and BIC checked with python-stdnum (stored compact, in capitals),
the RIB checked by its content; finance validates them once and payments reuse them; new details replace
the current ones and no payment goes out until finance validates them. Finance's page lists them in a
constant number of queries; the RIB is downloaded by finance and the organisation's members only."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from payments.bank import (
    bank_account_current,
    bank_account_for_payment,
    bank_account_refuse,
    bank_account_submit,
    bank_account_validate,
)
from payments.models import BankAccount, BankAccountStatus
from tests.factories import PDF, OrganisationFactory, make_user
from workflows.enums import Role

IBAN = "FR76 3000 6000 0112 3456 7890 189"
OTHER_IBAN = "de89 3704 0044 0532 0130 00"
BIC = "bnpa fr pp xxx"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
pytestmark = pytest.mark.django_db


def en(name, args=()) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def rib(name="rib.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored_ribs() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "rib"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Association des Amis du Moulin", legal_form="association")


@pytest.fixture
def member(organisation):
    return make_user(Role.SPONSOR, organisation=organisation)


def submit(organisation, member, **kwargs):
    values = {"holder": organisation.name, "iban": IBAN, "bic": BIC, "uploaded": rib(), **kwargs}
    return bank_account_submit(organisation=organisation, actor=member, **values)


# Sending the details ------------------------------------------------------------------------------


def test_valid_details_are_stored_compact_in_capitals_and_wait_for_finance(organisation, member):
    account = submit(organisation, member, holder="  Association   des Amis du Moulin ")
    account.refresh_from_db()
    assert (account.iban, account.bic, account.holder) == (
        "FR7630006000011234567890189",
        "BNPAFRPPXXX",
        "Association des Amis du Moulin",
    )
    assert (account.status, account.submitted_by) == (BankAccountStatus.PENDING, member)
    assert account.file.read() == PDF
    assert account.masked_iban == "FR76 **** **** **** **** ***0 189"
    assert bank_account_current(organisation) == account
    assert bank_account_for_payment(organisation) is None


@pytest.mark.parametrize(
    ("iban", "bic", "fields"),
    [
        ("FR76 3000 6000 0112 3456 7890 188", BIC, {"iban"}),  # one digit mistyped: the check digits fail
        ("FR76 3000 6000 0112 3456 7890", BIC, {"iban"}),
        ("not an iban", BIC, {"iban"}),
        (IBAN, "BNPAFRP", {"bic"}),
        (IBAN, "BNPAZZPPXXX", {"bic"}),  # no country ZZ
        ("", "", {"iban", "bic"}),
    ],
)
def test_an_invalid_iban_or_bic_is_refused_with_field_errors_and_nothing_written(
    organisation, member, iban, bic, fields
):
    validated = submit(organisation, member)
    bank_account_validate(account=validated, actor=make_user(Role.FINANCE))
    files_before = stored_ribs()
    with pytest.raises(ValidationError) as refused:
        submit(organisation, member, iban=iban, bic=bic)
    assert set(refused.value.error_dict) == fields
    assert list(BankAccount.objects.values_list("pk", "status")) == [(validated.pk, BankAccountStatus.VALIDATED)]
    assert stored_ribs() == files_before
    assert bank_account_for_payment(organisation) == validated


@pytest.mark.parametrize("content", [b"GIF89a not a RIB", b""], ids=["gif", "empty"])
def test_the_rib_is_checked_by_its_content(organisation, member, content):
    with pytest.raises(ValidationError) as refused:
        submit(organisation, member, uploaded=rib(name="rib.pdf", content=content))
    assert set(refused.value.error_dict) == {"uploaded"}
    assert not BankAccount.objects.exists()
    assert stored_ribs() == []


def test_an_image_of_the_rib_is_accepted(organisation, member):
    account = submit(organisation, member, uploaded=rib(name="rib.png", content=PNG))
    assert (account.content_type, account.extension) == ("image/png", "png")


def test_only_the_organisations_members_give_its_bank_details(organisation, finance):
    for actor in (make_user(Role.SPONSOR, organisation=OrganisationFactory()), finance):
        with pytest.raises(PermissionDenied):
            submit(organisation, actor)
    assert not BankAccount.objects.exists()


# Validation -------------------------------------------------------------------------------------


def test_a_change_replaces_the_validated_details_and_payments_wait_for_the_new_validation(
    organisation, member, finance
):
    first = submit(organisation, member)
    bank_account_validate(account=first, actor=finance)
    assert bank_account_for_payment(organisation) == first

    second = submit(organisation, member, iban=OTHER_IBAN, bic="COBADEFFXXX")
    first.refresh_from_db()
    assert first.status == BankAccountStatus.REPLACED
    assert bank_account_current(organisation) == second
    assert bank_account_for_payment(organisation) is None

    bank_account_validate(account=second, actor=finance)
    assert bank_account_for_payment(organisation) == second
    assert second.iban == "DE89370400440532013000"


def test_new_details_sent_while_others_wait_replace_them(organisation, member):
    first = submit(organisation, member)
    second = submit(organisation, member, iban=OTHER_IBAN)
    assert BankAccount.objects.get(pk=first.pk).status == BankAccountStatus.REPLACED
    assert bank_account_current(organisation) == second
    with pytest.raises(ValidationError):
        bank_account_validate(account=first, actor=make_user(Role.FINANCE))


def test_only_finance_or_an_administrator_validates_or_refuses(organisation, member, officer, secretary):
    account = submit(organisation, member)
    for actor in (member, officer, secretary):
        with pytest.raises(PermissionDenied):
            bank_account_validate(account=account, actor=actor)
        with pytest.raises(PermissionDenied):
            bank_account_refuse(account=account, actor=actor, reason="No.")
    assert BankAccount.objects.get(pk=account.pk).status == BankAccountStatus.PENDING
    administrator = make_user(Role.ADMINISTRATOR)
    validated = bank_account_validate(account=account, actor=administrator)
    assert (validated.status, validated.decided_by) == (BankAccountStatus.VALIDATED, administrator)


def test_only_details_waiting_for_finance_are_decided(organisation, member, finance):
    account = submit(organisation, member)
    bank_account_validate(account=account, actor=finance)
    with pytest.raises(ValidationError):
        bank_account_validate(account=account, actor=finance)
    with pytest.raises(ValidationError):
        bank_account_refuse(account=account, actor=finance, reason="Wrong holder.")
    assert BankAccount.objects.get(pk=account.pk).status == BankAccountStatus.VALIDATED


def test_a_refusal_needs_a_reason_and_leaves_no_details_for_payment(organisation, member, finance):
    account = submit(organisation, member)
    with pytest.raises(ValidationError):
        bank_account_refuse(account=account, actor=finance, reason=" ")
    refused = bank_account_refuse(account=account, actor=finance, reason="The RIB is another company's.")
    assert (refused.status, refused.refusal_reason, refused.decided_by) == (
        BankAccountStatus.REFUSED,
        "The RIB is another company's.",
        finance,
    )
    assert bank_account_current(organisation) is None
    assert bank_account_for_payment(organisation) is None


# The sponsor's pages ------------------------------------------------------------------------------


def test_the_organisation_page_shows_the_details_masked_with_their_status_and_a_refusals_reason(
    client, organisation, member, finance
):
    account = submit(organisation, member)
    bank_account_validate(account=account, actor=finance)
    client.force_login(member)
    page = client.get(en("portal:organisation_detail", args=[organisation.pk])).content.decode()
    assert account.masked_iban in page
    assert account.formatted_iban not in page and account.iban not in page
    assert "Validated" in page
    assert "suspends the payments" in page
    changed = submit(organisation, member, iban=OTHER_IBAN)
    bank_account_refuse(account=changed, actor=finance, reason="The holder is not the association.")
    page = client.get(en("portal:organisation_detail", args=[organisation.pk])).content.decode()
    assert "The holder is not the association." in page


def test_the_sponsor_sends_the_details_from_the_form_and_sees_field_errors(client, organisation, member):
    client.force_login(member)
    url = en("payments_accounts:bank_details_edit", args=[organisation.pk])
    response = client.post(url, {"holder": "Amis du Moulin", "iban": "FR76 1234", "bic": BIC, "uploaded": rib()})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"iban"}
    assert not BankAccount.objects.exists()
    response = client.post(url, {"holder": "Amis du Moulin", "iban": IBAN, "bic": BIC, "uploaded": rib()})
    assert response.status_code == 302
    assert BankAccount.objects.get().status == BankAccountStatus.PENDING


def test_another_organisations_sponsor_gets_a_404_on_the_form(client, organisation):
    client.force_login(make_user(Role.SPONSOR, organisation=OrganisationFactory()))
    url = en("payments_accounts:bank_details_edit", args=[organisation.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"holder": "x", "iban": IBAN, "bic": BIC, "uploaded": rib()}).status_code == 404
    assert not BankAccount.objects.exists()


def test_the_rib_is_downloaded_by_finance_administrators_and_the_organisations_members_only(
    client, organisation, member, finance, officer
):
    account = submit(organisation, member)
    url = en("payments_accounts:rib_download", args=[account.pk])
    for user in (member, make_user(Role.SPONSOR, organisation=organisation), finance, make_user(Role.ADMINISTRATOR)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == PDF
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")
    for user in (officer, make_user(Role.SPONSOR, organisation=OrganisationFactory())):
        client.force_login(user)
        assert client.get(url).status_code == 404, user


# Finance's page ---------------------------------------------------------------------------------


def test_the_finance_page_is_for_finance_and_administrators_only(client, organisation, member, finance, officer):
    account = submit(organisation, member)
    url = en("bank_details:index")
    assert url == "/en/region/bank-details/"
    for user in (finance, make_user(Role.ADMINISTRATOR)):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200
        assert account.formatted_iban in page.content.decode()
    # The staff site refuses the other roles (viewflow's middleware asks the viewset: 403).
    for user in (officer, member, make_user(Role.COMMITTEE_SECRETARY)):
        client.force_login(user)
        assert client.get(url).status_code == 403, user
        assert client.post(en("bank_details:validate", args=[account.pk])).status_code == 403, user
        assert client.post(en("bank_details:refuse", args=[account.pk]), {"reason": "x"}).status_code == 403, user
    assert BankAccount.objects.get(pk=account.pk).status == BankAccountStatus.PENDING


def test_finance_validates_and_refuses_from_its_page_and_filters_by_status(client, finance):
    organisations = [OrganisationFactory() for _ in range(2)]
    accounts = [submit(o, make_user(Role.SPONSOR, organisation=o)) for o in organisations]
    client.force_login(finance)
    client.post(en("bank_details:validate", args=[accounts[0].pk]))
    client.post(en("bank_details:refuse", args=[accounts[1].pk]), {"reason": ""})
    assert BankAccount.objects.get(pk=accounts[1].pk).status == BankAccountStatus.PENDING
    client.post(en("bank_details:refuse", args=[accounts[1].pk]), {"reason": "Illegible RIB."})
    statuses = dict(BankAccount.objects.values_list("pk", "status"))
    assert statuses == {accounts[0].pk: BankAccountStatus.VALIDATED, accounts[1].pk: BankAccountStatus.REFUSED}
    assert list(client.get(en("bank_details:index")).context["accounts"]) == []
    validated = client.get(en("bank_details:index"), {"status": "validated"}).context["accounts"]
    assert [account.pk for account in validated] == [accounts[0].pk]
    refused = client.get(en("bank_details:index"), {"status": "refused"})
    assert "Illegible RIB." in refused.content.decode()


def test_the_finance_page_runs_the_same_queries_with_2_or_10_rows(client, finance, django_assert_num_queries):
    def add(count):
        for _ in range(count):
            organisation = OrganisationFactory()
            submit(organisation, make_user(Role.SPONSOR, organisation=organisation))

    client.force_login(finance)
    url = en("bank_details:index")
    client.get(url)  # the session and the caches of the first request
    add(2)
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(url).context["accounts"]) == 2
    add(8)
    with django_assert_num_queries(len(queries)):
        assert len(client.get(url).context["accounts"]) == 10
