from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments and deadlines")

    def ready(self):
        from messaging.notices import register_value_labels
        from payments.deadlines import DEADLINE_NAMES
        from payments.models import PaymentKind

        register_value_labels("kind", dict(PaymentKind.choices))
        register_value_labels("deadline", DEADLINE_NAMES)
