"""How a dossier starts: the document that opens it in each initial state, and what is checked first.

Kept with the process (not in `workflow/`) so the generated docs can say which rules the opening applies.
"""

from __future__ import annotations

from handlers.eligibility import NOT_EXCLUDED
from handlers.vn2026 import management_decided_in_time
from states.model import Guard, State

START_DOCUMENT = {State.VIOLATION_RECORDED: "violation_record", State.DRUG_USER_MANAGEMENT: "user_management_decision"}
START_GUARDS: dict[State, tuple[Guard, ...]] = {
    State.VIOLATION_RECORDED: NOT_EXCLUDED,
    State.DRUG_USER_MANAGEMENT: (management_decided_in_time,),
}
