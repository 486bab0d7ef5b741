"""
The default letter texts, one (subject, body) per kind and language, and the
installer the data migration (legal/migrations/0002) and
`legal.letters.defaults.letter_templates_install_defaults` share. It imports
no model: it is handed the model classes (apps.get_model in the migration),
so the migration never depends on today's models.
"""

from legal.letters.default_texts import en, zh_hans

DEFAULT_TEXTS: dict[str, dict[str, tuple[str, str]]] = {"en": en.TEXTS, "zh-hans": zh_hans.TEXTS}


def install_default_texts(template_model, version_model, *, now) -> int:
    """Create every missing template with version 1 of its default text; the number of templates created."""
    created = 0
    for language, texts in DEFAULT_TEXTS.items():
        for kind, (subject, body) in texts.items():
            template, _made = template_model.objects.get_or_create(kind=kind, language=language)
            if template.current_version_id is not None:
                continue
            if version_model.objects.filter(template=template).exists():
                # Versions but none current (an interrupted install): leave them for an editor to pick.
                continue
            version = version_model.objects.create(
                template=template,
                number=1,
                subject=subject,
                body=body,
                # No note and no author: the pages say "installed default" in the reader's language.
                change_note="",
                created_at=now,
            )
            template.current_version = version
            template.save(update_fields=["current_version"])
            created += 1
    return created
