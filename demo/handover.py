"""The administrator's hand-over after the 2025 reforms: every abolished agency's open work to its successor, once.

What `rehab agencies reassign` does for one agency, done for each agency that ended before `today` (district
police and labour office on 28/02/2025; district court, procuracy, committee and justice office, and the communes'
police and committees merged on 01/07/2025). A demo dossier still waiting on one of them, because its last step was
taken before the reform, moves to the successor with an administrative entry on its chain.
"""

from __future__ import annotations

from datetime import date, datetime, time

from workflow.agencies import ReassignError, reassign
from workflow.directory import Directory
from workflow.runtime import Runtime

ADMIN = "admin"
BASIS = {
    "district_police": "Nghị định 02/2025/NĐ-CP",
    "labour_office": "Nghị định 02/2025/NĐ-CP",
    "district_court": "Nghị quyết 81/2025/UBTVQH15",
    "procuracy": "Nghị quyết 84/2025/UBTVQH15",
    "district_committee": "Luật Tổ chức chính quyền địa phương 2025",
    "commune_police": "Nghị quyết 1661/NQ-UBTVQH15",
    "commune_committee": "Nghị quyết 1661/NQ-UBTVQH15",
}


def hand_over(runtime: Runtime, directory: Directory, today: date) -> int:
    """Reassign each ended agency with a successor; the number of dossiers moved."""
    moved = 0
    now = datetime.combine(today, time(8, 0), tzinfo=runtime.tz)
    for agency in sorted(directory.agencies.values(), key=lambda a: (a.valid_to or today, a.id)):
        if agency.valid_to is None or agency.valid_to >= today or not agency.successor_id:
            continue
        basis = BASIS.get(agency.type, "Sắp xếp đơn vị hành chính 2025")
        try:
            report = reassign(runtime.db, agency.id, actor=ADMIN, basis=basis, now=now, tz=runtime.tz)
        except ReassignError:
            continue  # a successor not in office today: left for the administrator, as in production
        moved += len(report.dossiers)
    return moved
