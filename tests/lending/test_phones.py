"""
Telephone numbers in E.164 and the time zones a borrower may be in
(lending/phones.py); marking a number not to be called again
(lending.services.phone_number_mark); intake and the demo storing both.
"""

import datetime
import importlib
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps

from accounts.models import AuditEvent
from lending import phones
from lending.demo.services import demo_portfolio_seed
from lending.intake.services import import_file
from lending.models import Borrower, ContactPoint, ImportBatch, PhoneNumberMark
from lending.services import phone_number_mark
from lending.services.marks import PHONE_KINDS
from tests.lending.factories import BorrowerFactory, ContactPointFactory

pytestmark = pytest.mark.django_db

MOMENT = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


# --- Numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("13800001111", phones.CHINA, "+8613800001111"),
        ("138 0000 1111", phones.CHINA, "+8613800001111"),
        ("+86 138-0000-1111", phones.UNITED_STATES, "+8613800001111"),
        ("010-62345678", phones.CHINA, "+861062345678"),
        ("(212) 555-0100", phones.UNITED_STATES, "+12125550100"),
        ("+1 808 555 0100", phones.CHINA, "+18085550100"),
        ("123", phones.CHINA, ""),
        ("not known", phones.CHINA, ""),
        ("", phones.CHINA, ""),
    ],
)
def test_numbers_are_normalised_to_e164_in_the_borrowers_country(value, region, expected):
    assert phones.number_e164(value, region) == expected


def test_a_number_without_a_country_code_is_read_in_the_borrowers_country():
    assert phones.region_for(province="广东省", time_zone="Asia/Shanghai") == phones.CHINA
    assert phones.region_for(province="", time_zone="") == phones.CHINA  # the lender's home market
    assert phones.region_for(province="New York", time_zone="") == phones.UNITED_STATES
    assert phones.region_for(province="", time_zone="America/Chicago") == phones.UNITED_STATES
    us = BorrowerFactory(province="TX", time_zone="")
    assert phones.borrower_number_e164("214 555 0100", us) == "+12145550100"


# --- Time zones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("province", "zones"),
    [
        ("New York", ("America/New_York",)),
        ("NY", ("America/New_York",)),
        ("California", ("America/Los_Angeles",)),
        ("HI", ("Pacific/Honolulu",)),
        ("Florida", ("America/New_York", "America/Chicago")),
        ("Arizona", ("America/Phoenix", "America/Denver")),
        ("广东省", ("Asia/Shanghai",)),
        ("北京市", ("Asia/Shanghai",)),
        ("西藏自治区", ("Asia/Shanghai",)),
        ("新疆维吾尔自治区", ("Asia/Shanghai", "Asia/Urumqi")),
        ("Atlantis", ()),
        ("", ()),
    ],
)
def test_an_address_gives_every_zone_of_its_province_or_state(province, zones):
    assert phones.address_zones(province) == zones


def test_every_zone_of_the_tables_is_a_zone():
    zones = {zone for zones in phones.US_STATE_ZONES.values() for zone in zones}
    zones |= {zone for zones in phones.OTHER_CHINESE_REGIONS.values() for zone in zones}
    assert all(phones.known_zone(zone) for zone in zones | {phones.SHANGHAI, phones.URUMQI})


def test_a_borrowers_zones_are_their_own_the_addresss_and_their_numbers():
    assert phones.number_zones("+18085550100") == ("Pacific/Honolulu",)
    assert phones.borrower_zones(time_zone="", province="", numbers=()) == ()
    assert phones.borrower_zones(time_zone="", province="New York", numbers=["+18085550100"]) == (
        "America/New_York",
        "Pacific/Honolulu",
    )
    # The lender's zone stands for its state's zones when it is one of them; otherwise both count.
    assert phones.borrower_zones(time_zone="America/Chicago", province="Florida") == ("America/Chicago",)
    assert phones.borrower_zones(time_zone="America/Chicago", province="New York") == (
        "America/Chicago",
        "America/New_York",
    )
    # A zone that is no zone is not guessed around: it must be corrected.
    assert phones.borrower_zones(time_zone="Mars/Olympus_Mons", province="New York") == ()


def test_a_borrower_has_no_default_time_zone():
    assert Borrower().time_zone == ""
    assert Borrower._meta.get_field("time_zone").blank


# --- Marking a number ---------------------------------------------------------------------------


