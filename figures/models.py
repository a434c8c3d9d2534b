from django.db import models


class Snapshot(models.Model):
    """The figures last computed for one scope, filters and language (`figures.selectors.
    dashboard_for_user`), kept in the database so that every web process and task worker shares them:
    a page served while they are recomputed in the background shows these, with when they were
    computed. `refreshing_since` marks the recompute under way (one at a time per key)."""

    key = models.CharField(max_length=64, unique=True)
    stamp = models.CharField(max_length=255)
    computed_at = models.DateTimeField()
    refreshing_since = models.DateTimeField(null=True, blank=True)
    # The pickled `Dashboard`, written only by `figures.selectors.figures_refresh`.
    data = models.BinaryField()

    def __str__(self):
        return f"{self.key} ({self.computed_at:%Y-%m-%d %H:%M})"
