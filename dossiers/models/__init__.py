from dossiers.models.dossier import (
    Dossier,
    ExpenseLine,
    FundingLine,
    Piece,
    PieceType,
    ReferenceSequence,
)
from dossiers.models.organisation import DeMinimisDeclaration, Membership, Organisation
from dossiers.models.reference import Commune, Department, Epci, Theme
from dossiers.models.rules import RuleSet
from dossiers.models.territory import (
    Contract,
    Envelope,
    Territory,
    TerritoryGroupObjectPermission,
    TerritoryUserObjectPermission,
)

__all__ = [
    "Commune",
    "Contract",
    "DeMinimisDeclaration",
    "Department",
    "Dossier",
    "Envelope",
    "Epci",
    "ExpenseLine",
    "FundingLine",
    "Membership",
    "Organisation",
    "Piece",
    "PieceType",
    "ReferenceSequence",
    "RuleSet",
    "Territory",
    "TerritoryGroupObjectPermission",
    "TerritoryUserObjectPermission",
    "Theme",
]
