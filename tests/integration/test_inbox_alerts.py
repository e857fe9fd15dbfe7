"""Notifications that help: an agency's alerts link to their dossier, can be marked read, unread or dismissed,
and filtered by kind, status and whether their dossier is overdue today; only the agency's own alerts."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from admin.app import create_app
from admin.inbox_view import with_link
from notifications.worker import deliver_pending
from tests.access_world import PASSWORD, TUAN_GIAO, World, build_world
from tests.integration.test_api import sign_in
from workflow.sweep import sweep

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

POLICE = f"{TUAN_GIAO}.commune_police"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The access world with its messages delivered, then a month later: the Chiềng Sinh and Tuần Giáo
    dossiers' deadlines have passed and the sweep has written their alerts."""
    built = build_world(f"sqlite:///{tmp_path}/inbox.db")
    rt = built.rt
    built.clock.advance(days=30)
    sweep(rt.db, rt.calendar, rt.settings, rt.now())
    deliver_pending(rt.db, rt.settings, rt.now(), batch=500)
    yield built
    rt.db.dispose()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.rt)) as c:
        yield c


def inbox(client: TestClient, user: str = "cax.tuangiao", **params: Any) -> dict[str, Any]:
    got = client.get("/api/v1/inbox", params=params, auth=(user, PASSWORD))
    assert got.status_code == 200, got.text
    return dict(got.json())


def act(client: TestClient, alert_id: int, action: str, user: str = "cax.tuangiao") -> Any:
    return client.post(f"/api/v1/alerts/{alert_id}/{action}", auth=(user, PASSWORD))


def test_the_inbox_lists_the_agencys_unread_alerts_as_links_to_their_dossier(client: TestClient, world: World) -> None:
    box = inbox(client)
    alerts = box["alerts"]

    assert box["agency"]["id"] == POLICE and alerts["total"] == alerts["unread"] == len(alerts["items"]) > 0
    assert {a["agency_id"] for a in alerts["items"]} == {POLICE}
    for alert in alerts["items"]:
        assert alert["url"] == f"/dossiers/{alert['dossier_id']}" and alert["dossier_code"] == world.codes["tuan_giao"]
        assert alert["kind_label_vi"] and alert["read_at"] is None
    assert [a["created_at"] for a in alerts["items"]] == sorted(
        (a["created_at"] for a in alerts["items"]), reverse=True
    )


def test_marking_read_unread_and_dismissing_changes_what_each_filter_lists(client: TestClient) -> None:
    first, second, *_ = inbox(client)["alerts"]["items"]

    read = act(client, first["id"], "read").json()
    assert read["read_at"] is not None and read["url"] == first["url"]
    assert first["id"] not in [a["id"] for a in inbox(client)["alerts"]["items"]]
    assert [a["id"] for a in inbox(client, status="read")["alerts"]["items"]] == [first["id"]]
    assert act(client, first["id"], "read").json()["read_at"] == read["read_at"]  # again: unchanged

    assert act(client, first["id"], "unread").json()["read_at"] is None
    assert first["id"] in [a["id"] for a in inbox(client)["alerts"]["items"]]

    dismissed = act(client, second["id"], "dismiss").json()
    assert dismissed["dismissed_at"] is not None
    for status in ("unread", "read", "all"):
        assert second["id"] not in [a["id"] for a in inbox(client, status=status)["alerts"]["items"]]
    assert inbox(client, status="all")["alerts"]["unread"] == inbox(client)["alerts"]["total"]


def test_filters_by_kind_and_by_the_dossier_being_overdue_today(client: TestClient, world: World) -> None:
    everything = inbox(client, status="all", page_size=200)["alerts"]["items"]
    kinds = {a["kind"] for a in everything}
    overdue_today = inbox(client, status="all", overdue="true", page_size=200)["alerts"]["items"]

    assert {"stage_entered", "overdue"} <= kinds
    for kind in kinds:
        listed = inbox(client, status="all", kind=kind, page_size=200)["alerts"]["items"]
        assert listed and {a["kind"] for a in listed} == {kind}
        assert len(listed) == sum(a["kind"] == kind for a in everything)
    assert overdue_today and all(a["dossier_overdue"] for a in overdue_today)
    assert {a["id"] for a in overdue_today} == {a["id"] for a in everything if a["dossier_overdue"]}


