"""Who may see what: the personal-data rule of the dossier page and the steps a user is offered.

Personal data (name, ID number, address, birth date) is read only for a user who needs it for the
dossier in front of them: the procurator (supervises legality), staff of the agency now responsible,
staff of the dossier's commune police and commune committee (they compile and keep it), and court
staff serving the dossier's area (they decide). Administrators run the system and never see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from admin.auth import CurrentUser
from workflow import queries
from workflow.directory import Directory
from workflow.errors import DossierNotFound
from workflow.runtime import Runtime

COMMUNE_AGENCIES = frozenset({"commune_police", "commune_committee"})
COURTS = frozenset({"district_court", "regional_court", "provincial_court"})


def may_see_person(user: CurrentUser, view: Mapping[str, Any], directory: Directory, today: date | None = None) -> bool:
    """Whether `user` may read the personal data of the dossier shown by `view` (a `dossier_view`)."""
    if user.role not in ("staff", "supervisor", "procurator") or not user.agency_id:
        return False
    agency = directory.agencies.get(user.agency_id)
    if agency is None or not agency.valid_on(today or date.today()):
        return False  # an abolished agency's staff no longer read anyone's file
    if user.role == "staff" or user.role == "supervisor":
        if user.agency_id == view["agency"]["id"]:
            return True
        if agency.type not in COMMUNE_AGENCIES | COURTS:
            return False
    return agency.serves(directory.lineage(view["commune"]["code"]))  # procurators: in their own area


def steps_for(user: CurrentUser, view: Mapping[str, Any], directory: Directory, today: date) -> list[dict[str, Any]]:
    """The dossier's available steps offered to the user: their agency serves the dossier's commune and is
    among the step's actors (as itself or as the successor of an abolished agency).

    Offering a step is not permission: the engine decides, and refuses with every reason.
    """
    agency = directory.agencies.get(user.agency_id or "")
    if not user.may_fire or agency is None or not agency.serves(directory.lineage(view["commune"]["code"])):
        return []
    acting = directory.acts_for(user.agency_id, today)
    return [s for s in view["available_steps"] if acting & set(s["actors"])]


def may_read_log(user: CurrentUser, view: Mapping[str, Any], directory: Directory | None = None) -> bool:
    """The transition log: the procuracy and administrators, staff who may read the dossier's file, and staff of
    a commune agency that served the dossier's commune, even once abolished: a commune merged on 01/07/2025
    keeps reading the history of the dossiers opened there (the log holds no names)."""
    if user.role in ("procurator", "admin") or "person" in view:
        return True
    agency = directory.agencies.get(user.agency_id or "") if directory is not None else None
    return (
        agency is not None
        and agency.type in COMMUNE_AGENCIES
        and agency.serves(directory.parents_of(view["commune"]["code"]))  # type: ignore[union-attr]
    )


def outside_province(user: CurrentUser, commune_code: str, directory: Directory) -> bool:
    """A user of an agency of another province: each province's users see only their own dossiers."""
    mine = directory.agency_province(user.agency_id) if user.agency_id else None
    return mine is not None and mine != directory.province_of(commune_code)


def dossier_for(rt: Runtime, user: CurrentUser, dossier_id: int) -> dict[str, Any]:
    """The dossier view, with "person" only when `user` may read it (decided on the view it is added to)."""
    today = rt.today()
    view = queries.dossier_view(rt.db, rt.regimes, dossier_id, today)
    if view is None:
        raise DossierNotFound(dossier_id)
    directory = rt.engine.directory()
    if outside_province(user, view["commune"]["code"], directory):
        raise DossierNotFound(dossier_id)  # as if it did not exist
    if not may_see_person(user, view, directory, today):
        return view
    full = queries.dossier_view(rt.db, rt.regimes, dossier_id, today, with_person=True)
    if full is None or not may_see_person(user, full, directory, today):  # moved on meanwhile
        return view
    return full
