"""The Chinese catalogue is complete: every message translated, none fuzzy, every placeholder kept."""

import ast
import re
from pathlib import Path

import pytest

CATALOGUES = sorted((Path(__file__).resolve().parent.parent / "locale").glob("*/LC_MESSAGES/*.po"))
# %(name)s / %d / %% and {name} placeholders.
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdfr]|%[sdfr]|\{[a-z_]*\}")


def entries(path: Path):
    """(flags, msgid, msgstr, msgid_plural) of each live entry (not the header nor obsolete #~ ones): a small reader."""
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        flags, fields, current = set(), {}, None
        for line in lines:
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[current] += ast.literal_eval(line)
            else:
                current, _space, value = line.partition(" ")
                fields[current] = ast.literal_eval(value)
        if fields.get("msgid"):
            yield (
                flags,
                fields["msgid"],
                fields.get("msgstr", fields.get("msgstr[0]", "")),
                fields.get("msgid_plural", ""),
            )


def test_there_is_a_catalogue():
    assert CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.name)
def test_every_message_is_translated_and_none_is_fuzzy(path):
    untranslated = [msgid for _flags, msgid, msgstr, _plural in entries(path) if not msgstr]
    fuzzy = [msgid for flags, msgid, _msgstr, _plural in entries(path) if "fuzzy" in flags]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.name)
def test_translations_keep_the_placeholders(path):
    # Chinese has one plural form, used for every count: it keeps the plural sentence's placeholders.
    changed = [
        (msgid, msgstr)
        for flags, msgid, msgstr, plural in entries(path)
        if flags & {"python-format", "python-brace-format"}
        and sorted(PLACEHOLDER.findall(plural or msgid)) != sorted(PLACEHOLDER.findall(msgstr))
    ]
    assert changed == []
