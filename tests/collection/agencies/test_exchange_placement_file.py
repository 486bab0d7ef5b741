"""The placement file: exactly the columns the batch's contract allows, formula-safe, for whom it is meant, audited."""

import csv
import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditEvent
from collection.agencies.exchange import ALWAYS_COLUMNS, placement_file_rows
from collection.models import AgencyField, PlacementStatus
from lending.models import ContactPoint
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory, agency_user, placed_case
from tests.lending.factories import ContactPointFactory

pytestmark = pytest.mark.django_db

EMAIL = "withheld.person@example.com"
EMPLOYER = "Withheld Employer Ltd"
THIRD_PARTY = "王秘密"
THIRD_PARTY_PHONE = "13912345678"


@pytest.fixture
def contract():
    return AgencyContractFactory(visible_fields=[AgencyField.PHONE, AgencyField.ADDRESS])


@pytest.fixture
def placement(contract):
    placement = placed_case(contract=contract)
    borrower = placement.case.borrower
    borrower.employer = EMPLOYER
    borrower.save(update_fields=["employer"])
    ContactPointFactory(borrower=borrower, kind=ContactPoint.Kind.EMAIL, value=EMAIL, is_primary=False)
    ContactPointFactory(borrower=borrower, kind=ContactPoint.Kind.HOME_ADDRESS, value="北京市东城区 1 号")
    ContactPointFactory(
        borrower=borrower,
        kind=ContactPoint.Kind.MOBILE,
        value=THIRD_PARTY_PHONE,
        owner=ContactPoint.Owner.THIRD_PARTY,
        third_party_name=THIRD_PARTY,
        relation=ContactPoint.Relation.PARENT,
    )
    ContactPointFactory(borrower=borrower, kind=ContactPoint.Kind.MOBILE, value="13700000000", do_not_contact=True)
    return placement


def download(client, user, batch, fmt="csv"):
    client.force_login(user)
    return client.get(reverse("collection:placement_file", args=[batch.pk]), {"format": fmt})


def csv_of(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(content)))


def xlsx_bytes(response) -> bytes:
    return b"".join(response.streaming_content)  # the test client closes the file once it is read


def xlsx_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def withheld_values(placement) -> list[str]:
    borrower = placement.case.borrower
    return [EMAIL, EMPLOYER, THIRD_PARTY, THIRD_PARTY_PHONE, borrower.national_id, "13700000000", "1990-01-01"]


EXPECTED_HEADER = [*ALWAYS_COLUMNS, "mobile_numbers", "other_phone_numbers", "home_address", "work_address"]


def test_the_csv_holds_exactly_the_allowed_columns_and_no_withheld_value(client, manager, placement):
    response = download(client, manager, placement.batch)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{placement.batch.number}.csv"'
    header, row = csv_of(response)
    assert header == EXPECTED_HEADER
    values = dict(zip(header, row, strict=True))
    case, borrower = placement.case, placement.case.borrower
    assert values["placement_batch"] == placement.batch.number
    assert values["case_number"] == case.number
    assert values["borrower_name"] == borrower.name
    assert values["balance_placed"] == str(placement.balance_at_placement)
    assert values["national_id_masked"] == borrower.national_id[:4] + "*" * 10 + borrower.national_id[-4:]
    assert values["home_address"] == "北京市东城区 1 号"
    own_mobile = borrower.contact_points.get(kind="mobile", owner="borrower", do_not_contact=False).value
    assert values["mobile_numbers"] == own_mobile
    content = ",".join(header + row)
    for value in withheld_values(placement):
        assert value not in content


def test_the_xlsx_holds_the_same_columns_and_no_withheld_value(client, manager, placement):
    response = download(client, manager, placement.batch, "xlsx")
    assert response.status_code == 200
    content = xlsx_bytes(response)
    sheet = load_workbook(io.BytesIO(content)).active
    header, row = ([cell.value for cell in line] for line in sheet.iter_rows())
    assert header == EXPECTED_HEADER
    values = dict(zip(header, row, strict=True))
    assert values["balance_placed"] == placement.balance_at_placement
    assert values["days_past_due"] == placement.days_past_due_at_placement
    xml = xlsx_xml(content)
    for value in withheld_values(placement):
        assert value not in xml


