"""`check_consistency` reports any drift between the envelopes, the dossiers' commitments, the votes and
the numbering sequences, and nothing when they agree."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from committees.models import AgendaItem, DeliberationSequence
from dossiers.models import Dossier, Envelope
from tests.factories import EnvelopeFactory, make_dossier
from workflows.enums import DossierState

S = DossierState
pytestmark = pytest.mark.django_db


def check():
    out, err = StringIO(), StringIO()
    try:
        call_command("check_consistency", stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def granted(contract):
    return [make_dossier(state, contract=contract) for state in (S.APPROVED, S.IN_PAYMENT, S.CLOSED)]


def test_consistent_data_reports_nothing(granted):
    assert check() == (0, "Envelopes, votes and numbering are consistent.\n")


def test_an_over_committed_envelope_is_reported(granted):
    Envelope.objects.filter(pk=granted[0].envelope_id).update(amount=Decimal("100000.00"))
    code, output = check()
    assert code == 1
    assert "240 000,00 € committed for 100 000,00 €" in output.replace("\u202f", " ").replace("\u00a0", " ")


def test_a_commitment_on_another_contracts_envelope_or_without_its_vote_is_reported(granted):
    other = EnvelopeFactory()
    Dossier.objects.filter(pk=granted[0].pk).update(envelope=other)
    Dossier.objects.filter(pk=granted[1].pk).update(granted_amount=Decimal("90000.00"))
    AgendaItem.objects.filter(dossier=granted[2]).delete()
    code, output = check()
    assert code == 1
    assert f"dossier {granted[0].reference}: committed on another contract's envelope" in output
    assert f"dossier {granted[1].reference}: 90" in output and "80" in output
    assert f"dossier {granted[2].reference}: committed without an approved agenda item" in output


@pytest.mark.parametrize(("state", "counted"), [(S.NOTIFIED, True), (S.LAPSED, False), (S.WITHDRAWN, False)])
def test_a_lapsed_or_withdrawn_grant_releases_its_commitment(contract, state, counted):
    dossier = make_dossier(S.NOTIFIED, contract=contract)
    Dossier.objects.filter(pk=dossier.pk).update(state=state)
    Envelope.objects.filter(pk=dossier.envelope_id).update(amount=Decimal("1000.00"))
    code, output = check()
    assert (code == 1) is counted
    assert ("committed for 1" in output.replace("\u202f", " ").replace("\u00a0", " ")) is counted


def test_a_sequence_behind_a_number_it_handed_out_is_reported(granted):
    DeliberationSequence.objects.update(last_number=1)
    code, output = check()
    assert code == 1 and "deliberation sequence CP" in output and "at 1, 3 used" in output


def test_a_result_that_disagrees_with_its_vote_and_a_vote_of_an_absent_member_are_reported(granted):
    from committees.models import Attendance, Vote
    from tests.factories import make_user
    from workflows.enums import Role

    item = AgendaItem.objects.get(dossier=granted[0])
    AgendaItem.objects.filter(pk=item.pk).update(outcome="rejected")
    member = make_user(Role.COMMITTEE_MEMBER, username="absent-member")
    Attendance.objects.create(session=item.session, member=member, is_present=False, recorded_by=member)
    Vote.objects.create(item=item, member=member, choice="for", recorded_by=member)

    code, output = check()

    assert code == 1
    assert f"agenda item {item.pk} (dossier {granted[0].reference}): result “approved” but vote “rejected”" in output
    assert f"agenda item {item.pk}: vote of absent-member, who is not recorded present" in output