def test_marking_a_number_keeps_the_mark_with_its_audit_row_and_twice_changes_nothing():
    point = ContactPointFactory(value="138 0000 2222")
    mark = phone_number_mark(
        contact_point=point,
        kind=PhoneNumberMark.Kind.DO_NOT_CALL,
        actor=None,
        source_case_id=41,
        note=" stop ",
        at=MOMENT,
    )
    assert (mark.number_e164, mark.kind, mark.recorded_at, mark.source_case_id, mark.note) == (
        "+8613800002222",
        PhoneNumberMark.Kind.DO_NOT_CALL,
        MOMENT,
        41,
        "stop",
    )
    assert mark.source_contact_point == point
    event = AuditEvent.objects.get(action="lending.phone_number.marked")
    assert event.data == {"kind": "do_not_call", "contact_point": point.pk, "case": 41}
    again = phone_number_mark(
        contact_point=ContactPointFactory(value="+8613800002222"),
        kind=PhoneNumberMark.Kind.DO_NOT_CALL,
        actor=None,
        at=MOMENT + datetime.timedelta(days=1),
    )
    assert again == mark
    assert PhoneNumberMark.objects.count() == 1
    assert AuditEvent.objects.filter(action="lending.phone_number.marked").count() == 1


def test_an_outcome_that_says_nothing_or_a_point_that_is_no_number_marks_nothing():
    address = ContactPointFactory(kind=ContactPoint.Kind.HOME_ADDRESS, value="北京市东城区 1 号")
    assert phone_number_mark(contact_point=address, kind=PhoneNumberMark.Kind.WRONG_NUMBER, actor=None) is None
    assert phone_number_mark(contact_point=ContactPointFactory(), kind=None, actor=None) is None
    assert phone_number_mark(contact_point=None, kind=PhoneNumberMark.Kind.WRONG_NUMBER, actor=None) is None
    assert not PhoneNumberMark.objects.exists()
    assert not AuditEvent.objects.filter(action="lending.phone_number.marked").exists()


# --- Intake, the migration, the demo ------------------------------------------------------------


@pytest.fixture
def run(tmp_path):
    def go(kind, content):
        path = tmp_path / f"{kind}.csv"
        path.write_text(content)
        return import_file(kind=kind, path=path, encoding="utf-8", quarantine_bad_rows=False)

    return go


def test_intake_leaves_a_zone_not_sent_blank_instead_of_shanghai(run):
    batch = run("borrowers", "external_id,name,province,time_zone\nU1,John Smith,New York,\nC1,张伟,广东省,\n")
    assert batch.status == ImportBatch.Status.APPLIED
    assert dict(Borrower.objects.values_list("external_id", "time_zone")) == {"U1": "", "C1": ""}


def test_intake_stores_each_number_in_e164_read_in_its_borrowers_country(run):
    BorrowerFactory(external_id="U1", province="New York", time_zone="")
    BorrowerFactory(external_id="C1")
    batch = run(
        "contact_points",
        "external_id,borrower_external_id,kind,value\n"
        "P1,U1,mobile,(212) 555-0100\n"
        "P2,C1,mobile,138 0000 3333\n"
        "P3,C1,email,zhang@example.com\n",
    )
    assert batch.status == ImportBatch.Status.APPLIED
    assert dict(ContactPoint.objects.values_list("external_id", "number_e164")) == {
        "P1": "+12125550100",
        "P2": "+8613800003333",
        "P3": "",
    }
    # A new value is normalised again; the same file again changes nothing.
    run("contact_points", "external_id,borrower_external_id,kind,value\nP2,C1,mobile,+86 138 0000 4444\n")
    assert ContactPoint.objects.get(external_id="P2").number_e164 == "+8613800004444"
    again = run("contact_points", "external_id,borrower_external_id,kind,value\nP2,C1,mobile,+86 138 0000 4444\n")
    assert (again.created_count, again.updated_count) == (0, 0)


def test_the_migration_fills_the_numbers_already_stored():
    us = ContactPointFactory(borrower=BorrowerFactory(province="California", time_zone=""), value="415-555-0100")
    cn = ContactPointFactory(value="13800005555")
    address = ContactPointFactory(kind=ContactPoint.Kind.HOME_ADDRESS, value="广州市天河区")
    ContactPoint.objects.update(number_e164="")
    migration = importlib.import_module("lending.migrations.0009_contact_point_numbers_e164")
    migration.numbers_fill(apps, None)
    numbers = dict(ContactPoint.objects.values_list("pk", "number_e164"))
    assert numbers == {us.pk: "+14155550100", cn.pk: "+8613800005555", address.pk: ""}


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_the_demo_stores_its_numbers_as_intake_would(buckets, locale):
    demo_portfolio_seed(accounts=60, seed=3, locale=locale, as_of=datetime.date(2026, 3, 10))
    points = ContactPoint.objects.select_related("borrower").filter(kind__in=PHONE_KINDS)
    assert points.exists()
    for point in points:
        assert point.number_e164 == phones.borrower_number_e164(point.value, point.borrower) != "", point.value
