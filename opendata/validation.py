"""The validation of a file before it is published: the Table Schema of SCDL subventions 2.1.1 kept in
the project (`opendata/schema/scdl-subventions-2.1.1.json`: column names and order, types, patterns,
enumerations, required values, bounds), checked by frictionless; then the rules a Table Schema cannot
say, checked here: `idBeneficiaire` or `rnaBeneficiaire` filled, the SIRETs' check digits (python-stdnum,
La Poste's exception included), and `referenceDecision` filled and unique, so every row leads back to
one dossier.

Each problem is a dict `{"row", "reference", "dossier", "column", "message"}`: `row` counts the grants
from 1 (None for a problem of the header), `reference` is the row's `referenceDecision`, `dossier` the
reference of the dossier it comes from.
"""

import json
from collections import Counter
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _
from stdnum.fr import siret

from opendata.scdl import GrantRow

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "scdl-subventions-2.1.1.json"
SCHEMA_URL = "https://schema.data.gouv.fr/scdl/subventions/2.1.1/"


@cache
def schema_descriptor() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _problem(rows: list[GrantRow], row: int | None, column: str, message: str) -> dict:
    grant = rows[row - 1] if row is not None and 0 < row <= len(rows) else None
    return {
        "row": row,
        "reference": grant.values.get("referenceDecision", "") if grant else "",
        "dossier": grant.dossier_reference if grant else "",
        "column": column,
        "message": message,
    }


def schema_problems(content: bytes, rows: list[GrantRow]) -> list[dict]:
    """What frictionless finds wrong in `content` against the schema."""
    # Imported here: it weighs a quarter of a second, which every process would pay at start-up.
    from frictionless import Dialect, Resource, Schema, formats

    resource = Resource(
        data=content,
        format="csv",
        encoding="utf-8",
        schema=Schema.from_descriptor(schema_descriptor()),
        dialect=Dialect(header_rows=[1], controls=[formats.CsvControl(delimiter=",", quote_char='"')]),
    )
    report = resource.validate()
    problems = []
    for task in report.tasks:
        for error in task.errors:
            row_number = getattr(error, "row_number", None)
            # frictionless counts the header as row 1.
            row = row_number - 1 if row_number else None
            column = getattr(error, "field_name", None) or getattr(error, "label", None) or ""
            problems.append(_problem(rows, row, column, error.message))
    for error in report.errors:
        problems.append(_problem(rows, None, "", error.message))
    return problems


def rule_problems(rows: list[GrantRow]) -> list[dict]:
    """The rules of the format and of this publication that a Table Schema cannot say."""
    problems = []
    references = Counter(row.values["referenceDecision"] for row in rows if row.values["referenceDecision"])
    for number, row in enumerate(rows, start=1):
        values = row.values
        if not values["idBeneficiaire"] and not values["rnaBeneficiaire"]:
            problems.append(
                _problem(rows, number, "idBeneficiaire", _("The beneficiary has neither a SIRET nor an RNA number."))
            )
        if values["idBeneficiaire"] and not siret.is_valid(values["idBeneficiaire"]):
            problems.append(
                _problem(rows, number, "idBeneficiaire", _("The beneficiary's SIRET has a wrong check digit."))
            )
        if values["idAttribuant"] and not siret.is_valid(values["idAttribuant"]):
            problems.append(_problem(rows, number, "idAttribuant", _("The Region's SIRET has a wrong check digit.")))
        reference = values["referenceDecision"]
        if not reference:
            problems.append(
                _problem(rows, number, "referenceDecision", _("No deliberation number: the vote cannot be traced."))
            )
        elif references[reference] > 1:
            problems.append(
                _problem(rows, number, "referenceDecision", _("This deliberation number is on several rows."))
            )
    return problems


def grants_validate(content: bytes, rows: list[GrantRow]) -> list[dict]:
    """Every problem of the file, sorted by row (the header's first); empty when it may be published."""
    problems = schema_problems(content, rows) + rule_problems(rows)
    return sorted(problems, key=lambda p: (p["row"] or 0, p["column"]))
