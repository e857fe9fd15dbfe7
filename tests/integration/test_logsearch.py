"""The log search on SQLite and on a real PostgreSQL server: outcome, agency, day bounds in Vietnam
time (an entry at 23:30 on the 1st, Vietnam time, belongs to the 1st), the area limit and the order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.journeys import AGENCY_OF, Journey, actor, open_adult
from workflow.errors import StepRefused
from workflow.logsearch import LogQuery, communes_served, iter_log, search_log

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_search_filters_by_outcome_agency_and_vietnam_day(journey_runtime) -> None:  # type: ignore[no-untyped-def]
    rt, clock = journey_runtime
    clock.now = datetime(2023, 3, 1, 16, 30, tzinfo=UTC)  # 23:30 on the 1st in Vietnam
    journey = Journey(rt, clock, open_adult(rt, clock).dossier_id)
    with pytest.raises(StepRefused):
        rt.engine.fire(journey.dossier_id, "request_determination", actor("commune_police"), {})
    clock.now = datetime(2023, 3, 1, 17, 30, tzinfo=UTC)  # the 1st in UTC, but 00:30 on the 2nd in Vietnam
    journey.step("request_determination", "commune_police")
    first, second = date(2023, 3, 1), date(2023, 3, 2)

    def total(**kw: object) -> int:
        return search_log(rt.db, LogQuery(**kw), VN).total  # type: ignore[arg-type]

    assert total() == 3
    assert total(outcome="refused") == 1 and total(outcome="applied") == 2
    assert total(since=first, until=first) == 2
    assert total(since=second) == 1
    assert total(agency=AGENCY_OF["commune_police"], event="request_determination") == 2
    assert total(communes=communes_served(rt.engine.directory(), AGENCY_OF["procuracy"])) == 3
    assert total(communes=frozenset({"elsewhere"})) == 0
    page = search_log(rt.db, LogQuery(), VN, page=2, per_page=2)
    assert (page.pages, [e["seq"] for e in page.entries]) == (2, [1])
    assert [e["seq"] for e in iter_log(rt.db, LogQuery(), VN)] == [1, 2, 3]
    assert all(e["at"].endswith("+00:00") for e in iter_log(rt.db, LogQuery(since=second - timedelta(days=1)), VN))
