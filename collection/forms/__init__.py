"""
Collection's forms, a module per page area (as collection/views/): case.py
(the case page's actions), queues.py (bulk reassignment), arrangements.py,
visits.py, portfolios.py; widgets.py holds the inputs they share. They check
the shape of what was typed; the rules are the services'.
"""

from collection.forms.arrangements import (
    FORMS_BY_KIND,
    ArrangementForm,
    CancelForm,
    DecisionForm,
    ExtensionForm,
    PlanForm,
    SettlementForm,
    WaiverForm,
)
from collection.forms.case import (
    ContactLogForm,
    HardshipForm,
    HoldForm,
    HoldReleaseForm,
    NoteForm,
    PromiseForm,
    ReasonForm,
    contact_point_label,
)
from collection.forms.portfolios import PortfolioLimitsForm
from collection.forms.queues import BulkReassignForm, CollectorChoiceField
from collection.forms.visits import (
    VisitDayForm,
    VisitRejectForm,
    VisitReportForm,
    VisitRequestForm,
    VisitScheduleForm,
)

__all__ = [
    "FORMS_BY_KIND",
    "ArrangementForm",
    "BulkReassignForm",
    "CancelForm",
    "CollectorChoiceField",
    "ContactLogForm",
    "DecisionForm",
    "ExtensionForm",
    "HardshipForm",
    "HoldForm",
    "HoldReleaseForm",
    "NoteForm",
    "PlanForm",
    "PortfolioLimitsForm",
    "PromiseForm",
    "ReasonForm",
    "SettlementForm",
    "VisitDayForm",
    "VisitRejectForm",
    "VisitReportForm",
    "VisitRequestForm",
    "VisitScheduleForm",
    "WaiverForm",
    "contact_point_label",
]
