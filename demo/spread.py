"""How the demo is spread over the process: shares, weights, time spent in a stage, and lateness.

Tuned by hand so that on `today` the books look like a real district's: a past regime's dossiers are mostly
closed, in a facility, postponed, searched for, or under post-rehab supervision (the long stages); the short
stages hold recent dossiers; about one open dossier in ten is past a deadline, mostly by days or weeks, and
only a long search for an absconder runs months late.
"""

from __future__ import annotations

from states.model import ClosingReason, Event, State

DEMO_FROM_YEAR = 2021  # the Tuần Giáo 2021 plan (seed 000) is the oldest
COVERAGE_SHARE = 0.6  # at most this share of `count` goes to covering every state and closing reason
MINOR_SHARE, FEMALE_SHARE, NO_RESIDENCE_SHARE = 0.07, 0.06, 0.05
DETOUR_CHANCE, MAX_DETOURS = 0.12, 2  # supplementation, complaint, postponement, absconding and found
ATTEMPTS, FILL_TRIES, FIT_ROUNDS, MAX_WAIT_DAYS = 10, 12, 5, 2048

# Random targets: the share closed grows with the age of the regime's window (years since its middle).
CLOSED_SHARE, CLOSED_SHARE_PER_YEAR, CLOSED_SHARE_MAX = 0.15, 0.12, 0.8
OVERDUE_SHARE = 0.1  # of random targets in a stage with a running deadline: left past it
RECENT_DAYS = 180  # a past regime that ended this recently may still have dossiers before the facility

# The long stages: a dossier of any age may plausibly still be in one of them.
LONG_STATES = frozenset(
    {
        State.DRUG_USER_MANAGEMENT,
        State.POSTPONED,
        State.ABSCONDED_BEFORE_ADMISSION,
        State.IN_FACILITY,
        State.ABSCONDED_FROM_FACILITY,
        State.POST_REHAB_SUPERVISION,
    }
)
STATE_WEIGHTS = {
    State.IN_FACILITY: 24.0,
    State.POST_REHAB_SUPERVISION: 18.0,
    State.DRUG_USER_MANAGEMENT: 3.0,
    State.AWAITING_ESCORT: 2.0,
    State.POSTPONED: 1.5,
    State.ABSCONDED_BEFORE_ADMISSION: 0.6,
    State.ABSCONDED_FROM_FACILITY: 0.8,
}
OTHER_STATE_WEIGHT = 1.5
CLOSING_WEIGHTS = {
    ClosingReason.SUPERVISION_COMPLETED: 30.0,
    ClosingReason.NOT_ADDICTED: 9.0,
    ClosingReason.RELAPSED: 5.0,
    ClosingReason.COURT_REJECTED: 5.0,
    ClosingReason.EXEMPTED: 4.0,
    ClosingReason.DISCONTINUED: 4.0,
    ClosingReason.LIMITATION_EXPIRED: 3.0,
    ClosingReason.DECEASED: 3.0,
    ClosingReason.NOT_ELIGIBLE: 3.0,
}
OTHER_CLOSING_WEIGHT = 1.5
LATE_STATES = (State.LABOUR_REVIEW, State.AWAITING_ESCORT, State.COURT_ACCEPTED)  # current regime: left late on purpose

# Days past the running deadline on `today`, as (chance, (min, max)).
LATENESS = ((0.6, (1, 10)), (0.3, (11, 30)), (0.1, (31, 60)))
SEARCH_LATENESS = ((0.6, (3, 30)), (0.3, (31, 90)), (0.1, (91, 150)))  # the 1-working-day deadline stays open
PENDING_LATENESS = (1, 45)  # a recent past regime's dossier still before the facility: late, but not absurdly
PENDING_WEIGHT = 0.4  # ... and rare: the weight of each such stage among random targets
UNTIMED_DWELL = 240  # at most this many days in a stage without a running deadline (postponed)
CLOSED_AGO = 45  # a closing step's timeline ends up to this many days before `today`

# Days spent in a stage whose deadline is only a product reminder (or that has none).
FIXED_DWELL = {
    State.POSTPONED: (30, 150),
    State.ABSCONDED_BEFORE_ADMISSION: (10, 120),
    State.ABSCONDED_FROM_FACILITY: (7, 60),
}
EVENT_DWELL = {(State.IN_FACILITY, Event.REPORT_ABSCONDING): (5, 120)}  # absconding: early in a stay, if at all
QUICK_STATES = {State.COMPLAINT_PERIOD: (0.1, 0.3)}  # share of the deadline used: complaints come early
USUAL_SHARE = (0.05, 0.85)  # share of the deadline an agency usually takes
SLOW_SHARE = (1.0, 4.0)  # ... and takes in a dossier still pending long after its violation
