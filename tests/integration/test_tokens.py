"""API bearer tokens: issued by admins (anyone's) or users (their own), shown once, stored hashed, revocable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from admin.auth import COOKIE, utc_now
from admin.cli import app as cli
from tests.integration.test_api import TestClient, as_, client_for, sign_in
from tests.journeys import Journey
from workflow import credentials
from workflow.tables import ApiToken


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, Journey]]:
    with client_for(tmp_path) as pair:
        yield pair


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_issues_a_token_shown_once_that_works_until_revoked(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    issued = client.post("/api/v1/tokens", json={"label": "nightly export", "username": "vks"}, auth=as_("admin"))
    token = issued.json()["token"]
    listed = client.get("/api/v1/tokens", auth=as_("admin")).text
    works = client.get(f"/api/dossiers/{journey.dossier_id}/history", headers=bearer(token))
    revoked = client.delete(f"/api/v1/tokens/{issued.json()['id']}", auth=as_("admin"))

    assert issued.status_code == 201 and token.startswith("rhb_") and issued.json()["username"] == "vks"
    assert token not in listed and issued.json()["prefix"] in listed
    assert works.status_code == 200  # acting as the procurator: the log is theirs to read
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert client.get("/api/dossiers", headers=bearer(token)).status_code == 401


def test_only_the_tokens_digest_is_stored(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    token = client.post("/api/v1/tokens", json={"label": "script"}, auth=as_("cax")).json()["token"]

    with journey.rt.db.connect() as conn:
        row = conn.execute(select(ApiToken.__table__)).one()  # type: ignore[attr-defined]
    assert token not in [str(v) for v in row] and row.token_hash == credentials.digest(token)


def test_a_user_manages_only_their_own_tokens(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    theirs = client.post("/api/v1/tokens", json={"label": "a"}, auth=as_("ubndx")).json()

    for_another = client.post("/api/v1/tokens", json={"label": "b", "username": "admin"}, auth=as_("cax"))
    revoke_theirs = client.delete(f"/api/v1/tokens/{theirs['id']}", auth=as_("cax"))
    own_list = client.get("/api/v1/tokens", auth=as_("cax")).json()

    assert for_another.status_code == 403
    assert revoke_theirs.status_code == 404
    assert own_list == []
    assert client.get("/api/dossiers", headers=bearer(theirs["token"])).status_code == 200


def test_a_token_acts_with_its_users_role_and_cannot_open_pages(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    token = client.post("/api/v1/tokens", json={"label": "x"}, auth=as_("vks")).json()["token"]

    fire = client.post(
        f"/api/dossiers/{journey.dossier_id}/fire", json={"event": "request_determination"}, headers=bearer(token)
    )
    page = client.get("/", headers=bearer(token), follow_redirects=False)

    assert fire.status_code == 403  # the procurator never acts
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_a_wrong_or_expired_token_is_401_and_an_unknown_user_or_bad_label_is_422(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    token, _ = credentials.issue_token(
        journey.rt.db, "cax", by="admin", label="old", now=utc_now() - timedelta(days=2), expires_at=utc_now()
    )

    assert client.get("/api/dossiers", headers=bearer(token)).status_code == 401
    assert client.get("/api/dossiers", headers=bearer("rhb_" + "x" * 43)).status_code == 401
    assert client.get("/api/dossiers", headers=bearer("nonsense")).status_code == 401
    unknown = client.post("/api/v1/tokens", json={"label": "a", "username": "ghost"}, auth=as_("admin"))
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["field"] == "username"
    assert client.post("/api/v1/tokens", json={"label": ""}, auth=as_("admin")).status_code == 422


def test_revoking_a_users_credentials_ends_their_sessions_and_tokens(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    token = client.post("/api/v1/tokens", json={"label": "a"}, auth=as_("cax")).json()["token"]
    sign_in(client, "cax")
    assert client.get("/api/dossiers").status_code == 200

    ended = credentials.revoke_user_credentials(journey.rt.db, "cax", utc_now())

    assert ended == (1, 1)
    assert client.get("/api/dossiers").status_code == 401
    assert client.get("/api/dossiers", headers=bearer(token)).status_code == 401


def test_the_security_page_shows_a_new_token_once(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    sign_in(client, "admin")
    page = client.get("/admin/security").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf is not None

    issued = client.post("/admin/security/tokens", data={"csrf": csrf.group(1), "label": "cron", "username": "vks"})
    token = re.search(r"rhb_[A-Za-z0-9_-]+", issued.text)
    again = client.get("/admin/security").text

    assert issued.status_code == 201 and token is not None
    assert token.group(0) not in again and "cron" in again
    assert client.get("/api/audit/verify", headers=bearer(token.group(0))).status_code == 200
    assert COOKIE in client.cookies


def test_the_cli_issues_and_revokes_tokens(api, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    monkeypatch.setenv("REHAB_DATABASE_URL", str(journey.rt.db.url))
    runner = CliRunner()

    issued = runner.invoke(cli, ["tokens", "issue", "vks", "--label", "export", "--days", "30"])
    token = issued.stdout.strip().splitlines()[-1]
    listed = runner.invoke(cli, ["tokens", "list"])
    assert issued.exit_code == 0 and token.startswith("rhb_")
    assert client.get("/api/audit/verify", headers=bearer(token)).status_code == 200
    assert token not in listed.stdout

    token_id = credentials.list_tokens(journey.rt.db, "vks")[0].id
    assert runner.invoke(cli, ["tokens", "revoke", str(token_id)]).exit_code == 0
    assert client.get("/api/audit/verify", headers=bearer(token)).status_code == 401
    assert runner.invoke(cli, ["tokens", "revoke", str(token_id)]).exit_code == 1
    ghost = runner.invoke(cli, ["tokens", "issue", "ghost", "--label", "x"])
    assert ghost.exit_code == 1 and "no user 'ghost'" in ghost.output


def test_a_password_reset_or_disabling_ends_the_users_sessions_and_tokens(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    token = client.post("/api/v1/tokens", json={"label": "a"}, auth=as_("ubndx")).json()["token"]
    sign_in(client, "cax")
    assert client.get("/api/v1/dossiers").status_code == 200

    reset = client.post("/api/v1/users/cax/password", json={}, auth=as_("admin"))
    disabled = client.post("/api/v1/users/ubndx/disable", auth=as_("admin"))
    client.post("/api/v1/users/ubndx/enable", auth=as_("admin"))

    assert reset.status_code == 200 and disabled.status_code == 200
    assert client.get("/api/v1/dossiers").status_code == 401  # the session of the old password
    assert client.get("/api/v1/dossiers", headers=bearer(token)).status_code == 401  # not back when enabled
