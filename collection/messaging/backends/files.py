"""
The demo's backends: each message a JSON file under var/, named by its
idempotency key, so a resend overwrites the same file instead of adding a
second one. An SMS "provider" and a borrower's in-app inbox in one folder each.
"""

import json
import re
from pathlib import Path

from django.utils import timezone

from collection.messaging.backends import Delivery, MessageBackend, Outgoing, PermanentSendError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_name(idempotency_key: str) -> str:
    # Keys hold ":" (reminder:12:3:2026-01-15); a file name holds none of the separators.
    return _UNSAFE.sub("_", idempotency_key) + ".json"


class FileBackend(MessageBackend):
    """Writes `<folder>/<key>.json` (atomically: a temporary file renamed over the old one)."""

    name = "files"
    subfolder = "messages"

    def folder(self) -> Path:
        base = self.options.get("folder")
        if not base:
            raise PermanentSendError("not_configured", "ARREARS_MESSAGE_BACKEND_OPTIONS has no folder for files")
        folder = Path(base) / self.subfolder
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def send(self, outgoing: Outgoing) -> Delivery:
        folder = self.folder()
        target = folder / file_name(outgoing.idempotency_key)
        record = {
            "idempotency_key": outgoing.idempotency_key,
            "channel": outgoing.channel,
            "to": outgoing.recipient,
            "subject": outgoing.subject,
            "text": outgoing.body,
            "language": outgoing.language,
            "written_at": timezone.now().isoformat(),
        }
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        temporary.replace(target)
        return Delivery(provider_message_id=f"file:{target.stem}", delivered=self.delivers_at_once)

    delivers_at_once = False


class SmsFileBackend(FileBackend):
    name = "sms_files"
    subfolder = "sms"


class InAppFileBackend(FileBackend):
    """The borrower's in-app inbox of the demo: a message written there has arrived."""

    name = "in_app_files"
    subfolder = "in_app"
    delivers_at_once = True
