"""
Collection's models: a bulk message, one message kind on one channel to the
cases a filtered queue listed (collection/reminders/bulk.py). Its task queues
one message a case (key `bulk:<batch>:<case>`, so a re-run queues none twice);
the dispatcher sends them in allowed hours, the guard judging each at send time.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from collection.models.contacts import Channel
from collection.models.messaging import MessageKind


class BulkMessageBatch(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Queuing messages")
        DONE = "done", _("All messages queued")

    kind = models.CharField(_("message"), max_length=32, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # The cases as the filter listed them when the batch was started (sorted ids).
    case_ids = models.JSONField(_("cases"), default=list)
    # Which queue and filter they came from (the query string), to show and to link back.
    source = models.CharField(_("queue"), max_length=40, blank=True)
    source_query = models.CharField(_("filter"), max_length=1000, blank=True)
    total = models.PositiveIntegerField(_("cases"), default=0)
    processed = models.PositiveIntegerField(_("cases done"), default=0)
    queued = models.PositiveIntegerField(_("messages queued"), default=0)
    skipped = models.PositiveIntegerField(_("cases without a way to reach them"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk message")
        verbose_name_plural = _("bulk messages")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"#{self.pk}"
