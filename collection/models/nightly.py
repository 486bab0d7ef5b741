"""
Collection's models: the nightly chain's record. Each night is a `NightlyRun`
of ordered `NightlyStep`s (lending's run, the collection lifecycle, segments
and strategies, reminders due...); a step starts only after the one before it
succeeded, and a failed step stops the rest, its reason kept for the manager.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not run (an earlier step failed)")


class NightlyRun(models.Model):
    run_on = models.DateField(_("night of"))
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Who started it by hand (None: the beat schedule).
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("nightly run")
        verbose_name_plural = _("nightly runs")
        ordering = ["-run_on", "-id"]
        indexes = [models.Index(fields=["-run_on"], name="nightly_run_recent_idx")]
        constraints = [
            # One chain at a time, whoever starts it (two beat ticks, a manager's click): the second
            # insert fails in the database, not in a check that two processes could both pass.
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="running"), name="nightly_run_one_running"
            )
        ]

    def __str__(self):
        return f"{self.run_on} ({self.status})"


class NightlyStep(models.Model):
    run = models.ForeignKey(NightlyRun, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("step"))
    # A stable code ("lending", "lifecycle", "strategies", "reminders"...), named for the reader by the page.
    name = models.CharField(_("step"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # The failure: the exception's class and message (for support), shown on the page.
    error = models.TextField(_("failure"), blank=True)

    class Meta:
        verbose_name = _("nightly step")
        verbose_name_plural = _("nightly steps")
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "position"], name="nightly_step_position")]

    def __str__(self):
        return f"{self.run_id} #{self.position} {self.name} ({self.status})"
