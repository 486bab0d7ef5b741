"""
Reads of collection, scoped once, to what a user may see (cases.py says
who sees what). Every page's reads are here, a module per area:

- cases.py: the scope itself (`cases_visible_to`, `case_visible_get`);
- queues.py: the queues (my queue, team queue, unassigned pool);
- reassignment.py: whom a team lead may move cases to, and which cases;
- case_page.py: the case page (the case, its balance panels, the borrower);
- approvals.py: arrangements and the approval queue;
- visits.py: field visits (the team lead's list, the agent's day);
- portfolios.py: portfolios and their contact limits (configuration, not scoped by case);
- borrowers.py: the borrowers lending may show (registered in apps.py).
"""

from collection.selectors.cases import case_visible_get, cases_visible_to
from collection.selectors.visits import visits_visible_to

__all__ = ["case_visible_get", "cases_visible_to", "visits_visible_to"]
