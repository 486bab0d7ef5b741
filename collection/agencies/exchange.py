"""
The file exchange with an agency's own system (see collection/agencies/__init__.py).

Out, the placement file: one row per case of a batch still placed (an active
placement), with what the agency always sees (the numbers of the batch and
the case, the borrower's name, the amounts, bucket and dates, the national
id masked) and, column by column, only the borrower's details the batch's
contract shows (AgencyField). A withheld detail has no column at all, and
a contact point marked do-not-contact is left out: the agency may not use it.
CSV or XLSX, through the formula-safe writer (documents/exports.py); each
download is audited (personal data leaves the system).

In, the return file: exchange_returns.py (its format, registered with
lending's intake) and exchange_claims.py (claimed payments matched against
real ones).
"""

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.services import audit_record
from collection.models import AgencyField, Placement, PlacementBatch, PlacementStatus
from documents.exports import csv_response, xlsx_response
from lending.masking import mask_national_id
from lending.models import ContactPoint

FORMATS = ("csv", "xlsx")
FORMAT_UNKNOWN = _("Choose CSV or XLSX.")

# What every placement file holds, whatever the contract shows.
ALWAYS_COLUMNS = (
    "placement_batch",
    "case_number",
    "borrower_name",
    "currency",
    "balance_placed",
    "overdue_at_placement",
    "bucket",
    "days_past_due",
    "placed_on",
    "recall_due_on",
    "national_id_masked",
)
# The columns each detail a contract may show adds (in this order).
FIELD_COLUMNS = {
    AgencyField.PHONE: ("mobile_numbers", "other_phone_numbers"),
    AgencyField.EMAIL: ("emails",),
    AgencyField.ADDRESS: ("home_address", "work_address"),
    AgencyField.EMPLOYER: ("employer",),
    AgencyField.DATE_OF_BIRTH: ("date_of_birth",),
    AgencyField.THIRD_PARTIES: ("third_party_name", "third_party_relation", "third_party_phone"),
}
# Several numbers or addresses in one cell.
JOIN = "; "
PHONE_KINDS = (ContactPoint.Kind.MOBILE, ContactPoint.Kind.HOME_PHONE, ContactPoint.Kind.WORK_PHONE)
ROWS_CHUNK = 1000


def placement_file_fields(batch: PlacementBatch) -> list[str]:
    """The AgencyField codes the batch's contract shows, in the file's order (unknown codes ignored)."""
    shown = set(batch.contract.visible_fields or [])
    return [code for code in FIELD_COLUMNS if code in shown]


def placement_file_header(batch: PlacementBatch) -> list[str]:
    header = list(ALWAYS_COLUMNS)
    for code in placement_file_fields(batch):
        header.extend(FIELD_COLUMNS[code])
    return header


def _points_by_kind(points, owner: str) -> dict[str, list[ContactPoint]]:
    found: dict[str, list[ContactPoint]] = {}
    for point in points:
        if point.owner == owner:
            found.setdefault(point.kind, []).append(point)
    return found


def _joined(points) -> str:
    return JOIN.join(point.value for point in points)


def _field_cells(code: str, borrower, points) -> list:
    """The cells of one shown detail (FIELD_COLUMNS[code]) for one borrower."""
    own = _points_by_kind(points, ContactPoint.Owner.BORROWER)
    if code == AgencyField.PHONE:
        landlines = own.get(ContactPoint.Kind.HOME_PHONE, []) + own.get(ContactPoint.Kind.WORK_PHONE, [])
        return [_joined(own.get(ContactPoint.Kind.MOBILE, [])), _joined(landlines)]
    if code == AgencyField.EMAIL:
        return [_joined(own.get(ContactPoint.Kind.EMAIL, []))]
    if code == AgencyField.ADDRESS:
        return [
            _joined(own.get(ContactPoint.Kind.HOME_ADDRESS, [])),
            _joined(own.get(ContactPoint.Kind.WORK_ADDRESS, [])),
        ]
    if code == AgencyField.EMPLOYER:
        return [borrower.employer]
    if code == AgencyField.DATE_OF_BIRTH:
        return [borrower.date_of_birth]
    # Third parties: their phones only (an address of a relative is not the agency's to visit).
    third = [point for point in points if point.owner == ContactPoint.Owner.THIRD_PARTY and point.kind in PHONE_KINDS]
    return [
        JOIN.join(point.third_party_name for point in third),
        JOIN.join(point.relation for point in third),
        _joined(third),
    ]


