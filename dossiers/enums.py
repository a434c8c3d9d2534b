from django.db import models
from django.utils.translation import gettext_lazy as _


class ContractType(models.TextChoices):
    ATTRACTIVITE = "attractivite", _("Attractiveness contract")
    DYNAMISATION_COHESION = "dynamisation_cohesion", _("Dynamisation and cohesion contract")
    ATTRACTIVITE_SOLIDARITE = "attractivite_solidarite", _("Attractiveness and solidarity contract")
    DEVELOPPEMENT_TRANSITIONS = "developpement_transitions", _("Development and transitions contract")


class Generation(models.TextChoices):
    G2018_2021 = "2018-2021", "2018–2021"
    G2023_2025 = "2023-2025", "2023–2025"


class ContractStatus(models.TextChoices):
    IN_PREPARATION = "in_preparation", _("In preparation")
    SIGNED = "signed", _("Signed")
    CLOSED = "closed", _("Closed")


class EpciType(models.TextChoices):
    METRO = "METRO", _("Metropolis")
    CU = "CU", _("Urban community")
    CA = "CA", _("Agglomeration community")
    CC = "CC", _("Community of communes")


class LegalForm(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    EPCI = "epci", _("Intermunicipal body (EPCI)")
    DEPARTMENT = "departement", _("Department")
    SYNDICATE = "syndicat", _("Joint syndicate (syndicat mixte, PETR)")
    PUBLIC_BODY = "etablissement_public", _("Other public body")
    ASSOCIATION = "association", _("Association")
    COMPANY = "entreprise", _("Company")
    SEM = "sem", _("Semi-public company (SEM, SPL)")
    FOUNDATION = "fondation", _("Foundation")


PUBLIC_LAW_FORMS = frozenset(
    {LegalForm.COMMUNE, LegalForm.EPCI, LegalForm.DEPARTMENT, LegalForm.SYNDICATE, LegalForm.PUBLIC_BODY}
)
# Forms that carry on an economic activity: their grants are de minimis aid (EU 2023/2831).
UNDERTAKING_FORMS = frozenset({LegalForm.COMPANY, LegalForm.SEM})


class TaxBasis(models.TextChoices):
    HT = "HT", _("Excluding VAT (HT)")
    TTC = "TTC", _("Including VAT (TTC)")


class FunderKind(models.TextChoices):
    REGION = "region", _("Nouvelle-Aquitaine Region")
    STATE = "state", _("State (DETR, DSIL, FNADT...)")
    DEPARTMENT = "departement", _("Department")
    LOCAL_AUTHORITY = "local_authority", _("Other local authority")
    EUROPE = "europe", _("European Union (FEDER, LEADER...)")
    OTHER_PUBLIC = "other_public", _("Other public funder")
    OWN = "own", _("Own contribution (self-financing)")
    PRIVATE = "private", _("Private funding (sponsorship, private loans)")


# Private money is outside the self-financing calculation (CGCT L1111-10 III); the owner's own
# contribution counts as public funding when the owner is a public person.
PUBLIC_FUNDER_KINDS = frozenset(set(FunderKind) - {FunderKind.PRIVATE})


class FundingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    OBTAINED = "obtained", _("Obtained")


class SelfFinancingExemption(models.TextChoices):
    NONE = "", _("No exemption")
    LISTED_MONUMENT = "listed_monument", _("Listed or registered historic monument")
    DISASTER = "disaster", _("Repair of damage caused by a natural disaster")
    PREFECT_WAIVER = "prefect_waiver", _("Waiver granted by the prefect")


class DossierKind(models.TextChoices):
    PROJECT = "project", _("Project")
    ENGINEERING = "engineering", _("Territorial engineering post")
