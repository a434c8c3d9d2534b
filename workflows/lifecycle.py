"""Who may fire each transition of the dossier lifecycle.

Sources and targets are those of the FSM (`workflows.fsm`); this table adds the roles and the
French label. `tests/workflows/test_lifecycle_table.py` checks the two stay in step.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from workflows.enums import Role


@dataclass(frozen=True)
class TransitionSpec:
    name: str
    label: Promise
    roles: frozenset[Role]
    comment_required: bool = False
    # Also fired by the application itself, without a user (`workflows.permissions.SYSTEM`).
    system: bool = False


_OFFICE = frozenset({Role.OFFICER, Role.ADMINISTRATOR})
_COMMITTEE = frozenset({Role.COMMITTEE_SECRETARY, Role.ADMINISTRATOR})
_FINANCE = frozenset({Role.FINANCE, Role.ADMINISTRATOR})
_SPONSOR = frozenset({Role.SPONSOR})

TRANSITIONS: dict[str, TransitionSpec] = {
    spec.name: spec
    for spec in [
        TransitionSpec("submit", _("Submit the dossier"), _SPONSOR),
        TransitionSpec("resubmit", _("Submit the completed dossier again"), _SPONSOR),
        TransitionSpec("withdraw", _("Withdraw the dossier"), _SPONSOR),
        TransitionSpec("declare_incomplete", _("Declare incomplete"), _OFFICE, comment_required=True),
        TransitionSpec("declare_admissible", _("Declare complete and admissible"), _OFFICE),
        TransitionSpec("declare_inadmissible", _("Declare inadmissible"), _OFFICE, comment_required=True),
        TransitionSpec("start_review", _("Start the review"), _OFFICE),
        TransitionSpec("complete_review", _("Complete the review with a proposal"), _OFFICE),
        TransitionSpec("schedule", _("Put on a committee's agenda"), _COMMITTEE),
        TransitionSpec("unschedule", _("Remove from the agenda"), _COMMITTEE),
        TransitionSpec("defer", _("Defer to a later session"), _COMMITTEE, comment_required=True),
        TransitionSpec("approve", _("Record the approval"), _COMMITTEE),
        TransitionSpec("reject", _("Record the rejection"), _COMMITTEE, comment_required=True),
        TransitionSpec("notify", _("Notify the decision"), _OFFICE | _COMMITTEE),
        TransitionSpec("sign_agreement", _("Record the signed convention"), _OFFICE),
        TransitionSpec("start_payment", _("Record the first payment"), _FINANCE),
        TransitionSpec("mark_paid", _("Record the balance as paid"), _FINANCE),
        TransitionSpec("close", _("Close the dossier"), _OFFICE | _FINANCE),
        TransitionSpec("lapse", _("Declare the grant lapsed"), _OFFICE, system=True),
    ]
}