def placement_file_placements(batch: PlacementBatch):
    """The batch's active placements with their cases, borrowers and usable contact points (prefetched in chunks)."""
    points = ContactPoint.objects.filter(do_not_contact=False).order_by("-is_primary", "id")
    return (
        Placement.objects.filter(batch=batch, status=PlacementStatus.ACTIVE)
        .select_related("case__borrower")
        .prefetch_related(Prefetch("case__borrower__contact_points", queryset=points))
        .order_by("case_id")
    )


def placement_file_rows(batch: PlacementBatch):
    """
    (header, rows): the header's column codes and an iterator of rows, one per
    active placement of the batch, with exactly the columns the contract allows.
    """
    fields = placement_file_fields(batch)
    number = batch.number

    def rows():
        for placement in placement_file_placements(batch).iterator(chunk_size=ROWS_CHUNK):
            case = placement.case
            borrower = case.borrower
            points = list(borrower.contact_points.all())
            row = [
                number,
                case.number,
                borrower.name,
                placement.currency,
                placement.balance_at_placement,
                placement.overdue_at_placement,
                placement.bucket_at_placement,
                placement.days_past_due_at_placement,
                placement.placed_on,
                placement.recall_due_on,
                mask_national_id(borrower.national_id) if borrower.national_id else "",
            ]
            for code in fields:
                row.extend(_field_cells(code, borrower, points))
            yield row

    return placement_file_header(batch), rows()


def batches_for_exchange(agency_id: int | None):
    """The placement batches whose files may be taken: one agency's, or every agency's (None)."""
    batches = PlacementBatch.objects.select_related("contract", "agency")
    return batches if agency_id is None else batches.filter(agency_id=agency_id)


def batches_with_active_counts(agency_id: int | None):
    """batches_for_exchange, each with `active_count` (the rows its placement file has now)."""
    active = Count("placements", filter=Q(placements__status=PlacementStatus.ACTIVE))
    return batches_for_exchange(agency_id).annotate(active_count=active).order_by("-placed_on", "-id")


def placement_file_response(batch: PlacementBatch, fmt: str, *, actor=None):
    """
    The placement file as a download (`fmt` "csv" or "xlsx"; ValueError otherwise),
    audited: who took which batch's file, in which format, with which details.
    """
    if fmt not in FORMATS:
        raise ValueError(fmt)
    header, rows = placement_file_rows(batch)
    row_count = Placement.objects.filter(batch=batch, status=PlacementStatus.ACTIVE).count()
    audit_record(
        action="collection.placement_file.downloaded",
        target=batch,
        **({"actor": actor} if actor is not None else {}),
        data={
            "batch": batch.number,
            "agency_id": batch.agency_id,
            "format": fmt,
            "rows": row_count,
            "fields": placement_file_fields(batch),
        },
    )
    filename = f"{batch.number}.{fmt}"
    if fmt == "xlsx":
        return xlsx_response(rows, filename=filename, header=header, sheet_title=batch.number)
    return csv_response(rows, filename=filename, header=header)


def _downloaded_sentence(event) -> str:
    data = event.data
    return ngettext(
        "Placement file of batch %(batch)s downloaded (%(format)s, %(rows)s case)",
        "Placement file of batch %(batch)s downloaded (%(format)s, %(rows)s cases)",
        data["rows"],
    ) % {"batch": data["batch"], "format": data["format"].upper(), "rows": data["rows"]}


def register() -> None:
    """The return file's format and handler with lending's intake; the nightly claims match; the audit sentences."""
    from accounts.audit_text import audit_sentence_register
    from accounts.navigation import NavItem, nav_register
    from accounts.permissions import Capability
    from collection.agencies import exchange_claims, exchange_returns

    # The agency's supervisor reaches the page from the portal's tabs (a bar entry cannot tell supervisors apart).
    nav_register(
        NavItem(
            "agency_files",
            _("Agency files"),
            "collection:agency_file_list",
            Capability.MANAGE_AGENCIES,
            order=74,
            group="agencies",
            description=_(
                "Placement files taken by agencies with their own systems, the return files they sent, "
                "and the payments they claim, matched to real payments or not"
            ),
        )
    )
    audit_sentence_register("collection.placement_file.downloaded", _downloaded_sentence)
    exchange_returns.register()
    exchange_claims.register()
