"""The single place where a committed transition triggers its side effects (mail, documents...).

Services call `schedule_side_effects(event)` inside their transaction; the handlers registered with
`@on_transition(...)` run after the commit, never when the transaction rolls back. A failing handler
is logged and does not stop the others.
"""

from collections import defaultdict
from collections.abc import Callable
from functools import partial

from django.db import transaction

ANY_TRANSITION = "*"
_handlers: dict[str, list[Callable]] = defaultdict(list)


def on_transition(*names: str):
    """Registers a handler `handler(event)` for the named transitions (all of them when none is named)."""

    def register(handler):
        for name in names or (ANY_TRANSITION,):
            _handlers[name].append(handler)
        return handler

    return register


def handlers_for(name: str) -> list[Callable]:
    return [*_handlers[name], *_handlers[ANY_TRANSITION]]


def schedule_side_effects(event) -> None:
    for handler in handlers_for(event.transition):
        transaction.on_commit(partial(handler, event), robust=True)
