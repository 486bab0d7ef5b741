"""
Collection's models: segments, strategies and what they did.

A `Segment` is a set of conditions on a case (days past due, bucket, product,
balance, province, reason, stage, risk grade, score); segments are tried in
`priority` order (lowest first) and the first that matches takes the case, so
every open case is in exactly one (the catch-all segment has no conditions
and the last priority). A segment runs its champion `Strategy` and, on
`challenger_share` percent of its cases chosen by a stable hash of the case
id, a challenger. A strategy's steps live in its `StrategyVersion`s: editing
saves a new version, and each `StepExecution` names the version and step it
came from, so history is never rewritten. `CaseStrategy` is where each open
case stands: its segment (and why), its arm, its version, the last step done.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from collection.models.cases import Case


class Segment(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    priority = models.PositiveIntegerField(
        _("order"),
        unique=True,
        help_text=_("Segments are tried from the lowest number up; the first that matches takes the case."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The conditions: an empty list or an empty bound means "any".
    min_days_past_due = models.PositiveIntegerField(_("days past due from"), null=True, blank=True)
    max_days_past_due = models.PositiveIntegerField(_("days past due to"), null=True, blank=True)
    buckets = models.JSONField(_("buckets"), default=list, blank=True)
    product_ids = models.JSONField(_("products"), default=list, blank=True)
    min_balance = models.DecimalField(_("overdue from"), max_digits=14, decimal_places=2, null=True, blank=True)
    max_balance = models.DecimalField(_("overdue to"), max_digits=14, decimal_places=2, null=True, blank=True)
    provinces = models.JSONField(_("provinces"), default=list, blank=True)
    reasons = models.JSONField(_("reasons for lateness"), default=list, blank=True)
    stages = models.JSONField(_("stages"), default=list, blank=True)
    risk_grades = models.JSONField(_("risk grades"), default=list, blank=True)
    min_score = models.PositiveSmallIntegerField(_("score from"), null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(_("score to"), null=True, blank=True)

    champion = models.ForeignKey(
        "Strategy", verbose_name=_("strategy"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    challenger = models.ForeignKey(
        "Strategy", verbose_name=_("challenger"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    challenger_share = models.PositiveSmallIntegerField(
        _("challenger share (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    # When the current challenger started: the arms are compared on cases that entered since.
    challenger_since = models.DateField(_("challenger since"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["priority"]
        constraints = [
            models.CheckConstraint(condition=Q(challenger_share__lte=100), name="segment_challenger_share_percent"),
        ]

    def __str__(self):
        return self.name


class Strategy(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    current_version = models.ForeignKey(
        "StrategyVersion",
        verbose_name=_("current version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        ordering = ["name"]

    def __str__(self):
        return self.name


class StrategyVersion(models.Model):
    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved at"))

    class Meta:
        verbose_name = _("strategy version")
        verbose_name_plural = _("strategy versions")
        ordering = ["strategy", "-number"]
        constraints = [models.UniqueConstraint(fields=["strategy", "number"], name="strategy_version_number")]

    def __str__(self):
        return f"{self.strategy} v{self.number}"


class StepTrigger(models.TextChoices):
    DAYS_PAST_DUE = "dpd", _("days past due")
    DAYS_IN_STAGE = "days_in_stage", _("days after entering the stage")


class StrategyStep(models.Model):
    """
    "At `trigger_days` (days past due, or days in the stage) do `action` with
    `params`." `action` is a code of the action registry
    (collection/strategies/actions.py); legal and portfolio register theirs at start-up.
    """

    version = models.ForeignKey(StrategyVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("step"))
    trigger = models.CharField(
        _("counted in"), max_length=16, choices=StepTrigger.choices, default=StepTrigger.DAYS_PAST_DUE
    )
    trigger_days = models.PositiveIntegerField(_("at day"))
    action = models.CharField(_("action"), max_length=40)
    params = models.JSONField(_("settings"), default=dict, blank=True)

    class Meta:
        verbose_name = _("strategy step")
        verbose_name_plural = _("strategy steps")
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"], name="strategy_step_position")]

    def __str__(self):
        return f"{self.version} #{self.position}: {self.action} at {self.trigger_days}"


class Arm(models.TextChoices):
    CHAMPION = "champion", _("Champion")
    CHALLENGER = "challenger", _("Challenger")


class CaseStrategy(models.Model):
    """
    Where one case stands in the automation: its segment and why (the facts
    that matched, rendered for each reader), its arm, the strategy version it
    follows, and the last step done — so a case paused by a promise resumes
    after that step when the promise breaks.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="strategy_state")
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="case_states")
    segment_facts = models.JSONField(default=dict, blank=True)
    entered_segment_on = models.DateField(_("in the segment since"))
    arm = models.CharField(_("arm"), max_length=10, choices=Arm.choices, default=Arm.CHAMPION)
    strategy_version = models.ForeignKey(
        StrategyVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="case_states"
    )
    last_step_position = models.PositiveSmallIntegerField(_("last step done"), default=0)
    # Why the steps wait, as a code ("hold", "promise"), or blank when they run.
    paused_by = models.CharField(_("paused by"), max_length=16, blank=True)
    evaluated_on = models.DateField(_("evaluated on"))

    class Meta:
        verbose_name = _("case in a strategy")
        verbose_name_plural = _("cases in strategies")
        indexes = [models.Index(fields=["segment", "arm"], name="case_strategy_segment_arm_idx")]

    def __str__(self):
        return f"{self.case_id}: {self.segment_id} {self.arm}"


class StepOutcome(models.TextChoices):
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused by the compliance guard")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class StepExecution(models.Model):
    """One step done (or refused) on one case: unique per step, case and day, so a re-run does it once."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="step_executions")
    step = models.ForeignKey(StrategyStep, on_delete=models.PROTECT, related_name="executions")
    strategy_version = models.ForeignKey(StrategyVersion, on_delete=models.PROTECT, related_name="executions")
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="executions")
    arm = models.CharField(_("arm"), max_length=10, choices=Arm.choices)
    executed_on = models.DateField(_("on"))
    executed_at = models.DateTimeField(_("at"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=StepOutcome.choices)
    # What the action did or why it did not, as a code and its facts (rendered for each reader).
    result_code = models.CharField(_("result"), max_length=40, blank=True)
    result_data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("strategy step done")
        verbose_name_plural = _("strategy steps done")
        ordering = ["-executed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["step", "case", "executed_on"], name="step_execution_once_a_day"),
        ]
        indexes = [models.Index(fields=["case", "-executed_at"], name="step_execution_case_idx")]

    def __str__(self):
        return f"{self.case_id}: {self.step_id} {self.outcome}"
