"""Who may see what, for the web layer: the rule itself is `workflow.access` (one rule for pages and API).

`scope_for` works out the signed-in user's `Scope` once per request; `dossier_for` is the only way a page or
the API reads a dossier: a dossier the user may not read is `DossierNotFound` (404, as if it did not exist),
and its person and health facts are added only for a user who may read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from admin.auth import CurrentUser
from workflow import queries
from workflow.access import (
    COMMUNE_AGENCIES,
    Scope,
    can_read,
    may_read_person,
    redact_entry,
    scope_of,
    without_personal_facts,
)
from workflow.db import reading
from workflow.directory import Directory
from workflow.errors import DossierNotFound
from workflow.runtime import Runtime
from workflow.texts import reveal, side_texts


def scope_for(rt: Runtime, user: CurrentUser) -> Scope:
    return scope_of(user, rt.engine.directory(), rt.today())


def may_see_person(user: CurrentUser, view: Mapping[str, Any], directory: Directory, today: date | None = None) -> bool:
    """Whether `user` may read the personal data of the dossier shown by `view` (a `dossier_view`)."""
    scope = scope_of(user, directory, today or date.today())
    return may_read_person(scope, view["commune"]["code"], view["agency"]["id"])


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


def readable_or_404(rt: Runtime, user: CurrentUser, dossier_id: int) -> Scope:
    """The user's scope, once the dossier is known to be readable by them (else `DossierNotFound`)."""
    scope = scope_for(rt, user)
    with reading(rt.db) as conn:
        if not can_read(conn, scope, dossier_id):
            raise DossierNotFound(dossier_id)
    return scope


def dossier_for(rt: Runtime, user: CurrentUser, dossier_id: int) -> dict[str, Any]:
    """The dossier view, with "person" (and health facts) only when `user` may read them."""
    scope = readable_or_404(rt, user, dossier_id)
    today = rt.today()
    view = queries.dossier_view(rt.db, rt.regimes, dossier_id, today)
    if view is None:
        raise DossierNotFound(dossier_id)
    if may_read_person(scope, view["commune"]["code"], view["agency"]["id"]):
        full = queries.dossier_view(rt.db, rt.regimes, dossier_id, today, with_person=True, reveal=rt.engine.ids.reveal)
        if full is not None and may_read_person(scope, full["commune"]["code"], full["agency"]["id"]):
            return full  # not moved on meanwhile
    return {**view, "facts": without_personal_facts(view["facts"])}


def history_for(rt: Runtime, user: CurrentUser, view: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The dossier's log for a user who may read it (health facts and free text of before in a document's
    issuer or signer only with the person; a step's free text, kept beside the chain, for readers of the person
    and the agency that wrote it), else None."""
    if not may_read_log(user, view, rt.engine.directory()):
        return None
    rows = queries.history(rt.db, view["id"])
    person = "person" in view
    mine = scope_for(rt, user).agencies  # an agency reads the text it wrote
    rows = rows if person else [redact_entry(r) for r in rows]
    return reveal(rows, side_texts(rt.db, view["id"]), lambda e: person or e.get("actor_agency") in mine)