def test_pages_of_alerts(client: TestClient) -> None:
    total = inbox(client, status="all")["alerts"]["total"]
    pages = [inbox(client, status="all", page_size=1, page=n)["alerts"]["items"] for n in range(1, total + 1)]

    assert [len(p) for p in pages] == [1] * total and len({p[0]["id"] for p in pages}) == total


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "gossip"}, "kind"),
        ({"status": "old"}, "status"),
        ({"page": "0"}, "page"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(client: TestClient, params: dict[str, str], field: str) -> None:
    got = client.get("/api/v1/inbox", params=params, auth=("cax.tuangiao", PASSWORD))

    assert got.status_code == 422 and [f["field"] for f in got.json()["fields"]] == [field]


def test_nobody_marks_another_agencys_alert_and_a_missing_one_is_404(client: TestClient) -> None:
    alert = inbox(client)["alerts"]["items"][0]

    for user in ("cax.chiengsinh", "vks.khuvuctuangiao", "admin"):
        got = act(client, alert["id"], "read", user)
        assert got.status_code == 404 and got.json()["code"] == "alert.not_found"
    assert act(client, 10**9, "read").status_code == 404
    assert act(client, alert["id"], "archive").status_code == 422  # not an action
    assert inbox(client)["alerts"]["items"][0]["read_at"] is None


def test_another_agencys_inbox_is_refused_except_to_administrators(client: TestClient) -> None:
    assert client.get("/api/v1/inbox", params={"agency": POLICE}, auth=("cax.chiengsinh", PASSWORD)).status_code == 403
    assert inbox(client, "admin", agency=POLICE)["agency"]["id"] == POLICE
    admin_without = client.get("/api/v1/inbox", auth=("admin", PASSWORD))
    assert admin_without.status_code == 422 and admin_without.json()["fields"][0]["field"] == "agency"


def test_a_handover_summary_links_to_the_list_of_the_successors_dossiers() -> None:
    summary = {"kind": "work_reassigned", "dossier_id": None, "agency_id": "dien-bien.regional_court.tuan-giao"}

    assert with_link(summary)["url"] == "/dossiers?agency=dien-bien.regional_court.tuan-giao"
    assert with_link({"kind": "due", "dossier_id": 7, "agency_id": "x"})["url"] == "/dossiers/7"


# --------------------------------------------------------------------------- the page


def csrf(page: str) -> str:
    token = re.search(r'name="csrf" (?:value|content)="([0-9a-f]+)"', page)
    assert token is not None
    return token.group(1)


def test_the_inbox_page_links_alerts_and_its_buttons_mark_them(client: TestClient, world: World) -> None:
    sign_in(client, "cax.tuangiao")
    page = client.get(f"/inbox/{POLICE}").text
    first = inbox(client)["alerts"]["items"][0]

    assert f'<a href="/dossiers/{first["dossier_id"]}">{first["subject"]}</a>' in page
    assert "Đánh dấu đã đọc" in page and "Ẩn" in page and '<option value="overdue" >Quá hạn</option>' in page
    back = f"/inbox/{POLICE}?kind=overdue"
    got = client.post(f"/alerts/{first['id']}/read", data={"csrf": csrf(page), "back": back}, follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"] == back
    assert first["id"] not in [a["id"] for a in inbox(client)["alerts"]["items"]]
    evil = client.post(
        f"/alerts/{first['id']}/unread",
        data={"csrf": csrf(page), "back": "https://evil.example/"},
        follow_redirects=False,
    )
    assert evil.headers["location"] == f"/inbox/{POLICE}"  # never sent off-site
    forged = client.post(f"/alerts/{first['id']}/dismiss", data={"csrf": "0" * 32}, follow_redirects=False)
    assert forged.status_code == 403


def test_the_home_page_shows_the_unread_alerts_with_their_buttons(client: TestClient, world: World) -> None:
    sign_in(client, "cax.tuangiao")
    page = client.get("/").text

    assert inbox(client)["alerts"]["items"][0]["subject"] in page and 'name="back" value="/"' in page
