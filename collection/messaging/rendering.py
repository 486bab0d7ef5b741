"""
A message's text: its template version rendered in the sandbox with the
message's context, in the borrower's language, and the opt-out line the
jurisdiction requires added at the end (collection.compliance.opt_out_line:
the US profile requires one on every electronic message, China none).

An SMS must carry its opt-out line in its first segment: since the line is
at the end, that means the whole text fits one segment. A template that
would break this with the longest realistic values is refused when it is
saved (`template_problems`); a message that breaks it at send time is
suppressed (OPT_OUT_OVERFLOW), never sent without its line.
"""

from dataclasses import dataclass

import jinja2
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from collection.compliance import PROFILES, opt_out_line
from collection.messaging.codes import OPT_OUT_OVERFLOW  # noqa: F401  (the code of such a suppression)
from collection.messaging.sms import sms_length
from collection.messaging.variables import (
    MESSAGE_VARIABLE_NAMES,
    message_sample_context,
    message_worst_case_context,
)
from collection.models import Channel
from documents.templating import TemplateProblem, render_sandboxed, template_check

UNKNOWN_VARIABLES = _("Unknown variables: %(names)s. The variables a message may use are listed beside the editor.")
TEMPLATE_PROBLEM = _("Line %(line)s: %(problem)s")
TEMPLATE_PROBLEM_NO_LINE = _("The template cannot be rendered: %(problem)s")
BODY_EMPTY = _("The text is empty.")
SUBJECT_REQUIRED = _("An e-mail needs a subject.")
OPT_OUT_PUSHED_OUT = _(
    "Under the %(profile)s profile the opt-out line must be in the first SMS segment, and with the longest "
    "realistic values this text takes %(units)d of %(limit)d %(encoding)s characters with it "
    "(%(segments)d segments): shorten the text by %(over)d characters."
)


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    segments: int
    opt_out_line: str

    @property
    def opt_out_in_first_segment(self) -> bool:
        return not self.opt_out_line or self.segments <= 1


def _separator(channel: str) -> str:
    return "\n\n" if channel == Channel.EMAIL else "\n" if channel == Channel.IN_APP else " "


def message_render(*, subject_source: str, body_source: str, channel: str, language: str, context: dict, profile):
    """
    The rendered message (TemplateProblem if the template is wrong). The
    opt-out line is added unless the text already carries it word for word.
    """
    with translation.override(language):
        line = opt_out_line(profile, channel)
        body = render_sandboxed(body_source, {**context, "opt_out_instructions": line}, text=True).strip()
        subject = ""
        if channel == Channel.EMAIL and subject_source:
            subject = " ".join(render_sandboxed(subject_source, context, text=True).split())
    if line and line not in body:
        body = f"{body}{_separator(channel)}{line}" if body else line
    segments = sms_length(body).segments if channel == Channel.SMS else 0
    return RenderedMessage(subject=subject, body=body, segments=segments, opt_out_line=line)


def _problem_text(problem: TemplateProblem) -> str:
    if problem.lineno:
        return str(TEMPLATE_PROBLEM % {"line": problem.lineno, "problem": problem.message})
    return str(TEMPLATE_PROBLEM_NO_LINE % {"problem": problem.message})


def _source_problem(source: str, field: str) -> tuple[str, str] | None:
    try:
        unknown = template_check(source, MESSAGE_VARIABLE_NAMES)
    except TemplateProblem as problem:
        return field, _problem_text(problem)
    except jinja2.TemplateSyntaxError as problem:
        # An unknown filter is found when the names are looked up, not when parsing.
        return field, _problem_text(TemplateProblem(problem.message or str(problem), problem.lineno))
    if unknown:
        return field, str(UNKNOWN_VARIABLES % {"names": ", ".join(sorted(unknown))})
    return None


def template_problems(*, channel: str, language: str, body: str, subject: str = "") -> list[tuple[str, str]]:
    """
    Why this text may not be saved, as (field, sentence) for the editor: a
    syntax error, an unknown variable, a rendering error with the sample
    borrower, an empty text, a missing subject, or (SMS) an opt-out line that
    the longest realistic values push out of the first segment under a
    profile that requires one. Empty: it may be saved.
    """
    if not body.strip():
        return [("body", str(BODY_EMPTY))]
    if channel == Channel.EMAIL and not subject.strip():
        return [("subject", str(SUBJECT_REQUIRED))]
    for source, field in ((subject, "subject"), (body, "body")):
        problem = _source_problem(source, field) if source else None
        if problem:
            return [problem]
    problems = []
    for profile in PROFILES.values():
        for make_context in (message_sample_context, message_worst_case_context):
            try:
                rendered = message_render(
                    subject_source=subject,
                    body_source=body,
                    channel=channel,
                    language=language,
                    context=make_context(language=language),
                    profile=profile,
                )
            except TemplateProblem as problem:
                return [("body", _problem_text(problem))]
            if channel == Channel.SMS and not rendered.opt_out_in_first_segment:
                length = sms_length(rendered.body)
                values = {
                    "profile": profile.name,
                    "units": length.units,
                    "limit": length.single_limit,
                    "encoding": length.encoding_name,
                    "segments": length.segments,
                    "over": length.units - length.single_limit,
                }
                problems.append(("body", str(OPT_OUT_PUSHED_OUT % values)))
                break
    return problems
