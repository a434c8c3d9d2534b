"""Loads the reference data shipped in `dossiers/reference_data/` (see SOURCES.md there).

Idempotent: rows are inserted or updated by their INSEE code / SIREN, never duplicated, and the links
made later (an EPCI's territory) are left as they are.
"""

import csv
from pathlib import Path

from django.db import transaction

from dossiers.models import Commune, Department, Epci

REFERENCE_DIR = Path(__file__).resolve().parent / "reference_data"


def read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _upsert(model, rows, update_fields):
    model.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=[model._meta.pk.name],
        update_fields=update_fields,
        batch_size=500,
    )


@transaction.atomic
def load_reference_data() -> dict[str, int]:
    departments = [
        Department(code=r["code"], name=r["nom"], prefecture_insee=r["chef_lieu_insee"])
        for r in read_csv("na_departements.csv")
    ]
    _upsert(Department, departments, ["name", "prefecture_insee"])
    epcis = [
        Epci(
            siren=r["siren"],
            name=r["nom"],
            kind=r["type"],
            department_id=r["departement_majoritaire"],
            communes_in_region=int(r["communes_en_region"]),
            communes_total=int(r["communes_total"]),
            population=int(r["population_municipale"]),
        )
        for r in read_csv("na_epci.csv")
    ]
    _upsert(Epci, epcis, ["name", "kind", "department", "communes_in_region", "communes_total", "population"])
    communes = [
        Commune(
            insee=r["insee"],
            name=r["nom"],
            department_id=r["departement"],
            epci_id=r["epci_siren"] or None,
            siren=r["siren"],
            postcodes=r["codes_postaux"],
            population=int(r["population"] or 0),
        )
        for r in read_csv("na_communes.csv")
    ]
    _upsert(Commune, communes, ["name", "department", "epci", "siren", "postcodes", "population"])
    return {"departments": len(departments), "epcis": len(epcis), "communes": len(communes)}
