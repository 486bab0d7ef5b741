"""
The audit trail read as sentences.

An audit event keeps a dotted action code and its facts (`data`); pages show
a sentence made for the reader, in their language, with the raw facts one
click away. Each app registers the sentences of its own codes at start-up
(`audit_sentence_register` in AppConfig.ready(), as it registers its
navigation), so accounts knows nothing of the apps to its right. A code
nobody registered still reads: "<object type> created/changed/deleted" for the
administration's codes, else the code itself.
"""

import json
from collections.abc import Callable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AuditEvent

# A sentence: a function of the event, or a template filled from the event's
# data and its object ("%(target)s").
AuditSentence = Callable[[AuditEvent], str] | str

_sentences: dict[str, AuditSentence] = {}

ADMIN_VERBS = {
    "created": gettext_lazy("%(type)s created: %(target)s"),
    "changed": gettext_lazy("%(type)s changed: %(target)s"),
    "deleted": gettext_lazy("%(type)s deleted: %(target)s"),
}
UNREADABLE = (KeyError, ValueError, TypeError, IndexError, AttributeError)


def audit_sentence_register(action: str, sentence: AuditSentence) -> None:
    """How events of `action` read; registering again replaces (harmless on a second ready())."""
    _sentences[action] = sentence


def audit_text(event: AuditEvent) -> str:
    """The event as one sentence in the active language."""
    sentence = _sentences.get(event.action)
    try:
        if callable(sentence):
            return str(sentence(event))
        if sentence is not None:
            return str(sentence) % {**(event.data or {}), "target": event.target_repr}
    except UNREADABLE:
        pass  # facts of an older shape: the generic sentence below
    verb = event.action.rsplit(".", 1)[-1]
    if verb in ADMIN_VERBS and event.target_type_id:
        return str(ADMIN_VERBS[verb]) % {"type": _type_name(event.target_type_id), "target": event.target_repr}
    return event.action


def _type_name(content_type_id: int) -> str:
    # get_for_id is cached: a page of events costs no query per row.
    content_type = ContentType.objects.get_for_id(content_type_id)
    model = content_type.model_class()
    return str(model._meta.verbose_name).capitalize() if model else content_type.model


def audit_facts(event: AuditEvent) -> str:
    """The raw facts, for the click that shows them: JSON as stored, readable."""
    return json.dumps(event.data or {}, ensure_ascii=False, indent=1, sort_keys=True)


def audit_sentences_register() -> None:
    """The sentences of accounts' own codes."""
    audit_sentence_register("accounts.login", gettext_lazy("Logged in"))
    audit_sentence_register("accounts.logout", gettext_lazy("Logged out"))
    audit_sentence_register("accounts.login_failed", gettext_lazy("Failed login as “%(username)s”"))
    audit_sentence_register("accounts.login_locked_out", gettext_lazy("Login locked out for “%(username)s”"))
    audit_sentence_register(
        "accounts.user.language_changed",
        lambda event: _("Interface language changed to %(language)s") % {"language": _language(event.data["to"])},
    )
    audit_sentence_register("accounts.user.created", gettext_lazy("Staff user created: %(target)s"))
    audit_sentence_register("accounts.team.created", gettext_lazy("Team created: %(target)s"))


def _language(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))
