"""Officers of the territory mark pieces as checked while completeness or review is open."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dossiers.services import piece_set_checked
from tests.factories import make_dossier, make_territory, make_user
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db


def test_officer_of_the_territory_marks_a_piece_checked_and_unchecked():
    dossier = make_dossier(DossierState.SUBMITTED)
    officer = make_user(Role.OFFICER, territory=dossier.territory)
    piece = dossier.pieces.first()
    checked = piece_set_checked(piece=piece, actor=officer)
    assert checked.is_checked and checked.checked_by == officer and checked.checked_at
    unchecked = piece_set_checked(piece=piece, actor=officer, checked=False)
    assert not unchecked.is_checked and unchecked.checked_by is None and unchecked.checked_at is None


@pytest.mark.parametrize("role", [Role.SPONSOR, Role.COMMITTEE_SECRETARY, Role.FINANCE, Role.OFFICER])
def test_only_the_territory_officers_check_pieces(role):
    dossier = make_dossier(DossierState.SUBMITTED)
    actor = dossier.created_by if role == Role.SPONSOR else make_user(role, territory=make_territory("Territoire B"))
    piece = dossier.pieces.first()
    with pytest.raises(PermissionDenied):
        piece_set_checked(piece=piece, actor=actor)
    piece.refresh_from_db()
    assert not piece.is_checked


@pytest.mark.parametrize("state", [DossierState.DRAFT, DossierState.REVIEWED, DossierState.NOTIFIED])
def test_pieces_are_checked_only_during_completeness_and_review(state):
    dossier = make_dossier(state)
    officer = make_user(Role.OFFICER, territory=dossier.territory)
    with pytest.raises(ValidationError):
        piece_set_checked(piece=dossier.pieces.first(), actor=officer)


def test_officer_checks_a_piece_from_the_dossier_page(client):
    dossier = make_dossier(DossierState.UNDER_REVIEW)
    officer = make_user(Role.OFFICER, territory=dossier.territory)
    piece = dossier.pieces.first()
    client.force_login(officer)
    page = client.get(reverse("dossier_detail", args=[dossier.pk]), follow=True)
    assert reverse("piece_check", args=[dossier.pk, piece.pk]).encode() in page.content
    client.post(reverse("piece_check", args=[dossier.pk, piece.pk]), {"checked": "1"})
    piece.refresh_from_db()
    assert piece.is_checked
    sponsor_client = client.__class__()
    sponsor_client.force_login(dossier.created_by)
    assert (
        reverse("piece_check", args=[dossier.pk, piece.pk]).encode()
        not in sponsor_client.get(reverse("dossier_detail", args=[dossier.pk]), follow=True).content
    )
