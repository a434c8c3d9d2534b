"""Every resource of `/api/v1/`, registered on one router."""

from rest_framework.routers import DefaultRouter

from api.views import dossiers, records, reference

router = DefaultRouter()

# Reference data (read-only, public to every authenticated user)
router.register("departments", reference.DepartmentViewSet, basename="department")
router.register("epcis", reference.EpciViewSet, basename="epci")
router.register("communes", reference.CommuneViewSet, basename="commune")
router.register("territories", reference.TerritoryViewSet, basename="territory")
router.register("contracts", reference.ContractViewSet, basename="contract")
router.register("envelopes", reference.EnvelopeViewSet, basename="envelope")
router.register("themes", reference.ThemeViewSet, basename="theme")

# Dossiers and their transitions
router.register("dossiers", dossiers.DossierViewSet, basename="dossier")

# Records: the dossiers' audit trail and the published rules
router.register("audit-events", records.AuditEventViewSet, basename="audit-event")
router.register("rule-sets", records.RuleSetViewSet, basename="rule-set")
router.register("documents", records.DocumentViewSet, basename="document")
router.register(r"dossiers/(?P<dossier_pk>[0-9]+)/messages", records.MessageViewSet, basename="dossier-message")
