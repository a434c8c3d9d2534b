"""The single place where a committed transition triggers its side effects (mail, documents...).

Services call `schedule_side_effects(event)` inside their transaction:
- handlers registered with `@on_transition(...)` run after the commit, never when the transaction rolls
  back; a failing handler is logged and does not stop the others;
- handlers registered with `@within_transition(...)` run at once, inside the transition's transaction,
  for what must be recorded with it or not at all (the request of a document, whose rendering is then
  a background task); an error there rolls the transition back.
"""

from collections import defaultdict
from collections.abc import Callable
from functools import partial

from django.db import transaction

ANY_TRANSITION = "*"
_handlers: dict[str, list[Callable]] = defaultdict(list)
_transactional_handlers: dict[str, list[Callable]] = defaultdict(list)


def _registrar(registry, names):
    def register(handler):
        for name in names or (ANY_TRANSITION,):
            registry[name].append(handler)
        return handler

    return register


def on_transition(*names: str):
    """Registers a handler `handler(event)` run after the commit of the named transitions (all of them
    when none is named)."""
    return _registrar(_handlers, names)


def within_transition(*names: str):
    """Registers a handler `handler(event)` run inside the transaction of the named transitions."""
    return _registrar(_transactional_handlers, names)


def handlers_for(name: str) -> list[Callable]:
    return [*_handlers[name], *_handlers[ANY_TRANSITION]]


def transactional_handlers_for(name: str) -> list[Callable]:
    return [*_transactional_handlers[name], *_transactional_handlers[ANY_TRANSITION]]


def schedule_side_effects(event) -> None:
    for handler in transactional_handlers_for(event.transition):
        handler(event)
    for handler in handlers_for(event.transition):
        transaction.on_commit(partial(handler, event), robust=True)
