"""Every resource of `/api/v1/`, registered on one router."""

from rest_framework.routers import DefaultRouter

from api.views import committees, dossiers, portal, records, reference, tasks
from api.views import engineering as engineering_views
from api.views import payments as payment_views
from api.views import roadmaps as roadmap_views
from api.views import webhooks as webhook_views

router = DefaultRouter()
# No `.json` twins of every address: the API speaks JSON (and PDF for downloads) at one address each.
router.include_format_suffixes = False

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
router.register("tasks", tasks.TaskViewSet, basename="task")
router.register("payment-requests", payment_views.PaymentRequestViewSet, basename="payment-request")
router.register("conventions", payment_views.SignedConventionViewSet, basename="convention")
router.register("bank-accounts", payment_views.BankAccountViewSet, basename="bank-account")
router.register("payment-orders", payment_views.PaymentOrderViewSet, basename="payment-order")
router.register("roadmaps", roadmap_views.RoadmapViewSet, basename="roadmap")
router.register("roadmap-operations", roadmap_views.OperationViewSet, basename="roadmap-operation")
router.register("follow-up-meetings", roadmap_views.FollowUpMeetingViewSet, basename="follow-up-meeting")
router.register(r"dossiers/(?P<dossier_pk>[0-9]+)/pieces", portal.PieceViewSet, basename="dossier-piece")
router.register("piece-types", portal.PieceTypeViewSet, basename="piece-type")
router.register("organisations", portal.OrganisationViewSet, basename="organisation")
router.register("membership-requests", portal.MembershipRequestViewSet, basename="membership-request")
router.register("webhook-subscriptions", webhook_views.SubscriptionViewSet, basename="webhook-subscription")
router.register("webhook-deliveries", webhook_views.DeliveryViewSet, basename="webhook-delivery")
router.register("committee-sessions", committees.CommitteeSessionViewSet, basename="committee-session")
router.register(r"committee-sessions/(?P<session_pk>[0-9]+)/items", committees.AgendaItemViewSet, "agenda-item")
router.register("scenarios", committees.ScenarioViewSet, basename="scenario")
router.register("interests", committees.InterestViewSet, basename="interest")
router.register("engineering-dossiers", engineering_views.EngineeringDossierViewSet, basename="engineering-dossier")
router.register(r"dossiers/(?P<dossier_pk>[0-9]+)", engineering_views.EngineeringPostViewSet, "dossier-engineering")
router.register(
    r"dossiers/(?P<dossier_pk>[0-9]+)/activity-reports",
    engineering_views.ActivityReportViewSet,
    "dossier-activity-report",
)
