"""The agency supervisor's bulk "assign to agent" on the agency queue: the ticked cases and the agent."""

from django import forms
from django.utils.translation import gettext_lazy as _

from collection.filters import QuickSelect

POOL = "pool"
ASSIGN_NO_AGENT = _("Choose the agent (or the agency's pool).")


class AgencyAssignForm(forms.Form):
    """`case` (one per ticked row) and `agent`: a member of the agency, or the pool (no agent)."""

    agent = forms.ChoiceField(label=_("Assign to"), widget=QuickSelect)

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.agents = {str(agent.pk): agent for agent in agents}
        self.fields["agent"].choices = [
            ("", _("Agent…")),
            *((pk, str(agent)) for pk, agent in self.agents.items()),
            (POOL, _("The agency's pool (no agent)")),
        ]
        self.fields["agent"].error_messages["required"] = ASSIGN_NO_AGENT

    def clean(self):
        data = super().clean()
        # The service keeps only the agency's own active placements among these.
        data["case_ids"] = sorted({int(pk) for pk in self.data.getlist("case") if pk.isdigit()})
        choice = data.get("agent")
        data["agent_user"] = None if choice in (None, POOL) else self.agents.get(choice)
        return data