def test_every_detail_the_contract_shows_has_its_columns(placement):
    contract = placement.contract
    contract.visible_fields = [field.value for field in AgencyField]
    contract.save(update_fields=["visible_fields"])
    placement.batch.refresh_from_db()
    header, rows = placement_file_rows(placement.batch)
    values = dict(zip(header, next(rows), strict=True))
    assert values["emails"] == EMAIL
    assert values["employer"] == EMPLOYER
    assert str(values["date_of_birth"]) == "1990-01-01"
    assert (values["third_party_name"], values["third_party_relation"], values["third_party_phone"]) == (
        THIRD_PARTY,
        "parent",
        THIRD_PARTY_PHONE,
    )
    # Never the full national id, nor a number the lender may not call.
    assert placement.case.borrower.national_id not in values.values()
    assert "13700000000" not in values["mobile_numbers"]


def test_only_the_batchs_active_placements_are_in_the_file(client, manager, placement):
    recalled = placed_case(contract=placement.contract, batch=placement.batch)
    recalled.status = PlacementStatus.RECALLED
    recalled.recalled_at = timezone.now()
    recalled.save(update_fields=["status", "recalled_at"])
    placed_case(contract=placement.contract)  # another batch
    _header, *rows = csv_of(download(client, manager, placement.batch))
    assert [row[1] for row in rows] == [placement.case.number]


def test_cells_are_formula_safe(client, manager, placement):
    borrower = placement.case.borrower
    borrower.name = '=HYPERLINK("http://x", "Li")'
    borrower.save(update_fields=["name"])
    _header, row = csv_of(download(client, manager, placement.batch))
    assert row[2] == "'" + borrower.name
    sheet = load_workbook(io.BytesIO(xlsx_bytes(download(client, manager, placement.batch, "xlsx")))).active
    cell = list(sheet.iter_rows())[1][2]
    assert cell.data_type == "s" and cell.value == "'" + borrower.name


def test_the_batchs_own_supervisor_downloads_it_and_it_is_audited(client, placement):
    supervisor = agency_user(placement.agency, supervisor=True)
    response = download(client, supervisor, placement.batch, "xlsx")
    assert response.status_code == 200
    xlsx_bytes(response)
    event = AuditEvent.objects.get(action="collection.placement_file.downloaded")
    assert event.actor == supervisor
    assert event.target_id == str(placement.batch.pk)
    assert event.data == {
        "batch": placement.batch.number,
        "agency_id": placement.agency_id,
        "format": "xlsx",
        "rows": 1,
        "fields": ["phone", "address"],
    }


def test_another_agencys_supervisor_gets_404(client, placement):
    other = agency_user(AgencyFactory(), supervisor=True)
    assert download(client, other, placement.batch).status_code == 404
    assert not AuditEvent.objects.filter(action="collection.placement_file.downloaded").exists()


def test_a_plain_agent_and_a_collector_get_403(client, placement, collector):
    agent = agency_user(placement.agency)
    assert download(client, agent, placement.batch).status_code == 403
    assert download(client, collector, placement.batch).status_code == 403


def test_a_visitor_is_sent_to_log_in_and_an_unknown_format_is_404(client, manager, placement):
    url = reverse("collection:placement_file", args=[placement.batch.pk])
    assert client.get(url).status_code == 302
    assert download(client, manager, placement.batch, "pdf").status_code == 404
    assert client.post(url).status_code == 405


def test_the_file_reads_a_large_batch_in_a_few_queries(client, manager, placement, django_assert_max_num_queries):
    for _ in range(15):
        placed_case(contract=placement.contract, batch=placement.batch)
    client.force_login(manager)
    url = reverse("collection:placement_file", args=[placement.batch.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url)
        rows = csv_of(response)
    assert len(rows) == 17
    assert all(Decimal(row[4]) > 0 for row in rows[1:])


def test_the_download_reads_as_a_sentence_in_the_audit_trail(client, manager, placement):
    from accounts.audit_text import audit_text

    csv_of(download(client, manager, placement.batch))
    event = AuditEvent.objects.get(action="collection.placement_file.downloaded")
    assert audit_text(event) == f"Placement file of batch {placement.batch.number} downloaded (CSV, 1 case)"


def test_a_batch_placed_by_the_placement_service_gives_its_file(client, manager):
    from collection.agencies.placement import cases_place
    from tests.collection.factories import case_in_arrears

    contract = AgencyContractFactory(visible_fields=[AgencyField.EMPLOYER])
    cases = [case_in_arrears() for _ in range(3)]
    batch = cases_place(case_ids=[case.pk for case in cases], agency=contract.agency, actor=manager)

    header, *rows = csv_of(download(client, manager, batch))

    assert header == [*ALWAYS_COLUMNS, "employer"]
    assert sorted(row[1] for row in rows) == sorted(case.number for case in cases)
    assert {row[0] for row in rows} == {batch.number}
