"""The import error report (lending's intake) goes through the formula-safe writer."""

import csv
import io

import pytest
from django.urls import reverse

from lending.intake import services

pytestmark = pytest.mark.django_db

HOSTILE_CSV = (
    'external_id,name,credit_score\nB1,Li Na,"=HYPERLINK(""http://x"",""Li Na"")"\nB2,Wang,-5x\nB3,Zhao,@SUM(A1)\n'
)


def test_the_error_report_neutralises_formulas_from_the_imported_file(client, admin_user):
    batch = services.import_batch_create(
        kind="borrowers", file=io.BytesIO(HOSTILE_CSV.encode()), original_name="b.csv", actor=admin_user, enqueue=False
    )
    services.import_batch_run(batch_id=batch.pk)
    client.force_login(admin_user)

    response = client.get(reverse("lending:import_errors", args=[batch.pk]))

    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "column", "value", "reason", "raw"]
    assert [row[2] for row in rows[1:]] == ['\'=HYPERLINK("http://x","Li Na")', "'-5x", "'@SUM(A1)"]
    assert [row[0] for row in rows[1:]] == ["2", "3", "4"]
    assert not [cell for row in rows for cell in row if cell[:1] in {"=", "+", "-", "@", "\t", "\r"}]
