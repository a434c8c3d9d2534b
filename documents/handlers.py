"""The documents each transition calls for, requested inside the transition's transaction (so that a
transition is never recorded without its letters being asked for), rendered after the commit."""

from committees.selectors import decision_item
from documents.models import DocumentKind
from documents.services import decision_kinds, document_request, session_letters_batch
from workflows.hooks import within_transition

SIMPLE = {
    "submit": DocumentKind.ACKNOWLEDGEMENT,
    "declare_incomplete": DocumentKind.PIECES_REQUEST,
}


@within_transition(*SIMPLE)
def request_letter(event) -> None:
    document_request(kind=SIMPLE[event.transition], dossier=event.dossier, actor=event.actor, event=event)


@within_transition("approve", "reject")
def request_decision_letters(event) -> None:
    """The extract of the deliberation and the notification (with the convention when the rules ask
    for one) or the refusal letter, in the batch of the session's letters."""
    item = decision_item(event.dossier)
    if item is None:
        raise RuntimeError(f"dossier {event.dossier_id}: a decision without a deliberation cannot be notified")
    item.dossier = event.dossier  # locked by the transition, with its organisation and rule set
    batch = session_letters_batch(item.session, actor=event.actor)
    for kind in decision_kinds(item):
        document_request(kind=kind, dossier=event.dossier, actor=event.actor, event=event, batch=batch)
