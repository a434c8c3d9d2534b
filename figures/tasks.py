"""The figures' background task: recomputes the figures of a scope served stale meanwhile."""

from django.tasks import task
from django.utils import translation

from figures.selectors import Filters, figures_refresh


@task()
def refresh_figures(scope: list[int] | None, generation: str | None, year: int | None, language: str) -> None:
    """Computes the figures again and stores them for the next views (`figures_refresh`)."""
    with translation.override(language):
        scope_ids = None if scope is None else frozenset(scope)
        figures_refresh(scope_ids, Filters(generation=generation, year=year), language)
