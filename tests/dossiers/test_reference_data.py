import pytest
from django.core.management import call_command

from dossiers.loaders import load_reference_data
from dossiers.models import Commune, Department, Epci
from tests.factories import make_territory

pytestmark = pytest.mark.django_db


def counts():
    return Department.objects.count(), Epci.objects.count(), Commune.objects.count()


def test_loader_loads_the_twelve_departments_156_epcis_and_4293_communes():
    assert load_reference_data() == {"departments": 12, "epcis": 156, "communes": 4293}
    assert counts() == (12, 156, 4293)
    gironde = Department.objects.get(code="33")
    assert gironde.name == "Gironde"
    bordeaux = Commune.objects.select_related("epci").get(insee="33063")
    assert bordeaux.epci.name == "Bordeaux Métropole"
    assert Epci.objects.get(siren=bordeaux.epci_id).kind == "METRO"


def test_loader_is_idempotent_and_keeps_territory_links():
    call_command("load_reference_data", stdout=None)
    territory = make_territory("Territoire A")
    Epci.objects.filter(siren="200067106").update(territory=territory)  # CA du Pays Basque
    Commune.objects.filter(insee="64102").update(name="Changed by hand")
    call_command("load_reference_data", stdout=None)
    assert counts() == (12 + 1, 156 + 1, 4293 + 1)  # plus the factory's own department, EPCI and commune
    assert Commune.objects.get(insee="64102").name == "Bayonne"
    assert Epci.objects.get(siren="200067106").territory == territory


def test_loader_prints_the_attribution(capsys):
    call_command("load_reference_data")
    assert "Source : INSEE, DGCL — Etalab, découpage administratif 2026" in capsys.readouterr().out
